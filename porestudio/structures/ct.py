"""Micro-CT import: read greyscale volumes, binarise them, cut sub-volumes, write datasets.

Formats (see :mod:`._tiffio`): a multi-page TIFF stack, a folder of 2D TIFF/PNG slices
(natural sort: ``slice_2`` before ``slice_10``), or a headerless raw file with given shape,
dtype and byte order. 8/16/32-bit integers and floats; NaN or infinite values are refused.

Binarisation (one rule everywhere)
----------------------------------
Bright = solid, dark = pore (CT convention): ``pore = grey < t`` and ``solid = grey >= t``;
``invert=True`` swaps the phases exactly (``pore = grey >= t``).

* ``threshold="otsu"`` (default): Otsu's method on the histogram of the *whole* volume
  (exact per-level histogram for integers up to 16 bit, 4096 bins for floats); ``t`` is the
  first grey level of the bright class, so integer images split as ``grey <= t - 1``.
* A volume with exactly two grey levels is already binary and taken as-is (no Otsu):
  ``t`` = the upper level, i.e. pore = the lower level (e.g. 0/255 → pore = 0).
* A volume with a single grey level needs an explicit threshold (it is all pore or all
  solid and only the user knows which). All-solid or all-pore results are valid structures
  and are imported with a warning; an empty (zero-size) volume is an error.

Voxel size: an explicit ``voxel_size_m`` wins; otherwise the file's metric metadata; an
inch-based (DPI) resolution is not a voxel size. Unknown stays ``None``, never a silent 1.
Sub-volumes (paper section 5.1) are streamed band by band: only the slices of one z-band
are in memory at a time, and slices shared by overlapping bands are read once.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from porestudio.atomic import SUFFIXES, check_writable
from porestudio.errors import InputError
from porestudio.progress import ProgressFn, report
from porestudio.structures._greystats import (
    array_bands,
    check_finite,
    grey_stats,
    is_otsu,
    numeric_threshold,
    resolve_threshold,
    threshold_from_stats,
)
from porestudio.structures._subvolumes import check_not_empty, iter_cubes, subvolume_grid
from porestudio.structures._tiffio import ArrayReader, VolumeReader, natural_key, open_volume
from porestudio.structures.volume import Structure
from porestudio.units import check_voxel_size

log = logging.getLogger(__name__)

__all__ = [
    "GreyVolume",
    "VolumeReader",
    "binarise",
    "import_ct",
    "iter_subvolumes",
    "load_structure",
    "natural_key",
    "open_volume",
    "otsu_threshold",
    "read_grey",
    "resolve_threshold",
    "subvolume_grid",
]

Threshold = str | float
_BATCH = 16


@dataclasses.dataclass(frozen=True, eq=False)
class GreyVolume:
    """A greyscale volume as read from disk.

    Parameters
    ----------
    data : ndarray, shape (nz, ny, nx)
        Grey values, native byte order, dtype of the file.
    voxel_size_m : float or None
        Voxel edge from the file's metadata [m]; ``None`` when unknown.
    source : str
        Path the data came from.
    """

    data: np.ndarray
    voxel_size_m: float | None = None
    source: str = ""

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(nz, ny, nx)``."""
        return tuple(self.data.shape)  # type: ignore[return-value]


def read_grey(
    path: str | os.PathLike,
    *,
    raw_shape: tuple[int, int, int] | None = None,
    raw_dtype: str | np.dtype | None = None,
    raw_byte_order: str = "<",
) -> GreyVolume:
    """Read a whole greyscale volume into memory.

    Parameters
    ----------
    path : path
        Multi-page TIFF, folder of 2D TIFF/PNG slices, or raw file (with ``raw_shape``).
    raw_shape, raw_dtype, raw_byte_order
        Layout of a headerless raw file: ``(nz, ny, nx)``, element type, ``"<"``/``">"``.

    Returns
    -------
    GreyVolume
        Data ``(nz, ny, nx)``, voxel size [m] from metadata or ``None``, source path.
    """
    with open_volume(
        path, raw_shape=raw_shape, raw_dtype=raw_dtype, raw_byte_order=raw_byte_order
    ) as reader:
        check_not_empty(reader.shape, reader.source)
        data = reader.read(0, reader.shape[0])
        check_finite(data)
        return GreyVolume(data, reader.voxel_size_m, reader.source)


