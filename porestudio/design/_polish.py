"""Physics-guided polish of a target's best verified design (inverse design, after step 3).

The decoder's binarised structures carry a permeability error that no surrogate sees
(measured on the 3D default model: reconstructions of held-out cubes are off by a median
24–46 % by the LBM), and it differs per axis. Once the physics solver has measured the best
design, the polish searches its neighbourhood with the surrogate *calibrated on that
measurement*:

1. **Variants** of the best design's probability map: smoothed along each subset of the
   axes (a Gaussian of ``polish_sigma`` voxels along an axis lengthens the features along
   it, so its k rises against the others': the anisotropy knob) and binarised at the target
   porosity and at ± ``polish_max_dphi`` (the common knob: a larger pore space conducts
   more), each cleaned as every candidate is.
2. **Calibration**: the surrogate's prediction of each variant, scaled per component by
   the ratio physics / surrogate of the best measured structure — a local correction of the
   surrogate's bias, which is largest exactly where the decoded structures leave the
   training data.
3. **One physics run per step** on the variant with the lowest calibrated error, when that
   error is below the best measured one; kept when physics agrees, and the calibration
   moves to it when it becomes the best.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np

from porestudio.design import _candidates as C

log = logging.getLogger(__name__)


def polish(run: Any, pools: list[dict[str, Any]], full: np.ndarray, outside: np.ndarray) -> int:
    """Polish the best verified design of each target inside the support that misses
    ``verify_tol``; returns the number of physics runs made. Pools are updated in place."""
    o = run.opts
    if not o.polish_steps or not any(n.startswith("k_") for n in run.props):
        return 0
    todo = [i for i, p in enumerate(pools) if not outside[i] and _needs(run, p)]
    local = {i: _variants(run, pools[i], full[i]) for i in todo}
    runs = 0
    for _ in range(int(o.polish_steps)):
        picks = {i: j for i in todo if (j := _pick(run, pools[i], local[i], full[i])) is not None}
        if not picks:
            break
        pores = np.stack([local[i]["inputs"][j] for i, j in picks.items()])
        runs += len(pores)
        phys = run.physics(pores)
        for a, (i, j) in enumerate(picks.items()):
            local[i]["done"][j] = True
            _add(run, pools[i], local[i], j, {k: v[a : a + 1] for k, v in phys.items()}, full[i])
        todo = [i for i in picks if _needs(run, pools[i])]
    return runs


def sigma_sets(ndim: int, sigma: float) -> list[tuple[float, ...]]:
    """Per-axis Gaussian widths [voxels] of the variants: ``sigma`` along every non-empty
    subset of the ``ndim`` axes (array order), and none."""
    return [tuple(sigma * b for b in bits) for bits in itertools.product((0, 1), repeat=ndim)]


def calibrated(pred: dict[str, np.ndarray], measured: dict[str, float],
               measured_pred: dict[str, float]) -> dict[str, np.ndarray]:  # fmt: skip
    """Surrogate predictions ``pred`` scaled per permeability component by physics /
    surrogate of one measured structure (components it could not calibrate stay as
    predicted; porosity, exact from the voxels, is never scaled)."""
    out = {}
    for name, values in pred.items():
        ratio = 1.0
        if name.startswith("k_"):
            m, q = measured.get(name, np.nan), measured_pred.get(name, np.nan)
            if np.isfinite(m) and np.isfinite(q) and m > 0 and q > 0:
                ratio = m / q
        out[name] = np.asarray(values, float) * ratio
    return out


def _needs(run: Any, p: dict[str, Any]) -> bool:
    """Whether the pool's best design is verified, flowing, and misses ``verify_tol``."""
    final = p.get("final") or []
    if not final or final[0][1] is None:
        return False
    s, j = final[0]
    return bool(p["perc"][s]) and float(p["err_phys"][j]) > run.opts.verify_tol


def _variants(run: Any, p: dict[str, Any], target: np.ndarray) -> dict[str, Any]:
    """The best design's neighbours: binarised, cleaned, predicted by the surrogate."""
    o = run.opts
    field = _field(run, p)
    phi_t = float(target[run.props.index("porosity")]) if "porosity" in run.props else np.nan
    if not np.isfinite(phi_t):
        phi_t = float(p["pred"]["porosity"][p["final"][0][0]])
    dphi = float(o.polish_max_dphi)
    inputs, perc = [], []
    for sig in sigma_sets(field.ndim, float(o.polish_sigma)):
        soft = C.smoothed(field, sig) if any(sig) else field
        for phi in (phi_t - dphi, phi_t, phi_t + dphi):
            pore, ok = C.matched(soft, float(np.clip(phi, 0.0, 1.0)), run.flow_axes, run.dims)
            inputs.append(pore)
            perc.append(ok)
    inputs = np.stack(inputs)
    uniq = C.unique_rows(inputs)
    inputs, perc = inputs[uniq], np.asarray(perc, bool)[uniq]
    pred = run.predict(inputs)
    run.n_scored += len(inputs)
    return {"inputs": inputs, "perc": perc, "pred": pred, "done": np.zeros(len(inputs), bool)}


def _pick(run, p, local, target) -> int | None:
    """The unmeasured flowing variant with the lowest calibrated error, if it beats the best
    measured design's error by physics."""
    s, j = p["final"][0]
    measured = {k: float(v[j]) for k, v in p["phys"].items()}
    measured_pred = {k: float(v[s]) for k, v in p["pred"].items()}
    est = calibrated(local["pred"], measured, measured_pred)
    n = len(local["inputs"])
    err = C.relative_error(est, run.props, np.repeat(target[None], n, 0))
    err[~local["perc"] | local["done"]] = np.inf
    best = int(np.argmin(err))
    return best if err[best] < float(p["err_phys"][j]) else None


def _field(run, p) -> np.ndarray:
    """The probability map the pool's best design was binarised from (float64)."""
    s = p["final"][0][0]
    prob = run.model.decode(p["z"][s][None].astype(np.float32))[0]
    return C.variant_field(prob, int(p["tag"][s][1]), run.opts.porosity_offsets,
                           run.opts.smoothing)  # fmt: skip


def _add(run, p, local, j, phys_row, target) -> None:
    """Append variant ``j`` to the pool as a verified candidate (same code and tag as the
    design it came from)."""
    s = p["final"][0][0]
    idx = len(p["inputs"])
    p["inputs"] = np.concatenate([p["inputs"], local["inputs"][j][None]])
    p["z"] = np.concatenate([p["z"], p["z"][s][None]])
    p["perc"] = np.append(p["perc"], bool(local["perc"][j]))
    p["tag"] = np.concatenate([p["tag"], p["tag"][s][None]])
    p["pred"] = {k: np.append(v, float(local["pred"][k][j]) if k in local["pred"] else np.nan)
                 for k, v in p["pred"].items()}  # fmt: skip
    last = {k: v[-1:] for k, v in p["pred"].items()}
    p["err_pred"] = np.append(p["err_pred"], C.relative_error(last, run.props, target[None]))
    p["sel"] = [*p["sel"], idx]
    run._score_physics(p, phys_row, target)
