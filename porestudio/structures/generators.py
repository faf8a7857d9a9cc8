"""Synthetic microstructure generators.

* :func:`squares` — the paper's academic data set (section 4.1): a ``size × size`` image
  with ``n`` square pores (``n`` uniform in the inclusive range ``n_pores``) of
  ``pore_size × pore_size`` pixels at uniform random integer positions, fully inside the
  image, never sharing a pixel (they may touch along an edge), extruded along z.
  :func:`squares_batch` is the vectorised fast path returning the 2D sections.
* :func:`grf` — a Gaussian-random-field (spinodoid-like) structure with anisotropic
  correlation lengths, thresholded at the exact porosity (see :mod:`._grf`).
* :func:`spheres` — random overlapping or non-overlapping spheres, porosity hit to one
  voxel (see :mod:`._spheres`).

Reproducibility
---------------
Sample ``index`` of seed ``seed`` is drawn from ``numpy.random.default_rng([seed, index])``,
so it does not depend on how samples are batched: ``squares(s, index=i)`` equals section
``j`` of ``squares_batch(count, s, start=i - j)``.

Placement policy of the squares (random sequential addition)
------------------------------------------------------------
Pores are placed one after the other; each candidate position is drawn uniformly among
the ``(size - pore_size + 1)²`` positions and rejected if it shares a pixel with a pore
already placed, so each pore is uniform among the positions still free. A layout that
needs more than ``max_attempts`` candidates (a jammed or too dense layout) raises
:class:`~porestudio.errors.InputError`; layouts whose total pore area exceeds the image
are refused immediately.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.progress import ProgressFn, report
from porestudio.structures._grf import grf
from porestudio.structures._params import check_int, check_range, check_seed
from porestudio.structures._spheres import spheres
from porestudio.structures.volume import Structure
from porestudio.units import check_voxel_size

log = logging.getLogger(__name__)

__all__ = [
    "GENERATORS",
    "generate_dataset",
    "grf",
    "spheres",
    "squares",
    "squares_batch",
    "squares_positions",
]

_POOL = 256
"""Candidate positions drawn per block (one block covers ~99 % of paper-like layouts)."""


def _check_squares(
    size: int, depth: int, pore_size: int, n_pores: Iterable[int], max_attempts: int
) -> tuple[int, int, int, tuple[int, int], int]:
    size = check_int(size, "size")
    depth = check_int(depth, "depth")
    pore_size = check_int(pore_size, "pore_size")
    low, high = check_range(n_pores, "n_pores")
    max_attempts = check_int(max_attempts, "max_attempts")
    if pore_size > size:
        raise InputError(f"pore_size {pore_size} is larger than the image size {size}")
    if high * pore_size**2 > size**2:
        raise InputError(
            f"{high} square pores of {pore_size}×{pore_size} px do not fit in a "
            f"{size}×{size} image; lower n_pores or pore_size"
        )
    return size, depth, pore_size, (low, high), max_attempts


def squares_positions(
    count: int,
    seed: int,
    *,
    size: int = 100,
    pore_size: int = 10,
    n_pores: tuple[int, int] = (10, 40),
    start: int = 0,
    max_attempts: int = 100_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the pore layouts of ``count`` squares samples.

    Parameters
    ----------
    count : int
        Number of samples.
    seed : int
        Non-negative seed; sample ``start + j`` uses ``default_rng([seed, start + j])``.
    size, pore_size : int
        Image edge and pore edge [pixels].
    n_pores : (int, int)
        Inclusive range of the number of pores per image.
    start : int
        Index of the first sample.
    max_attempts : int
        Candidate positions allowed per sample before giving up (InputError).

    Returns
    -------
    n : ndarray of int, shape (count,)
        Number of pores of each sample.
    corners : ndarray of int32, shape (count, n_pores[1], 2)
        ``(row, col)`` = ``(y, x)`` of each pore's first pixel; rows past ``n[i]`` are -1.
    """
    count = check_int(count, "count")
    seed = check_seed(seed)
    start = check_int(start, "start", minimum=0)
    size, _, pore_size, (low, high), max_attempts = _check_squares(
        size, 1, pore_size, n_pores, max_attempts
    )
    span = size - pore_size + 1
    rngs = [np.random.default_rng([seed, start + j]) for j in range(count)]
    target = np.array([rng.integers(low, high + 1) for rng in rngs], dtype=np.int64)
    pool = np.stack([rng.integers(0, span, size=(_POOL, 2), dtype=np.int32) for rng in rngs])
    far = np.int32(-4 * size)  # never within pore_size of a real position
    corners = np.full((count, high, 2), far, dtype=np.int32)
    placed = np.zeros(count, dtype=np.int64)
    for j in range(_POOL):
        todo = np.flatnonzero(placed < target)
        if todo.size == 0:
            break
        cand = pool[todo, j]
        clash = (np.abs(corners[todo] - cand[:, None, :]) < pore_size).all(axis=2).any(axis=1)
        ok = todo[~clash]
        corners[ok, placed[ok]] = cand[~clash]
        placed[ok] += 1
    for i in np.flatnonzero(placed < target):
        placed[i] = _place_rest(
            rngs[i], corners[i], int(placed[i]), int(target[i]), span, pore_size, max_attempts
        )
    corners[corners == far] = -1
    return target, corners