def otsu_threshold(grey: np.ndarray | GreyVolume) -> float:
    """Otsu's threshold ``t`` of a grey volume, such that pore = ``grey < t``.

    A two-level image returns its upper level (pore = the lower level). Integer images
    of up to 16 bits use an exact histogram over every level, so ``t`` is an integer: the
    first grey level of the bright class.

    Parameters
    ----------
    grey : ndarray or GreyVolume
        Grey values (any shape, no NaN).

    Returns
    -------
    float
        The threshold, in grey-value units.
    """
    data = _grey_array(grey)
    flat = data.reshape(1, -1) if data.ndim != 3 else data
    return threshold_from_stats(grey_stats(array_bands(flat), flat.dtype))[0]


def binarise(
    grey: np.ndarray | GreyVolume, threshold: Threshold = "otsu", invert: bool = False
) -> np.ndarray:
    """Binary pore mask of a grey volume: ``pore = grey < t`` (``grey >= t`` if ``invert``).

    Parameters
    ----------
    grey : ndarray or GreyVolume
        Grey values.
    threshold : "otsu" or float
        ``"otsu"`` (two-level images are taken as-is) or a grey value.
    invert : bool
        Swap the phases (for images where pores are bright).

    Returns
    -------
    ndarray of bool
        Same shape as ``grey``; True = pore.
    """
    data = _grey_array(grey)
    check_finite(data.reshape(1, -1) if data.ndim != 3 else data)
    t = otsu_threshold(data) if is_otsu(threshold) else numeric_threshold(threshold)
    return _apply(data, t, invert)


def load_structure(
    path: str | os.PathLike,
    *,
    threshold: Threshold = "otsu",
    invert: bool = False,
    voxel_size_m: float | None = None,
    remove_islands: bool = False,
    remove_disconnected: bool = False,
    raw_shape: tuple[int, int, int] | None = None,
    raw_dtype: str | np.dtype | None = None,
    raw_byte_order: str = "<",
) -> Structure:
    """Load a CT volume as a binary :class:`Structure` (see module docstring for the rules).

    Parameters
    ----------
    path : path
        TIFF stack, folder of slices, or raw file.
    threshold : "otsu" or float
        Binarisation threshold; two-level files are taken as-is with ``"otsu"``.
    invert : bool
        Pore = bright instead of dark.
    voxel_size_m : float, optional
        Voxel edge [m]; overrides the file's metadata.
    remove_islands : bool
        Turn solid islands that touch no face into pore (morphology.remove_floating_solids).
    remove_disconnected : bool
        Turn pore clusters that touch no face into solid
        (morphology.remove_disconnected_pores).
    raw_shape, raw_dtype, raw_byte_order
        Layout of a raw file.

    Returns
    -------
    Structure
        With ``voxel_size_m`` (or None) and provenance (source, threshold, options).
    """
    user_voxel = check_voxel_size(voxel_size_m)
    with open_volume(
        path, raw_shape=raw_shape, raw_dtype=raw_dtype, raw_byte_order=raw_byte_order
    ) as reader:
        check_not_empty(reader.shape, reader.source)
        data = reader.read(0, reader.shape[0])
        voxel, voxel_src = _pick_voxel(user_voxel, reader.voxel_size_m)
        mem = ArrayReader(data, voxel, reader.source)
        t, method = resolve_threshold(mem, threshold)
        check_finite(data)
    pore = _clean(_apply(data, t, invert), remove_islands, remove_disconnected)
    if not pore.any() or pore.all():
        log.warning("%s: the structure is all %s", path, "solid" if not pore.any() else "pore")
    prov = _provenance(
        reader.source, t, method, invert, voxel_src, remove_islands, remove_disconnected
    )
    prov.update(origin_zyx=[0, 0, 0], size_zyx=list(pore.shape))
    return Structure(pore, voxel, prov)


