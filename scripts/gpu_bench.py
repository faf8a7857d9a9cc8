#!/usr/bin/env python3
"""Benchmark of the CUDA LBM backends (run by scripts/gpu_session.sh on a lent GPU).

Measures, on the GPU it finds:

* device-to-device copy bandwidth (bytes read + written), the memory ceiling;
* MFLUPS (fluid cells) and MLUPS (all cells) of the Triton kernel, both neighbour modes
  and a few launch shapes, at 64³ (sphere cell), 100³ (CT sub-volume), 128³ and 256³
  (all-fluid box and a porous Gaussian-random-field structure), plus the eager torch
  backend for reference; the fraction of the copy bandwidth each run reaches;
* time to converge of the 64³ sphere cell; time to the full permeability tensor of two
  100³ CT sub-volumes (FiberForm, Berea) through ``porestudio.physics.permeability``.

Writes ``gpu_bench.json`` and ``gpu_bench.md`` into ``--out``. Every section is guarded:
a failing one is recorded and the rest still run.

Usage: ``PYTHONPATH=. python3 scripts/gpu_bench.py --out DIR [--quick]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from _legacy_tau import legacy_tau  # noqa: E402

from porestudio.physics.lbm import backend_torch as lbm_torch  # noqa: E402
from porestudio.physics.lbm import backend_triton as lbm_triton  # noqa: E402
from porestudio.physics.lbm.flow import FlowProblem  # noqa: E402

DEVICE = "cuda"
SIZES = {
    "big": 256, "mid": 128, "cell": 64, "ct": 100, "steps": 300, "small_steps": 1000,
    "spheres": (32, 64, 96, 128, 160),
}  # fmt: skip
"""Problem sizes; ``--smoke`` shrinks them to check the script on a CPU (TRITON_INTERPRET=1)."""

BYTES = {"map": 4 + 19 * 4 * 2, "table": 19 * 4 * 2 + 18 * 4, "torch": 19 * 4 * 2 + 19 * 8}
"""Fewest DRAM bytes per fluid cell and step (float32) of each path (map lookups from L2)."""


def sphere_cell(n: int, radius_frac: float = 0.4) -> np.ndarray:
    """One solid sphere (radius ``radius_frac * n``) centred in a periodic cube."""
    z, y, x = np.mgrid[:n, :n, :n] + 0.5
    return (x - n / 2) ** 2 + (y - n / 2) ** 2 + (z - n / 2) ** 2 > (radius_frac * n) ** 2


def grf(n: int, sigma: float = 4.0, porosity: float = 0.5, seed: int = 0) -> np.ndarray:
    """Thresholded Gaussian random field, periodic (FFT filter)."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n, n, n)).astype(np.float32)
    k = np.fft.fftfreq(n).astype(np.float32)
    k2 = k[:, None, None] ** 2 + k[None, :, None] ** 2 + k[None, None, :] ** 2
    field = np.fft.ifftn(np.fft.fftn(noise) * np.exp(-2 * (np.pi * sigma) ** 2 * k2)).real
    return field < np.quantile(field, porosity)


def ct_volume(name: str) -> np.ndarray:
    """100³ pore arrays of the bundled CT data (FiberForm grey < 90; Berea crop, 0 = pore)."""
    import tifffile

    if name == "fiberform":
        grey = tifffile.imread(ROOT / "resources/ct/fiberform_puma/100_fiberform.tif")
        return grey[: SIZES["ct"], : SIZES["ct"], : SIZES["ct"]] < 90
    img = tifffile.imread(ROOT / "resources/ct/berea_openpnm/berea_200_pore0_solid255.tif")
    n = SIZES["ct"]
    return img[50 : 50 + n, 50 : 50 + n, 50 : 50 + n] == 0


def copy_bandwidth(torch, nbytes: int = 2 << 30, reps: int = 20) -> float:
    """Device-to-device copy bandwidth, GB/s counting bytes read and written."""
    a = torch.empty(nbytes // 4, dtype=torch.float32, device="cuda").uniform_()
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record()
        b.copy_(a)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3)
    del a, b
    torch.cuda.empty_cache()
    return 2 * nbytes / float(np.median(times)) / 1e9


