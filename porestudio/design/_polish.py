"""Physics-guided polish of a target's best verified design (inverse design, after step 3).

The decoder's binarised structures carry a permeability error that no surrogate sees
(measured on the 3D default model: reconstructions of held-out cubes are off by a median
24–46 % by the LBM), and it differs per axis. Once the physics solver has measured the best
design, the polish searches its neighbourhood with the scorer *calibrated on that
measurement*. The same variants and compass search, uncalibrated, also run before physics
around each target's best candidates (:func:`presearch`, ``search_candidates``):

1. **Variants** of the best design's probability map: smoothed along each subset of the
   axes (a Gaussian of ``polish_sigma`` voxels along an axis lengthens the features along
   it, so its k rises against the others': the anisotropy knob) and binarised at the target
   porosity and at ± ``polish_max_dphi`` (the common knob: a larger pore space conducts
   more), each cleaned as every candidate is.
2. **Calibration**: the surrogate's prediction of each variant, scaled per component by
   the ratio physics / surrogate of the best measured structure — a local correction of the
   surrogate's bias, which is largest exactly where the decoded structures leave the
   training data.
3. **Compass search** (up to ``polish_search`` rings per step): around the variant with
   the lowest calibrated error, its neighbours one step away in one parameter — a smoothing
   width per axis (−2 to 3 voxels; a negative width sharpens along that axis with an
   unsharp mask: finer features along it, a lower k along it, where smoothing only raises
   k), the porosity (within ± ``polish_max_dphi`` of the target) — are binarised and scored
   too (up to 8 more structures per ring). Steps start at 1 voxel and 0.01 in porosity (the
   grid's widths are coarse next to the error left once the scorer is calibrated, and a
   target whose anisotropy the grid misses needs reach) and halve after a ring that finds
   nothing better, down to 0.25 voxel and 0.0025. Each ring also takes one **Gauss–Newton
   jump** (:func:`newton_point`): the residuals (log k / target, relative porosity) of the
   variants near the ring's centre fitted linearly in the parameters and solved for the
   point that zeroes them, at most ``NEWTON_REACH`` steps away. Moving one axis at a time,
   the compass alone reaches a target off its grid, or one that needs several widths
   changed together, only slowly.
4. **One physics run per step** on the variant with the lowest calibrated error, when that
   error is below the best measured one; kept when physics agrees, and the calibration
   moves to it when it becomes the best.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np

from porestudio.design import _candidates as C
from porestudio.design._physics_rank import score_physics

log = logging.getLogger(__name__)

SIGMA_STEP = 0.5
"""Unit step of a smoothing width in the compass search [voxels] (see ``SEARCH_START``)."""
SIGMA_MAX = 3.0
"""Widest smoothing the search tries [voxels]."""
SIGMA_MIN = -2.0
"""Widest sharpening the search tries [voxels] (a negative width: an unsharp mask along that
axis, :func:`porestudio.design._candidates.shaped`)."""
DPHI_STEP = 0.005
"""Unit step of the porosity in the compass search (see ``SEARCH_START``)."""
SEARCH_START = 2.0
"""First step of the compass search, in units of (``SIGMA_STEP``, ``DPHI_STEP``)."""
SEARCH_MIN = 0.5
"""Smallest step of the compass search, same units (it stops below)."""
NEWTON_NEAR = 2.5
"""Neighbourhood of a Gauss–Newton fit, in current steps per coordinate."""
NEWTON_REACH = 4.0
"""Longest Gauss–Newton jump, in current steps per coordinate."""


def polish(run: Any, pools: list[dict[str, Any]], full: np.ndarray, outside: np.ndarray) -> int:
    """Polish the best verified design of each target inside the support that misses
    ``verify_tol``; returns the number of physics runs made. Pools are updated in place."""
    o = run.opts
    if not o.polish_steps or not any(n.startswith("k_") for n in run.props):
        return 0
    todo = [i for i, p in enumerate(pools) if not outside[i] and _needs(run, p)]
    dphi = float(o.polish_max_dphi)
    local = {i: _variants(run, pools[i], pools[i]["final"][0][0], full[i], (-dphi, 0.0, dphi))
             for i in todo}  # fmt: skip
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


def presearch(run: Any, pools: list[dict[str, Any]], full: np.ndarray) -> None:
    """Before physics: around each target's ``search_candidates`` best flowing candidates by
    the scorer, the polish's variants (smoothing along each subset of the axes, at the
    target porosity) and compass search, scored as predicted (no measurement to calibrate
    on yet); each search's best variant joins its pool. Pools are updated in place."""
    n = int(run.opts.search_candidates)
    if not n or not any(name.startswith("k_") for name in run.props):
        return
    for i, p in enumerate(pools):
        err = C.relative_error(p["pred"], run.props, np.repeat(full[i][None], len(p["perc"]), 0))
        err[~p["perc"]] = np.inf
        for s in np.argsort(err, kind="stable")[:n]:
            if not np.isfinite(err[s]):
                break
            local = _variants(run, p, int(s), full[i], (0.0,))
            _explore(run, local, full[i], None)
            j = int(np.argmin(_calibrated_error(run, local, full[i], None, False)))
            if local["perc"][j] and not np.array_equal(local["inputs"][j], p["inputs"][s]):
                _append(p, local, j, int(s))


