"""CPU lattice-Boltzmann backend: sparse D3Q19, fused pull stream-collide in numba.

``run(problem, progress=None) -> FlowResult`` (contract in :mod:`porestudio.physics.flow`).

* Lattice and boundary conditions: :mod:`porestudio.physics.lattice` (fluid cells only,
  pull table with periodic wrap, halfway bounce-back, no-slip / free-slip side walls,
  Zou–He or anti-bounce-back pressure ends).
* Collision: TRT (default, ``magic`` Λ = 3/16 puts bounce-back walls exactly halfway,
  so the permeability does not depend on τ) or BGK (``ω⁺ = ω⁻ = 1/τ``, as in the paper).
* Forcing: Guo body force split into its symmetric and antisymmetric parts, each scaled
  by ``1 - ω±/2``; the reported velocity includes the ``F/2`` shift.
* Storage: deviations ``f - W`` in float32 (default) or float64, two buffers.
* Convergence: :mod:`porestudio.physics._convergence` (relative change of the
  superficial velocity between checks ``check_every`` steps apart below ``tol`` for
  three checks in a row).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from porestudio.errors import InputError, SolverError
from porestudio.physics._convergence import Convergence
from porestudio.physics._pressure_ends import PRESSURE_RULES, driving_terms
from porestudio.physics.flow import FlowProblem, FlowResult
from porestudio.physics.lattice import (
    WALL_BB,
    WALL_SPECULAR,
    SparseLattice,
    boundary_momentum,
    lattice_for,
)
from porestudio.progress import ProgressFn, report
from porestudio.units import xyz_index

log = logging.getLogger(__name__)

U_LIMIT: float = 0.3
"""Largest |u| (lattice units) tolerated before a run is declared unstable."""
SERIAL_BELOW: int = 32_768
"""Fluid-cell count under which the kernels run on one thread (no fork/join overhead)."""


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


def run(problem: FlowProblem, progress: ProgressFn | None = None) -> FlowResult:
    """Run one steady flow on the CPU until converged or ``max_steps``.

    Parameters
    ----------
    problem : FlowProblem
        Geometry, boundary conditions, collision and stopping rule (lattice units).
    progress : callable, optional
        ``progress(steps, max_steps)`` after every check; may raise Cancelled.

    Returns
    -------
    FlowResult
        Superficial velocity (x, y, z), steps, residual, timing and the side-wall force.
    """
    _check_problem(problem)
    lattice = lattice_for(problem)
    return run_lattice(lattice, problem, progress)


def run_lattice(
    lattice: SparseLattice, problem: FlowProblem, progress: ProgressFn | None = None
) -> FlowResult:
    """Like :func:`run` on an already built lattice (reuse it for several τ or forces)."""
    import numba

    _check_problem(problem)
    threads = numba.get_num_threads()
    if lattice.n_fluid < SERIAL_BELOW:
        numba.set_num_threads(1)
    try:
        return _time_loop(lattice, problem, progress)
    finally:
        numba.set_num_threads(threads)


def _time_loop(
    lattice: SparseLattice, problem: FlowProblem, progress: ProgressFn | None
) -> FlowResult:
    from porestudio.physics import _kernels_numba as kn

    omega_p, omega_m = relaxation_rates(problem.collision, problem.tau, problem.magic)
    (fx, fy, fz), rho_in, rho_out = driving_terms(problem, lattice.shape)
    n, ax = lattice.n_fluid, xyz_index(problem.axis)
    fa = np.zeros(lattice.population_size, dtype=np.dtype(problem.dtype))
    fb = np.zeros_like(fa)
    src = lattice.src
    ghosts = (
        lattice.ghost_idx,
        lattice.ghost_coef.astype(fa.dtype),
        lattice.ghost_rho.astype(fa.dtype),
        lattice.ghost_side,
    )
    stop, steps = Convergence(ax, problem.tol), 0
    every = max(1, int(problem.check_every))
    par = kn.kernel_params(fa.dtype, omega_p, omega_m, fx, fy, fz)
    kn.stream_collide(fa, fb, src, 0, par)  # compile / load, no work
    kn.velocity_sums(fa, 0, fx, fy, fz)
    t0 = time.perf_counter()
    while steps < problem.max_steps:
        chunk = min(every, problem.max_steps - steps)
        for _ in range(chunk):
            if lattice.n_ghost:
                kn.fill_ghosts(fa, n, *ghosts, rho_in, rho_out)
            kn.stream_collide(fa, fb, src, n, par)
            fa, fb = fb, fa
        steps += chunk
        sums = kn.velocity_sums(fa, n, fx, fy, fz)
        _check_stable(sums[4], steps, problem)
        stop.update(np.array(sums[:3]) / lattice.n_total)
        report(progress, steps, problem.max_steps)
        if stop.converged:
            break
    seconds = time.perf_counter() - t0
    log.info(
        "lbm-cpu %s/%s: %d steps, residual %.2e, %.1f s, %.1f MFLUPS",
        problem.axis, problem.side_bc, steps, stop.residual, seconds, n * steps / seconds / 1e6,
    )  # fmt: skip
    return FlowResult(
        mean_velocity_xyz=np.array(kn.velocity_sums(fa, n, fx, fy, fz)[:3]) / lattice.n_total,
        steps=steps,
        residual=float(stop.residual),
        converged=stop.converged,
        seconds=seconds,
        fluid_cells=n,
        total_cells=lattice.n_total,
        backend="cpu-numba",
        wall_force_xyz=boundary_momentum(lattice, fa, (WALL_SPECULAR, WALL_BB)),
    )


def _check_stable(umax: float, steps: int, problem: FlowProblem) -> None:
    if not np.isfinite(umax) or umax > U_LIMIT:
        raise SolverError(
            f"LBM run along {problem.axis} became unstable after {steps} steps "
            f"(|u| = {umax:.3g}); lower the force or raise tau"
        )


def _check_problem(problem: FlowProblem) -> None:
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
