"""Benchmark porestudio's CPU LBM against lbmpy on the same permeability problem, one run.

    .venv/bin/python scripts/bench_lbm_peers.py            # writes docs/bench_lbm_peers.md
    .venv/bin/python scripts/bench_lbm_peers.py --quick    # skip the slow τ = 1 runs

Problem: 64³ periodic simple-cubic sphere cell, solid fraction 0.2 (a voxel is solid when its
centre lies inside the sphere of radius a = 64 (3c/4π)^(1/3)), flow along x driven by a body
force F = 2e-5 ν, D3Q19 TRT with Λ = 3/16, halfway bounce-back on the solid voxels, converged
when the relative change of ⟨u_x⟩ over 100 steps is below 1e-6. k = ν ⟨u_x⟩ / F with
ν = (τ − ½)/3 and ⟨u_x⟩ the superficial velocity (all voxels, F/2 Guo shift included).
Reference: Zick & Homsy (1982), k ≈ 88.78 voxel² for this cell.

Both codes run in this one process, back to back, at the same τ (porestudio's automatic τ
and τ = 1). lbmpy (``pip install lbmpy``) is optional: without it the doc says so and only
porestudio is timed. lbmpy's side lives in ``scripts/_peer_lbmpy.py``, the constants, result
row and document in ``scripts/_peer_doc.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import _peer_lbmpy as peer  # noqa: E402
from _machine import bench_header  # noqa: E402
from _peer_doc import CHECK, MAGIC, TOL, C, N, Row, document, git_state, uptime  # noqa: E402

from porestudio.atomic import atomic_path  # noqa: E402
from porestudio.physics.lbm.flow import FlowProblem  # noqa: E402
from porestudio.physics.permeability import FORCE_PER_NU, auto_tau  # noqa: E402

MAX_STEPS = 40_000


def sphere_cell(n: int = N, c: float = C) -> np.ndarray:
    """Pore mask (z, y, x) of the simple-cubic cell: one sphere of solid fraction ``c``."""
    a = n * (3 * c / (4 * np.pi)) ** (1 / 3)
    x = np.arange(n) + 0.5 - n / 2
    z, y, xx = np.meshgrid(x, x, x, indexing="ij")
    return (xx * xx + y * y + z * z) > a * a


def force_for(tau: float) -> float:
    """Body force porestudio's permeability() uses at this τ (F = 2e-5 ν)."""
    return FORCE_PER_NU * (tau - 0.5) / 3.0


def porestudio_run(pore: np.ndarray, tau: float, dtype: str, steps: int | None = None) -> Row:
    """Converged run (``steps`` None) or exactly ``steps`` steps of porestudio's CPU backend."""
    from porestudio.physics.lbm.backend_cpu import run_lattice
    from porestudio.physics.lbm.lattice import build_lattice

    load = os.getloadavg()[0]
    fixed = steps is not None
    problem = FlowProblem(
        pore,
        axis="x",
        side_bc="periodic",
        driving="force",
        collision="trt",
        tau=tau,
        magic=MAGIC,
        force=force_for(tau),
        tol=1e-30 if fixed else TOL,
        max_steps=steps if fixed else MAX_STEPS,
        check_every=steps if fixed else CHECK,
        dtype=dtype,
    )
    t0 = time.perf_counter()
    lattice = build_lattice(pore, "x", "periodic", "force")
    setup = time.perf_counter() - t0
    r = run_lattice(lattice, problem)
    return Row(
        "porestudio", dtype, tau, r.steps, r.converged, r.seconds, setup,
        float(r.mean_velocity_xyz[0]), problem.force, r.fluid_cells, r.total_cells, load,
    )  # fmt: skip


def lbmpy_run(solid_xyz: np.ndarray, tau: float, dtype: str, threads: int) -> Row:
    """Converged lbmpy run (code generation and compile counted as set-up)."""
    load = os.getloadavg()[0]
    case = peer.LbmpyCase(solid_xyz, tau, force_for(tau), MAGIC, dtype, threads)
    r = case.run(TOL, CHECK, MAX_STEPS)
    return Row(
        "lbmpy", dtype, tau, r.steps, r.converged, r.seconds, r.setup_seconds,
        r.mean_ux, case.force, r.fluid_cells, r.total_cells, load,
    )  # fmt: skip


def warm_up(pore: np.ndarray) -> None:
    """Compile / load porestudio's numba kernels for both precisions before any timing."""
    small = np.ascontiguousarray(pore[::8, ::8, ::8])
    for dtype in ("float32", "float64"):
        porestudio_run(small, 1.0, dtype, steps=2)


