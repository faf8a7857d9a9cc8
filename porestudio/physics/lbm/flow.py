"""The flow-solver contract shared by every LBM backend (CPU numba, CUDA Triton).

A backend is a function ``run(problem: FlowProblem, progress=None) -> FlowResult``.
Lattice units throughout: voxel edge = 1, time step = 1.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

Collision = Literal["trt", "bgk"]
SideBC = Literal["periodic", "noslip", "freeslip"]
Driving = Literal["force", "pressure"]
PressureBC = Literal["zou-he", "anti-bounce-back"]

TRT_MAGIC_DEFAULT: float = 3.0 / 16.0
"""Λ = 3/16: halfway bounce-back walls sit exactly halfway, k independent of τ."""


@dataclasses.dataclass(frozen=True)
class FlowProblem:
    """One steady single-phase flow run on a voxel image.

    Parameters
    ----------
    pore : ndarray of bool, shape (nz, ny, nx)
        True = fluid. Solid voxels are halfway bounce-back obstacles.
    axis : {"x", "y", "z"}
        Direction of the driving body force / pressure drop.
    side_bc : {"periodic", "noslip", "freeslip"}
        Boundary on the four domain faces parallel to ``axis``. The two faces normal to
        ``axis`` are periodic (force driving) or inlet/outlet (pressure driving).
    driving : {"force", "pressure"}
        Guo body force with periodic ends, or pressure inlet/outlet.
    pressure_bc : {"zou-he", "anti-bounce-back"}
        Rule of the pressure ends (:mod:`porestudio.physics.lbm.pressure_ends`): Zou–He
        prescribes the density on the end-layer cell centres (pressure drop over L − 1
        voxels), anti-bounce-back on the end faces (over L voxels).
    collision : {"trt", "bgk"}
        Two-relaxation-time (default) or BGK.
    tau : float
        Relaxation time of the symmetric moments; ν = (τ − 1/2)/3.
    magic : float
        TRT magic parameter Λ (ignored for BGK).
    force : float
        Body-force density (force driving) or the equivalent pressure gradient Δp/L_p
        (pressure driving, L_p as in ``pressure_bc``), lattice units.
    tol : float
        Convergence: relative change of the mean velocity along ``axis`` over
        ``check_every`` steps below ``tol``.
    max_steps : int
        Step limit.
    check_every : int
        Steps between convergence checks.
    dtype : {"float32", "float64"}
        Population precision.
    device : str
        "cpu" or "cuda" (the backend that runs it).
    level_set : ndarray of float (nz, ny, nx), optional
        Sub-voxel wall positions: > 0 exactly on the pore voxels, <= 0 in the solid,
        sampled at voxel centres (a signed distance in voxels, or a grey image minus its
        threshold). Solid links then use linear interpolated bounce-back
        (:mod:`porestudio.physics.lbm.subvoxel`) instead of halfway bounce-back.
    """

    pore: np.ndarray
    axis: str = "x"
    side_bc: SideBC = "periodic"
    driving: Driving = "force"
    pressure_bc: PressureBC = "zou-he"
    collision: Collision = "trt"
    tau: float = 1.0
    magic: float = TRT_MAGIC_DEFAULT
    force: float = 1e-5
    tol: float = 1e-6
    max_steps: int = 200_000
    check_every: int = 100
    dtype: str = "float32"
    device: str = "cpu"
    level_set: np.ndarray | None = None

    @property
    def viscosity(self) -> float:
        """Kinematic viscosity ν = (τ − 1/2)/3 [lattice units]."""
        return (self.tau - 0.5) / 3.0


@dataclasses.dataclass(frozen=True)
class FlowResult:
    """Outcome of one flow run.

    Attributes
    ----------
    mean_velocity_xyz : ndarray, shape (3,)
        Superficial (Darcy) velocity: sum of fluid velocities / total voxel count,
        ordered (x, y, z), lattice units. With Guo forcing it includes the F/2 shift.
    steps : int
        Time steps taken.
    residual : float
        Last relative change of the mean velocity along the driving axis.
    converged : bool
        Whether ``residual < tol`` was reached before ``max_steps``.
    seconds : float
        Wall time of the time loop.
    fluid_cells : int
        Number of fluid voxels updated per step.
    backend : str
        e.g. "cpu-numba", "cuda-triton".
    wall_force_xyz : ndarray, shape (3,), or None
        Force the side walls exert on the fluid per time step (x, y, z), lattice units,
        from momentum exchange on the final populations
        (:func:`porestudio.physics.lbm.lattice.boundary_momentum` with WALL_SPECULAR and
        WALL_BB links). Needed by the Kuhn off-diagonal permeabilities; None if the
        backend did not compute it.
    """

    mean_velocity_xyz: np.ndarray
    steps: int
    residual: float
    converged: bool
    seconds: float
    fluid_cells: int
    total_cells: int
    backend: str
    wall_force_xyz: np.ndarray | None = None

    @property
    def mflups(self) -> float:
        """Million fluid-lattice-cell updates per second."""
        return self.fluid_cells * self.steps / max(self.seconds, 1e-12) / 1e6

    @property
    def mlups(self) -> float:
        """Million lattice-cell updates per second counting every voxel (solid included)."""
        return self.total_cells * self.steps / max(self.seconds, 1e-12) / 1e6