def iter_subvolumes(
    source: str | os.PathLike | GreyVolume | np.ndarray | VolumeReader,
    size: int | tuple[int, int, int],
    stride: int | tuple[int, int, int] | None = None,
    *,
    raw_shape: tuple[int, int, int] | None = None,
    raw_dtype: str | np.dtype | None = None,
    raw_byte_order: str = "<",
) -> Iterator[tuple[tuple[int, int, int], np.ndarray]]:
    """Cut a volume into sub-volumes on a regular grid, streaming z-band by z-band.

    Origins run ``0, stride, 2*stride, ...`` along each axis while the cube fits (a
    remainder smaller than the cube is dropped). Only the ``size_z`` slices of the current
    band are held in memory; with ``stride_z < size_z`` the shared slices are reused, with
    ``stride_z > size_z`` the skipped slices are never read.

    Parameters
    ----------
    source : path, GreyVolume, ndarray or VolumeReader
        The volume (a path is opened and closed here).
    size : int or (sz, sy, sx)
        Sub-volume size [voxels].
    stride : int or (tz, ty, tx), optional
        Step between origins [voxels]; default = ``size`` (no overlap).
    raw_shape, raw_dtype, raw_byte_order
        Layout of a raw file.

    Yields
    ------
    ((z, y, x), ndarray)
        Origin of the cube and its grey values (a new array, file dtype).
    """
    if isinstance(source, VolumeReader):
        yield from iter_cubes(source, size, stride)
        return
    if isinstance(source, GreyVolume | np.ndarray):
        data = _grey_array(source)
        yield from iter_cubes(ArrayReader(data, None, "array"), size, stride)
        return
    with open_volume(
        source, raw_shape=raw_shape, raw_dtype=raw_dtype, raw_byte_order=raw_byte_order
    ) as reader:
        yield from iter_cubes(reader, size, stride)


def import_ct(
    path: str | os.PathLike,
    out_h5: str | os.PathLike,
    *,
    size: int | tuple[int, int, int] | None = None,
    stride: int | tuple[int, int, int] | None = None,
    threshold: Threshold = "otsu",
    invert: bool = False,
    voxel_size_m: float | None = None,
    remove_islands: bool = False,
    remove_disconnected: bool = False,
    raw_shape: tuple[int, int, int] | None = None,
    raw_dtype: str | np.dtype | None = None,
    raw_byte_order: str = "<",
    progress: ProgressFn | None = None,
    overwrite: bool = False,
) -> Path:
    """Import a CT volume into a porestudio HDF5 dataset (one sample, or sub-volumes).

    Parameters
    ----------
    path : path
        TIFF stack, folder of slices, or raw file.
    out_h5 : path
        Dataset to write (atomically; an existing file is replaced only on success).
    size, stride : int or (z, y, x), optional
        Sub-volume size and step [voxels]; without ``size`` the whole volume is one sample.
    threshold, invert, voxel_size_m, remove_islands, remove_disconnected
        As in :func:`load_structure`; the threshold is computed once for the whole volume.
    raw_shape, raw_dtype, raw_byte_order
        Layout of a raw file.
    progress : ProgressFn, optional
        Called with (done, total) over the threshold scan and the sub-volumes.
    overwrite : bool
        Replace an existing ``out_h5`` (default: refuse it before reading the volume).

    Returns
    -------
    Path
        The written dataset.
    """
    from porestudio.structures.dataset import DatasetWriter

    rules = {"inputs": (path,), "overwrite": overwrite}
    out = check_writable(out_h5, suffixes=SUFFIXES["hdf5"], **rules)
    user_voxel = check_voxel_size(voxel_size_m)
    with open_volume(
        path, raw_shape=raw_shape, raw_dtype=raw_dtype, raw_byte_order=raw_byte_order
    ) as reader:
        size3, stride3, counts = subvolume_grid(reader.shape, size, stride)
        n_cubes = int(np.prod(counts))
        nz = reader.shape[0] if is_otsu(threshold) else 0
        total = nz + n_cubes
        t, method = resolve_threshold(reader, threshold, _offset(progress, 0, total))
        voxel, voxel_src = _pick_voxel(user_voxel, reader.voxel_size_m)
        base = _provenance(
            reader.source, t, method, invert, voxel_src, remove_islands, remove_disconnected
        )
        attrs = {
            "import": {
                **base,
                "volume_shape_zyx": list(reader.shape),
                "stride_zyx": list(stride3),
                "grid_counts_zyx": list(counts),
            }
        }
        with DatasetWriter(out, shape=size3, voxel_size_m=voxel, attrs=attrs, **rules) as writer:
            cubes = _binary_cubes(
                reader, size3, stride3, t, invert, remove_islands, remove_disconnected
            )
            _write_cubes(writer, cubes, base, _offset(progress, nz, total), n_cubes)
    return out