def throughput(pore, solid_xyz, tau, steps, repeat, threads, with_lbmpy):
    """``repeat`` rounds of fixed-step runs, codes interleaved.

    Returns the rows per config and, per lbmpy precision, the per-step time split of its
    step (:meth:`LbmpyCase.breakdown`). Each lbmpy case is generated once and stepped on;
    porestudio rebuilds its pull table (outside the timing) per run.
    """
    configs = [("porestudio", "float32"), ("porestudio", "float64")]
    if with_lbmpy:
        configs += [("lbmpy", "float64"), ("lbmpy", "float32")]
    cases = {
        dtype: peer.LbmpyCase(solid_xyz, tau, force_for(tau), MAGIC, dtype, threads)
        for code, dtype in configs
        if code == "lbmpy"
    }
    out: list[list[Row]] = [[] for _ in configs]
    for _ in range(repeat):
        for i, (code, dtype) in enumerate(configs):
            if code == "porestudio":
                out[i].append(porestudio_run(pore, tau, dtype, steps=steps))
            else:
                load = os.getloadavg()[0]
                r = cases[dtype].run_fixed(steps)
                out[i].append(
                    Row("lbmpy", dtype, tau, r.steps, False, r.seconds, r.setup_seconds,
                        r.mean_ux, force_for(tau), r.fluid_cells, r.total_cells, load)
                )  # fmt: skip
            print(f"  throughput {code} {dtype}: {out[i][-1].mlups:.1f} MLUPS", flush=True)
    return out, {dtype: case.breakdown(steps) for dtype, case in cases.items()}


def converged_runs(pore, solid_xyz, taus, threads, with_lbmpy) -> list[Row]:
    """Converged runs, porestudio and lbmpy back to back at each τ."""
    first, rest = taus[0], taus[1:]
    if with_lbmpy:
        plan = [(first, "porestudio", "float32"), (first, "lbmpy", "float64"),
                (first, "porestudio", "float64"), (first, "lbmpy", "float32")]  # fmt: skip
        for tau in rest:
            plan += [(tau, "porestudio", "float32"), (tau, "lbmpy", "float64")]
    else:
        plan = [(first, "porestudio", "float32"), (first, "porestudio", "float64")]
        plan += [(tau, "porestudio", "float32") for tau in rest]
    rows = []
    for tau, code, dtype in plan:
        if code == "porestudio":
            rows.append(porestudio_run(pore, tau, dtype))
        else:
            rows.append(lbmpy_run(solid_xyz, tau, dtype, threads))
        r = rows[-1]
        print(f"  {code} {dtype} τ={tau:g}: {r.steps} steps, {r.seconds:.1f} s, "
              f"k = {r.k:.3f}", flush=True)  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the τ = 1 runs")
    parser.add_argument("--repeat", type=int, default=5, help="throughput rounds")
    parser.add_argument("--steps", type=int, default=200, help="steps per throughput run")
    parser.add_argument("--threads", type=int, default=2, help="OpenMP threads of lbmpy")
    parser.add_argument("--out", default=str(ROOT / "docs/bench_lbm_peers.md"))
    parser.add_argument("--no-lbmpy", action="store_true", help="time porestudio only")
    args = parser.parse_args()
    header = bench_header()  # at the start: the code and load of this run
    up0, load0, t_start = uptime(), os.getloadavg(), time.perf_counter()
    lbmpy_version = None if args.no_lbmpy else peer.version()
    git = git_state()  # at the start: the code this process imports
    pore = sphere_cell()
    solid_xyz = np.ascontiguousarray(~pore.transpose(2, 1, 0))
    tau_auto = auto_tau(pore)
    taus = [tau_auto] if args.quick else [tau_auto, 1.0]
    print(f"lbmpy: {lbmpy_version or 'not installed'}; τ_auto = {tau_auto:g}", flush=True)
    warm_up(pore)
    check, lbmpy_error = [], ""
    if lbmpy_version:
        try:
            check = peer.poiseuille_check()
        except Exception as exc:  # noqa: BLE001 - any lbmpy/compiler failure: time porestudio only
            lbmpy_error = f"lbmpy installed but failed ({type(exc).__name__}: {exc})"
            print(lbmpy_error, flush=True)
            lbmpy_version = None
    rows = converged_runs(pore, solid_xyz, taus, args.threads, bool(lbmpy_version))
    thr, split = throughput(
        pore, solid_xyz, tau_auto, args.steps, args.repeat, args.threads, bool(lbmpy_version)
    )
    info = {
        "up0": up0, "up1": uptime(), "load0": load0, "load1": os.getloadavg(),
        "total": time.perf_counter() - t_start, "lbmpy": lbmpy_version, "tau_auto": tau_auto,
        "git": git, "header": header, "lbmpy_error": lbmpy_error, "porosity": float(pore.mean()),
    }  # fmt: skip
    text = document(args, info, check, rows, thr, split)
    with atomic_path(args.out, overwrite=True) as tmp:  # regenerates its page
        tmp.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
