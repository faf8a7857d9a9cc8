"""Permeability tensor of a voxel structure (lattice units voxel², optionally m²).

``k = ν ⟨u⟩ / F``: ``⟨u⟩`` is the superficial velocity (sum over fluid cells divided by
all voxels), ``F`` the body-force density on the fluid (equivalent to the pressure
gradient), ``ν = (τ − 1/2)/3``. In m²: ``k_m2 = k · dx²`` (:mod:`porestudio.units`).

Modes
-----
``"kuhn"`` (paper appendix B, Kuhn et al. 2015)
    Diagonal ``k_ii`` from runs along ``i`` with **no-slip** side walls. With
    ``tensor=True`` three more runs with **free-slip** (specular) side walls give the
    off-diagonals. Side walls block every transverse net flux, so the transverse mean
    velocity of such a run is zero; the walls instead hold a transverse mean pressure
    gradient ``∇P``, measured from the wall momentum exchange with the pressure-weighted
    fluid area of each wall and the rest-state pressure subtracted
    (:mod:`porestudio.physics._kuhn`). Darcy's law ``ν ⟨u⟩_j = K (F e_j − ∇P_j)`` for the
    three runs gives ``K_slip = ν U G⁻¹``, whose off-diagonals are reported. Checked
    against the periodic tensor of inclined perforated plates (off-diagonals within a
    few per cent, converging as pore size / sample width) and zero for mirror-symmetric
    structures (tests/physics/test_permeability.py, docs/validation_lbm.md).
``"periodic"``
    Three fully periodic runs; column ``j`` of ``K`` is ``ν ⟨u⟩ / F`` of the run driven
    along ``j`` (transverse mean velocities give the off-diagonals directly).

Without ``tensor``, only the diagonal entries of the requested axes are computed; every
other entry is NaN (not computed). ``asymmetry = ‖K − Kᵀ‖ / ‖K‖`` (NaN without a tensor).

Shortcuts: an axis whose pore space does not connect its two end faces under
18-connectivity (the D3Q19 link set) has ``k = 0`` without a run; an all-solid structure
gives a zero tensor; an all-pore one is an InputError (k unbounded). ``method="auto"``
uses the exact 2D Stokes solver (:mod:`porestudio.physics.stokes2d`) along an axis the
structure is extruded along (``side="wall"`` in Kuhn mode, ``"periodic"`` otherwise) and
the LBM elsewhere; in periodic mode a structure extruded along a transverse axis is run
on a one-voxel slab (the flow is two-dimensional).

Relaxation time: TRT with Λ = 3/16 makes ``k`` independent of τ (to 1e-4 at tol 1e-6),
so the default τ is the one expected to converge fastest (:func:`auto_tau`, module
:mod:`porestudio.physics.lbm.tau`: ν balances viscous relaxation in the pores against
pressure diffusion across the sample, with a Kozeny–Carman estimate of k).
BGK (``collision="bgk"``, as in the paper) uses τ = 1; its k depends on τ.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.physics._kuhn import kuhn_off_diagonals
from porestudio.physics._results import PermeabilityResult, RunInfo, build_result
from porestudio.physics.lbm.flow import FlowProblem, FlowResult
from porestudio.physics.lbm.tau import auto_tau
from porestudio.physics.options import SolverOptions, solver_options
from porestudio.progress import ProgressFn, report, scaled
from porestudio.structures.morphology import is_extruded, percolates
from porestudio.structures.volume import Structure
from porestudio.units import (
    AXES_XYZ,
    array_axis,
    check_voxel_size,
    xyz_index,
)

__all__ = [
    "PermeabilityResult", "RunInfo", "SolverOptions", "auto_tau", "permeability",
    "trivial_permeability",
]  # fmt: skip

log = logging.getLogger(__name__)

DEFAULT_TAU_BGK: float = 1.0
"""τ of BGK runs (k depends on τ with BGK)."""
PROGRESS_TOTAL: int = 1000
"""``total`` of the progress reports of one call: each run gets its share, and inside a
run the LBM reports its residual on a log scale (:mod:`porestudio.physics.lbm.loop`)."""
FORCE_PER_NU: float = 2e-5
"""Body force = FORCE_PER_NU · ν: keeps velocities (∝ F/ν) and Reynolds numbers small."""


def trivial_permeability(pore: np.ndarray) -> float | None:
    """Every k component [voxel²] of a volume that needs no solver run, else None.

    The one rule for the scorers of learned structures: all solid → 0 (no flow); all pore
    → NaN (unbounded: :func:`permeability` refuses it, a scorer leaves it unscored).
    """
    if not pore.any():
        return 0.0
    return float("nan") if pore.all() else None


@dataclasses.dataclass(frozen=True)
class _Options:
    """The resolved solver options of one call (τ and device fixed) and its level set."""

    solver: SolverOptions
    level_set: np.ndarray | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.solver, name)


def permeability(
    structure_or_pore: Structure | np.ndarray,
    *,
    axes: str | tuple[str, ...] = "all",
    tensor: bool = False,
    mode: str = "kuhn",
    method: str = "auto",
    collision: str = "trt",
    device: str = "cpu",
    voxel_size_m: float | None = None,
    tol: float = 1e-6,
    max_steps: int | None = None,
    progress: ProgressFn | None = None,
    tau: float | None = None,
    dtype: str = "float32",
    level_set: np.ndarray | None = None,
    options: SolverOptions | None = None,
) -> PermeabilityResult:
    """Permeability tensor of a structure (module docstring: modes, shortcuts, units).

    Parameters
    ----------
    structure_or_pore : Structure or ndarray of bool (nz, ny, nx)
        True = pore.
    axes : "all", "x", "y", "z" or tuple of them
        Flow directions whose diagonal entries are computed (all three with ``tensor``).
    tensor : bool
        Also compute the off-diagonal entries.
    mode : {"kuhn", "periodic"}
        Side-wall treatment (module docstring).
    method : {"auto", "lbm", "stokes2d"}
        Solver; "stokes2d" requires extrusion along every requested axis.
    collision : {"trt", "bgk"}
        LBM collision model.
    device : {"cpu", "cuda", "auto"}
        Where LBM runs go.
    voxel_size_m : float, optional
        Voxel edge [m]; overrides the structure's. Enables ``k_m2``.
    tol : float
        Convergence tolerance of LBM runs (relative change of ⟨u⟩ per check).
    max_steps : int, optional
        Step limit of each LBM run (default ``max(20000, 20 L² / ν)``).
    progress : callable, optional
        ``progress(done, 1000)`` from inside every run (each run its share; the LBM
        reports its convergence residual on a log scale); may raise Cancelled.
    tau : float, optional
        Relaxation time (default: :func:`auto_tau` for TRT, :data:`DEFAULT_TAU_BGK` for BGK).
    dtype : {"float32", "float64"}
        LBM population precision.
    level_set : ndarray of float (nz, ny, nx), optional
        Sub-voxel wall positions, > 0 exactly on the pore voxels (a signed distance in
        voxels, or the grey image minus its threshold, signed so that pore > 0): solid
        links use interpolated bounce-back (:mod:`porestudio.physics.lbm.subvoxel`) and
        every axis runs the LBM.
    options : SolverOptions, optional
        All solver options at once (:mod:`porestudio.physics.options`); when given, it
        replaces ``mode``, ``method``, ``collision``, ``device``, ``tol``, ``max_steps``,
        ``tau`` and ``dtype``.

    Returns
    -------
    PermeabilityResult
        Tensor in voxel² (and m² when the voxel size is known).
    """
    pore, dx = _unpack(structure_or_pore, voxel_size_m)
    if options is None:
        options = solver_options(
            mode=mode, method=method, collision=collision, device=device, tol=tol,
            max_steps=max_steps, tau=tau, dtype=dtype,
        )  # fmt: skip
    opts = _prepare(options, pore, level_set)
    wanted = _axes(axes, tensor)
    k = np.full((3, 3), np.nan)
    porosity = float(np.count_nonzero(pore)) / pore.size
    if porosity == 1.0:
        raise InputError("the structure is all pore: the permeability is unbounded")
    runs: list[RunInfo] = []
    notes: list[str] = []
    if porosity == 0.0:
        notes.append("all solid: zero permeability, no flow computed")
        k = np.where(_mask(wanted, tensor), 0.0, np.nan)
        return build_result(k, dx, porosity, opts.mode, tensor, runs, notes)
    # one labelling; a periodic flow needs a path around the periodic domain, not face to face
    periodic = opts.mode == "periodic"
    percolating = dict(zip(AXES_XYZ, percolates(pore, 18, periodic=periodic), strict=True))
    plan = _plan(pore, wanted, tensor, opts, percolating)
    slip: dict[str, FlowResult] = {}
    for i, (a, side) in enumerate(plan):
        start, end = (PROGRESS_TOTAL * j // len(plan) for j in (i, i + 1))
        sub = scaled(progress, start, end - start, PROGRESS_TOTAL)
        info, flow = _direction(pore, a, side, opts, percolating[a], k, sub)
        report(progress, end, PROGRESS_TOTAL)
        runs.append(info)
        if side == "freeslip" and flow is not None:
            slip[a] = flow
    if tensor and opts.mode == "kuhn":
        nu = (opts.tau - 0.5) / 3.0
        notes += kuhn_off_diagonals(k, slip, pore, nu, _force(opts))
    for a in wanted:
        if not percolating[a]:
            where = ("winds around the periodic domain along" if periodic else
                     "connects the two faces normal to")  # fmt: skip
            notes.append(f"no pore path {where} {a}: k_{a}{a} = 0")
    k = np.where(_mask(wanted, tensor), k, np.nan)
    return build_result(k, dx, porosity, opts.mode, tensor, runs, notes)


def _unpack(obj: Structure | np.ndarray, voxel_size_m: float | None) -> tuple[np.ndarray, Any]:
    if isinstance(obj, Structure):
        dx = voxel_size_m if voxel_size_m is not None else obj.voxel_size_m
        return obj.pore, check_voxel_size(dx)
    pore = np.asarray(obj)
    if pore.ndim != 3:
        raise InputError(f"a structure must be 3D (z, y, x); got shape {pore.shape}")
    if pore.dtype != np.bool_:
        raise InputError(f"the pore array must be boolean (True = pore); got {pore.dtype}")
    return pore, check_voxel_size(voxel_size_m)


def _prepare(options: SolverOptions, pore: np.ndarray, level_set) -> _Options:
    """Resolve the device and τ; check the level set (sub-voxel walls run the LBM)."""
    solver = options.resolved()  # "cpu" | "cuda": backends never see "auto"
    if solver.tau is None:
        auto = pore.any() and not pore.all() and solver.collision == "trt"
        solver = dataclasses.replace(solver, tau=auto_tau(pore) if auto else DEFAULT_TAU_BGK)
    if level_set is None:
        return _Options(solver)
    from porestudio.physics.lbm.subvoxel import check_level_set

    phi = check_level_set(level_set, pore)
    if solver.method == "stokes2d":
        raise InputError("sub-voxel walls (a level set) need method lbm or auto")
    return _Options(dataclasses.replace(solver, method="lbm"), phi)


def _axes(axes: str | tuple[str, ...], tensor: bool) -> tuple[str, ...]:
    if tensor or axes == "all":
        return AXES_XYZ
    names = (axes,) if isinstance(axes, str) else tuple(axes)
    for a in names:
        xyz_index(a)  # raises InputError on a bad name
    return tuple(a for a in AXES_XYZ if a in names)


def _mask(wanted: tuple[str, ...], tensor: bool) -> np.ndarray:
    if tensor:
        return np.ones((3, 3), dtype=bool)
    mask = np.zeros((3, 3), dtype=bool)
    for a in wanted:
        mask[xyz_index(a), xyz_index(a)] = True
    return mask


def _plan(pore, wanted, tensor, opts: _Options, percolating) -> list[tuple[str, str]]:
    """(axis, side_bc) of every directional computation, in order."""
    side = "noslip" if opts.mode == "kuhn" else "periodic"
    plan = [(a, side) for a in wanted]
    if tensor and opts.mode == "kuhn":
        plan += [(a, "freeslip") for a in AXES_XYZ]
    if opts.method == "stokes2d":
        for a in wanted:
            if percolating[a] and not _extruded(pore, a):
                raise InputError(
                    f"method stokes2d needs a structure extruded along {a}; use auto or lbm"
                )
    return plan


def _extruded(pore: np.ndarray, axis: str) -> bool:
    return is_extruded(pore, axis)


def _direction(
    pore, axis, side, opts: _Options, percolates: bool, k: np.ndarray, progress
) -> tuple[RunInfo, FlowResult | None]:
    """One directional computation; writes column ``axis`` of ``k`` (except free-slip)."""
    j = xyz_index(axis)
    if not percolates:
        if side != "freeslip":
            k[:, j] = 0.0
        return RunInfo(axis, side, "none", note="not percolating: k = 0"), None
    extruded = _extruded(pore, axis)
    if side == "freeslip" and extruded and opts.method != "lbm":
        return RunInfo(axis, side, "none", note="extruded: off-diagonals 0 by symmetry"), None
    if opts.method != "lbm" and extruded:
        return _stokes2d(pore, axis, side, k), None
    flow, info = _lbm(pore, axis, side, opts, progress)
    if side != "freeslip":
        k[:, j] = (opts.tau - 0.5) / 3.0 * flow.mean_velocity_xyz / _force(opts)
        if side == "noslip":  # side walls block transverse flux: no off-diagonal here
            k[[i for i in range(3) if i != j], j] = np.nan
    return info, flow


def _stokes2d(pore: np.ndarray, axis: str, side: str, k: np.ndarray) -> RunInfo:
    import time

    from porestudio.physics.stokes2d import extruded_permeability

    t0 = time.perf_counter()
    section = np.take(pore, 0, axis=array_axis(axis))
    j = xyz_index(axis)
    k[:, j] = 0.0
    k[j, j] = extruded_permeability(section, side="wall" if side == "noslip" else "periodic")
    return RunInfo(axis, side, "stokes2d", seconds=time.perf_counter() - t0, backend="stokes2d")


def _force(opts: _Options) -> float:
    return FORCE_PER_NU * (opts.tau - 0.5) / 3.0


def _lbm(pore, axis, side, opts: _Options, progress) -> tuple[FlowResult, RunInfo]:
    """One LBM run with the options' collision, τ, force and stopping rule."""
    nu = (opts.tau - 0.5) / 3.0
    run_pore, slab = _slab(pore, axis, side) if opts.level_set is None else (pore, False)
    max_steps = opts.max_steps or max(20_000, int(20 * max(pore.shape) ** 2 / nu))
    problem = FlowProblem(
        run_pore, axis=axis, side_bc=side, collision=opts.collision, tau=opts.tau,
        force=_force(opts), tol=opts.tol, max_steps=int(max_steps), dtype=opts.dtype,
        device=opts.device, level_set=opts.level_set,
    )  # fmt: skip
    result = _backend(opts.device)(problem, progress)
    if slab:  # a one-voxel slab of an extruded structure: rescale the cell counts
        factor = pore.size / run_pore.size
        result = dataclasses.replace(
            result, fluid_cells=int(result.fluid_cells * factor), total_cells=pore.size
        )
    info = RunInfo(
        axis, side, "lbm", result.steps, result.residual, result.converged, result.seconds,
        result.mflups, result.mlups, result.backend, "one-voxel slab (extruded)" if slab else "",
    )  # fmt: skip
    return result, info


def _slab(pore: np.ndarray, axis: str, side: str) -> tuple[np.ndarray, bool]:
    """A one-voxel slab when the structure is extruded along a transverse periodic axis."""
    if side != "periodic":
        return pore, False
    for other in AXES_XYZ:
        a = array_axis(other)
        if other != axis and pore.shape[a] > 1 and _extruded(pore, other):
            return np.take(pore, [0], axis=a), True
    return pore, False


def _backend(device: str):
    if device == "cpu":
        from porestudio.physics.lbm import backend_cpu as lbm_cpu

        return lbm_cpu.run
    from porestudio.physics.lbm import backend_triton as lbm_triton

    return lbm_triton.run