def _binary_cubes(reader, size3, stride3, t, invert, islands, disconnected):
    for origin, cube in iter_cubes(reader, size3, stride3):
        yield origin, _clean(_apply(cube, t, invert), islands, disconnected)


def _write_cubes(writer, cubes, base: dict, progress: ProgressFn | None, n_cubes: int) -> None:
    pores: list[np.ndarray] = []
    provs: list[dict] = []
    done = degenerate = 0
    for origin, pore in cubes:
        pores.append(pore)
        provs.append({**base, "origin_zyx": list(origin), "size_zyx": list(pore.shape)})
        degenerate += int(not pore.any() or pore.all())
        if len(pores) == _BATCH:
            writer.append(np.stack(pores), provs)
            done += len(pores)
            pores, provs = [], []
            report(progress, done, n_cubes)
    if pores:
        writer.append(np.stack(pores), provs)
        report(progress, done + len(pores), n_cubes)
    if degenerate:
        log.warning("%d of %d samples are all solid or all pore", degenerate, n_cubes)


def _offset(progress: ProgressFn | None, start: int, total: int) -> ProgressFn | None:
    if progress is None:
        return None
    return lambda done, _sub_total: progress(start + done, total)


def _provenance(source, t, method, invert, voxel_src, islands, disconnected) -> dict:
    return {
        "kind": "ct",
        "source": str(Path(source).absolute()),
        "threshold": float(t),
        "threshold_method": method,
        "rule": "pore = grey >= threshold" if invert else "pore = grey < threshold",
        "invert": bool(invert),
        "voxel_size_source": voxel_src,
        "remove_islands": bool(islands),
        "remove_disconnected": bool(disconnected),
    }


def _pick_voxel(user: float | None, meta: float | None) -> tuple[float | None, str]:
    if user is not None:
        if meta is not None and abs(meta - user) > 1e-2 * user:
            log.warning("the file says voxel size %.4g m; using the given %.4g m", meta, user)
        return user, "user"
    if meta is not None:
        return meta, "metadata"
    return None, "unknown"


def _clean(pore: np.ndarray, islands: bool, disconnected: bool) -> np.ndarray:
    if islands or disconnected:
        from porestudio.structures import morphology

        if islands:
            pore = morphology.remove_floating_solids(pore)
        if disconnected:
            pore = morphology.remove_disconnected_pores(pore)
    return pore


def _apply(data: np.ndarray, t: float, invert: bool) -> np.ndarray:
    return data >= t if invert else data < t


def _grey_array(grey: np.ndarray | GreyVolume) -> np.ndarray:
    data = grey.data if isinstance(grey, GreyVolume) else np.asarray(grey)
    if data.size == 0:
        raise InputError(f"the volume is empty (shape {data.shape})")
    if data.dtype.kind not in "uifb":
        raise InputError(f"grey values must be numbers; got dtype {data.dtype}")
    return data
