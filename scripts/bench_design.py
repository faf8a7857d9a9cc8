#!/usr/bin/env python
"""Inverse design benchmark (paper section 4.5, reproduced and checked by physics).

Writes docs/bench_design.md and the Fig. 16 error map docs/bench_design_error_map.png.

Two target sets, both unseen by the training data:

* **uniform** — the paper's ``--count`` (1000) uniform random targets, porosity 0.1–0.5 and
  k 0.2–2.5 lattice units (many lie off the data's porosity–permeability trend: they are
  reported as flagged outside the support, and the in-support subset separately);
* **between** — ``--between`` targets *between* the porosity levels of the data (a
  square-pore sample's porosity is a multiple of 0.01; these ask for the midpoint of two
  adjacent levels, e.g. 0.255) with the mean of the two levels' median k: no training sample
  can be exact there.

For each target the best design is evaluated (a) by the surrogate, as the paper did (the
CNN on the printed structure when ``--cnn`` is given, else the pVAE on it), and (b) by the
physics solver on the printed structure; the nearest training sample is the baseline.

Usage::

    .venv/bin/python scripts/bench_design.py --model models/pvae2d --cnn models/cnn2d \
        --data data/squares.h5 --count 1000
    .venv/bin/python scripts/bench_design.py --model tiny --data tiny.h5 --count 20 \
        --phi-range 0.12 0.36 --k-range 0.07 0.35      # a smoke run
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
PAPER_R2 = {"porosity": 0.7056, "k": 0.9990}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="inverse design benchmark → docs/bench_design.md")
    p.add_argument("--model", required=True, help="pVAE model folder")
    p.add_argument("--cnn", help="CNN surrogate model folder")
    p.add_argument("--data", help="training dataset (default: the model's)")
    p.add_argument("--latent", help="its latent file (porestudio latent), saves encoding")
    p.add_argument("--count", type=int, default=1000, help="uniform random targets (1000)")
    p.add_argument("--between", type=int, default=None, help="between-level targets (count/5)")
    p.add_argument("--phi-range", type=float, nargs=2, default=(0.1, 0.5))
    p.add_argument("--k-range", type=float, nargs=2, default=(0.2, 2.5))
    p.add_argument("--candidates", type=int, default=3)
    p.add_argument("--rank", choices=("physics", "surrogate"), default="physics",
                   help="re-rank candidates by physics (default) or by the surrogate only")
    p.add_argument("--steps", type=int, help="refinement steps (DesignOptions.steps)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    p.add_argument("--seed", type=int, default=0, help="seed of the random targets")
    p.add_argument("--note", default="", help="a line about the model, written into the doc")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "bench_design.md")
    return p.parse_args(argv)


def uniform_targets(n: int, phi_range, k_range, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(*phi_range, n), rng.uniform(*k_range, n)], axis=1)


def between_targets(n: int, ref, seed: int) -> np.ndarray:
    """Targets between the data's porosity levels: the midpoint of two adjacent levels, with
    the mean of the two levels' median k (data with discrete levels, like the squares); else
    porosity x.xx5 with the median k of the samples within 0.005."""
    phi, k = ref.latent.properties[:, 0], ref.latent.properties[:, 1]
    rng = np.random.default_rng(seed + 1)
    levels = np.unique(np.round(phi, 9))
    if len(levels) <= 400:
        counts = np.array([np.sum(np.isclose(phi, v)) for v in levels])
        pairs = [(a, b) for a, b, ca, cb in zip(levels[:-1], levels[1:], counts[:-1], counts[1:],
                                                strict=True) if ca >= 4 and cb >= 4]  # fmt: skip
        if pairs:
            pick = rng.choice(len(pairs), n, replace=len(pairs) < n)
            return np.array([((a + b) / 2, (np.median(k[np.isclose(phi, a)])
                              + np.median(k[np.isclose(phi, b)])) / 2)
                             for a, b in (pairs[i] for i in pick)])  # fmt: skip
    lo, hi = np.quantile(phi, [0.05, 0.95])  # continuous porosities
    out = []
    for _ in range(50 * n):
        if len(out) == n:
            break
        p = np.floor(rng.uniform(lo, hi) * 100) / 100 + 0.005
        near = np.abs(phi - p) <= 0.0051
        if near.sum() >= 4:
            out.append((p, float(np.median(k[near]))))
    return np.asarray(out, dtype=float).reshape(-1, 2)


def r2(achieved: np.ndarray, target: np.ndarray) -> float:
    ok = np.isfinite(achieved)
    if ok.sum() < 2:
        return float("nan")
    a, t = achieved[ok], target[ok]
    return 1.0 - float(np.sum((a - t) ** 2) / np.sum((t - t.mean()) ** 2))


def run_set(model, cnn, ref, targets: np.ndarray, args, opts) -> dict:
    from porestudio.design.inverse import design
    from porestudio.design.targets import make_targets

    tg = make_targets({"porosity": targets[:, 0], "k": targets[:, 1]})
    verify = "physics" if args.rank == "physics" else None
    t0 = time.perf_counter()
    results = design(model, tg, surrogate=cnn, candidates=args.candidates, verify=verify,
                     data=ref, options=opts)  # fmt: skip
    wall = time.perf_counter() - t0
    best = [r.candidates[0] for r in results]
    if verify is None:
        best = _physics_of(model, ref, best)
    kname = results[0].names[1]
    return {
        "wall": wall, "n": len(results), "target": targets,
        "sur": np.array([[c.predicted["porosity"], c.predicted[kname]] for c in best]),
        "phys": np.array([[c.verified["porosity"], c.verified[kname]] for c in best]),
        "base": np.array([[r.baseline.verified["porosity"], r.baseline.verified[kname]]
                          for r in results]),
        "outside": np.array([r.outside_support for r in results]),
        "perc": np.array([c.percolates for c in best]),
        "novelty": np.array([c.novelty for c in best]),
        "density": np.array([c.in_distribution for c in best]),
    }  # fmt: skip


def _physics_of(model, ref, cands):
    from porestudio.design.verify import physics_properties

    pores = np.stack([c.pore for c in cands])
    phys = physics_properties(pores, model.spec, boundary_mode=ref.boundary_mode)
    return [dataclasses.replace(c, verified={k: float(v[i]) for k, v in phys.items()})
            for i, c in enumerate(cands)]  # fmt: skip


def stats(res: dict, key: str, mask: np.ndarray | None = None) -> dict:
    m = np.ones(res["n"], bool) if mask is None else mask
    got, tgt = res[key][m], res["target"][m]
    rel = np.abs(got - tgt) / tgt
    out = {}
    for j, name in enumerate(("porosity", "k")):
        out[name] = (r2(got[:, j], tgt[:, j]), *np.nanpercentile(rel[:, j], [50, 95]))
    return out


def error_map(res: dict, ref, path: Path) -> None:
    from porestudio.design.plots import error_map as draw

    t, p = res["target"], res["phys"]
    mse = (p[:, 0] - t[:, 0]) ** 2 + (p[:, 1] - t[:, 1]) ** 2
    data = (ref.latent.properties[:, 0], ref.latent.properties[:, 1])
    draw(t[:, 0], t[:, 1], np.log10(np.maximum(mse, 1e-12)), path, data=data, overwrite=True,
         flagged=res["outside"],
         title="design error by physics: log10(MSE porosity + MSE k)")  # fmt: skip


def table(res: dict, title: str) -> list[str]:
    inside = ~res["outside"]
    rows = [f"### {title} ({res['n']} targets, {int(inside.sum())} inside the support)", "",
            "| targets | evaluated by | R² φ | R² k | median err φ | p95 err φ | median err k |"
            " p95 err k |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for subset, mask in (("all", None), ("inside support", inside)):
        if mask is not None and mask.sum() < 2:
            continue
        for label, key in (("surrogate (paper's way)", "sur"), ("physics", "phys"),
                           ("nearest training sample", "base")):  # fmt: skip
            s = stats(res, key, mask)
            rows.append(f"| {subset} | {label} | {s['porosity'][0]:.4f} | {s['k'][0]:.4f} | "
                        f"{100 * s['porosity'][1]:.2f} % | {100 * s['porosity'][2]:.2f} % | "
                        f"{100 * s['k'][1]:.2f} % | {100 * s['k'][2]:.2f} % |")  # fmt: skip
    rows += ["", f"flagged outside the support: {100 * res['outside'].mean():.1f} %; best design "
             f"percolates: {100 * res['perc'].mean():.1f} %; median novelty "
             f"{np.median(res['novelty']):.3f} (fraction of voxels differing from the nearest "
             f"training structure); median in-distribution score {np.median(res['density']):.2f}; "
             f"wall time {res['wall']:.1f} s ({res['wall'] / res['n']:.2f} s per target)", ""]
    return rows  # fmt: skip


def write_doc(args, header, ref, uni: dict, betw: dict | None, opts, setup_s: float) -> None:
    lines = ["# Inverse design benchmark (paper section 4.5)", "", *header,
             f"Model `{args.model}`, surrogate `{args.cnn or 'none'}`, data "
             f"`{ref.latent.source}` ({len(ref)} labelled samples), ranking by {args.rank}, "
             f"device {args.device}.", "",
             *([args.note, ""] if args.note else []),
             f"Reference set-up (encode + pack the training data): {setup_s:.1f} s. "
             f"Options: `{opts}`.", "",
             f"Paper (Fig. 17, by its CNN surrogate): R² k {PAPER_R2['k']}, R² φ "
             f"{PAPER_R2['porosity']}.", ""]  # fmt: skip
    lines += table(uni, f"uniform targets φ {args.phi_range}, k {args.k_range} lu")
    if betw is not None and betw["n"]:
        lines += table(betw, "between the porosity levels of the data (midpoints, median k)")
    lines += ["![design error map](bench_design_error_map.png)", "",
              "Errors are relative to the target; the nearest training sample is the labelled "
              "sample nearest the target in the model's scaled property space (its labels are "
              "physics).", ""]  # fmt: skip
    args.out.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    from _machine import bench_header

    from porestudio.design.inverse import DesignOptions, resolve_reference
    from porestudio.ml.modelfile import load_model

    args = parse(argv)
    header = bench_header(argv)
    model = load_model(args.model, device=args.device)
    cnn = load_model(args.cnn, device=args.device) if args.cnn else None
    t0 = time.perf_counter()
    ref = resolve_reference(model, args.data, args.latent)
    setup = time.perf_counter() - t0
    opts = DesignOptions(physics_device=args.device)
    if args.steps is not None:
        opts = dataclasses.replace(opts, steps=args.steps)
    uni = run_set(model, cnn, ref, uniform_targets(args.count, args.phi_range, args.k_range,
                                                   args.seed), args, opts)  # fmt: skip
    n_between = args.count // 5 if args.between is None else args.between
    tb = between_targets(n_between, ref, args.seed)
    betw = run_set(model, cnn, ref, tb, args, opts) if len(tb) else None
    error_map(uni, ref, args.out.with_name("bench_design_error_map.png"))
    write_doc(args, header, ref, uni, betw, opts, setup)
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
