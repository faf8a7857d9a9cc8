#!/usr/bin/env python
"""Speed of the conductance estimate (physics/conductance.py) on cubes of the 3D default set.

Side by side in one run, on the same cubes: the numba block-CG kernel the package uses and
the numpy form of the same iteration it replaced (kept here as the baseline), one thread.
Writes docs/bench_conductance.md::

    python scripts/bench_conductance.py --count 24
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def numpy_block_pcg(lap, rhs: np.ndarray, dinv: np.ndarray) -> np.ndarray:
    """The numpy block Jacobi-PCG of session 10 (the baseline)."""
    from porestudio.physics.conductance import _MAXITER, _RTOL

    x = np.zeros_like(rhs)
    r = rhs.copy()
    z = dinv[:, None] * r
    direction = z.copy()
    rz = (r * z).sum(0)
    goal = _RTOL * np.linalg.norm(rhs, axis=0)
    for _ in range(_MAXITER):
        if (np.linalg.norm(r, axis=0) <= goal).all():
            return x
        q = lap @ direction
        pq = (direction * q).sum(0)
        alpha = np.divide(rz, pq, out=np.zeros_like(rz), where=pq > 0)
        x += alpha * direction
        r -= alpha * q
        z = dinv[:, None] * r
        rz_new = (r * z).sum(0)
        beta = np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0)
        rz = rz_new
        direction = z + beta * direction
    return x


def timed(cubes, solver) -> tuple[np.ndarray, np.ndarray]:
    """(seconds per cube, estimates (n, 3)) with ``solver`` as the block CG."""
    import porestudio.physics.conductance as C

    kept = C._block_pcg
    C._block_pcg = solver or kept
    try:
        secs, out = [], []
        for p in cubes:
            t0 = time.perf_counter()
            out.append(C.conductance_permeability(p))
            secs.append(time.perf_counter() - t0)
    finally:
        C._block_pcg = kept
    return np.array(secs), np.array(out)


def main(argv: list[str] | None = None) -> int:
    from _machine import bench_header

    from porestudio.physics.conductance import conductance_permeability
    from porestudio.resources import RESOURCES_DIR
    from porestudio.structures.dataset import open_dataset

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=RESOURCES_DIR / "default_3d.h5")
    p.add_argument("--count", type=int, default=24)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "bench_conductance.md")
    args = p.parse_args(argv)
    header = bench_header(argv)
    with open_dataset(args.data) as ds:
        rows = np.random.default_rng(0).choice(len(ds), min(args.count, len(ds)), replace=False)
        cubes = [ds.pores(int(i), int(i) + 1)[0] for i in np.sort(rows)]
    conductance_permeability(cubes[0])  # compile (or load) the kernel first
    fast, est = timed(cubes, None)
    slow, ref = timed(cubes, numpy_block_pcg)
    fast2, _ = timed(cubes, None)
    rel = np.abs(est - ref) / np.maximum(np.abs(ref), 1e-12)
    lines = ["# Conductance estimate: speed", "", *header,
             f"{len(cubes)} cubes of `{args.data.name}` (48³), one thread; per cube, median "
             "(min–max) seconds; the numba kernel timed before and after the numpy baseline.",
             "", "| block CG | median s | min s | max s |", "|---|---|---|---|"]  # fmt: skip
    for name, s in (("numba kernel (1st)", fast), ("numpy (session 10)", slow),
                    ("numba kernel (2nd)", fast2)):  # fmt: skip
        lines.append(f"| {name} | {np.median(s):.3f} | {s.min():.3f} | {s.max():.3f} |")
    ratio = np.median(slow / np.minimum(fast, fast2))
    lines += ["", f"Median speed-up per cube: {ratio:.2f}×. Largest relative difference of the "
              f"estimates: {rel.max():.1e} (same iterates).", ""]  # fmt: skip
    args.out.write_text("\n".join(lines))
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
