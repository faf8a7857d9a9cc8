"""Held-out evaluation of a model on a dataset (``porestudio evaluate``).

On the dataset a model was trained on (same fingerprint) the stored test split is used,
else every labelled sample. Reported per property: R², MAPE [%], RMSE (and R² of log k),
with a Kozeny-Carman baseline fitted on the same samples for each diagonal k (3D models
also the conductance-network estimate of ``physics/conductance.py`` with a power law: the
model's own (``ml/estimate.py``, fitted on its training samples) or, for a model without
one, fitted on the same samples — what a cheap solve knows without learning). A pVAE also
gets reconstruction BCE, voxel accuracy and the porosity error of the binarised output,
and with ``physics_samples = N`` the permeability of N decoded-and-binarised structures
computed by the project's solver (the exact extruded path for 2D) against the input's
label (median relative error).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.ml import physics_inputs
from porestudio.ml import properties as P
from porestudio.ml.data import (
    boundary_mode,
    check_dataset_fits,
    dataset_fingerprint,
    labelled_indices,
    load_arrays,
)
from porestudio.ml.estimate import of_model
from porestudio.ml.metrics import conductance_baseline, kozeny_carman, regression_metrics
from porestudio.progress import ProgressFn, report

log = logging.getLogger(__name__)


def evaluate_model(
    m, path: Path, physics_samples: int = 0, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Metrics of LoadedModel ``m`` on the dataset ``path`` (see module docstring)."""
    check_dataset_fits(path, m.spec, need_labels=True)
    idx, split = evaluation_indices(m, path)
    if len(idx) == 0:
        raise InputError(f"{path.name} has no labelled samples the model can be scored on")
    x, y = load_arrays(path, m.spec, idx)
    pores = x[:, None].astype(bool) if m.spec.dims == 2 else x.astype(bool)
    est = physics_inputs.compute(x) if m.spec.dims == 3 else None  # (n, 3), (x, y, z)
    pred = m.predict(pores, physics=est if getattr(m, "physics_inputs", False) else None)
    p = np.stack([pred[n] for n in m.spec.properties], axis=1)
    out: dict[str, Any] = {
        "model_kind": m.kind,
        "dataset": str(path),
        "split": split,
        "n": int(len(idx)),
        "properties": regression_metrics(m.spec.properties, y, p),
        "kozeny_carman": _kc(m.spec, x, y),
    }
    if m.spec.dims == 3:
        out["conductance_estimate"] = conductance_metrics(m.spec, est, y, of_model(m.config))
    if m.kind == "pvae":
        aux = est if getattr(m, "physics_inputs", False) else None
        out["reconstruction"] = _reconstruction(m, x, aux)
        if physics_samples > 0:
            out["physics"] = _physics(m, path, x, y, int(physics_samples), progress, aux)
    return out


def evaluation_indices(m, path: Path) -> tuple[np.ndarray, str]:
    training = m.config.get("training", {})
    labelled = labelled_indices(path, m.spec)
    if training.get("dataset_fingerprint") == dataset_fingerprint(path):
        test = np.asarray(training.get("test_indices", []), dtype=np.int64)
        if test.size:
            return test, "test"
    return labelled, "all"


