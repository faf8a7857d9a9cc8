"""Interpolation in the latent space (paper sections 4.4 and 5.3).

:func:`slerp` follows the great circle between two codes (with the norm interpolated
along it), :func:`lerp` the straight line. Slerp falls back to lerp when the codes are
nearly parallel or anti-parallel (the great circle is then undefined or numerically
unstable); identical codes give a constant path. :func:`path` decodes the codes, binarises
them and evaluates properties along the way; :func:`save_path` writes it as an ordinary
porestudio dataset (it opens in the studio, exports and labels like any other).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.progress import ProgressFn, report, scaled

log = logging.getLogger(__name__)

__all__ = ["InterpolationPath", "lerp", "path", "save_path", "slerp"]

PARALLEL_SIN: float = 1e-6
"""Slerp becomes lerp when ``sin`` of the angle between the codes is below this."""
METHODS = ("slerp", "lerp")


def _ts(t: float | np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.asarray(t, dtype=np.float64)
    return np.atleast_1d(arr).ravel(), arr.ndim == 0


def _pair(z0: np.ndarray, z1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(z0, dtype=np.float64).ravel()
    b = np.asarray(z1, dtype=np.float64).ravel()
    if a.shape != b.shape or a.size == 0:
        raise InputError(f"codes of different sizes: {a.size} and {b.size}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InputError("latent codes must be finite")
    return a, b


def lerp(z0: np.ndarray, z1: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Linear interpolation ``(1 − t) z0 + t z1``.

    Parameters
    ----------
    z0, z1 : ndarray (d,)
        End codes.
    t : float or ndarray (m,)
        Fractions (0 = z0, 1 = z1).

    Returns
    -------
    ndarray (d,) for a scalar ``t``, else (m, d)
    """
    a, b = _pair(z0, z1)
    ts, scalar = _ts(t)
    out = (1.0 - ts)[:, None] * a + ts[:, None] * b
    return out[0] if scalar else out