def throughput(name, pore, steps, copy_bw, backend="map", **opts) -> dict:
    """Fixed-step run (tol = 0, checks every 100 steps); MFLUPS, MLUPS, bandwidth share."""
    problem = FlowProblem(
        pore=pore,
        tol=0.0,
        max_steps=steps,
        check_every=min(100, steps),
        device=DEVICE,
        force=1e-6,
    )
    t0 = time.perf_counter()
    if backend == "torch":
        res = lbm_torch.run(problem)
    else:
        res = lbm_triton.run(problem, neighbours=backend, **opts)
    wall = time.perf_counter() - t0
    gbs = res.mflups * 1e6 * BYTES[backend] / 1e9
    row = {
        "case": name,
        "backend": res.backend,
        "options": opts,
        "shape": list(pore.shape),
        "porosity": float(pore.mean()),
        "steps": res.steps,
        "loop_s": res.seconds,
        "call_s": wall,
        "mflups": res.mflups,
        "mlups": res.mlups,
        "min_bytes_per_cell": BYTES[backend],
        "effective_GBps": gbs,
        "fraction_of_copy_bw": gbs / copy_bw if copy_bw else None,
        "u_mean_x": float(res.mean_velocity_xyz[0]),
    }
    print(
        f"  {name:28s} {res.backend:22s} {opts!s:34s} {res.mflups:9.0f} MFLUPS "
        f"{res.mlups:9.0f} MLUPS {gbs:7.0f} GB/s",
        flush=True,
    )
    return row


def converge_sphere() -> list[dict]:
    """Time to converge the sphere cell (default tol, τ = 1 and the permeability τ = 2)."""
    rows, n = [], SIZES["cell"]
    pore = sphere_cell(n)
    for tau, check in ((1.0, 100), (2.0, 100), (2.0, 50)):
        problem = FlowProblem(
            pore=pore, tau=tau, force=2e-5 * (tau - 0.5) / 3, check_every=check, device=DEVICE
        )
        for attempt in range(2):  # noqa: B007 (the first call compiles; the last is kept)
            t0 = time.perf_counter()
            res = lbm_triton.run(problem)
            wall = time.perf_counter() - t0
        k = res.mean_velocity_xyz[0] * problem.viscosity / problem.force
        rows.append(
            {
                "tau": tau,
                "check_every": check,
                "steps": res.steps,
                "converged": res.converged,
                "loop_s": res.seconds,
                "call_s": wall,
                "k_lu": k,
                "mflups": res.mflups,
                "backend": res.backend,
                "attempt": attempt,
            }
        )
        print(
            f"  sphere {n}^3 tau={tau} check={check}: {res.steps} steps, loop {res.seconds:.3f} s,"
            f" call {wall:.3f} s, k={k:.5g} lu",
            flush=True,
        )
    return rows


def tensor_times() -> list[dict]:
    """Full permeability tensors of 100³ CT sub-volumes on the GPU (second call timed):
    Kuhn (6 runs) with the automatic τ and, side by side, the earlier τ rule; periodic."""
    from porestudio.physics.permeability import auto_tau, permeability

    rows = []
    for name in ("fiberform", "berea"):
        pore = ct_volume(name)
        for label, mode, tau in (
            ("kuhn, auto tau", "kuhn", None),
            ("kuhn, earlier tau rule", "kuhn", legacy_tau(pore)),
            ("periodic, auto tau", "periodic", None),
        ):
            for _attempt in range(2):
                t0 = time.perf_counter()
                res = permeability(pore, tensor=True, device=DEVICE, mode=mode, tau=tau)
                wall = time.perf_counter() - t0
            runs = [dataclasses.asdict(r) for r in res.runs]
            rows.append(
                {
                    "case": f"{name} ({label})",
                    "porosity": float(pore.mean()),
                    "tau": tau if tau is not None else auto_tau(pore),
                    "seconds": wall,
                    "steps": [r["steps"] for r in runs],
                    "k_lu": np.asarray(res.k_lu).tolist(),
                    "runs": runs,
                }
            )
            print(
                f"  tensor {name} {label} tau={rows[-1]['tau']:.3f}: {wall:.2f} s, "
                f"steps {rows[-1]['steps']}, diag {np.diag(res.k_lu)}",
                flush=True,
            )
    return rows


