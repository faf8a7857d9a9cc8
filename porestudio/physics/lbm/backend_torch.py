"""Eager torch LBM backend: the GPU fallback where Triton is absent, and the reference of
the fused Triton kernel (:mod:`porestudio.physics.lbm.backend_triton`).

``run(problem, progress=None) -> FlowResult`` with the same physics as
:mod:`porestudio.physics.lbm.backend_cpu`: the sparse D3Q19 lattice of
:mod:`porestudio.physics.lbm.lattice` (pull table ``src``), populations stored as deviations
``f - W``, TRT/BGK collision with the Guo body force split into symmetric and
antisymmetric parts, Zou–He / anti-bounce-back ghost slots for pressure driving. Runs on
CPU torch (``problem.device == "cpu"``) or CUDA. All arithmetic is element-wise (no matrix
products, so no TF32 rounding on the GPU).

The stopping loop is :func:`porestudio.physics.lbm.loop.drive`, shared by every backend.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.physics.lbm.flow import FlowProblem, FlowResult
from porestudio.physics.lbm.lattice import (
    OPP,
    WALL_BB,
    WALL_SPECULAR,
    C,
    Q,
    SparseLattice,
    W,
    lattice_for,
)
from porestudio.physics.lbm.loop import Sums, check_problem, drive, relaxation_rates
from porestudio.physics.lbm.pressure_ends import driving_terms
from porestudio.progress import ProgressFn

log = logging.getLogger(__name__)


def torch_device(problem: FlowProblem) -> Any:
    """The torch device of a problem (``"cpu"`` or ``"cuda"``), checked."""
    import torch

    from porestudio.physics.device import cuda_available

    name = str(problem.device).lower()
    if name.startswith("cuda"):
        if not cuda_available():
            raise InputError("CUDA requested but not available")
        return torch.device("cuda")
    if name != "cpu":
        raise InputError(f"unknown device {problem.device!r}; use cpu or cuda")
    return torch.device("cpu")


def torch_dtype(problem: FlowProblem) -> Any:
    """torch dtype of the populations."""
    import torch

    return torch.float32 if problem.dtype == "float32" else torch.float64


class TorchLattice:
    """Device copies of the parts of a :class:`SparseLattice` the torch step needs."""

    def __init__(
        self, lattice: SparseLattice, device: Any, dtype: Any, with_src: bool = True
    ) -> None:
        import torch

        n = lattice.n_fluid
        self.n = n
        self.device, self.dtype = device, dtype
        self.src = None
        if with_src:
            flat = lattice.src.reshape(-1).astype(np.int64)
            self.src = torch.as_tensor(flat, device=device)
        self.opp = torch.as_tensor(OPP, device=device)
        self.w = torch.as_tensor(W, dtype=dtype, device=device)[:, None]
        self.c = [torch.as_tensor(C[:, a], dtype=dtype, device=device)[:, None] for a in range(3)]
        self.ghost_idx = torch.as_tensor(lattice.ghost_idx, device=device)
        self.ghost_coef = torch.as_tensor(lattice.ghost_coef, dtype=dtype, device=device)
        self.ghost_rho = lattice.ghost_rho
        self.ghost_side = lattice.ghost_side.astype(np.int64)
        self.ghost_val = torch.zeros(lattice.n_ghost, dtype=dtype, device=device)

    def set_pressure(self, rho_in: float, rho_out: float) -> None:
        """Precompute the density terms ``ghost_rho (rho_side - 1)`` of the ghost slots."""
        import torch

        rho = np.where(self.ghost_side == 0, rho_in, rho_out)
        values = self.ghost_rho * (rho - 1.0)
        self.ghost_val = torch.as_tensor(values, dtype=self.dtype, device=self.device)


def fill_ghosts(f: Any, tl_: TorchLattice) -> None:
    """Pressure-end ghost slots from their linear stencils (:mod:`._pressure_ends`)."""
    if tl_.ghost_idx.shape[0]:
        f[Q * tl_.n :] = tl_.ghost_val + (tl_.ghost_coef * f[tl_.ghost_idx]).sum(1)


def moments(fl: Any, tl_: TorchLattice) -> tuple[Any, Any, Any, Any]:
    """Density deviation and first moments ``(rho - 1, mx, my, mz)`` of ``fl`` (19, n).

    The density deviation is kept apart from the 1: ``(1 + x) - 1`` in float32 would
    round x to about 6e-8 absolute, a large relative error on populations ~1e-5.
    """
    drho = fl.sum(0)
    mx, my, mz = ((fl * c).sum(0) for c in tl_.c)
    return drho, mx, my, mz


def collide(fl: Any, tl_: TorchLattice, omega: tuple[float, float], force: np.ndarray) -> Any:
    """TRT/BGK collision with the Guo force on pre-collision deviations ``fl`` (19, n).

    Returns the post-collision deviations (19, n) and the cell velocities (ux, uy, uz).
    """
    omp, omm = omega
    fx, fy, fz = (float(v) for v in force)
    drho, mx, my, mz = moments(fl, tl_)
    rho = 1.0 + drho
    ux, uy, uz = (mx + 0.5 * fx) / rho, (my + 0.5 * fy) / rho, (mz + 0.5 * fz) / rho
    usq = ux * ux + uy * uy + uz * uz
    uf = ux * fx + uy * fy + uz * fz
    cx, cy, cz = tl_.c
    cu = cx * ux + cy * uy + cz * uz
    cf = cx * fx + cy * fy + cz * fz
    fo = fl[tl_.opp]
    w = tl_.w
    eqp = w * (drho + rho * (4.5 * cu * cu - 1.5 * usq))
    eqm = w * 3.0 * rho * cu
    out = fl - omp * (0.5 * (fl + fo) - eqp) - omm * (0.5 * (fl - fo) - eqm)
    out += (1.0 - 0.5 * omp) * w * (9.0 * cu * cf - 3.0 * uf)
    out += (1.0 - 0.5 * omm) * w * 3.0 * cf
    return out, (ux, uy, uz)


def step(
    fin: Any, fout: Any, tl_: TorchLattice, omega: tuple[float, float], force: np.ndarray
) -> tuple:
    """One pull-stream + collide step from ``fin`` into ``fout`` (flat buffers)."""
    fill_ghosts(fin, tl_)
    n = tl_.n
    fl = fin[tl_.src].view(Q, n)
    out, u = collide(fl, tl_, omega, force)
    fout[: Q * n].copy_(out.reshape(-1))
    return u


def velocity_sums(u: tuple[Any, Any, Any]) -> Sums:
    """Float64 sums of the cell velocities and the largest ``|ux|+|uy|+|uz|``."""
    import torch

    ux, uy, uz = (v.double() for v in u)
    xyz = torch.stack([ux.sum(), uy.sum(), uz.sum()]).cpu().numpy()
    umax = float((ux.abs() + uy.abs() + uz.abs()).max().cpu()) if ux.numel() else 0.0
    return Sums(xyz, umax)


def wall_force_from_links(lattice: SparseLattice, f: Any) -> np.ndarray:
    """Side-wall momentum exchange, as :func:`lattice.boundary_momentum`, gathering only
    the wall-link populations from the (device) buffer ``f``."""
    import torch

    q, cell = np.nonzero((lattice.kind == WALL_SPECULAR) | (lattice.kind == WALL_BB))
    if q.size == 0:
        return np.zeros(3)
    s = lattice.src[q, cell].astype(np.int64)
    values = f[torch.as_tensor(s, device=f.device)].double().cpu().numpy()
    q_src = s // lattice.n_fluid
    values = values + W[q_src]
    return (values[:, None] * (C[q] - C[q_src])).sum(axis=0)


def run(problem: FlowProblem, progress: ProgressFn | None = None) -> FlowResult:
    """Run one steady flow with eager torch kernels (CPU torch or CUDA).

    Parameters
    ----------
    problem : FlowProblem
        Geometry, boundary conditions, collision and stopping rule (lattice units);
        ``problem.device`` picks the torch device ("cpu" or "cuda").
    progress : callable, optional
        ``progress(done, total)`` after every check (residual on a log scale); may raise
        Cancelled.

    Returns
    -------
    FlowResult
        Superficial velocity (x, y, z), steps, residual, timing, side-wall force.
    """
    check_problem(problem)
    lattice = lattice_for(problem)
    return run_lattice(lattice, problem, progress)


def simulate(problem: FlowProblem, steps: int) -> np.ndarray:
    """Populations (deviations, flat ``q * n + i``, float64) after exactly ``steps`` steps.

    The reference the Triton kernel is compared with, step for step.
    """
    import torch

    check_problem(problem)
    lattice = lattice_for(problem)
    device, dtype = torch_device(problem), torch_dtype(problem)
    omega = relaxation_rates(problem.collision, problem.tau, problem.magic)
    force, rho_in, rho_out = driving_terms(problem, lattice.shape)
    tl_ = TorchLattice(lattice, device, dtype)
    tl_.set_pressure(rho_in, rho_out)
    a, b = (torch.zeros(lattice.population_size, dtype=dtype, device=device) for _ in range(2))
    with torch.no_grad():
        for _ in range(steps):
            step(a, b, tl_, omega, force)
            a, b = b, a
    return a[: Q * lattice.n_fluid].double().cpu().numpy()


def run_lattice(
    lattice: SparseLattice, problem: FlowProblem, progress: ProgressFn | None = None
) -> FlowResult:
    """Like :func:`run` on an already built lattice."""
    import torch

    check_problem(problem)
    device, dtype = torch_device(problem), torch_dtype(problem)
    omega = relaxation_rates(problem.collision, problem.tau, problem.magic)
    force, rho_in, rho_out = driving_terms(problem, lattice.shape)
    tl_ = TorchLattice(lattice, device, dtype)
    tl_.set_pressure(rho_in, rho_out)
    bufs = [torch.zeros(lattice.population_size, dtype=dtype, device=device) for _ in range(2)]

    def advance(k: int) -> Sums:
        u = None
        with torch.no_grad():
            for _ in range(k):
                u = step(bufs[0], bufs[1], tl_, omega, force)
                bufs.reverse()
        return velocity_sums(u)

    sync = torch.cuda.synchronize if device.type == "cuda" else None
    out = drive(advance, problem, lattice.n_total, progress, sync)
    backend = f"{device.type}-torch"
    log.info(
        "lbm %s %s/%s: %d steps, residual %.2e, %.2f s",
        backend, problem.axis, problem.side_bc, out.steps, out.residual, out.seconds,
    )  # fmt: skip
    wall = wall_force_from_links(lattice, bufs[0])
    return out.result(lattice.n_fluid, lattice.n_total, backend, wall)