def slerp(z0: np.ndarray, z1: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Spherical linear interpolation between two codes.

    ``z(t) = sin((1 − t) Ω) / sin Ω · z0 + sin(t Ω) / sin Ω · z1`` with Ω the angle between
    the codes: for codes of equal norm the path keeps that norm and moves at constant
    angular speed. Nearly (anti-)parallel codes (``sin Ω`` < :data:`PARALLEL_SIN`, identical
    codes included) and zero codes use :func:`lerp`.

    Parameters
    ----------
    z0, z1 : ndarray (d,)
        End codes.
    t : float or ndarray (m,)
        Fractions (0 = z0, 1 = z1).

    Returns
    -------
    ndarray (d,) for a scalar ``t``, else (m, d)
    """
    a, b = _pair(z0, z1)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0.0 or nb == 0.0:
        return lerp(a, b, t)
    cos = float(np.clip(a @ b / (na * nb), -1.0, 1.0))
    omega = float(np.arccos(cos))
    sin = float(np.sin(omega))
    if sin < PARALLEL_SIN:
        return lerp(a, b, t)
    ts, scalar = _ts(t)
    w0 = np.sin((1.0 - ts) * omega) / sin
    w1 = np.sin(ts * omega) / sin
    out = w0[:, None] * a + w1[:, None] * b
    return out[0] if scalar else out


@dataclasses.dataclass(frozen=True, eq=False)
class InterpolationPath:
    """A decoded path through the latent space.

    Attributes
    ----------
    t : ndarray (m,)
        Fractions along the path.
    z : ndarray (m, d)
        Codes.
    pores : ndarray of bool (m, nz, ny, nx)
        Decoded, binarised structures (dataset shape; True = pore).
    properties : dict of str -> ndarray (m,)
        ``porosity`` (exact, from the voxels), ``regressor_<name>`` (the pVAE regressor on
        ``z``), ``cnn_<name>`` (the surrogate on the structures, when given),
        ``estimate_<k>`` (its calibrated conductance estimate, where it carries one: 3D
        models with physics inputs) and ``physics_<name>`` (the solver, when asked) —
        permeability in voxel².
    method : str
        "slerp" or "lerp" (the method asked for).
    """

    t: np.ndarray
    z: np.ndarray
    pores: np.ndarray
    properties: dict[str, np.ndarray]
    method: str


def path(
    model: Any,
    z0: np.ndarray,
    z1: np.ndarray,
    steps: int = 100,
    method: str = "slerp",
    *,
    surrogate: Any = None,
    verify: str | None = None,
    threshold: float = 0.5,
    progress: ProgressFn | None = None,
    boundary_mode: str = "kuhn",
    physics_device: str = "cpu",
) -> InterpolationPath:
    """Decode a latent path and evaluate its properties.

    Parameters
    ----------
    model : LoadedModel
        The pVAE.
    z0, z1 : ndarray (d,)
        End codes (e.g. from :func:`porestudio.design.reference.codes_for`).
    steps : int
        Number of structures along the path, ends included (≥ 2).
    method : {"slerp", "lerp"}
        Interpolation.
    surrogate : LoadedModel, optional
        A CNN surrogate evaluated on the binarised structures.
    verify : {"physics", None}
        Also compute the properties by the physics solver (:mod:`porestudio.design.verify`).
    threshold : float
        Binarisation threshold of the decoder's probabilities.
    progress : ProgressFn, optional
        ``progress(done, total)``; raise Cancelled to stop.
    boundary_mode : {"kuhn", "periodic"}
        Side walls of the physics runs (as the training labels were computed).
    physics_device : str
        Device of LBM runs (3D models).

    Returns
    -------
    InterpolationPath
    """
    from porestudio.design.verify import physics_properties

    if method not in METHODS:
        raise InputError(f"unknown interpolation {method!r}; use slerp or lerp")
    if int(steps) < 2:
        raise InputError(f"an interpolation needs at least 2 steps; got {steps}")
    if verify not in (None, "physics"):
        raise InputError(f"unknown verification {verify!r}; use physics or none")
    t = np.linspace(0.0, 1.0, int(steps))
    z = (slerp if method == "slerp" else lerp)(z0, z1, t).astype(np.float32)
    total = 3 if verify else 2
    report(progress, 0, total)
    pores = decode_pores(model, z, threshold)
    props: dict[str, np.ndarray] = {"porosity": pores.reshape(len(t), -1).mean(axis=1)}
    for name, vals in regress(model, z).items():
        props[f"regressor_{name}"] = vals
    report(progress, 1, total)
    if surrogate is not None:
        props.update(surrogate_columns(surrogate, pores))
    report(progress, 2, total)
    if verify == "physics":
        sub = scaled(progress, 2, 1, total)
        phys = physics_properties(pores, model.spec, boundary_mode=boundary_mode,
                                  device=physics_device, progress=sub)  # fmt: skip
        props.update({f"physics_{k}": v for k, v in phys.items() if k != "porosity"})
        report(progress, 3, total)
    return InterpolationPath(t, z, pores, props, method)


def decode_pores(model: Any, z: np.ndarray, threshold: float = 0.5, batch: int = 128):
    """Binarised decoded structures (n, nz, ny, nx) of codes ``z`` (n, d)."""
    out = []
    for start in range(0, len(z), batch):
        prob = model.decode(np.asarray(z[start : start + batch], dtype=np.float32))
        out.append(model.to_pores(prob, threshold=threshold))
    return np.concatenate(out) if out else np.zeros((0, *model.spec.sample_shape_zyx), bool)


def regress(model: Any, z: np.ndarray) -> dict[str, np.ndarray]:
    """The pVAE regressor on codes ``z`` (n, d), in physical units, by property name."""
    import torch

    with torch.no_grad():
        t = torch.as_tensor(np.asarray(z, np.float32), device=model.device)
        scaled_y = model.regress_t(t).detach().cpu().numpy().astype(np.float64)
    y = model.scaler.inverse(scaled_y)
    return {name: y[:, j] for j, name in enumerate(model.spec.properties)}


def save_path(
    result: InterpolationPath,
    out: str | os.PathLike,
    *,
    voxel_size_m: float | None,
    attrs: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a path as a porestudio dataset (one sample per step; atomic).

    Properties: ``porosity``, ``t``, ``latent_z`` (n, d) and every property of the path; when
    physics was computed, ``permeability_lu`` (n, 3, 3) with ``label_status`` ok as well,
    so the file is labelled like a dataset from ``porestudio label``.
    """
    from porestudio.structures.dataset import LABEL_OK, DatasetWriter

    target = Path(out)
    m = len(result.t)
    props = {"t": result.t, "latent_z": result.z.astype(np.float64), **result.properties}
    k = _physics_tensor(result.properties, m)
    if k is not None:
        props["permeability_lu"] = k
        props["label_status"] = np.full(m, LABEL_OK, dtype=np.int8)
    prov = [{"generator": "latent-path", "method": result.method, "step": i, "t": float(t)}
            for i, t in enumerate(result.t)]  # fmt: skip
    shape = tuple(int(n) for n in result.pores.shape[1:])
    meta = {"generator": "latent-path", "method": result.method, **(attrs or {})}
    with DatasetWriter(
        target, shape=shape, voxel_size_m=voxel_size_m, attrs=meta, overwrite=overwrite
    ) as w:
        w.append(result.pores, provenance=prov, properties=props)
        if k is not None:
            w.set_property_attrs("permeability_lu", {"unit": "voxel^2", "method": "design-verify"})
    return target


def _physics_tensor(props: dict[str, np.ndarray], m: int) -> np.ndarray | None:
    names = [n for n in props if n.startswith("physics_k_")]
    if not names:
        return None
    k = np.full((m, 3, 3), np.nan)
    axes = "xyz"
    for name in names:
        a, b = name[-2], name[-1]
        k[:, axes.index(a), axes.index(b)] = props[name]
        k[:, axes.index(b), axes.index(a)] = props[name]
    return k


def surrogate_columns(surrogate: Any, pores: np.ndarray) -> dict[str, np.ndarray]:
    """``cnn_<name>``: the surrogate's predictions for structures (m, nz, ny, nx); and where
    it carries a calibrated conductance estimate (``ml/estimate.py``), ``estimate_<k>`` —
    on decoded 3D structures a median 3–4 % from the LBM, where the 3D CNN is 6–8 % off
    (docs/logs/check_scorers_3d.md). The physics inputs are computed once for both."""
    from porestudio.design.verify import has_estimate
    from porestudio.ml.physics_inputs import compute

    pores = np.asarray(pores, dtype=bool)
    raw = None
    if getattr(surrogate, "physics_inputs", False):
        surrogate.spec.check_fits(pores.shape[1:], extruded=surrogate.spec.dims == 3)  # first
        raw = compute(pores)
    out = {f"cnn_{k}": np.asarray(v) for k, v in surrogate.predict(pores, physics=raw).items()}
    if raw is not None and has_estimate(surrogate):
        est = surrogate.estimate(pores, physics=raw) or {}
        out.update({f"estimate_{k}": np.asarray(v) for k, v in est.items()})
    return out
