"""Regression metrics per property (physical units), shared by train and evaluate."""

from __future__ import annotations

import numpy as np

from porestudio.ml import properties as P


def r2(y: np.ndarray, p: np.ndarray) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot (NaN with < 2 samples)."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    if y.size < 2:
        return float("nan")
    ss_tot = float(((y - y.mean()) ** 2).sum())
    ss_res = float(((y - p) ** 2).sum())
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")


def mape(y: np.ndarray, p: np.ndarray) -> float:
    """Mean absolute percentage error [%] over samples with y != 0."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    m = y != 0
    return float(np.mean(np.abs((p[m] - y[m]) / y[m])) * 100) if m.any() else float("nan")


def regression_metrics(
    names: tuple[str, ...], y: np.ndarray, p: np.ndarray
) -> dict[str, dict[str, float]]:
    """Per property: r2, mape [%], rmse, and for positive diagonal k also r2_log.

    Parameters
    ----------
    names : tuple of str
        Column names.
    y, p : ndarray (n, len(names))
        Targets and predictions, physical units.
    """
    out: dict[str, dict[str, float]] = {}
    for j, name in enumerate(names):
        yj, pj = y[:, j], p[:, j]
        m = np.isfinite(yj) & np.isfinite(pj)
        yj, pj = yj[m], pj[m]
        entry = {
            "n": int(m.sum()),
            "r2": r2(yj, pj),
            "mape": mape(yj, pj),
            "rmse": float(np.sqrt(np.mean((yj - pj) ** 2))) if yj.size else float("nan"),
        }
        if P.is_diagonal(name):
            pos = (yj > 0) & (pj > 0)
            entry["r2_log"] = r2(np.log(yj[pos]), np.log(pj[pos])) if pos.any() else float("nan")
        out[name] = entry
    return out


def specific_surface(x: np.ndarray) -> np.ndarray:
    """Pore-solid faces per voxel (n,) of uint8/bool samples (n, *spatial) [1/voxel]."""
    a = np.asarray(x, dtype=bool)
    faces = np.zeros(len(a))
    for ax in range(1, a.ndim):
        faces += (np.diff(a, axis=ax) != 0).reshape(len(a), -1).sum(axis=1)
    return faces / a[0].size


def kozeny_carman(x: np.ndarray, k: np.ndarray) -> dict[str, float]:
    """Kozeny-Carman baseline ``k = φ³ / (c S² (1-φ)²)`` with c fitted (log space) on these data.

    Returns r2, r2_log and mape [%] of the baseline against ``k`` [voxel²], and ``c``.
    """
    phi = np.asarray(x, bool).reshape(len(x), -1).mean(axis=1)
    s = specific_surface(x)
    ok = (phi > 0) & (phi < 1) & (s > 0) & (k > 0)
    if ok.sum() < 2:
        return {"r2": float("nan"), "r2_log": float("nan"), "mape": float("nan"), "c": float("nan")}
    base = phi[ok] ** 3 / ((1 - phi[ok]) ** 2 * s[ok] ** 2)
    log_c = float(np.mean(np.log(base) - np.log(k[ok])))
    pred = base / np.exp(log_c)
    return {
        "r2": r2(k[ok], pred),
        "r2_log": r2(np.log(k[ok]), np.log(pred)),
        "mape": mape(k[ok], pred),
        "c": float(np.exp(log_c)),
    }


def conductance_baseline(
    estimate: np.ndarray, k: np.ndarray, fit: tuple[float, float] | None = None
) -> dict[str, float]:
    """Physics baseline ``k = e^b q^a`` on the conductance estimate ``q`` (physics/conductance.py).

    ``(a, b)`` = ``fit`` (a model's own, fitted on its training samples: ml/estimate.py), else
    fitted (log space) on these data, as the Kozeny-Carman constant is; scored on the
    samples where both are positive. Returns r2, r2_log, mape [%], a, b.
    """
    q, k = np.asarray(estimate, float), np.asarray(k, float)
    ok = (q > 0) & (k > 0)
    nan = float("nan")
    if ok.sum() < 3:
        a, b = fit if fit is not None else (nan, nan)
        return {"r2": nan, "r2_log": nan, "mape": nan, "a": float(a), "b": float(b)}
    a, b = fit if fit is not None else np.polyfit(np.log(q[ok]), np.log(k[ok]), 1)
    pred = np.exp(b) * q[ok] ** a
    return {
        "r2": r2(k[ok], pred),
        "r2_log": r2(np.log(k[ok]), np.log(pred)),
        "mape": mape(k[ok], pred),
        "a": float(a),
        "b": float(b),
    }