def _variants(run: Any, p: dict[str, Any], s: int, target: np.ndarray, dphis) -> dict[str, Any]:
    """Candidate ``s``'s neighbours on the grid (every subset of the axes smoothed by
    ``polish_sigma``; porosity target + each of ``dphis``): binarised, cleaned, scored."""
    o = run.opts
    field = _field(run, p, s)
    phi_t = float(target[run.props.index("porosity")]) if "porosity" in run.props else np.nan
    if not np.isfinite(phi_t):
        phi_t = float(p["pred"]["porosity"][s])
    params = [(*sig, phi_t + d) for sig in sigma_sets(field.ndim, float(o.polish_sigma))
              for d in dphis]  # fmt: skip
    local = {"field": field, "phi_t": phi_t, "params": np.zeros((0, field.ndim + 1)), "tried": [],
             "inputs": np.zeros((0, *field.shape), bool), "perc": np.zeros(0, bool),
             "pred": {}, "done": np.zeros(0, bool), "source": s}  # fmt: skip
    _score_params(run, local, params)
    return local


def _score_params(run: Any, local: dict[str, Any], params) -> None:
    """Binarise ``local['field']`` at each (σ per array axis..., porosity), clean, drop
    structures already in ``local``, score the rest with the run's scorer; appended."""
    field = local["field"]
    params = [np.asarray(q, float) for q in params]
    local["tried"].extend(params)
    inputs, perc = [], []
    for q in params:
        sig, phi = tuple(float(v) for v in q[:-1]), float(np.clip(q[-1], 0.0, 1.0))
        soft = C.shaped(field, sig) if any(sig) else field
        pore, ok = C.matched(soft, phi, run.flow_axes, run.dims)
        inputs.append(pore)
        perc.append(ok)
    if not inputs:
        return
    allin = np.concatenate([local["inputs"], np.stack(inputs)])
    uniq = C.unique_rows(allin)
    new = uniq[uniq >= len(local["inputs"])] - len(local["inputs"])
    if not len(new):
        return
    pores = np.stack(inputs)[new]
    pred = run.predict(pores)
    run.n_scored += len(pores)
    local["inputs"] = np.concatenate([local["inputs"], pores])
    local["params"] = np.concatenate([local["params"], np.stack(params)[new]])
    local["perc"] = np.concatenate([local["perc"], np.asarray(perc, bool)[new]])
    local["done"] = np.concatenate([local["done"], np.zeros(len(new), bool)])
    local["pred"] = {k: np.concatenate([local["pred"].get(k, np.zeros(0)), v])
                     for k, v in pred.items()}  # fmt: skip


