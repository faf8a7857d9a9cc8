"""Regular grids of sub-volumes (paper section 5.1), cut band by band from a VolumeReader."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from porestudio.errors import InputError
from porestudio.structures._greystats import check_finite
from porestudio.structures._tiffio import VolumeReader

Triple = tuple[int, int, int]


def subvolume_grid(
    shape: Triple, size: int | Triple | None, stride: int | Triple | None = None
) -> tuple[Triple, Triple, Triple]:
    """Validated ``(size, stride, counts)`` of a sub-volume grid over ``shape`` (z, y, x).

    Origins run ``0, stride, 2*stride, ...`` along each axis while the cube fits; a
    remainder smaller than the cube is dropped. ``size=None`` means one sample: the whole
    volume.
    """
    check_not_empty(shape, "the volume")
    if size is None:
        return tuple(shape), tuple(shape), (1, 1, 1)  # type: ignore[return-value]
    size3 = triple(size, "sub-volume size")
    stride3 = size3 if stride is None else triple(stride, "stride")
    for s, n, name in zip(size3, shape, "zyx", strict=True):
        if s > n:
            raise InputError(f"sub-volume size {s} exceeds the volume's {name} size {n}")
    counts = tuple((n - s) // t + 1 for n, s, t in zip(shape, size3, stride3, strict=True))
    return size3, stride3, counts  # type: ignore[return-value]


def iter_cubes(
    reader: VolumeReader, size: int | Triple | None, stride: int | Triple | None = None
) -> Iterator[tuple[Triple, np.ndarray]]:
    """Yield ``(origin_zyx, cube)`` on the grid, reading each needed slice exactly once.

    Only the ``size_z`` slices of the current z-band are held; slices shared with the
    previous band (``stride_z < size_z``) are reused, skipped ones are never read.
    """
    (sz, sy, sx), (tz, ty, tx), counts = subvolume_grid(reader.shape, size, stride)
    cache: dict[int, np.ndarray] = {}
    band = block = None
    for iz in range(counts[0]):
        z0 = iz * tz
        band = block = None  # free the previous band before reading the next one
        for z in [z for z in cache if z < z0]:
            del cache[z]
        first_missing = max([z0, *(z + 1 for z in cache)])
        if first_missing < z0 + sz:
            block = reader.read(first_missing, z0 + sz)
            check_finite(block, first_missing)
            cache.update({first_missing + k: block[k] for k in range(block.shape[0])})
        reused = first_missing > z0  # else the block just read is the whole band
        band = np.stack([cache[z] for z in range(z0, z0 + sz)]) if reused else block
        for iy in range(counts[1]):
            for ix in range(counts[2]):
                y0, x0 = iy * ty, ix * tx
                yield (z0, y0, x0), band[:, y0 : y0 + sy, x0 : x0 + sx].copy()


def triple(value: int | tuple[int, ...], name: str) -> Triple:
    """One positive integer or three (Z, Y, X) as a 3-tuple."""
    vals = (value,) * 3 if np.ndim(value) == 0 else tuple(value)  # type: ignore[arg-type]
    if len(vals) != 3:
        raise InputError(f"{name} must be one number or three (Z,Y,X); got {value!r}")
    out = []
    for v in vals:
        if int(v) != v or int(v) < 1:
            raise InputError(f"{name} must be positive whole numbers of voxels; got {value!r}")
        out.append(int(v))
    return tuple(out)  # type: ignore[return-value]


def check_not_empty(shape, source: str) -> None:
    """InputError unless ``shape`` is 3D with no zero size."""
    if len(shape) != 3 or min(shape) < 1:
        raise InputError(f"{source}: the volume is empty or not 3D (shape {tuple(shape)})")
