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
    velocity of such a run is zero at steady state; the walls instead sustain a transverse
    mean pressure gradient. We measure it exactly as the wall momentum exchange ``W``
    (:func:`porestudio.physics.lattice.boundary_momentum`) and take the total driving of
    run ``j`` as ``g_j = F e_j + W / n_fluid``; Darcy's law ``ν ⟨u⟩_j = K g_j`` for the
    three runs gives ``K_slip = ν U G⁻¹``, whose off-diagonals are reported.
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

Relaxation time: TRT with Λ = 3/16 makes ``k`` independent of τ (verified to 1e-4), so
the default τ is the one expected to converge fastest (:func:`auto_tau`). Measured steps to
tol 1e-6 (40³ sphere cell c = 0.2 / 40³ GRF φ = 0.35): τ 0.8: 7200 / 1200, 1.0: 4600 / 1100,
1.5: 2500 / 2100, 2.0: 1700 / 3100, 3.0: 1100 / -, 6.0: 500 / -. Open pores converge by
viscous diffusion (faster with large ν), tight pores by pressure diffusion (∝ k/ν, faster
with small ν), so τ follows the mean pore width. BGK (``collision="bgk"``, as in the
paper) uses τ = 1 and its k depends on τ.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np
from scipy import ndimage

from porestudio.errors import InputError
from porestudio.physics.flow import FlowProblem, FlowResult
from porestudio.progress import ProgressFn, scaled
from porestudio.structures.volume import Structure
from porestudio.units import (
    AXES_XYZ,
    DARCY_M2,
    array_axis,
    check_voxel_size,
    permeability_from_lattice,
    xyz_index,
)

log = logging.getLogger(__name__)

TAU_RANGE_TRT: tuple[float, float] = (0.8, 3.0)
"""Range of the automatic TRT τ (k does not depend on it; only the step count does)."""
DEFAULT_TAU_BGK: float = 1.0
"""τ of BGK runs (k depends on τ with BGK)."""
FORCE_PER_NU: float = 2e-5
"""Body force = FORCE_PER_NU · ν: keeps velocities (∝ F/ν) and Reynolds numbers small."""

_MODES = ("kuhn", "periodic")
_METHODS = ("auto", "lbm", "stokes2d")
_LINKS_18 = ndimage.generate_binary_structure(3, 2)


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """One directional computation of a permeability result."""

    axis: str
    side_bc: str
    method: str
    steps: int = 0
    residual: float = 0.0
    converged: bool = True
    seconds: float = 0.0
    mflups: float = 0.0
    mlups: float = 0.0
    backend: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, eq=False)
