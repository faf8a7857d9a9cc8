"""From optimised codes to printable, scored candidate structures (inverse design, step 3).

Each code is decoded and binarised twice — at probability 0.5 and at the threshold that
gives the target porosity after cleaning (the decoder's grey boundary zone sets how far a
threshold can move the walls) — then cleaned (:mod:`porestudio.design.clean`) and scored
on the binary structure: porosity exactly from the voxels, permeability by the CNN
surrogate (or the pVAE on the re-encoded structure). Everything here works on network
inputs (a 2D model's sections), the cheap representation.
"""

from __future__ import annotations

import numpy as np

from porestudio.design.clean import clean_section, clean_volume

_MATCH_ITERATIONS = 3


def binarise_variants(prob: np.ndarray, phi_target: float, flow_axes, dims: int,
                      offsets=(0.0,), smoothing=()):  # fmt: skip
    """Cleaned binary structures of one probability map: [(pore, percolates), ...].

    At threshold 0.5, and (when the porosity is a target) at the thresholds that give the
    target porosity times ``1 + offset`` for each offset after cleaning; with ``smoothing``
    (Gaussian widths in voxels), also from the smoothed map at the target porosity (rounder,
    merged pores: a higher permeability at the same porosity).
    """
    out = [_clean(prob > 0.5, flow_axes, dims)]
    if np.isfinite(phi_target):
        out += [matched(prob, phi_target * (1 + o), flow_axes, dims) for o in offsets]
        for sigma in smoothing:
            out.append(matched(smoothed(prob, sigma), phi_target, flow_axes, dims))
    return out


def variant_field(prob: np.ndarray, variant: int, offsets=(0.0,), smoothing=()) -> np.ndarray:
    """The map (float64) variant ``variant`` of :func:`binarise_variants` was thresholded
    from: the decoder output itself, or for a smoothed variant its smoothed output."""
    first_smooth = 1 + len(offsets)
    if variant < first_smooth or not smoothing:
        return np.asarray(prob, np.float64)
    return smoothed(prob, smoothing[variant - first_smooth])


def smoothed(prob: np.ndarray, sigma) -> np.ndarray:
    """``prob`` (float64) under a Gaussian of ``sigma`` voxels (one width, or one per axis)."""
    from scipy import ndimage

    return ndimage.gaussian_filter(np.asarray(prob, np.float64), sigma, mode="nearest")


def shaped(prob: np.ndarray, widths) -> np.ndarray:
    """``prob`` (float64) smoothed along the axes of positive ``widths`` [voxels] (a Gaussian
    of that width) and sharpened along those of negative ones (an unsharp mask: ``2 f −
    G(f)`` with a Gaussian of the absolute width): one signed width per array axis."""
    w = np.asarray(widths, float)
    out = smoothed(prob, np.maximum(w, 0.0)) if (w > 0).any() else np.asarray(prob, np.float64)
    if (w < 0).any():
        out = 2.0 * out - smoothed(out, np.maximum(-w, 0.0))
    return out


def _clean(pore: np.ndarray, flow_axes, dims: int) -> tuple[np.ndarray, bool]:
    """The cleaned structure and whether it can be a design: its pore space percolates and,
    in 3D, some solid is left (a very open decode can lose every solid voxel as floating
    islands: an empty cube has nothing to print and an unbounded k)."""
    c = clean_section(pore) if dims == 2 else clean_volume(pore, flow_axes)
    return c.pore, c.percolates and (dims == 2 or not c.pore.all())


def matched(prob: np.ndarray, phi: float, flow_axes, dims: int) -> tuple[np.ndarray, bool]:
    """Binarise at the quantile that gives porosity ``phi`` after cleaning (a few passes)."""
    flat = np.sort(prob.ravel())
    size = flat.size
    aim = phi
    best: tuple[float, tuple[np.ndarray, bool]] | None = None
    for _ in range(_MATCH_ITERATIONS):
        n_pore = int(round(np.clip(aim, 0.0, 1.0) * size))
        t = flat[size - n_pore - 1] if 0 < n_pore < size else (flat[-1] if n_pore == 0 else -1)
        pore, perc = _clean(prob > t, flow_axes, dims)
        got = float(np.count_nonzero(pore)) / size
        err = abs(got - phi)
        if best is None or err < best[0]:
            best = (err, (pore, perc))
        if err * size < 1:
            break
        aim += phi - got
    assert best is not None
    return best[1]


def relative_error(values: dict[str, np.ndarray], names, targets: np.ndarray) -> np.ndarray:
    """Root-mean-square relative error (m,) of ``values`` against targets (m, p), NaN = free."""
    sq = np.zeros(targets.shape[0])
    count = np.zeros(targets.shape[0])
    for j, name in enumerate(names):
        given = np.isfinite(targets[:, j])
        if not given.any() or name not in values:
            continue
        rel = (np.asarray(values[name], float) - targets[:, j]) / np.where(given, targets[:, j], 1)
        rel = np.where(np.isfinite(rel), rel, 1e3)
        sq += np.where(given, rel**2, 0.0)
        count += given
    return np.sqrt(sq / np.maximum(count, 1))


def distinct_order(order: np.ndarray, packed: np.ndarray, min_fraction: float, size: int,
                   limit: int) -> list[int]:  # fmt: skip
    """The first ``limit`` rows of ``order`` that differ pairwise by ≥ ``min_fraction`` voxels."""
    from porestudio.design.reference import hamming_fraction

    chosen: list[int] = []
    for i in order:
        if len(chosen) >= limit:
            break
        if chosen:
            d = hamming_fraction(packed[chosen], packed[i][None], size)
            if d.min() < min_fraction:
                continue
        chosen.append(int(i))
    return chosen


def unique_rows(inputs: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct structure, in order (identical
    structures from different codes or thresholds are scored once)."""
    packed = np.packbits(inputs.reshape(len(inputs), -1), axis=-1)
    _, first = np.unique(packed, axis=0, return_index=True)
    return np.sort(first)


def flowing_first(order: np.ndarray, perc: np.ndarray) -> np.ndarray:
    """``order`` without the candidates that carry no flow, unless none does (then all,
    each reported with ``percolates`` False): a structure without flow is not a design."""
    order = np.asarray(order, int)
    return order[perc[order]] if perc.any() else order
