"""Shared part of scripts/bench_lbm_peers.py: the problem constants, the result row, machine
facts and the markdown document."""

from __future__ import annotations

import dataclasses
import os
import platform
import statistics
import subprocess
from pathlib import Path

import _peer_lbmpy as peer
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
K_REF = 88.78
"""Zick & Homsy k of the 64³ c = 0.2 simple-cubic cell [voxel²] (issue #3)."""
N, C, MAGIC, TOL, CHECK = 64, 0.2, 3.0 / 16.0, 1e-6, 100


@dataclasses.dataclass(frozen=True)
class Row:
    """One timed run of one code."""

    code: str
    dtype: str
    tau: float
    steps: int
    converged: bool
    seconds: float
    setup_seconds: float
    mean_ux: float
    force: float
    fluid_cells: int
    total_cells: int
    load: float

    @property
    def k(self) -> float:
        return (self.tau - 0.5) / 3.0 * self.mean_ux / self.force

    @property
    def mlups(self) -> float:
        return self.total_cells * self.steps / self.seconds / 1e6

    @property
    def mflups(self) -> float:
        return self.fluid_cells * self.steps / self.seconds / 1e6


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        load = os.getloadavg()
        return f"load average: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"


def _threading_layer() -> str:
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel ran yet
        return "unknown"


def git_state() -> str:
    """Short HEAD commit, with "+ local changes" when porestudio/physics differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "porestudio/physics"],
            cwd=ROOT, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' + local changes in porestudio/physics' if dirty else ''}"


def versions(lbmpy_version: str | None, git: str) -> str:
    import numba
    import scipy

    import porestudio

    parts = [
        f"Python {platform.python_version()}",
        f"numpy {np.__version__}",
        f"scipy {scipy.__version__}",
        f"numba {numba.__version__} ({numba.get_num_threads()} threads, "
        f"{_threading_layer()} threading layer)",
        f"porestudio {porestudio.__version__} (git {git})",
    ]
    if lbmpy_version:
        import sympy

        parts += [lbmpy_version, f"sympy {sympy.__version__}"]
    return ", ".join(parts)


HEADER = (
    "| code | precision | collision | steps | seconds | set-up s | MLUPS | MFLUPS "
    "| k [voxel²] | vs Zick–Homsy | load |\n|---|---|---|---|---|---|---|---|---|---|---|"
)


def _row_line(r: Row) -> str:
    err = 100.0 * (r.k / K_REF - 1.0)
    conv = "" if r.converged else " (not converged)"
    return (
        f"| {r.code} | {r.dtype} | TRT Λ=3/16, τ = {r.tau:g} | {r.steps}{conv} | "
        f"{r.seconds:.1f} | {r.setup_seconds:.1f} | {r.mlups:.1f} | {r.mflups:.1f} | "
        f"{r.k:.3f} | {err:+.2f} % | {r.load:.1f} |"
    )


def _throughput_line(runs: list[Row], base: list[Row]) -> str:
    """Median MLUPS of one config and its median per-round ratio to ``base`` (same round)."""
    r = runs[0]
    mlups = [x.mlups for x in runs]
    paired = statistics.median(x.mlups / b.mlups for x, b in zip(runs, base, strict=True))
    return (
        f"| {r.code} | {r.dtype} | {statistics.median(mlups):.1f} | "
        f"{statistics.median(x.mflups for x in runs):.1f} | "
        f"{min(mlups):.1f}–{max(mlups):.1f} | {paired:.2f} | "
        f"{statistics.median(x.load for x in runs):.1f} |"
    )


def _pair_lines(rows: list[Row]) -> list[str]:
    lines = []
    for tau in sorted({r.tau for r in rows}, reverse=True):
        ps = [r for r in rows if r.tau == tau and r.code == "porestudio" and r.dtype == "float32"]
        lb = [r for r in rows if r.tau == tau and r.code == "lbmpy" and r.dtype == "float64"]
        if ps and lb:
            p, q = ps[0], lb[0]
            lines.append(
                f"* τ = {tau:g}: k porestudio / lbmpy − 1 = {100 * (p.k / q.k - 1):+.4f} %; "
                f"time to k porestudio / lbmpy = {p.seconds / q.seconds:.2f} (loop), "
                f"{(p.seconds + p.setup_seconds) / (q.seconds + q.setup_seconds):.2f} "
                f"(loop + set-up); steps {p.steps} vs {q.steps}."
            )
    return lines


def _split_lines(split: dict[str, dict[str, float]], cells: int) -> str:
    if not split:
        return ""
    lines = [
        "",
        "lbmpy's step split (same fixed-step run, parts timed apart; ms per step, and the MLUPS",
        "each part alone would give):",
        "",
        "| lbmpy precision | whole step | ghost-layer sync (numpy) | bounce-back kernel "
        "| stream-collide kernel |",
        "|---|---|---|---|---|",
    ]
    for dtype, t in split.items():
        cols = [
            f"{1e3 * t[k]:.2f} ms ({cells / t[k] / 1e6:.0f})"
            for k in ("step", "sync", "boundary", "kernel")
        ]
        lines.append(f"| {dtype} | {' | '.join(cols)} |")
    lines += [
        "",
        "The ghost-layer sync is `LatticeBoltzmannStep`'s periodic copy of the boundary",
        "layers, done from Python with numpy between the generated kernels; lbmpy can instead",
        "build periodicity into the kernel (`builtin_periodicity`, not used here: the standard",
        "`LatticeBoltzmannStep` set-up is what is compared), which would bring its step close",
        "to the two kernel columns.",
    ]
    return "\n".join(lines)


def document(args, info, check, rows, thr, split) -> str:
    lb = info["lbmpy"]
    peer_line = (
        f"lbmpy: {lb}; generated C kernels compiled with `{peer.compiler_flags()}`, "
        f"OpenMP on {args.threads} threads; D3Q19 TRT, Guo force, incompressible equilibrium "
        "(`compressible=False`), `NoSlip` on the solid voxels, `LatticeBoltzmannStep` with a "
        "periodic data handling (ghost-layer copies)."
        if lb
        else f"**{info['lbmpy_error']}** (only porestudio was timed)."
        if info["lbmpy_error"]
        else "**lbmpy not installed: pip install lbmpy** (only porestudio was timed)."
    )
    check_lines = "\n".join(
        f"| {tau:g} | {k:.9f} | {exact:.9f} | {abs(k / exact - 1):.1e} |" for tau, k, exact in check
    )
    check_block = (
        f"""
