"""Streaming grey-level statistics: NaN check, two-level detection, Otsu's threshold.

Works band by band, so a stack larger than memory is thresholded without being loaded:
integer images of up to 16 bits get an exact histogram over every grey level (one pass);
wider integers and floats take a min/max pass and then a 4096-bin histogram.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.progress import ProgressFn, report

FLOAT_BINS = 4096
"""Histogram bins for float (and wide-range integer) images."""
_CHUNK = 1 << 20

Bands = Callable[[], Iterable[tuple[int, np.ndarray]]]
"""A callable that (re)starts an iteration over ``(z0, band)`` pairs of one volume."""


@dataclasses.dataclass(frozen=True)
class GreyStats:
    """Grey-level summary of a volume.

    Attributes
    ----------
    lo, hi : float
        Smallest and largest grey value.
    levels : tuple of float or None
        The distinct grey values when there are at most two, else ``None``.
    counts : ndarray
        Histogram counts.
    edges : ndarray
        For an exact histogram, the grey value of each bin (``len(counts)``); otherwise the
        ``len(counts) + 1`` bin edges.
    exact : bool
        True when every bin is one integer grey level.
    """

    lo: float
    hi: float
    levels: tuple[float, ...] | None
    counts: np.ndarray
    edges: np.ndarray
    exact: bool


def grey_stats(bands: Bands, dtype: np.dtype) -> GreyStats:
    """Histogram and range of a volume given as bands (see :data:`Bands`)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b" or (dtype.kind in "iu" and dtype.itemsize <= 2):
        return _exact_small(bands, dtype)
    lo, hi, levels = _range_pass(bands, dtype)
    if dtype.kind in "iu" and hi - lo < 65536:
        counts = np.zeros(int(hi - lo) + 1, dtype=np.int64)
        for _, band in bands():
            flat = band.ravel()
            for start in range(0, flat.size, _CHUNK):
                part = (flat[start : start + _CHUNK] - int(lo)).astype(np.intp)
                counts += np.bincount(part, minlength=counts.size)
        values = np.arange(counts.size, dtype=np.float64) + lo
        return GreyStats(lo, hi, levels, counts, values, True)
    edges = np.linspace(lo, hi, FLOAT_BINS + 1) if hi > lo else np.array([lo, lo + 1.0])
    counts = np.zeros(edges.size - 1, dtype=np.int64)
    for _, band in bands():
        flat = band.ravel()
        for start in range(0, flat.size, _CHUNK):
            counts += np.histogram(flat[start : start + _CHUNK], bins=edges)[0]
    return GreyStats(lo, hi, levels, counts, edges, False)


def _exact_small(bands: Bands, dtype: np.dtype) -> GreyStats:
    if dtype.kind == "b":
        offset, n = 0, 2
    else:
        info = np.iinfo(dtype)
        offset, n = int(info.min), 1 << (8 * dtype.itemsize)
    counts = np.zeros(n, dtype=np.int64)
    for _, band in bands():
        flat = band.ravel().view(np.uint8) if dtype.kind == "b" else band.ravel()
        for start in range(0, flat.size, _CHUNK):  # bincount makes an intp copy: bound it
            part = flat[start : start + _CHUNK]
            if offset:
                part = part.astype(np.int32) - offset
            counts += np.bincount(part, minlength=n)
    occupied = np.flatnonzero(counts)
    if occupied.size == 0:
        raise InputError("the volume is empty (no voxels)")
    values = np.arange(n, dtype=np.float64) + offset
    levels = tuple(float(values[i]) for i in occupied) if occupied.size <= 2 else None
    lo, hi = float(values[occupied[0]]), float(values[occupied[-1]])
    return GreyStats(lo, hi, levels, counts, values, True)


def _range_pass(bands: Bands, dtype: np.dtype) -> tuple[float, float, tuple[float, ...] | None]:
    lo, hi = np.inf, -np.inf
    levels: set[float] | None = set()
    seen = False
    for z0, band in bands():
        if band.size == 0:
            continue
        if dtype.kind == "f":
            check_finite(band, z0)
        b_lo, b_hi = float(band.min()), float(band.max())
        lo, hi, seen = min(lo, b_lo), max(hi, b_hi), True
        if levels is not None:
            levels |= {b_lo, b_hi}
            two_valued = b_lo == b_hi or bool(np.all((band == b_lo) | (band == b_hi)))
            if len(levels) > 2 or not two_valued:
                levels = None
    if not seen:
        raise InputError("the volume is empty (no voxels)")
    return lo, hi, (tuple(sorted(levels)) if levels is not None else None)