class PermeabilityResult:
    """Permeability tensor, (x, y, z) order; NaN = not computed.

    Attributes
    ----------
    k_lu : ndarray (3, 3)
        Permeability in lattice units [voxel²].
    k_m2 : ndarray (3, 3) or None
        Permeability [m²] when the voxel size is known.
    porosity : float
        Pore fraction.
    method : str
        "lbm", "stokes2d", "lbm+stokes2d" or "none" (nothing had to run).
    mode : str
        "kuhn" or "periodic".
    tensor : bool
        Whether off-diagonals were computed.
    runs : tuple of RunInfo
        Every directional computation.
    notes : tuple of str
        Shortcuts taken (non-percolating axes, all-solid structure...).
    voxel_size_m : float or None
        Voxel edge [m].
    """

    k_lu: np.ndarray
    k_m2: np.ndarray | None
    porosity: float
    method: str
    mode: str
    tensor: bool
    runs: tuple[RunInfo, ...]
    notes: tuple[str, ...] = ()
    voxel_size_m: float | None = None

    @property
    def asymmetry(self) -> float:
        """‖K − Kᵀ‖ / ‖K‖ (Frobenius); NaN unless the full tensor was computed."""
        k = self.k_lu
        if np.isnan(k).any():
            return float("nan")
        norm = np.linalg.norm(k)
        return float(np.linalg.norm(k - k.T) / norm) if norm > 0 else 0.0

    @property
    def k_darcy(self) -> np.ndarray | None:
        """Permeability [darcy] when the voxel size is known."""
        return None if self.k_m2 is None else self.k_m2 / DARCY_M2

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN → None)."""
        return {
            "porosity": self.porosity,
            "method": self.method,
            "mode": self.mode,
            "tensor": self.tensor,
            "voxel_size_m": self.voxel_size_m,
            "k_lu": _jsonable(self.k_lu),
            "k_m2": None if self.k_m2 is None else _jsonable(self.k_m2),
            "k_darcy": None if self.k_darcy is None else _jsonable(self.k_darcy),
            "asymmetry": None if np.isnan(self.asymmetry) else self.asymmetry,
            "runs": [r.to_dict() for r in self.runs],
            "notes": list(self.notes),
        }


@dataclasses.dataclass(frozen=True)
class _Options:
    mode: str
    method: str
    collision: str
    device: str
    tau: float
    tol: float
    max_steps: int | None
    dtype: str


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
        ``progress(done, total)``; may raise Cancelled.
    tau : float, optional
        Relaxation time (default: :func:`auto_tau` for TRT, :data:`DEFAULT_TAU_BGK` for BGK).
    dtype : {"float32", "float64"}
        LBM population precision.

    Returns
    -------
    PermeabilityResult
        Tensor in voxel² (and m² when the voxel size is known).
    """
    pore, dx = _unpack(structure_or_pore, voxel_size_m)
    opts = _options(mode, method, collision, device, tau, tol, max_steps, dtype)
    if tau is None and pore.any() and not pore.all():
        tau = auto_tau(pore) if collision == "trt" else DEFAULT_TAU_BGK
        opts = dataclasses.replace(opts, tau=tau)
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
        return _result(k, dx, porosity, opts, tensor, runs, notes)
    percolating = {a: _percolates(pore, a) for a in AXES_XYZ}
    plan = _plan(pore, wanted, tensor, opts, percolating)
    slip: dict[str, FlowResult] = {}
    for i, (a, side) in enumerate(plan):
        sub = scaled(progress, i * 1000, 1000, len(plan) * 1000)
        info, flow = _direction(pore, a, side, opts, percolating[a], k, sub)
        runs.append(info)
        if side == "freeslip" and flow is not None:
            slip[a] = flow
    if tensor and opts.mode == "kuhn":
        _kuhn_off_diagonals(k, slip, opts)
    for a in wanted:
        if not percolating[a]:
            notes.append(f"pore space does not connect the two faces normal to {a}: k_{a}{a} = 0")
    k = np.where(_mask(wanted, tensor), k, np.nan)
    return _result(k, dx, porosity, opts, tensor, runs, notes)


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


def _options(mode, method, collision, device, tau, tol, max_steps, dtype) -> _Options:  # noqa: PLR0913
    if mode not in _MODES:
        raise InputError(f"unknown mode {mode!r}; use kuhn or periodic")
    if method not in _METHODS:
        raise InputError(f"unknown method {method!r}; use auto, lbm or stokes2d")
    if collision not in ("trt", "bgk"):
        raise InputError(f"unknown collision {collision!r}; use trt or bgk")
    if not (np.isfinite(tol) and 0 < tol < 1):
        raise InputError(f"tol must be between 0 and 1; got {tol}")
    if max_steps is not None and int(max_steps) < 1:
        raise InputError(f"max_steps must be a positive integer; got {max_steps}")
    if dtype not in ("float32", "float64"):
        raise InputError(f"dtype must be float32 or float64; got {dtype!r}")
    if tau is not None and not (np.isfinite(tau) and tau > 0.5):
        raise InputError(f"tau must be larger than 0.5; got {tau}")
    dev = str(device).lower()
    if dev not in ("cpu", "cuda", "auto") and not dev.startswith("cuda:"):
        raise InputError(f"unknown device {device!r}; use cpu, cuda or auto")
    tau = DEFAULT_TAU_BGK if tau is None else float(tau)
    return _Options(mode, method, collision, dev, tau, float(tol), max_steps, dtype)