def _place_rest(
    rng: np.random.Generator,
    corners: np.ndarray,
    placed: int,
    target: int,
    span: int,
    pore_size: int,
    max_attempts: int,
) -> int:
    """Continue one sample's sequential placement with further candidate blocks."""
    attempts = _POOL
    while placed < target:
        if attempts >= max_attempts:
            raise InputError(
                f"could not place {target} square pores of {pore_size} px without overlap "
                f"after {max_attempts} random positions (layout jammed); lower n_pores"
            )
        for cand in rng.integers(0, span, size=(_POOL, 2), dtype=np.int32):
            if not (np.abs(corners[:placed] - cand) < pore_size).all(axis=1).any():
                corners[placed] = cand
                placed += 1
                if placed == target:
                    break
        attempts += _POOL
    return placed


def squares_batch(
    count: int,
    seed: int,
    *,
    size: int = 100,
    depth: int = 100,
    pore_size: int = 10,
    n_pores: tuple[int, int] = (10, 40),
    voxel_size_m: float | None = None,
    start: int = 0,
    max_attempts: int = 100_000,
) -> np.ndarray:
    """2D sections of ``count`` squares samples (the fast path; extrude along z for 3D).

    Parameters are those of :func:`squares` (``depth`` and ``voxel_size_m`` are only
    validated here), plus ``start``, the index of the first sample.

    Returns
    -------
    ndarray of bool, shape (count, size, size)
        Sections ``[y, x]``, True = pore. Section ``j`` equals every z slice of
        ``squares(seed, index=start + j)``.
    """
    check_int(depth, "depth")
    check_voxel_size(voxel_size_m)
    n, corners = squares_positions(
        count,
        seed,
        size=size,
        pore_size=pore_size,
        n_pores=n_pores,
        start=start,
        max_attempts=max_attempts,
    )
    images = np.zeros((len(n), size, size), dtype=bool)
    sample, slot = np.nonzero(corners[:, :, 0] >= 0)
    offsets = np.arange(pore_size)
    rows = corners[sample, slot, 0][:, None, None] + offsets[None, :, None]
    cols = corners[sample, slot, 1][:, None, None] + offsets[None, None, :]
    images[sample[:, None, None], rows, cols] = True
    return images


def squares(
    seed: int,
    *,
    size: int = 100,
    depth: int = 100,
    pore_size: int = 10,
    n_pores: tuple[int, int] = (10, 40),
    voxel_size_m: float | None = None,
    index: int = 0,
    max_attempts: int = 100_000,
) -> Structure:
    """One sample of the paper's square-pore data set (section 4.1), extruded along z.

    Parameters
    ----------
    seed : int
        Non-negative seed.
    size : int
        Edge of the square section [voxels] (paper: 100).
    depth : int
        Number of z slices of the extrusion [voxels] (paper: 100).
    pore_size : int
        Edge of each square pore [voxels] (paper: 10).
    n_pores : (int, int)
        Inclusive range of the number of pores, drawn uniformly (paper: 10 to 40).
    voxel_size_m : float, optional
        Voxel edge [m].
    index : int
        Sample index within the seed's sequence.
    max_attempts : int
        Candidate positions allowed before a jammed layout raises InputError.

    Returns
    -------
    Structure
        Shape ``(depth, size, size)``; porosity ``n × pore_size² / size²`` exactly.
    """
    section = squares_batch(
        1,
        seed,
        size=size,
        depth=depth,
        pore_size=pore_size,
        n_pores=n_pores,
        voxel_size_m=voxel_size_m,
        start=index,
        max_attempts=max_attempts,
    )[0]
    pore = np.ascontiguousarray(np.broadcast_to(section, (depth, size, size)))
    return Structure(
        pore, voxel_size_m, squares_provenance(seed, index, size, depth, pore_size, n_pores)
    )


