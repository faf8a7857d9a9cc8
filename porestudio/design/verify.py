"""Properties of printed structures: exactly from the voxels, by a model, by physics.

* Porosity always comes from the voxels.
* :func:`model_predict` runs a model (the pVAE's regressor on the encoded structure, or a CNN
  surrogate) on binary structures.
* :func:`physics_properties` runs the physics: for a 2D model (sections extruded along its
  axis) the exact extruded Stokes solver along that axis (:mod:`porestudio.physics.stokes2d`,
  about 20 ms a structure; the same value ``porestudio.physics.permeability`` gives with
  ``method="auto"``); for a 3D model the lattice-Boltzmann tensor
  (:func:`porestudio.physics.permeability.permeability`) in the boundary mode of the
  training labels.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.progress import ProgressFn, report, scaled
from porestudio.units import array_axis

log = logging.getLogger(__name__)

__all__ = ["has_estimate", "k_names", "model_predict", "physics_properties", "porosity_of"]

_DIAGONAL = ("k_xx", "k_yy", "k_zz")


def porosity_of(pores: np.ndarray) -> np.ndarray:
    """Exact porosity (n,) of binary structures (n, ...)."""
    arr = np.asarray(pores, dtype=bool)
    return arr.reshape(arr.shape[0], -1).mean(axis=1)


def k_names(properties: tuple[str, ...]) -> tuple[str, ...]:
    """The permeability names among a model's properties."""
    return tuple(p for p in properties if p.startswith("k_"))


def model_predict(
    model: Any, pores: np.ndarray, batch: int = 256, estimate: bool = False
) -> dict[str, np.ndarray]:
    """A model's predictions (physical units, voxel²) for binary structures (n, nz, ny, nx);
    with ``estimate``, its calibrated physics estimate of k instead (``LoadedModel.estimate``,
    which the model must carry: :func:`has_estimate`)."""
    fn = model.estimate if estimate else model.predict
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, len(pores), batch):
        parts.append(fn(np.asarray(pores[start : start + batch], dtype=bool)))
    if not parts:
        return {p: np.zeros(0) for p in model.spec.properties}
    return {k: np.concatenate([np.atleast_1d(p[k]) for p in parts]) for k in parts[0]}


def has_estimate(model: Any) -> bool:
    """Whether ``model`` carries a calibrated physics estimate of k (``ml/estimate.py``)."""
    from porestudio.ml.estimate import of_model

    config = getattr(model, "config", None)
    return (
        bool(getattr(model, "physics_inputs", False))
        and isinstance(config, dict)
        and (of_model(config) is not None)
    )


def physics_properties(
    pores: np.ndarray,
    spec: Any,
    *,
    boundary_mode: str = "kuhn",
    device: str = "cpu",
    progress: ProgressFn | None = None,
    tol: float | None = None,
    max_steps: int | None = None,
) -> dict[str, np.ndarray]:
    """Porosity and the model's permeability entries of structures, by the physics solvers.

    Parameters
    ----------
    pores : ndarray of bool (n, nz, ny, nx)
        Structures (True = pore).
    spec : porestudio.ml.data.DataSpec
        The model's data spec (which entries, 2D or 3D).
    boundary_mode : {"kuhn", "periodic"}
        Side walls: no-slip walls ("kuhn", the paper's runs) or periodic, as the training
        labels were computed.
    device : str
        Device of LBM runs (3D).
    progress : ProgressFn, optional
        ``progress(done, n)``; raise Cancelled to stop.
    tol : float, optional
        LBM convergence tolerance (3D; None: the solver's default).
    max_steps : int, optional
        LBM step limit per run (3D; None: the solver's default); a structure whose run
        hits it gets NaN (not verified) instead of holding the design for minutes.

    Returns
    -------
    dict of str -> ndarray (n,)
        ``porosity`` and every ``k_..`` of ``spec.properties`` [voxel²].
    """
    arr = np.asarray(pores, dtype=bool)
    if arr.ndim != 4:
        raise InputError(f"expected structures (n, nz, ny, nx); got shape {arr.shape}")
    names = k_names(tuple(spec.properties))
    out = {"porosity": porosity_of(arr)}
    if spec.section_axis is not None:
        out.update(_extruded(arr, spec.section_axis, names, boundary_mode, progress))
    else:
        out.update(_lbm(arr, names, boundary_mode, device, progress, (tol, max_steps)))
    return out


def _extruded(arr, axis: str, names, boundary_mode: str, progress) -> dict[str, np.ndarray]:
    from porestudio.physics.stokes2d import extruded_permeability_batch

    own = f"k_{axis}{axis}"
    if any(n != own for n in names):
        raise InputError(f"a 2D model's structures have only {own}; asked for {', '.join(names)}")
    a = array_axis(axis)
    sections = np.ascontiguousarray(np.take(arr, 0, axis=a + 1))
    side = "periodic" if boundary_mode == "periodic" else "wall"
    k = np.zeros(len(arr))
    has_pore = sections.reshape(len(arr), -1).any(axis=1)
    if has_pore.any():
        k[has_pore] = extruded_permeability_batch(sections[has_pore], side=side, progress=progress)
    report(progress, len(arr), len(arr))
    return {own: k}


def _lbm(  # noqa: PLR0913
    arr, names, boundary_mode: str, device: str, progress, limits=(None, None)
) -> dict[str, np.ndarray]:
    from porestudio.physics.permeability import permeability, trivial_permeability

    tensor = any(n not in _DIAGONAL for n in names)
    out = {n: np.full(len(arr), np.nan) for n in names}
    for i, pore in enumerate(arr):
        sub = scaled(progress, i, 1, len(arr))
        trivial = trivial_permeability(pore)
        if trivial is not None:  # no flow, or unbounded: nothing to run
            for n in names:
                out[n][i] = trivial
            continue
        extra = {k: v for k, v in zip(("tol", "max_steps"), limits, strict=True) if v is not None}
        result = permeability(pore, tensor=tensor, mode=boundary_mode, device=device,
                              progress=sub, **extra)  # fmt: skip
        if all(run.converged for run in result.runs):
            for n in names:
                r, c = "xyz".index(n[2]), "xyz".index(n[3])
                out[n][i] = float(result.k_lu[r, c])
        else:
            log.info("structure %d: an LBM run hit its step limit; left unverified", i)
        report(progress, i + 1, len(arr))
    return out