def check_finite(band: np.ndarray, z0: int = 0) -> None:
    """Raise :class:`InputError` naming the first slice with NaN or infinite values."""
    if band.dtype.kind != "f":
        return
    bad = ~np.isfinite(band)
    if bad.any():
        z = z0 + int(np.flatnonzero(bad.reshape(bad.shape[0], -1).any(axis=1))[0])
        what = "NaN" if np.isnan(band).any() else "infinite"
        raise InputError(
            f"the volume holds {what} values (first in slice z={z}); fill or mask them first"
        )


def threshold_from_stats(stats: GreyStats) -> tuple[float, str]:
    """Threshold ``t`` (pore = grey < t) and how it was found: ``"binary"`` or ``"otsu"``.

    A two-level volume is taken as-is: ``t`` is the upper level, so pore = the lower (dark)
    level. Otherwise Otsu's method: ``t`` is the first grey level (exact histogram) or the
    bin edge (float histogram) of the upper class.
    """
    if stats.levels is not None and len(stats.levels) == 1:
        raise InputError(
            f"the volume has a single grey level ({stats.levels[0]:g}); give a threshold "
            "to say whether it is pore or solid"
        )
    if stats.levels is not None:
        return float(stats.levels[1]), "binary"
    i = otsu_index(stats.counts, _bin_values(stats))
    if stats.exact:
        return float(stats.edges[i]) + 1.0, "otsu"
    return float(stats.edges[i + 1]), "otsu"


def _bin_values(stats: GreyStats) -> np.ndarray:
    if stats.exact:
        return stats.edges
    return 0.5 * (stats.edges[:-1] + stats.edges[1:])


def otsu_index(counts: np.ndarray, values: np.ndarray) -> int:
    """Index ``i`` of the last bin of the lower class maximising the between-class variance.

    Parameters
    ----------
    counts : ndarray
        Histogram counts.
    values : ndarray
        Grey value of each bin.

    Returns
    -------
    int
        Class 0 = bins ``0..i``, class 1 = bins ``i+1..``.
    """
    c = counts.astype(np.float64)
    w0 = np.cumsum(c)[:-1]
    s0 = np.cumsum(c * values)[:-1]
    total, s_total = c.sum(), float(np.dot(c, values))
    w1 = total - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        mu0 = s0 / w0
        mu1 = (s_total - s0) / w1
        between = w0 * w1 * (mu0 - mu1) ** 2
    between[(w0 == 0) | (w1 == 0)] = -1.0
    return int(np.argmax(between))


def array_bands(array: np.ndarray, band: int = 64) -> Bands:
    """:data:`Bands` over an in-memory array, ``band`` slices at a time."""

    def gen() -> Iterator[tuple[int, np.ndarray]]:
        for z0 in range(0, max(array.shape[0], 1), band):
            yield z0, array[z0 : z0 + band]

    return gen


def is_otsu(threshold: str | float) -> bool:
    """True for ``"otsu"`` (any case); False for numbers and numeric strings."""
    if isinstance(threshold, str) and threshold.strip().lower() == "otsu":
        return True
    numeric_threshold(threshold)
    return False


def numeric_threshold(threshold: str | float) -> float:
    """A finite float threshold, or InputError."""
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise InputError(f"threshold must be 'otsu' or a number; got {threshold!r}") from None
    if not np.isfinite(value):
        raise InputError(f"threshold must be a finite number; got {threshold!r}")
    return value


def resolve_threshold(
    reader: Any, threshold: str | float = "otsu", progress: ProgressFn | None = None
) -> tuple[float, str]:
    """Threshold of a whole volume (a VolumeReader), streamed in bands of about 32 MB.

    Returns
    -------
    (float, str)
        ``t`` (pore = grey < t) and its origin: ``"given"``, ``"binary"`` or ``"otsu"``.
    """
    if not is_otsu(threshold):
        return numeric_threshold(threshold), "given"
    nz, ny, nx = reader.shape
    band = max(1, (32 << 20) // max(1, ny * nx * reader.dtype.itemsize))

    def bands() -> Iterator[tuple[int, np.ndarray]]:
        for z0 in range(0, nz, band):
            z1 = min(nz, z0 + band)
            yield z0, reader.read(z0, z1)
            report(progress, z1, nz)

    return threshold_from_stats(grey_stats(bands, reader.dtype))