def _kc(spec, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    out = {}
    for j, name in enumerate(spec.properties):
        if P.is_diagonal(name):
            out[name] = kozeny_carman(x, y[:, j])
    return out


def conductance_metrics(spec, est: np.ndarray, y: np.ndarray, fit=None) -> dict[str, Any]:
    """The power law of the conductance estimate per diagonal k: the model's own fit (on its
    training samples) when it carries one, else fitted on these samples."""
    out: dict[str, Any] = {}
    where = "the model's training samples" if fit else "these samples"
    for j, name in enumerate(spec.properties):
        if P.is_diagonal(name):
            a = "xyz".index(name[-1])
            own = None if fit is None else (fit.a[a], fit.b[a])
            out[name] = {**conductance_baseline(est[:, a], y[:, j], own), "fitted_on": where}
    return out


def _reconstruction(m, x: np.ndarray, aux: np.ndarray | None = None) -> dict[str, float]:
    """BCE, voxel accuracy and porosity error of decoded μ, over the samples (``aux``: the
    physics inputs of a pVAE that reads them)."""
    bce, acc, dphi = [], [], []
    for a in range(0, len(x), 256):
        xb = x[a : a + 256]
        pores = xb[:, None].astype(bool) if m.spec.dims == 2 else xb.astype(bool)
        phys = None if aux is None else aux[a : a + 256]
        prob = m.decode(m.encode(pores, physics=phys)).astype(np.float64)
        t = xb.astype(np.float64)
        pc = np.clip(prob, 1e-7, 1 - 1e-7)
        bce.append(-(t * np.log(pc) + (1 - t) * np.log(1 - pc)).reshape(len(xb), -1).mean(1))
        binary = prob > 0.5
        axes = tuple(range(1, xb.ndim))
        acc.append((binary == xb.astype(bool)).mean(axis=axes))
        dphi.append(np.abs(binary.mean(axis=axes) - t.mean(axis=axes)))
    bce_a, acc_a, dphi_a = (np.concatenate(v) for v in (bce, acc, dphi))
    return {
        "bce": float(bce_a.mean()),
        "voxel_accuracy": float(acc_a.mean()),
        "porosity_abs_error_mean": float(dphi_a.mean()),
        "porosity_abs_error_max": float(dphi_a.max()),
    }


def _physics(m, path: Path, x, y, n: int, progress, aux=None) -> dict[str, Any]:
    """k of N binarised reconstructions by the solver vs the inputs' labels."""
    from porestudio.physics.permeability import trivial_permeability

    comps = [c for c in m.spec.properties if P.is_diagonal(c)]
    n = min(n, len(x))
    pores = x[:n, None].astype(bool) if m.spec.dims == 2 else x[:n].astype(bool)
    recon = m.to_pores(m.decode(m.encode(pores, physics=None if aux is None else aux[:n])))
    side = boundary_mode(path)
    ks = np.full((n, len(comps)), np.nan)
    for i in range(n):
        trivial = trivial_permeability(recon[i])
        if m.spec.dims == 2 and recon[i].all():
            trivial = None  # an all-pore 2D section still has walls beside it: solved
        ks[i] = _solve(m.spec, recon[i], comps, side) if trivial is None else trivial
        report(progress, i + 1, n)
    unscored = int(np.isnan(ks).any(axis=1).sum())
    out: dict[str, Any] = {"n": n, "unscored": unscored, "boundary_mode": side}
    for j, c in enumerate(comps):
        label = y[:n, m.spec.properties.index(c)]
        with np.errstate(divide="ignore", invalid="ignore"):  # a closed input: no relative error
            rel = np.abs(ks[:, j] - label) / np.abs(label)
        rel = rel[np.isfinite(rel)]
        out[c] = {
            "median_rel_error": float(np.median(rel)) if rel.size else float("nan"),
            "mean_rel_error": float(np.mean(rel)) if rel.size else float("nan"),
            "solver_k": ks[:, j].tolist(),
            "label_k": label.tolist(),
        }
    return out


def _solve(spec, pore: np.ndarray, comps: list[str], mode: str) -> np.ndarray:
    if spec.dims == 2:
        from porestudio.physics.stokes2d import extruded_permeability

        side = "periodic" if mode == "periodic" else "wall"
        section = pore[0]
        return np.array([extruded_permeability(section, side=side)])
    from porestudio.physics.options import CHECK_MAX_STEPS, CHECK_TOL
    from porestudio.physics.permeability import permeability

    axes = tuple(c[2] for c in comps)
    res = permeability(pore, axes=axes, mode=mode, tol=CHECK_TOL, max_steps=CHECK_MAX_STEPS)
    if not all(run.converged for run in res.runs):
        log.info("a reconstruction's LBM run hit its step limit; left unscored")
        return np.full(len(comps), np.nan)
    k = np.asarray(res.k_lu)
    return np.array([k[P.tensor_index(c)] for c in comps])