def auto_tau(pore: np.ndarray) -> float:
    """TRT relaxation time expected to converge fastest: ν = 0.05 · mean pore width.

    The mean pore width is twice the mean Euclidean distance of pore voxels to the solid
    (periodic wrap). Clamped to :data:`TAU_RANGE_TRT`.

    Parameters
    ----------
    pore : ndarray of bool (nz, ny, nx)
        True = pore.

    Returns
    -------
    float
        τ (lattice units).
    """
    pad = np.pad(pore, 1, mode="wrap")
    depth = ndimage.distance_transform_edt(pad)[1:-1, 1:-1, 1:-1][pore]
    nu = 0.05 * 2.0 * float(depth.mean())
    lo, hi = TAU_RANGE_TRT
    return float(np.clip(0.5 + 3.0 * nu, lo, hi))


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


def _percolates(pore: np.ndarray, axis: str) -> bool:
    """Whether one 18-connected pore cluster touches both faces normal to ``axis``."""
    labels, count = ndimage.label(pore, structure=_LINKS_18)
    if count == 0:
        return False
    a = array_axis(axis)
    first = np.unique(np.take(labels, 0, axis=a))
    last = np.unique(np.take(labels, -1, axis=a))
    common = np.intersect1d(first, last)
    return bool(common[common > 0].size)


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
    a = array_axis(axis)
    return bool((pore == np.take(pore, [0], axis=a)).all())


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
    run_pore, slab = _slab(pore, axis, side)
    max_steps = opts.max_steps or max(20_000, int(20 * max(pore.shape) ** 2 / nu))
    problem = FlowProblem(
        run_pore, axis=axis, side_bc=side, collision=opts.collision, tau=opts.tau,
        force=_force(opts), tol=opts.tol, max_steps=int(max_steps), dtype=opts.dtype,
        device=opts.device,
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
        from porestudio.physics import lbm_cpu

        return lbm_cpu.run
    from porestudio.physics.device import resolve_device

    if resolve_device(device) == "cpu":
        from porestudio.physics import lbm_cpu

        return lbm_cpu.run
    from porestudio.physics import lbm_triton

    return lbm_triton.run


def _kuhn_off_diagonals(k: np.ndarray, slip: dict[str, FlowResult], opts: _Options) -> None:
    """Off-diagonals of ``k`` from the free-slip runs: ``K_slip = ν U G⁻¹`` (in place).

    Axes without a free-slip run (not percolating, or extruded: zero by symmetry) get
    zero off-diagonals; the system is solved on the remaining axes.
    """
    for i in range(3):
        for j in range(3):
            if i != j:
                k[i, j] = 0.0
    done = [xyz_index(a) for a in AXES_XYZ if a in slip]
    if len(done) < 2:
        return
    nu = (opts.tau - 0.5) / 3.0
    u = np.zeros((3, 3))
    g = np.zeros((3, 3))
    for a, flow in slip.items():
        j = xyz_index(a)
        u[:, j] = nu * flow.mean_velocity_xyz
        g[j, j] = _force(opts)
        if flow.wall_force_xyz is not None:
            g[:, j] += np.asarray(flow.wall_force_xyz) / flow.fluid_cells
    sel = np.ix_(done, done)
    k_slip = u[sel] @ np.linalg.inv(g[sel])
    for r, i in enumerate(done):
        for c, j in enumerate(done):
            if i != j:
                k[i, j] = k_slip[r, c]


def _result(k, dx, porosity, opts: _Options, tensor, runs, notes) -> PermeabilityResult:
    methods = sorted({r.method for r in runs if r.method != "none"})
    method = "+".join(methods) if methods else "none"
    k_m2 = None if dx is None else np.asarray(permeability_from_lattice(k, "m2", dx))
    return PermeabilityResult(
        k_lu=k, k_m2=k_m2, porosity=porosity, method=method, mode=opts.mode, tensor=tensor,
        runs=tuple(runs), notes=tuple(notes), voxel_size_m=dx,
    )  # fmt: skip


def _jsonable(arr: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else float(v) for v in row] for row in np.asarray(arr)]
