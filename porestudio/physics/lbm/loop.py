"""What every LBM backend shares: problem validation, relaxation rates, the stopping loop.

A backend supplies ``advance(k)`` (run ``k`` steps, return the velocity sums after the
last one); :func:`drive` calls it in chunks of ``check_every`` steps, checks stability,
applies the stopping rule of :mod:`porestudio.physics.lbm.convergence` and reports
progress. Progress is the convergence residual on a log scale
(:class:`ResidualProgress`): 0 at the first check, :data:`PROGRESS_TOTAL` when the residual
reaches ``tol``, never going back — so a bar moves through a run instead of sitting at
``steps / max_steps`` ≈ 0 until the run converges.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np

from porestudio.errors import InputError, SolverError
from porestudio.physics.lbm.flow import FlowProblem, FlowResult
from porestudio.physics.lbm.pressure_ends import PRESSURE_RULES
from porestudio.progress import ProgressFn, report
from porestudio.units import xyz_index

U_LIMIT: float = 0.3
"""Largest |u| (lattice units) tolerated before a run is declared unstable."""
PROGRESS_TOTAL: int = 1000
"""The ``total`` of every progress report of a run (per mille of the way to ``tol``)."""


def relaxation_rates(collision: str, tau: float, magic: float) -> tuple[float, float]:
    """Relaxation rates (ω⁺, ω⁻) of the symmetric and antisymmetric moments.

    Parameters
    ----------
    collision : {"trt", "bgk"}
        Collision model.
    tau : float
        Relaxation time of the symmetric moments (> 1/2); ν = (τ − 1/2)/3.
    magic : float
        TRT magic parameter Λ = (1/ω⁺ − 1/2)(1/ω⁻ − 1/2).
    """
    if not np.isfinite(tau) or tau <= 0.5:
        raise InputError(f"tau must be larger than 0.5 (viscosity > 0); got {tau}")
    if collision == "bgk":
        return 1.0 / tau, 1.0 / tau
    if collision != "trt":
        raise InputError(f"unknown collision {collision!r}; use trt or bgk")
    if not np.isfinite(magic) or magic <= 0.0:
        raise InputError(f"TRT magic parameter must be positive; got {magic}")
    tau_m = 0.5 + magic / (tau - 0.5)
    return 1.0 / tau, 1.0 / tau_m


def check_problem(problem: FlowProblem) -> None:
    """Refuse a :class:`FlowProblem` no backend can run (InputError, one line)."""
    pore = np.asarray(problem.pore)
    if pore.ndim != 3 or pore.dtype != np.bool_:
        raise InputError(f"pore must be a 3D boolean array; got {pore.dtype} {pore.shape}")
    if problem.dtype not in ("float32", "float64"):
        raise InputError(f"dtype must be float32 or float64; got {problem.dtype!r}")
    if problem.max_steps < 1:
        raise InputError(f"max_steps must be at least 1; got {problem.max_steps}")
    if not np.isfinite(problem.force) or problem.force == 0.0:
        raise InputError(f"the driving force must be a non-zero number; got {problem.force}")
    if problem.driving not in ("force", "pressure"):
        raise InputError(f"unknown driving {problem.driving!r}; use force or pressure")
    if problem.pressure_bc not in PRESSURE_RULES:
        raise InputError(
            f"unknown pressure rule {problem.pressure_bc!r}; use zou-he or anti-bounce-back"
        )
    if problem.driving == "pressure" and pore.shape[::-1][xyz_index(problem.axis)] < 2:
        raise InputError("pressure driving needs at least two voxels along the flow axis")


def check_stable(umax: float, sums_xyz: np.ndarray, steps: int, problem: FlowProblem) -> None:
    """Raise SolverError when velocities blew up (NaN, inf or above :data:`U_LIMIT`)."""
    if not (np.isfinite(umax) and np.all(np.isfinite(sums_xyz))) or umax > U_LIMIT:
        raise SolverError(
            f"LBM run along {problem.axis} became unstable after {steps} steps "
            f"(|u| = {umax:.3g}); lower the force or raise tau"
        )


@dataclasses.dataclass(frozen=True)
class Sums:
    """Velocity sums over the fluid cells after a step (float64, lattice units)."""

    xyz: np.ndarray
    """Sum of the cell velocities (x, y, z)."""
    umax: float
    """Largest cell speed measure (backend-defined, compared with :data:`U_LIMIT`)."""


@dataclasses.dataclass(frozen=True)
class LoopOutcome:
    """What :func:`drive` returns: the stopping state of a run."""

    sums: Sums
    steps: int
    residual: float
    converged: bool
    seconds: float

    def result(
        self, fluid_cells: int, total_cells: int, backend: str, wall_force_xyz: np.ndarray
    ) -> FlowResult:
        """The :class:`FlowResult` of this outcome (superficial velocity over all voxels)."""
        return FlowResult(
            mean_velocity_xyz=self.sums.xyz / total_cells,
            steps=self.steps,
            residual=self.residual,
            converged=self.converged,
            seconds=self.seconds,
            fluid_cells=fluid_cells,
            total_cells=total_cells,
            backend=backend,
            wall_force_xyz=wall_force_xyz,
        )


class ResidualProgress:
    """Progress of one run: the residual on a log scale, or the steps, whichever is further.

    ``done = TOTAL · log(r₀ / r) / log(r₀ / tol)`` with ``r₀`` the first finite residual,
    at least ``TOTAL · steps / max_steps``, never decreasing, and ``TOTAL`` only when the
    run stops.
    """

    def __init__(self, progress: ProgressFn | None, tol: float, max_steps: int) -> None:
        self.progress = progress
        self.tol = float(tol)
        self.max_steps = max(int(max_steps), 1)
        self.first: float | None = None
        self.done = 0

    def update(self, steps: int, residual: float) -> int:
        """Report one check; returns the per-mille value reported."""
        frac = steps / self.max_steps
        if self.tol > 0 and math.isfinite(residual) and residual > 0:
            if self.first is None:
                self.first = max(residual, self.tol * 10)
            span = math.log(self.first / self.tol)
            frac = max(frac, math.log(self.first / residual) / span)
        value = min(int(PROGRESS_TOTAL * frac), PROGRESS_TOTAL - 1)
        self.done = max(self.done, value)
        report(self.progress, self.done, PROGRESS_TOTAL)
        return self.done

    def finish(self) -> None:
        """The run stopped (converged or at its step limit): report the total."""
        self.done = PROGRESS_TOTAL
        report(self.progress, PROGRESS_TOTAL, PROGRESS_TOTAL)


def drive(
    advance: Callable[[int], Sums],
    problem: FlowProblem,
    n_total: int,
    progress: ProgressFn | None = None,
    sync: Callable[[], None] | None = None,
) -> LoopOutcome:
    """The stopping loop of every backend.

    Parameters
    ----------
    advance : callable
        ``advance(k)`` runs ``k`` steps and returns the velocity sums after the last one.
    problem : FlowProblem
        Supplies ``axis``, ``tol``, ``max_steps`` and ``check_every``.
    n_total : int
        Voxel count (fluid and solid): the superficial velocity divides by it.
    progress : callable, optional
        ``progress(done, PROGRESS_TOTAL)`` after every check (:class:`ResidualProgress`);
        may raise Cancelled.
    sync : callable, optional
        Waits for the device before the clock is read.
    """
    from porestudio.physics.lbm.convergence import Convergence

    every = max(1, int(problem.check_every))
    stop, steps = Convergence(xyz_index(problem.axis), problem.tol), 0
    bar = ResidualProgress(progress, problem.tol, problem.max_steps)
    sums = Sums(np.zeros(3), 0.0)
    t0 = time.perf_counter()
    while steps < problem.max_steps:
        chunk = min(every, problem.max_steps - steps)
        sums = advance(chunk)
        steps += chunk
        check_stable(sums.umax, sums.xyz, steps, problem)
        stop.update(np.asarray(sums.xyz, dtype=np.float64) / n_total)
        if stop.converged:
            break
        bar.update(steps, stop.residual)
    if sync is not None:
        sync()
    seconds = time.perf_counter() - t0
    bar.finish()
    return LoopOutcome(sums, steps, float(stop.residual), stop.converged, seconds)