def subvoxel_spheres() -> list[dict]:
    """Simple-cubic sphere cells against Zick & Homsy: staircase vs sub-voxel walls."""
    from _sphere_reference import k_sphere_reference

    from porestudio.physics.permeability import auto_tau

    rows = []
    sizes = [(n, 0.2) for n in SIZES["spheres"]] + [(n, 0.216) for n in SIZES["spheres"][1::2]]
    for n, c in sizes:
        radius = n * (3 * c / (4 * np.pi)) ** (1 / 3)
        x = np.arange(n) + 0.5 - n / 2
        z, y, xx = np.meshgrid(x, x, x, indexing="ij")
        phi = np.sqrt(xx * xx + y * y + z * z) - radius
        pore = phi > 0
        tau = auto_tau(pore)
        for walls, level in (("staircase", None), ("sub-voxel", phi)):
            problem = FlowProblem(
                pore=pore, tau=tau, force=2e-5 * (tau - 0.5) / 3, device=DEVICE, level_set=level
            )
            t0 = time.perf_counter()
            res = lbm_triton.run(problem)
            wall = time.perf_counter() - t0
            k = float(res.mean_velocity_xyz[0] * problem.viscosity / problem.force)
            c_ref = c if level is not None else 1.0 - float(pore.mean())
            ref = k_sphere_reference(n, c, c_ref)
            rows.append(
                {"n": n, "c": c, "walls": walls, "tau": tau, "k_lu": k, "reference": ref,
                 "error": k / ref - 1, "steps": res.steps, "converged": res.converged,
                 "call_s": wall, "backend": res.backend}
            )  # fmt: skip
            print(
                f"  sphere {n}^3 c={c} {walls}: k={k:.5g} ref={ref:.5g} "
                f"({100 * (k / ref - 1):+.3f} %), {res.steps} steps, {wall:.1f} s",
                flush=True,
            )
    return rows


def section(results: dict, key: str, fn, *args) -> None:
    print(f"== {key}", flush=True)
    t0 = time.perf_counter()
    try:
        results[key] = fn(*args)
    except Exception as exc:  # keep going: one broken section must not lose the rest
        traceback.print_exc()
        results[key] = {"error": f"{type(exc).__name__}: {exc}"}
    print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)


def throughput_suite(copy_bw: float, quick: bool) -> list[dict]:
    rows = []
    big, mid, steps, few = SIZES["big"], SIZES["mid"], SIZES["steps"], SIZES["small_steps"]
    gbig = grf(big)
    for block, warps in ((128, 4), (256, 4), (256, 8), (512, 8)):
        rows.append(
            throughput(f"grf{big} p=0.5", gbig, steps, copy_bw, block=block, num_warps=warps)
        )
    for hints in (("evict_first", "evict_last"), ("", "evict_last")):
        rows.append(throughput(f"grf{big} p=0.5", gbig, steps, copy_bw, hints=hints))
    best = max(rows, key=lambda r: r["mflups"])["options"]
    rows.append(
        throughput(f"dense{big} (all fluid)", np.ones((big,) * 3, bool), steps, copy_bw, **best)
    )
    gmid = grf(mid)
    rows.append(throughput(f"grf{mid} p=0.5", gmid, steps, copy_bw, **best))
    rows.append(throughput(f"grf{mid} p=0.5", gmid, steps, copy_bw, backend="table", **best))
    rows.append(throughput(f"grf{mid} p=0.5", gmid, steps, copy_bw, graphs=False, **best))
    rows.append(throughput(f"grf{mid} p=0.5", gmid, min(steps, 50), copy_bw, backend="torch"))
    if quick:
        return rows
    rows.append(
        throughput(f"sphere{SIZES['cell']}", sphere_cell(SIZES["cell"]), few, copy_bw, **best)
    )
    rows.append(throughput("fiberform100", ct_volume("fiberform"), few, copy_bw, **best))
    rows.append(throughput("berea100", ct_volume("berea"), few, copy_bw, **best))
    return rows


def _table(rows, header: str, fmt) -> list[str]:
    """Markdown table lines of a section's rows (nothing when the section failed)."""
    if not isinstance(rows, list):
        return []
    return [header, "|" + "---|" * header.count(" | ") + "---|", *map(fmt, rows), ""]


