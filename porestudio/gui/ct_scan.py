"""Pure helpers of the CT import dialog: scan a grey volume once, then threshold live.

:func:`scan_ct` (a worker) streams the volume band by band through
:func:`porestudio.structures.ct.open_volume`, building a grey-level histogram, Otsu's
threshold and one preview slice; afterwards the porosity of any threshold is a lookup
(:func:`porosity_at`), so the threshold slider updates instantly even for large stacks.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.progress import ProgressFn, report

FLOAT_BINS = 4096
_BAND_BYTES = 16 << 20


@dataclasses.dataclass(frozen=True, eq=False)
class CtScan:
    """What the import dialog knows about a grey volume after one pass.

    Attributes
    ----------
    source : str
        File or folder.
    shape : tuple of int
        ``(nz, ny, nx)``.
    dtype : str
        Grey-value type.
    voxel_size_m : float or None
        From the file's metadata.
    otsu : float or None
        Otsu's threshold (pore = grey < t); None for a single-level volume.
    method : str
        ``"otsu"``, ``"binary"`` (two levels: taken as-is) or ``"none"``.
    levels : ndarray
        Grey value of each histogram bin's lower edge (ascending), plus the upper end.
    below : ndarray
        Fraction of voxels below each entry of ``levels`` (same length).
    lo, hi : float
        Grey range.
    integer : bool
        Whether the grey values are integers.
    slice_index : int
        z of :attr:`slice`.
    slice : ndarray
        One grey slice ``(ny, nx)`` for the preview.
    """

    source: str
    shape: tuple[int, int, int]
    dtype: str
    voxel_size_m: float | None
    otsu: float | None
    method: str
    levels: np.ndarray
    below: np.ndarray
    lo: float
    hi: float
    integer: bool
    slice_index: int
    slice: np.ndarray


def raw_options(raw: dict[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments for a raw file (``raw_shape``, ``raw_dtype``, ``raw_byte_order``)."""
    if not raw:
        return {}
    return {
        "raw_shape": tuple(raw["shape"]),
        "raw_dtype": raw["dtype"],
        "raw_byte_order": raw.get("byte_order", "<"),
    }


def scan_ct(
    path: str, raw: dict[str, Any] | None = None, progress: ProgressFn | None = None
) -> CtScan:
    """Worker: histogram, Otsu threshold and middle slice of a grey volume (streamed).

    Parameters
    ----------
    path : str
        TIFF stack, slice folder or raw file.
    raw : dict, optional
        ``{"shape": (z, y, x), "dtype": "uint16", "byte_order": "<"}`` for a raw file.
    progress : ProgressFn, optional
        Called per band; may raise Cancelled.
    """
    from porestudio.structures.ct import open_volume, resolve_threshold

    with open_volume(path, **raw_options(raw)) as reader:
        nz, ny, nx = reader.shape
        if nz < 2 or ny < 2 or nx < 2:
            raise InputError(
                f"{reader.source}: a structure needs a 3D volume; got shape {reader.shape}"
            )
        levels, below, lo, hi, integer = _histogram(reader, progress)
        try:
            otsu, method = resolve_threshold(reader, "otsu")
        except InputError:  # a single grey level: only the user knows what it is
            otsu, method = None, "none"
        z = nz // 2
        middle = reader.read(z, z + 1)[0]
        return CtScan(
            reader.source,
            (nz, ny, nx),
            str(reader.dtype),
            reader.voxel_size_m,
            otsu,
            method,
            levels,
            below,
            lo,
            hi,
            integer,
            z,
            middle,
        )


def _bands(reader: Any, progress: ProgressFn | None, total_passes: int, first: int):
    nz, ny, nx = reader.shape
    band = max(1, _BAND_BYTES // max(1, ny * nx * reader.dtype.itemsize))
    for z0 in range(0, nz, band):
        z1 = min(nz, z0 + band)
        yield reader.read(z0, z1)
        report(progress, first * nz + z1, total_passes * nz)


def _histogram(reader: Any, progress: ProgressFn | None):
    """``(levels, below, lo, hi, integer)``: cumulative grey histogram of the volume."""
    dtype = reader.dtype
    lo, hi = np.inf, -np.inf
    for band in _bands(reader, progress, 2, 0):
        lo, hi = min(lo, float(band.min())), max(hi, float(band.max()))
    integer = dtype.kind in "iub"
    if integer and hi - lo <= 65536:
        counts = np.zeros(int(hi - lo) + 1, dtype=np.int64)
        for band in _bands(reader, progress, 2, 1):
            values = band.ravel().astype(np.int64) - int(lo)
            counts += np.bincount(values, minlength=counts.size)
        levels = np.arange(counts.size + 1, dtype=np.float64) + lo
    else:
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, FLOAT_BINS + 1)
        counts = np.zeros(FLOAT_BINS, dtype=np.int64)
        for band in _bands(reader, progress, 2, 1):
            counts += np.histogram(band, bins=edges)[0]
        levels = edges
    below = np.concatenate([[0], np.cumsum(counts)]) / max(1, counts.sum())
    return levels, below, float(lo), float(hi), integer


def porosity_at(scan: CtScan, threshold: float, invert: bool = False) -> float:
    """Pore fraction for a threshold: ``grey < t`` (``grey >= t`` when ``invert``).

    Exact for integer volumes; linear within a histogram bin for float volumes.
    """
    if scan.integer:
        index = int(np.searchsorted(scan.levels, threshold, side="left"))
        index = min(max(index, 0), len(scan.below) - 1)
        fraction = float(scan.below[index]) if threshold > scan.levels[0] else 0.0
    else:
        fraction = float(np.interp(threshold, scan.levels, scan.below))
    return 1.0 - fraction if invert else fraction


def read_slice(path: str, z: int, raw: dict[str, Any] | None = None) -> tuple[int, np.ndarray]:
    """Worker: grey slice ``z`` of a volume (only that slice is read)."""
    from porestudio.structures.ct import open_volume

    with open_volume(path, **raw_options(raw)) as reader:
        z = int(np.clip(z, 0, reader.shape[0] - 1))
        return z, reader.read(z, z + 1)[0]


def overlay(grey: np.ndarray, threshold: float, invert: bool, lo: float, hi: float) -> np.ndarray:
    """RGB preview of a grey slice with the pore voxels tinted blue, ``(ny, nx, 3)`` uint8."""
    span = hi - lo if hi > lo else 1.0
    g = np.clip((grey.astype(np.float32) - lo) / span * 255.0, 0, 255)
    rgb = np.repeat(g[..., None], 3, axis=2)
    pore = grey >= threshold if invert else grey < threshold
    tint = np.array([40.0, 120.0, 255.0], dtype=np.float32)
    rgb[pore] = 0.45 * rgb[pore] + 0.55 * tint
    return rgb.astype(np.uint8)


def import_ct_job(path: str, out: str, *, options: dict[str, Any], progress=None) -> str:
    """Worker: :func:`porestudio.structures.ct.import_ct` with the dialog's options."""
    from porestudio.structures.ct import import_ct

    return str(import_ct(path, out, progress=progress, **options))