def squares_provenance(
    seed: int, index: int, size: int, depth: int, pore_size: int, n_pores: Iterable[int]
) -> dict[str, Any]:
    """Provenance record of one squares sample."""
    low, high = n_pores
    params = {"size": size, "depth": depth, "pore_size": pore_size, "n_pores": [low, high]}
    return {"generator": "squares", "params": params, "seed": int(seed), "index": int(index)}


GENERATORS: dict[str, Callable[..., Structure]] = {
    "squares": squares,
    "grf": grf,
    "spheres": spheres,
}
"""Single-sample generators by name: ``fn(seed, *, index=0, voxel_size_m=None, **params)``."""


def generate_dataset(
    out: str | Path,
    name: str,
    count: int,
    seed: int,
    *,
    voxel_size_m: float | None = None,
    batch: int | None = None,
    progress: ProgressFn | None = None,
    overwrite: bool = False,
    **params: Any,
) -> Path:
    """Generate ``count`` samples into a new HDF5 data set, streaming in batches.

    Parameters
    ----------
    out : path
        HDF5 file to write (atomically: nothing is left behind on error or cancel).
    name : {"squares", "grf", "spheres"}
        Generator.
    count : int
        Number of samples (> 0).
    seed : int
        Non-negative seed; sample ``i`` is ``GENERATORS[name](seed, index=i, ...)``.
    voxel_size_m : float, optional
        Voxel edge [m] stored with the data set.
    batch : int, optional
        Samples per write (default: about 64 MiB of voxels).
    progress : ProgressFn, optional
        Called with ``(samples done, count)``; raise Cancelled inside it to stop.
    overwrite : bool
        Replace an existing ``out`` (default: refuse it before any work).
    **params
        Generator parameters (see the generator functions).

    Returns
    -------
    Path
        The written file. A ``porosity`` property (n,) is stored with the samples.
    """
    from porestudio.atomic import SUFFIXES, check_writable
    from porestudio.structures.dataset import DatasetWriter

    check_writable(out, overwrite=overwrite, suffixes=SUFFIXES["hdf5"])
    if name not in GENERATORS:
        raise InputError(f"unknown generator {name!r}; use one of {', '.join(GENERATORS)}")
    count = check_int(count, "count")
    seed = check_seed(seed)
    voxel_size_m = check_voxel_size(voxel_size_m)
    first = GENERATORS[name](seed, index=0, voxel_size_m=voxel_size_m, **params)
    shape = first.shape
    if batch is None:
        batch = max(1, min(256, (64 << 20) // int(np.prod(shape))))
    attrs = {"generator": name, "seed": seed, "params": first.provenance.get("params", {})}
    report(progress, 0, count)
    with DatasetWriter(
        out, shape=shape, voxel_size_m=voxel_size_m, attrs=attrs, overwrite=overwrite
    ) as writer:
        for begin in range(0, count, batch):
            stop = min(count, begin + batch)
            pores, porosity, prov = _make_batch(name, seed, begin, stop, first, params)
            writer.append(pores, provenance=prov, properties={"porosity": porosity})
            report(progress, stop, count)
    log.info("wrote %d %s samples to %s", count, name, out)
    return Path(out)


def _make_batch(
    name: str, seed: int, begin: int, stop: int, first: Structure, params: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Samples ``begin..stop-1``: (n, nz, ny, nx) bool array, porosity (n,), provenance."""
    if name == "squares":
        prov0 = first.provenance["params"]
        sections = squares_batch(stop - begin, seed, start=begin, **params)
        # a read-only view: every z slice is the section (no copy of the extrusion)
        pores = np.broadcast_to(sections[:, None], (len(sections), *first.shape))
        prov = [
            squares_provenance(
                seed, i, prov0["size"], prov0["depth"], prov0["pore_size"], prov0["n_pores"]
            )
            for i in range(begin, stop)
        ]
        porosity = sections.sum(axis=(1, 2), dtype=np.int64) / sections[0].size
        return pores, porosity, prov
    samples = [
        first if i == 0 else GENERATORS[name](seed, index=i, **params) for i in range(begin, stop)
    ]
    porosity = np.array([s.porosity for s in samples])
    return np.stack([s.pore for s in samples]), porosity, [s.provenance for s in samples]
