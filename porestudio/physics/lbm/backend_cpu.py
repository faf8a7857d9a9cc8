"""CPU lattice-Boltzmann backend: sparse D3Q19, fused pull stream-collide in numba.

``run(problem, progress=None) -> FlowResult`` (contract in :mod:`porestudio.physics.lbm.flow`).

* Lattice and boundary conditions: :mod:`porestudio.physics.lbm.lattice` (fluid cells only,
  pull table with periodic wrap, halfway bounce-back, no-slip / free-slip side walls,
  Zou–He or anti-bounce-back pressure ends).
* Collision: TRT (default, ``magic`` Λ = 3/16 puts bounce-back walls exactly halfway,
  so the permeability does not depend on τ) or BGK (``ω⁺ = ω⁻ = 1/τ``, as in the paper).
* Forcing: Guo body force split into its symmetric and antisymmetric parts, each scaled
  by ``1 - ω±/2``; the reported velocity includes the ``F/2`` shift.
* Storage: deviations ``f - W`` in float32 (default) or float64, two buffers.
* Convergence: :mod:`porestudio.physics.lbm.convergence` (relative change of the
  superficial velocity between checks ``check_every`` steps apart below ``tol`` for
  three checks in a row).
"""

from __future__ import annotations

import logging

import numpy as np

from porestudio.physics.lbm.flow import FlowProblem, FlowResult
from porestudio.physics.lbm.lattice import (
    WALL_BB,
    WALL_SPECULAR,
    SparseLattice,
    boundary_momentum,
    lattice_for,
)
from porestudio.physics.lbm.loop import Sums, check_problem, drive, relaxation_rates
from porestudio.physics.lbm.pressure_ends import driving_terms
from porestudio.progress import ProgressFn

log = logging.getLogger(__name__)

SERIAL_BELOW: int = 32_768
"""Fluid-cell count under which the kernels run on one thread (no fork/join overhead)."""


def run(problem: FlowProblem, progress: ProgressFn | None = None) -> FlowResult:
    """Run one steady flow on the CPU until converged or ``max_steps``.

    Parameters
    ----------
    problem : FlowProblem
        Geometry, boundary conditions, collision and stopping rule (lattice units).
    progress : callable, optional
        ``progress(done, total)`` after every check (the residual on a log scale,
        :class:`porestudio.physics.lbm.loop.ResidualProgress`); may raise Cancelled.

    Returns
    -------
    FlowResult
        Superficial velocity (x, y, z), steps, residual, timing and the side-wall force.
    """
    check_problem(problem)
    lattice = lattice_for(problem)
    return run_lattice(lattice, problem, progress)


def run_lattice(
    lattice: SparseLattice, problem: FlowProblem, progress: ProgressFn | None = None
) -> FlowResult:
    """Like :func:`run` on an already built lattice (reuse it for several τ or forces)."""
    import numba

    check_problem(problem)
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
    from porestudio.physics.lbm import kernels_numba as kn

    omega_p, omega_m = relaxation_rates(problem.collision, problem.tau, problem.magic)
    (fx, fy, fz), rho_in, rho_out = driving_terms(problem, lattice.shape)
    n = lattice.n_fluid
    fa = np.zeros(lattice.population_size, dtype=np.dtype(problem.dtype))
    fb = np.zeros_like(fa)
    src = lattice.src
    ghosts = (
        lattice.ghost_idx,
        lattice.ghost_coef.astype(fa.dtype),
        lattice.ghost_rho.astype(fa.dtype),
        lattice.ghost_side,
    )
    n_total = lattice.n_total
    par = kn.kernel_params(fa.dtype, omega_p, omega_m, fx, fy, fz)
    kn.stream_collide(fa, fb, src, 0, par)  # compile / load, no work
    kn.velocity_sums(fa, 0, fx, fy, fz)
    bufs = [fa, fb]

    def advance(k: int) -> Sums:
        for _ in range(k):
            if lattice.n_ghost:
                kn.fill_ghosts(bufs[0], n, *ghosts, rho_in, rho_out)
            kn.stream_collide(bufs[0], bufs[1], src, n, par)
            bufs.reverse()
        sums = kn.velocity_sums(bufs[0], n, fx, fy, fz)
        return Sums(np.array(sums[:3], dtype=np.float64), float(sums[4]))

    out = drive(advance, problem, n_total, progress)
    seconds = max(out.seconds, 1e-12)
    log.info(
        "lbm-cpu %s/%s: %d steps, residual %.2e, %.1f s, %.1f MFLUPS",
        problem.axis, problem.side_bc, out.steps, out.residual, seconds,
        n * out.steps / seconds / 1e6,
    )  # fmt: skip
    wall = boundary_momentum(lattice, bufs[0], (WALL_SPECULAR, WALL_BB))
    return out.result(n, n_total, "cpu-numba", wall)