def _explore(run, local, target, calib) -> None:
    """Compass search around the variant with the lowest calibrated error: up to
    ``polish_search`` rings, each of the neighbours one step away in one parameter (a width
    in [``SIGMA_MIN``, ``SIGMA_MAX``] voxels, negative = sharpened; the porosity within
    ± ``polish_max_dphi`` of the target), scored and added. Steps start at
    ``SEARCH_START`` × (``SIGMA_STEP``, ``DPHI_STEP``) and halve after a ring that finds
    nothing better, down to ``SEARCH_MIN`` ×; the step lives in ``local``, so a later call
    goes on where this one stopped."""
    o = run.opts
    base = np.array([SIGMA_STEP] * (local["params"].shape[1] - 1) + [DPHI_STEP])
    lo = np.array([SIGMA_MIN] * (len(base) - 1) + [local["phi_t"] - o.polish_max_dphi])
    hi = np.array([SIGMA_MAX] * (len(base) - 1) + [local["phi_t"] + o.polish_max_dphi])
    err = _calibrated_error(run, local, target, calib, unmeasured_only=False)
    for _ in range(int(o.polish_search)):
        scale = float(local.setdefault("scale", SEARCH_START))
        if scale < SEARCH_MIN or not np.isfinite(err).any():
            return
        best = float(err.min())
        centre = int(np.argmin(err))
        near = ring(local["params"][centre], np.stack(local["tried"]), scale * base, lo, hi)
        if near:
            _score_params(run, local, near)
        jump = newton_point(_residuals(run, local, target, calib), local["params"], centre,
                            scale * base, lo, hi, local["perc"])  # fmt: skip
        if jump is not None and not _among(local["tried"], jump):
            _score_params(run, local, [jump])
        err = _calibrated_error(run, local, target, calib, unmeasured_only=False)
        if not err.min() < best:
            local["scale"] = scale / 2


def newton_point(res, params, centre: int, step, lo, hi, usable) -> np.ndarray | None:
    """A Gauss–Newton jump of the compass search: the residuals ``res`` (n, m) of the scored
    variants within ``NEWTON_NEAR`` steps of the ``centre`` one (rows of ``params``, usable
    ones only) fitted by a linear model in the parameters, solved in least squares for the
    parameters that zero them, at most ``NEWTON_REACH`` steps per coordinate away and
    clipped to [``lo``, ``hi``]; None when the neighbourhood is too thin to fit."""
    d = (np.asarray(params, float) - params[centre]) / step
    ok = usable & np.isfinite(res).all(axis=1) & (np.abs(d).max(axis=1) <= NEWTON_NEAR)
    if ok.sum() < d.shape[1] + 2 or not np.isfinite(res[centre]).all():
        return None
    design = np.column_stack([np.ones(int(ok.sum())), d[ok]])
    coef = np.linalg.lstsq(design, res[ok], rcond=None)[0]
    move = np.linalg.lstsq(coef[1:].T, -res[centre], rcond=1e-3)[0]
    move = np.clip(move, -NEWTON_REACH, NEWTON_REACH)
    return np.clip(params[centre] + move * step, lo, hi)


def _residuals(run, local, target, calib) -> np.ndarray:
    """Per variant and targeted property, log(k / target) and (φ − target) / target, as the
    scorer (calibrated by ``calib``) sees them; columns follow the given targets."""
    est = local["pred"] if calib is None else calibrated(local["pred"], *calib)
    cols = []
    for j, name in enumerate(run.props):
        if not np.isfinite(target[j]) or name not in est:
            continue
        v = np.asarray(est[name], float)
        if name.startswith("k_"):
            cols.append(np.log(np.where(v > 0, v, np.nan) / target[j]))
        else:
            cols.append((v - target[j]) / target[j])
    return np.column_stack(cols) if cols else np.zeros((len(local["inputs"]), 0))


