"""Physics inputs of the 3D CNN surrogate and of the 3D pVAE's encoder: estimates they refine
instead of learning from scratch.

``"conductance"``: the local-conductance Darcy estimate of ``(k_xx, k_yy, k_zz)``
[voxel²] of :mod:`porestudio.physics.conductance` (median 0.75 s per 48³ cube on one core,
docs/bench_conductance.md). The network reads ``log(k + EPS)`` of it, standardised
(``ml/cnn_physics.py``, ``ml/pvae.py``). The estimate is invariant under periodic shifts
and mirrors and permutes with the axes, so an augmented sample's inputs are the original's
with the columns permuted (:func:`permuted`).

Training computes the estimate once per sample and keeps it beside the checkpoint
(``physics_inputs.json``, keyed by the dataset fingerprint and sample index), so a resumed
or repeated run does not recompute it.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from porestudio.atomic import atomic_path
from porestudio.errors import InputError

log = logging.getLogger(__name__)

NAMES: tuple[str, ...] = ("conductance",)
EPS: float = 1e-4
"""Added to the estimate [voxel²] before the log: an axis without a winding cluster
(estimate 0, or a solver residue below ~1e-4) reads as about log(EPS), below all but the
slowest-flowing cubes of the design space."""
CACHE = "physics_inputs.json"
CHUNK = 16
"""Samples per call when a network with physics inputs runs over a dataset (a solve each,
~0.75 s per 48³ cube): progress is reported after every chunk."""


def count(dims: int, arch: dict, owner: str) -> int:
    """How many physics inputs a network of ``arch`` takes (0 or 3); InputError for a bad list.

    ``owner`` names the network kind in the message ("cnn"/"CNN", "pvae"/"pVAE").
    """
    names = list(arch.get("physics_inputs") or [])
    if not names:
        return 0
    owner = {"cnn": "CNN", "pvae": "pVAE"}.get(owner, owner)
    if names != list(NAMES) or dims != 3:
        raise InputError(
            f"{owner} config: physics_inputs must be {list(NAMES)} and only 3D models take "
            f"them; got {names} for a {dims}D model"
        )
    return 3


def compute(pores: np.ndarray, progress=None) -> np.ndarray:
    """Raw estimates (n, 3) [voxel²], (x, y, z), of structures (n, nz, ny, nx) (nonzero = pore)."""
    from porestudio.physics.conductance import conductance_batch

    return conductance_batch(np.asarray(pores) != 0, progress)


def log_features_t(raw):
    """``log(raw + EPS)`` of a torch tensor of raw estimates."""
    import torch

    return torch.log(raw.clamp_min(0.0) + EPS)


def fit_standardisation(raw):
    """(mean, std) tensors (3,) of the log features of raw estimates (n, 3): the buffers a
    network standardises its physics inputs with (those of its training samples)."""
    import torch

    t = log_features_t(torch.as_tensor(raw, dtype=torch.float32))
    return t.mean(0), t.std(0).clamp_min(1e-3)


def standardised(aux, mean, std):
    """Raw estimates (n, 3) as the standardised log features a network reads."""
    return (log_features_t(aux.float()) - mean) / std


def permuted(aux, perms: list[tuple[int, int, int]]):
    """Rows of ``aux`` (b, 3) in (x, y, z) order with axes permuted: row i by ``perms[i]``.

    New axis ``a`` is old axis ``perm[a]`` (:class:`porestudio.ml.augment.Symmetry`).
    """
    import torch

    index = torch.as_tensor(perms, dtype=torch.long, device=aux.device)
    return torch.gather(aux, 1, index)


def cached(
    pores: np.ndarray, indices: np.ndarray, fingerprint: str, folder: Path, progress=None
) -> np.ndarray:
    """Raw estimates of the dataset samples ``indices`` (given as ``pores``), cached in ``folder``.

    Parameters
    ----------
    pores : ndarray (n, nz, ny, nx)
        The samples, in the order of ``indices``.
    indices : ndarray of int (n,)
        Their indices in the dataset (the cache key with ``fingerprint``).
    fingerprint : str
        The dataset's fingerprint; a cache of another dataset is ignored.
    folder : Path
        Where ``physics_inputs.json`` is kept (the training run's folder).
    progress : ProgressFn, optional
        ``progress(done, total)`` of the samples computed (besides the log lines).

    Returns
    -------
    ndarray (n, 3)
    """
    path = Path(folder) / CACHE
    known = _read(path, fingerprint)
    todo = [i for i, k in enumerate(indices) if str(int(k)) not in known]
    if todo:
        log.info("physics inputs: computing %d of %d samples (~0.75 s each)", len(todo),
                 len(indices))  # fmt: skip
        t0, last = time.perf_counter(), [time.perf_counter()]

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total)
            if time.perf_counter() - last[0] > 30 or done == total:
                last[0] = time.perf_counter()
                log.info("physics inputs: %d / %d (%.0f s)", done, total, last[0] - t0)

        values = compute(pores[todo], report)
        known.update({str(int(indices[i])): v.tolist() for i, v in zip(todo, values, strict=True)})
        Path(folder).mkdir(parents=True, exist_ok=True)
        with atomic_path(path, overwrite=True) as tmp:
            Path(tmp).write_text(json.dumps({"fingerprint": fingerprint, "names": list(NAMES),
                                             "values": known}))  # fmt: skip
    return np.array([known[str(int(k))] for k in indices], dtype=np.float64).reshape(-1, 3)


def _read(path: Path, fingerprint: str) -> dict[str, list[float]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if data.get("fingerprint") != fingerprint or data.get("names") != list(NAMES):
        return {}
    return dict(data.get("values", {}))
