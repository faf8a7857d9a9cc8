"""CUDA LBM backend: one fused Triton kernel per time step on the sparse D3Q19 lattice.

``run(problem, progress=None) -> FlowResult``, the same physics as
:mod:`~porestudio.physics.lbm.backend_cpu` and :mod:`~porestudio.physics.lbm.backend_torch` (TRT,
Guo force, halfway bounce-back, periodic / no-slip / free-slip side walls, pressure ends),
float32 (or float64) deviations ``f - W`` in structure-of-arrays layout ``(19, n_fluid)``.

* **Neighbours** (``neighbours=``): ``"map"`` computes every pull source in the kernel
  from the cell's packed coordinate and a dense int32 fluid-index map (built on the GPU,
  no host lattice; force driving, at most 1024 voxels per axis); ``"table"`` reads the
  int32 pull table of :func:`porestudio.physics.lbm.lattice.build_lattice` (any boundary,
  72 more bytes per cell and step). ``"auto"`` picks the map whenever it applies.
* **Convergence**: the kernel of the last step of every ``check_every`` chunk also
  reduces the velocity sums (float64 partials per block); the host syncs once per
  chunk. Each chunk is a captured CUDA graph (launch gaps removed).
* **Fallbacks**: without Triton, or on a CPU device without ``TRITON_INTERPRET=1``,
  :func:`run` hands the problem to :func:`porestudio.physics.lbm.backend_torch.run`. With
  ``TRITON_INTERPRET=1`` the kernel runs on CPU tensors (tests).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.physics.lbm import backend_torch as lbm_torch
from porestudio.physics.lbm.backend_torch import TorchLattice
from porestudio.physics.lbm.flow import FlowProblem, FlowResult
from porestudio.physics.lbm.lattice import OPP, C, Q, W, lattice_for
from porestudio.physics.lbm.loop import Sums, check_problem, drive, relaxation_rates
from porestudio.physics.lbm.pressure_ends import driving_terms
from porestudio.progress import ProgressFn
from porestudio.units import array_axis

log = logging.getLogger(__name__)

_SIDE_CODES = {"periodic": 0, "noslip": 1, "freeslip": 2}
MAP_MAX_EDGE = 1024
"""Largest voxel count per axis of the map mode (10-bit packed coordinates)."""


def interpreting() -> bool:
    """Whether Triton runs in interpreter mode (``TRITON_INTERPRET=1``, CPU tensors)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def choose_neighbours(problem: FlowProblem, neighbours: str = "auto") -> str:
    """Resolve ``neighbours`` ("auto" | "map" | "table") for a problem."""
    if neighbours not in ("auto", "map", "table"):
        raise InputError(f"unknown neighbours {neighbours!r}; use auto, map or table")
    map_ok = (
        problem.driving == "force"
        and problem.level_set is None
        and max(np.shape(problem.pore)) <= MAP_MAX_EDGE
    )
    if neighbours == "map" and not map_ok:
        raise InputError(
            "the map neighbour mode needs force driving, no level set and <= 1024 voxels per axis"
        )
    if neighbours == "auto":
        return "map" if map_ok else "table"
    return neighbours


def _lookup_table() -> np.ndarray:
    """Direction index of each velocity (27 entries at ``(cz+1)*9 + (cy+1)*3 + cx+1``)."""
    lut = np.zeros(27, dtype=np.int32)
    lut[(C[:, 2] + 1) * 9 + (C[:, 1] + 1) * 3 + C[:, 0] + 1] = np.arange(Q)
    return lut