def _among(rows, q) -> bool:
    """Whether parameter point ``q`` is (to 1e-9) one of ``rows``."""
    seen = np.asarray(rows, float).reshape(-1, len(q))
    return bool(np.isclose(seen, q, atol=1e-9).all(axis=1).any())


def ring(centre, tried, step, lo, hi) -> list[np.ndarray]:
    """The points one ``step`` away from ``centre`` in one coordinate, clipped to
    [``lo``, ``hi``], that are not in ``tried`` (rows) and not repeated."""
    seen = np.asarray(tried, float).reshape(-1, len(centre))
    out = []
    for a in range(len(centre)):
        for sign in (-1.0, 1.0):
            q = np.asarray(centre, float).copy()
            q[a] = np.clip(q[a] + sign * step[a], lo[a], hi[a])
            if not _among(seen, q):
                out.append(q)
                seen = np.vstack([seen, q])
    return out


def _calibration(p: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """(physics, scorer) properties of the pool's best measured design."""
    s, j = p["final"][0]
    return ({k: float(v[j]) for k, v in p["phys"].items()},
            {k: float(v[s]) for k, v in p["pred"].items()})  # fmt: skip


def _calibrated_error(run, local, target, calib, unmeasured_only: bool = True) -> np.ndarray:
    """RMS relative error of every variant by the scorer, calibrated by ``calib`` (from
    :func:`_calibration`; None: as predicted); inf for one that cannot be a design and, if
    asked, for measured ones."""
    est = local["pred"] if calib is None else calibrated(local["pred"], *calib)
    n = len(local["inputs"])
    err = C.relative_error(est, run.props, np.repeat(target[None], n, 0))
    err[~local["perc"]] = np.inf
    if unmeasured_only:
        err[local["done"]] = np.inf
    return err


def _pick(run, p, local, target) -> int | None:
    """The unmeasured flowing variant with the lowest calibrated error (after the compass
    search around the best), if it beats the best measured design's error by physics."""
    calib = _calibration(p)
    _explore(run, local, target, calib)
    err = _calibrated_error(run, local, target, calib)
    best = int(np.argmin(err))
    return best if err[best] < float(p["err_phys"][p["final"][0][1]]) else None


def _field(run, p, s: int) -> np.ndarray:
    """The probability map candidate ``s`` of the pool was binarised from (float64)."""
    prob = run.model.decode(p["z"][s][None].astype(np.float32))[0]
    return C.variant_field(prob, int(p["tag"][s][1]), run.opts.porosity_offsets,
                           run.opts.smoothing)  # fmt: skip


def _append(p, local, j: int, s: int) -> int:
    """Append variant ``j`` (of candidate ``s``) to the pool as a candidate with the code and
    tag of ``s``; returns its index."""
    idx = len(p["inputs"])
    p["inputs"] = np.concatenate([p["inputs"], local["inputs"][j][None]])
    p["z"] = np.concatenate([p["z"], p["z"][s][None]])
    p["perc"] = np.append(p["perc"], bool(local["perc"][j]))
    p["tag"] = np.concatenate([p["tag"], p["tag"][s][None]])
    p["pred"] = {k: np.append(v, float(local["pred"][k][j]) if k in local["pred"] else np.nan)
                 for k, v in p["pred"].items()}  # fmt: skip
    return idx


def _add(run, p, local, j, phys_row, target) -> None:
    """Append variant ``j`` to the pool as a verified candidate (same code and tag as the
    design it came from)."""
    idx = _append(p, local, j, local["source"])
    last = {k: v[-1:] for k, v in p["pred"].items()}
    p["err_pred"] = np.append(p["err_pred"], C.relative_error(last, run.props, target[None]))
    p["sel"] = [*p["sel"], idx]
    score_physics(run, p, phys_row, target)
