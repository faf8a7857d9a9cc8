#!/usr/bin/env python
"""Pool the held-out results of parallel design benchmarks into one page.

Runs of ``scripts/bench_design.py --count N --part I/K --save part_I.npz`` (same model,
seed and N) design disjoint parts of the same N held-out targets; this writes the tables
of all N together, with the runs' own pages linked::

    python scripts/merge_bench_design.py part_1.npz part_2.npz --out docs/bench_design_3d.md \
        --pages docs/logs/part_1.md docs/logs/part_2.md --note "..."
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def pooled(parts: list[dict]) -> dict:
    """One result from several: arrays concatenated, times and counts summed."""
    names = parts[0]["names"]
    if any(p["names"] != names for p in parts):
        raise SystemExit("the results name different properties: not the same benchmark")
    arrays = [k for k, v in parts[0].items() if isinstance(v, np.ndarray)]
    out = {k: np.concatenate([p[k] for p in parts]) for k in arrays}
    st: dict = {"wall_s": {}, "cpu_s": {}}
    for p in parts:
        for key in ("wall_s", "cpu_s"):
            for phase, sec in p["stats"].get(key, {}).items():
                st[key][phase] = st[key].get(phase, 0.0) + float(sec)
        for key in ("physics_runs", "scored", "polish_runs", "retried"):
            st[key] = st.get(key, 0) + int(p["stats"].get(key, 0))
    return {**out, "names": names, "stats": st, "n": len(out["target"]),
            "wall": sum(p["wall"] for p in parts),
            "physics_s": sum(p["physics_s"] for p in parts)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from bench_design import load_result, table

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", nargs="+", type=Path, help=".npz files of bench_design --save")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--pages", nargs="*", default=[], help="the runs' own pages (linked)")
    p.add_argument("--note", default="")
    args = p.parse_args(argv)
    parts = [load_result(r) for r in args.results]
    res = pooled(parts)
    links = ", ".join(f"`{page}`" for page in args.pages) or "not given"
    lines = ["# Inverse design benchmark, pooled (paper section 4.5)", "",
             f"Pooled from {len(parts)} runs of `scripts/bench_design.py` on disjoint parts "
             f"of the same held-out targets ({', '.join(r.name for r in args.results)}); the "
             f"runs' pages (command, machine, options): {links}. Times are summed over the "
             "runs, which ran side by side on the 2 cores.", "",
             *([args.note, ""] if args.note else []),
             *table(res, "held-out targets (the model's test split, not in the reference)"),
             "Errors are relative to the target (Δφ absolute); the nearest training sample is "
             "the labelled sample nearest the target in the model's scaled property space (its "
             "labels are physics).", ""]  # fmt: skip
    args.out.write_text("\n".join(lines))
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
