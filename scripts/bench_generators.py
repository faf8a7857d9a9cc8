"""Benchmark and validate the structure generators; writes docs/bench_generators.md.

Usage::

    .venv/bin/python scripts/bench_generators.py [--stats-count 48831] [--dataset-count 5000]

Measures the squares fast path (samples/s), the porosity statistics of the paper's data
set (section 4.1, Table 3: mean 0.248, std 0.089, min 0.1, max 0.4), the streaming
``generate_dataset`` throughput and file size, and the 3D families (time per 100³ sample,
porosity error).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import bench_header

from porestudio.structures import generators as gen

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeat: int = 3) -> float:
    """Smallest wall time of ``repeat`` calls [s]."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_squares_batch(lines: list[str]) -> None:
    gen.squares_batch(100, 0)  # warm up
    lines += ["## Squares fast path (`squares_batch`, 100×100 sections)", ""]
    lines += ["| batch size | time [s] | samples/s |", "|---:|---:|---:|"]
    for count in (100, 1000, 10_000):
        t = best_of(lambda c=count: gen.squares_batch(c, 1))
        lines.append(f"| {count} | {t:.3f} | {count / t:,.0f} |")
    t = best_of(lambda: [gen.squares(1, index=i) for i in range(100)])
    lines += ["", f"Single 3D sample `squares()` (100³, extruded): {t / 100 * 1e3:.2f} ms.", ""]


def bench_statistics(lines: list[str], count: int) -> None:
    n, _ = gen.squares_positions(count, 2025)
    porosity = gen.squares_batch(count, 2025).mean(axis=(1, 2))
    assert np.allclose(porosity, n * 100 / 10_000), "pores overlap"
    lines += [f"## Porosity statistics over {count} samples (seed 2025)", ""]
    lines += ["| statistic | porestudio | paper (Table 3) | uniform 10..40 × 0.01 |"]
    lines += ["|---|---:|---:|---:|"]
    exact_std = np.sqrt((31**2 - 1) / 12) / 100
    rows = [
        ("mean", porosity.mean(), 0.248, 0.25),
        ("std", porosity.std(), 0.089, exact_std),
        ("min", porosity.min(), 0.1, 0.1),
        ("max", porosity.max(), 0.4, 0.4),
    ]
    lines += [f"| {name} | {ours:.4f} | {paper} | {ref:.4f} |" for name, ours, paper, ref in rows]
    lines += [
        "",
        "Overlap check: porosity = n_pores × 100 / 10⁴ exactly for every sample.",
        "",
    ]


def bench_dataset(lines: list[str], count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "squares.h5"
        t0 = time.perf_counter()
        gen.generate_dataset(out, "squares", count, 7)
        t = time.perf_counter() - t0
        size = os.path.getsize(out)
    lines += [f"## Streaming `generate_dataset('squares')`, {count} samples of 100³", ""]
    lines += [
        f"{t:.1f} s ({count / t:,.0f} samples/s), file {size / 1e6:.1f} MB "
        f"({size / count / 1e3:.1f} kB/sample); extrapolated to the paper's 48,831 samples: "
        f"{48_831 / count * t:.0f} s.",
        "",
    ]


def bench_3d(lines: list[str]) -> None:
    lines += ["## 3D families (100³)", ""]
    lines += ["| generator | parameters | time [s] | porosity target | porosity got |"]
    lines += ["|---|---|---:|---:|---:|"]
    cases = [
        ("grf", {"porosity": 0.5, "correlation_length_vox": 5.0}),
        ("grf", {"porosity": 0.3, "correlation_length_vox": (2, 2, 10), "periodic": True}),
        ("spheres", {"porosity": 0.5, "radius_vox": 8.0}),
        ("spheres", {"porosity": 0.4, "radius_vox": 3.0}),
        ("spheres", {"porosity": 0.7, "radius_vox": 6.0, "overlapping": False}),
        ("spheres", {"porosity": 0.35, "radius_vox": 10.0, "phase": "pore"}),
    ]
    for name, params in cases:
        holder: dict = {}
        t = best_of(lambda n=name, p=params, h=holder: h.update(s=gen.GENERATORS[n](3, **p)), 2)
        pretty = ", ".join(f"{k}={v}" for k, v in params.items() if k != "porosity")
        lines.append(
            f"| {name} | {pretty} | {t:.2f} | {params['porosity']} | {holder['s'].porosity:.4f} |"
        )
    lines.append("")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats-count", type=int, default=48_831)
    parser.add_argument("--dataset-count", type=int, default=5_000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench_generators.md")
    args = parser.parse_args()
    lines = [
        "# Generator benchmark",
        "",
        *bench_header(),
        "The CPUs are shared with other jobs. Best of 3 wall times.",
        "",
    ]
    bench_squares_batch(lines)
    bench_statistics(lines, args.stats_count)
    bench_dataset(lines, args.dataset_count)
    bench_3d(lines)
    lines += [
        "The paper states 10–40 pores drawn with NumPy's `randint`; its Table 3 maximum 0.40 "
        "implies 40 is included, as here. Its mean 0.248 lies slightly below the 0.250 of a "
        "uniform 10..40 count (its data set may have dropped some samples); the standard "
        "deviation matches.",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
