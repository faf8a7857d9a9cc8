"""lbmpy side of scripts/bench_lbm_peers.py: the same TRT body-force problem in lbmpy.

lbmpy (https://pypi.org/project/lbmpy/) generates a C stream-collide kernel with sympy and
pystencils and compiles it with the system C++ compiler (OpenMP). It is not a porestudio
dependency: this module imports it lazily and :func:`version` returns None when missing.

Set-up (lbmpy's documented API): ``LBMConfig(stencil=D3Q19, method=TRT,
relaxation_rates=[ω_e, ω_o], force_model=GUO, force=(F, 0, 0), compressible=False)``,
``LatticeBoltzmannStep`` on a periodic domain and ``NoSlip`` (halfway bounce-back) on
the solid voxels. Arrays in lbmpy are indexed (x, y, z); porestudio's are (z, y, x).

Velocity: ``LatticeBoltzmannStep`` stores post-collision populations after a step and its
velocity getter returns ``Σ c f + F/2`` of those. A Guo collision adds exactly ``F`` of
momentum per cell, so the velocity of the step (pre-collision moment + F/2, porestudio's
definition) is the getter value minus ``F``. Without this correction plane Poiseuille
comes out shifted by exactly ``F`` in every cell (checked by :func:`poiseuille_check`).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np


@dataclasses.dataclass(frozen=True)
class PeerRun:
    """One lbmpy run: superficial x-velocity, steps, loop and set-up time."""

    mean_ux: float
    steps: int
    residual: float
    converged: bool
    seconds: float
    setup_seconds: float
    fluid_cells: int
    total_cells: int


def version() -> str | None:
    """``"lbmpy X, pystencils Y"`` or None when lbmpy is not importable."""
    try:
        import lbmpy
        import pystencils
    except ImportError:
        return None
    return f"lbmpy {lbmpy.__version__}, pystencils {pystencils.__version__}"


def compiler_flags() -> str:
    """Compiler and flags pystencils uses for the generated kernels."""
    from pystencils.jit.cpu.compiler_info import CompilerInfo

    info = CompilerInfo.get_default()
    return f"{info.cxx()} {' '.join(info.cxxflags())}"


def trt_rates(tau: float, magic: float) -> tuple[float, float]:
    """(ω_e, ω_o) with ω_e = 1/τ and Λ = (1/ω_e − ½)(1/ω_o − ½) = ``magic``."""
    return 1.0 / tau, 1.0 / (0.5 + magic / (tau - 0.5))


class LbmpyCase:
    """A periodic TRT + Guo body-force run on a solid mask, built once, run in chunks.

    Parameters
    ----------
    solid_xyz : ndarray of bool, shape (nx, ny, nz)
        True = solid (bounce-back) voxel, lbmpy (x, y, z) order.
    tau : float
        Relaxation time of the even moments; ν = (τ − ½)/3.
    force : float
        Body-force density along x [lattice units].
    magic : float
        TRT magic parameter Λ.
    dtype : {"float64", "float32"}
        Population precision.
    threads : int
        OpenMP threads of the generated kernel.
    """

    def __init__(
        self,
        solid_xyz: np.ndarray,
        tau: float,
        force: float,
        magic: float = 3.0 / 16.0,
        dtype: str = "float64",
        threads: int = 2,
    ) -> None:
        from lbmpy import ForceModel, LBMConfig, LBStencil, Method, Stencil
        from lbmpy.boundaries import NoSlip
        from lbmpy.lbstep import LatticeBoltzmannStep
        from pystencils import CreateKernelConfig, Target

        t0 = time.perf_counter()
        self.solid = np.asarray(solid_xyz, dtype=bool)
        self.force = float(force)
        config = LBMConfig(
            stencil=LBStencil(Stencil.D3Q19),
            method=Method.TRT,
            relaxation_rates=list(trt_rates(tau, magic)),
            force_model=ForceModel.GUO,
            force=(self.force, 0.0, 0.0),
            compressible=False,
        )
        kernel = CreateKernelConfig(target=Target.CPU, default_dtype=dtype)
        kernel.cpu.openmp.enable = True
        kernel.cpu.openmp.num_threads = threads
        self.step = LatticeBoltzmannStep(
            domain_size=self.solid.shape,
            periodicity=(True, True, True),
            lbm_config=config,
            config=kernel,
            name="peer",
        )
        self.step.boundary_handling.set_boundary(NoSlip(), mask_callback=self._solid_at)
        self.step.boundary_handling.prepare()  # boundary index lists, outside the timing
        self.setup_seconds = time.perf_counter() - t0

    def _solid_at(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Solid mask at cell midpoints (ghost layers included, wrapped periodically)."""
        nx, ny, nz = self.solid.shape
        ix = np.floor(x).astype(int) % nx
        iy = np.floor(y).astype(int) % ny
        iz = np.floor(z).astype(int) % nz
        return self.solid[ix, iy, iz]

    def mean_ux(self) -> float:
        """Superficial x-velocity: Σ_fluid (getter u_x − F) / all voxels."""
        u = self.step.data_handling.gather_array(self.step.velocity_data_name)
        fluid = ~self.solid
        total = float(np.sum(u[..., 0][fluid], dtype=np.float64))
        return (total - self.force * np.count_nonzero(fluid)) / self.solid.size

    def run(self, tol: float, check_every: int = 100, max_steps: int = 200_000) -> PeerRun:
        """Run until the relative change of ⟨u_x⟩ over ``check_every`` steps is < ``tol``."""
        prev, residual, steps = 0.0, np.inf, 0
        t0 = time.perf_counter()
        while steps < max_steps:
            chunk = min(check_every, max_steps - steps)
            self.step.run(chunk)  # post_run evaluates the velocity getter
            steps += chunk
            mean = self.mean_ux()
            if not np.isfinite(mean):
                break
            residual = abs(mean - prev) / abs(mean) if mean != 0.0 else np.inf
            prev = mean
            if residual < tol:
                break
        return self._result(prev, steps, residual, residual < tol, time.perf_counter() - t0)

    def run_fixed(self, steps: int) -> PeerRun:
        """Exactly ``steps`` steps in one call (throughput)."""
        t0 = time.perf_counter()
        self.step.run(steps)
        seconds = time.perf_counter() - t0
        return self._result(self.mean_ux(), steps, np.nan, False, seconds)

    def breakdown(self, steps: int) -> dict[str, float]:
        """Seconds per step of the parts of a ``LatticeBoltzmannStep`` step, timed apart.

        ``sync``: periodic ghost-layer copies (numpy); ``boundary``: the generated
        bounce-back kernel; ``kernel``: the generated stream-collide kernel (+ swap);
        ``step``: ``run(steps)`` as timed in the tables. Uses lbmpy internals (diagnostic).
        """
        step, dh = self.step, self.step.data_handling

        def stream_collide() -> None:
            dh.run_kernel(step._lbmKernels[0])
            dh.swap(step._pdf_arr_name, step._tmp_arr_name)

        parts = {
            "sync": step._sync_src,
            "boundary": step.boundary_handling,
            "kernel": stream_collide,
        }
        t0 = time.perf_counter()
        step.run(steps)
        out = {"step": (time.perf_counter() - t0) / steps}
        for name, part in parts.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                part()
            out[name] = (time.perf_counter() - t0) / steps
        return out

    def _result(self, mean, steps, residual, converged, seconds) -> PeerRun:
        return PeerRun(
            mean_ux=float(mean),
            steps=int(steps),
            residual=float(residual),
            converged=bool(converged),
            seconds=float(seconds),
            setup_seconds=self.setup_seconds,
            fluid_cells=int(np.count_nonzero(~self.solid)),
            total_cells=int(self.solid.size),
        )


def poiseuille_check(taus=(0.6, 1.0, 3.0), height: int = 10) -> list[tuple[float, float, float]]:
    """Plane Poiseuille between two solid planes (y = 0 and y = h + 1), driven along x.

    Returns ``(tau, k_lbmpy, k_exact)`` per τ; ``k_exact = (h³/12 + h/24)/(h + 2)`` is the
    midpoint sum of the parabola with walls halfway between the voxels (exact for TRT
    with Λ = 3/16), per voxel of the (h + 2)-wide domain.
    """
    solid = np.zeros((2, height + 2, 2), dtype=bool)
    solid[:, 0, :] = True
    solid[:, -1, :] = True
    exact = (height**3 / 12.0 + height / 24.0) / (height + 2)
    out = []
    for tau in taus:
        nu = (tau - 0.5) / 3.0
        force = 1e-6
        case = LbmpyCase(solid, tau, force, threads=1)
        res = case.run(tol=1e-10, max_steps=50_000)
        out.append((tau, nu * res.mean_ux / force, exact))
    return out