class TritonSolver:
    """Buffers, geometry and launch logic of one Triton flow run (see module docstring).

    Parameters
    ----------
    problem : FlowProblem
        The run; ``problem.device`` must be "cuda" (or "cpu" under TRITON_INTERPRET=1).
    neighbours : {"auto", "map", "table"}
        Pull-source mode.
    block : int
        Fluid cells per Triton program (power of two).
    num_warps : int
        Warps per program.
    graphs : bool
        Capture each ``check_every`` chunk into a CUDA graph.
    hints : tuple of str
        Cache eviction hints ``(populations, index map)`` of the loads ("" = none;
        "evict_first", "evict_last").
    """

    def __init__(
        self,
        problem: FlowProblem,
        neighbours: str = "auto",
        block: int = 256,
        num_warps: int = 4,
        graphs: bool = True,
        hints: tuple[str, str] = ("", ""),
    ) -> None:
        import torch

        check_problem(problem)
        self.problem = problem
        self.device = lbm_torch.torch_device(problem)
        self.dtype = lbm_torch.torch_dtype(problem)
        self.mode = choose_neighbours(problem, neighbours)
        self.block, self.num_warps = int(block), int(num_warps)
        self.hints = (str(hints[0]), str(hints[1]))
        self.shape = tuple(int(s) for s in np.shape(problem.pore))
        self.flow = array_axis(problem.axis)
        self.lattice = None
        t0 = time.perf_counter()
        if self.mode == "map":
            self._build_map()
        else:
            self._build_table()
        if Q * self.n >= 2**31:
            raise InputError(f"{self.n} fluid cells are too many for 32-bit population indices")
        omega = relaxation_rates(problem.collision, problem.tau, problem.magic)
        force, rho_in, rho_out = driving_terms(problem, self.shape)
        self.omega, self.force = omega, force
        prm = [omega[0], omega[1], *force]
        self.prm = torch.tensor(prm, dtype=self.dtype, device=self.device)
        self.lut = torch.as_tensor(_lookup_table(), device=self.device)
        if self.tlat is not None:
            self.tlat.set_pressure(rho_in, rho_out)
        size = Q * self.n + (self.lattice.n_ghost if self.lattice is not None else 0)
        self.bufs = [torch.zeros(size, dtype=self.dtype, device=self.device) for _ in range(2)]
        self.nblocks = -(-self.n // self.block)
        self.part = torch.zeros(self.nblocks * 4, dtype=torch.float64, device=self.device)
        self.use_graphs = bool(graphs) and self.device.type == "cuda"
        self._graphs: dict[tuple[int, int], Any] = {}
        self.setup_seconds = time.perf_counter() - t0

    @property
    def n_total(self) -> int:
        """Voxel count (fluid and solid)."""
        return int(np.prod(self.shape))

    def _build_map(self) -> None:
        import torch

        pore = torch.as_tensor(np.ascontiguousarray(self.problem.pore), device=self.device)
        flat = pore.reshape(-1)
        rank = torch.cumsum(flat.to(torch.int32), 0, dtype=torch.int32) - 1
        self.fmap = torch.where(flat, rank, torch.full_like(rank, -1)).contiguous()
        lin = torch.nonzero(flat).reshape(-1)
        nz_, ny_, nx_ = self.shape
        x, y, z = lin % nx_, (lin // nx_) % ny_, lin // (nx_ * ny_)
        self.coords = torch.stack([z, y, x], dim=1)
        self.cells = ((z << 20) | (y << 10) | x).to(torch.int32).contiguous()
        self.n = int(lin.numel())
        if self.n == 0:
            raise InputError("the structure has no pore voxel: nothing can flow")
        self.src = self.cells  # unused by the map kernel
        self.tlat = None

    def _build_table(self) -> None:
        import torch

        p = self.problem
        self.lattice = lattice_for(p)
        if self.lattice.src.dtype != np.int32:
            raise InputError("the lattice is too large for the 32-bit pull table")
        self.n = self.lattice.n_fluid
        self.src = torch.as_tensor(self.lattice.src.reshape(-1), device=self.device)
        self.cells = self.fmap = self.src  # unused by the table kernel
        # ghost slots only: the kernel reads the int32 table itself
        self.tlat = TorchLattice(self.lattice, self.device, self.dtype, with_src=False)

    def launch(self, fin: Any, fout: Any, reduce: bool) -> None:
        """One time step from ``fin`` into ``fout`` (ghost fill + fused kernel)."""
        from porestudio.physics.lbm import kernels_triton as kt

        if self.tlat is not None:
            lbm_torch.fill_ghosts(fin, self.tlat)
        wrap = [a == self.flow or self.problem.side_bc == "periodic" for a in (2, 1, 0)]
        nz_, ny_, nx_ = self.shape
        kt.lbm_step[(self.nblocks,)](
            fin, fout, self.src, self.cells, self.fmap, self.lut, self.prm, self.part,
            self.n, nx_, ny_, nz_,
            MODE=0 if self.mode == "map" else 1, WX=wrap[0], WY=wrap[1], WZ=wrap[2],
            SIDE=_SIDE_CODES[self.problem.side_bc], REDUCE=reduce, BLOCK=self.block,
            EV_F=self.hints[0], EV_MAP=self.hints[1], num_warps=self.num_warps,
        )  # fmt: skip

    def _steps(self, k: int, start: int) -> None:
        for j in range(k):
            a = (start + j) % 2
            self.launch(self.bufs[a], self.bufs[1 - a], reduce=j == k - 1)

    def warm_up(self) -> None:
        """Compile both kernel variants (and capture graphs) outside any timed region."""
        import torch

        self._steps(2, 0)
        for b in self.bufs:
            b.zero_()
        if self.use_graphs:
            every = max(1, min(int(self.problem.check_every), int(self.problem.max_steps)))
            try:
                for start in (0, 1) if every % 2 else (0,):
                    self._capture(every, start)
            except Exception:  # graphs are an optimisation: eager launches still work
                log.warning("CUDA graph capture failed; launching eagerly", exc_info=True)
                self._graphs.clear()
                self.use_graphs = False
            for b in self.bufs:
                b.zero_()
            torch.cuda.synchronize()

    def _capture(self, k: int, start: int) -> None:
        import torch

        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            self._steps(k, start)  # warm-up on the side stream, as torch advises
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._steps(k, start)
        self._graphs[(k, start)] = graph

    def advance(self, k: int, parity: int) -> Sums:
        """Run ``k`` steps starting from buffer ``parity``; velocity sums after the last."""
        graph = self._graphs.get((k, parity))
        if graph is not None:
            graph.replay()
        else:
            self._steps(k, parity)
        part = self.part.view(-1, 4)
        stats = torch_cat_stats(part)
        return Sums(stats[:3], float(stats[3]))

    def current(self, steps: int) -> Any:
        """Buffer holding the post-collision populations after ``steps`` steps."""
        return self.bufs[steps % 2]

    def wall_force(self, steps: int) -> np.ndarray:
        """Side-wall momentum exchange on the final populations (x, y, z)."""
        f = self.current(steps)
        if self.problem.side_bc == "periodic":
            return np.zeros(3)
        if self.lattice is not None:
            return lbm_torch.wall_force_from_links(self.lattice, f)
        return _wall_force_map(self, f)


def torch_cat_stats(part: Any) -> np.ndarray:
    """(sum ux, sum uy, sum uz, max |u|) from the per-block partials, on the host."""
    import torch

    stats = torch.cat([part[:, :3].sum(0), part[:, 3].max().reshape(1)])
    return stats.cpu().numpy()


def _wall_force_map(solver: TritonSolver, f: Any) -> np.ndarray:
    """Wall momentum exchange of the map mode: the links of lattice._sources_for that
    leave a side face (WALL_BB for no-slip, WALL_SPECULAR for free-slip), on the GPU."""
    import torch

    shape, flow, n = solver.shape, solver.flow, solver.n
    side = [a for a in range(3) if a != flow]
    coords = solver.coords
    on_face = torch.zeros(n, dtype=torch.bool, device=f.device)
    for a in side:
        on_face |= (coords[:, a] == 0) | (coords[:, a] == shape[a] - 1)
    cell = torch.nonzero(on_face).reshape(-1)
    own = coords[cell]
    fmap = solver.fmap.view(shape)
    w = torch.as_tensor(W, dtype=torch.float64, device=f.device)
    total = np.zeros(3)
    for q in range(1, Q):
        c = C[q, ::-1]
        s, comp = own - torch.as_tensor(c.copy(), device=f.device), np.tile(c, (own.shape[0], 1))
        comp = torch.as_tensor(comp, device=f.device)
        out = torch.zeros(own.shape[0], dtype=torch.bool, device=f.device)
        for a in range(3):
            if c[a] == 0:
                continue
            if a == flow:
                s[:, a] %= shape[a]
                continue
            o = (s[:, a] < 0) | (s[:, a] >= shape[a])
            out |= o
            s[:, a] = torch.where(o, own[:, a], s[:, a])
            comp[:, a] = torch.where(o, -comp[:, a], comp[:, a])
        if solver.problem.side_bc == "noslip":
            vals = f[OPP[q] * n + cell[out]].double() + W[q]
            total += float(vals.sum()) * 2.0 * C[q]
            continue
        target = fmap[s[:, 0], s[:, 1], s[:, 2]].long()
        keep = out & (target >= 0)
        qs = solver.lut.long()[(comp[:, 0] + 1) * 9 + (comp[:, 1] + 1) * 3 + comp[:, 2] + 1][keep]
        vals = f[qs * n + target[keep]].double() + w[qs]
        dc = torch.as_tensor(C, device=f.device)[q] - torch.as_tensor(C, device=f.device)[qs]
        total += (vals[:, None] * dc.double()).sum(0).cpu().numpy()
    return total


def run(
    problem: FlowProblem,
    progress: ProgressFn | None = None,
    *,
    neighbours: str = "auto",
    block: int = 256,
    num_warps: int = 4,
    graphs: bool = True,
    hints: tuple[str, str] = ("", ""),
) -> FlowResult:
    """Run one steady flow with the fused Triton kernel.

    Parameters
    ----------
    problem : FlowProblem
        Geometry, boundary conditions, collision and stopping rule (lattice units).
        ``problem.device`` "cuda" runs on the GPU; "cpu" runs the Triton interpreter
        when ``TRITON_INTERPRET=1``, else the eager torch backend.
    progress : callable, optional
        ``progress(done, total)`` after every check (residual on a log scale); may raise
        Cancelled.
    neighbours : {"auto", "map", "table"}
        Pull-source mode (module docstring).
    block, num_warps : int
        Fluid cells per program and warps per program.
    graphs : bool
        Replay each ``check_every`` chunk as a CUDA graph.
    hints : tuple of str
        Cache eviction hints (populations, index map) of the kernel's loads.

    Returns
    -------
    FlowResult
        Superficial velocity (x, y, z), steps, residual, loop time (compilation and
        graph capture excluded), side-wall force; ``backend`` names the path taken.
    """
    from porestudio.physics.device import triton_available

    check_problem(problem)
    on_cpu = not str(problem.device).lower().startswith("cuda")
    if not triton_available() or (on_cpu and not interpreting()):
        log.info("Triton not usable here (device %s): eager torch backend", problem.device)
        return lbm_torch.run(problem, progress)
    solver = TritonSolver(problem, neighbours, block, num_warps, graphs, hints)
    solver.warm_up()
    state = {"steps": 0}

    def advance(k: int) -> Sums:
        sums = solver.advance(k, state["steps"] % 2)
        state["steps"] += k
        return sums

    sync = None
    if solver.device.type == "cuda":
        import torch

        sync = torch.cuda.synchronize
    out = drive(advance, problem, solver.n_total, progress, sync)
    prefix = "cuda" if solver.device.type == "cuda" else "cpu-interpret"
    backend = f"{prefix}-triton-{solver.mode}"
    log.info(
        "lbm %s %s/%s: %d steps, residual %.2e, %.3f s (setup %.3f s), %.0f MFLUPS",
        backend, problem.axis, problem.side_bc, out.steps, out.residual, out.seconds,
        solver.setup_seconds, solver.n * out.steps / max(out.seconds, 1e-12) / 1e6,
    )  # fmt: skip
    return out.result(solver.n, solver.n_total, backend, solver.wall_force(out.steps))


def simulate(problem: FlowProblem, steps: int, **options: Any) -> np.ndarray:
    """Populations (deviations, flat ``q * n + i``) after exactly ``steps`` steps.

    For tests and kernel comparisons; ``options`` go to :class:`TritonSolver`.
    """
    solver = TritonSolver(problem, graphs=False, **options)
    solver._steps(steps, 0)
    return solver.current(steps)[: Q * solver.n].double().cpu().numpy()