def markdown(results: dict) -> str:
    lines = ["# GPU benchmark (scripts/gpu_bench.py)", ""]
    info = results.get("device", {})
    lines += [f"- {k}: {v}" for k, v in info.items()] + [""]
    bw = results.get("copy_bandwidth_GBps")
    lines += [
        f"Device-to-device copy: **{bw:.0f} GB/s** (read + write)."
        if isinstance(bw, float)
        else f"Copy bandwidth: {bw}",
        "",
    ]
    lines += _table(
        results.get("throughput"),
        "| case | backend | options | porosity | steps | MFLUPS | MLUPS | GB/s | of copy bw |",
        lambda r: (
            f"| {r['case']} | {r['backend']} | {r['options']} | {r['porosity']:.3f} | "
            f"{r['steps']} | {r['mflups']:.0f} | {r['mlups']:.0f} | {r['effective_GBps']:.0f} | "
            + (
                f"{r['fraction_of_copy_bw']:.0%} |"
                if r["fraction_of_copy_bw"] is not None
                else "n/a |"
            )
        ),
    )
    lines += _table(
        results.get("converge_sphere64"),
        "| 64³ sphere cell | steps | loop s | whole call s | k (voxel²) |",
        lambda r: (
            f"| τ={r['tau']}, check every {r['check_every']} | {r['steps']} | "
            f"{r['loop_s']:.3f} | {r['call_s']:.3f} | {r['k_lu']:.5g} |"
        ),
    )
    lines += _table(
        results.get("tensor100"),
        "| 100³ tensor | porosity | τ | steps per run | seconds | k diagonal (voxel²) |",
        lambda r: (
            f"| {r['case']} | {r['porosity']:.3f} | {r['tau']:.3f} | "
            f"{', '.join(str(v) for v in r['steps'])} | {r['seconds']:.2f} | "
            + ", ".join(f"{r['k_lu'][i][i]:.4g}" for i in range(3))
            + " |"
        ),
    )
    lines += _table(
        results.get("subvoxel_spheres"),
        "| SC sphere cell | c | walls | τ | k (voxel²) | reference | error | steps | s |",
        lambda r: f"| {r['n']}³ | {r['c']} | {r['walls']} | {r['tau']:.2f} | {r['k_lu']:.5g} | "
        f"{r['reference']:.5g} | {100 * r['error']:+.3f} % | {r['steps']} | {r['call_s']:.1f} |",
    )  # fmt: skip
    for key, val in results.items():
        if isinstance(val, dict) and "error" in val:
            lines.append(f"- **{key} failed**: {val['error']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for gpu_bench.json / .md")
    parser.add_argument("--quick", action="store_true", help="throughput only, fewer cases")
    parser.add_argument(
        "--sections",
        default="copy,throughput,sphere,tensor,subvoxel",
        help="comma-separated sections to run (copy, throughput, sphere, tensor, subvoxel)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes on the CPU (with TRITON_INTERPRET=1): checks the script",
    )
    args = parser.parse_args(argv)
    import torch
    import triton

    global DEVICE
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(args.sections.split(","))
    results: dict = {"device": {"torch": torch.__version__, "triton": triton.__version__}}
    if args.smoke:
        DEVICE = "cpu"
        SIZES.update(big=12, mid=10, cell=10, ct=10, steps=4, small_steps=4, spheres=(8, 10))
    else:
        props = torch.cuda.get_device_properties(0)
        results["device"].update(
            name=props.name,
            sms=props.multi_processor_count,
            cuda=torch.version.cuda,
            memory_GiB=round(props.total_memory / 2**30, 1),
        )
        if "copy" in wanted:
            section(results, "copy_bandwidth_GBps", copy_bandwidth, torch)
    print(results["device"], flush=True)
    bw = results.get("copy_bandwidth_GBps")
    bw = bw if isinstance(bw, float) else None
    if "throughput" in wanted:
        section(results, "throughput", throughput_suite, bw, args.quick)
    if not args.quick:
        if "sphere" in wanted:
            section(results, "converge_sphere64", converge_sphere)
        if "tensor" in wanted:
            section(results, "tensor100", tensor_times)
        if "subvoxel" in wanted:
            section(results, "subvoxel_spheres", subvoxel_spheres)
    (out / "gpu_bench.json").write_text(json.dumps(results, indent=1, default=str))
    (out / "gpu_bench.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