## lbmpy sanity check: plane Poiseuille (h = 10 fluid layers, 2 × 12 × 2, tol 1e-10)

| τ | k lbmpy [voxel²] | exact (h³/12 + h/24)/(h + 2) | rel. error |
|---|---|---|---|
{check_lines}

The exact value is the midpoint sum of the parabola with the walls halfway between voxels,
which TRT with Λ = 3/16 reproduces for every τ. lbmpy's velocity getter works on
post-collision populations, whose first moment already is ρu + F/2 (the collision added F),
and adds another F/2; the script therefore subtracts F per fluid cell. Without that
correction every cell is off by exactly F and k grows with ν (porestudio subtracts F/2 from
the post-collision moment, the same definition).
"""
        if check
        else ""
    )
    l0, l1 = info["load0"], info["load1"]
    busy = (
        " — **shared machine under load from other jobs: absolute times are noisy; the "
        "interleaved runs keep the ratios fair-ish**"
        if l0[0] > 1.0 or l1[0] > 3.0  # at the end, this run's own 2 threads count too
        else ""
    )
    tau_a = info["tau_auto"]
    header = "\n".join(info["header"])
    return f"""# LBM peers: porestudio vs lbmpy on the same permeability problem

{header}
One process run ({info["total"]:.0f} s in all); both codes run back to back in it.

* `uptime` before: `{info["up0"]}`
* `uptime` after: `{info["up1"]}`
* Load average (1/5/15 min) {l0[0]:.2f}/{l0[1]:.2f}/{l0[2]:.2f} → {l1[0]:.2f}/{l1[1]:.2f}/{
        l1[2]:.2f}{busy}.
* Versions: {versions(lb, info["git"])}.
* porestudio: `porestudio.physics.lbm.backend_cpu` (numba, sparse fluid-only D3Q19, fused pull
  stream-collide, {os.cpu_count()} cores); set-up = `build_lattice` (pull table).
* {peer_line}

Problem: 64³ periodic simple-cubic sphere cell, solid fraction {C} (porosity
{info["porosity"]:.4f}), flow along x by a body force F = 2e-5 ν, TRT with Λ = 3/16,
halfway bounce-back, converged when the relative change of the superficial ⟨u_x⟩ over
{CHECK} steps is below {TOL:g}. k = ν⟨u_x⟩/F, ν = (τ − ½)/3. τ_auto = {info["tau_auto"]:g} is
porestudio's automatic τ (`auto_tau`). Reference: Zick & Homsy k ≈ {K_REF} voxel²; the
remaining −2 % is the staircase sphere at a ≈ 23 voxels, shared by both codes.

## Time to converged k (one run each)

Seconds = time loop including the ⟨u_x⟩ check every {CHECK} steps; set-up (pull table /
code generation + C compile + boundary lists) separately. MLUPS counts every voxel,
MFLUPS only fluid voxels (porestudio updates only fluid cells, lbmpy updates all).
Load = 1-min load average when the run started.

{HEADER}
{chr(10).join(_row_line(r) for r in rows)}

{chr(10).join(_pair_lines(rows))}

## Throughput (τ = {tau_a:g}, {args.steps} steps a run, median of {args.repeat}, interleaved)

Each round runs every configuration once, in turn; "× porestudio f32" is the median over
rounds of the MLUPS ratio to the porestudio float32 run of the same round (load drifts
between rounds, so the paired ratio is steadier than the ratio of medians).

| code | precision | MLUPS | MFLUPS | MLUPS range | × porestudio f32 | load |
|---|---|---|---|---|---|---|
{chr(10).join(_throughput_line(runs, thr[0]) for runs in thr)}
{_split_lines(split, N**3)}
{check_block}"""
