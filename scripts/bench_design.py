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

A 3D model (targets porosity, kx, ky, kz, verified by the LBM in the labels' boundary
mode) is benchmarked on ``--heldout`` targets: the labels of samples of the model's stored
test split, which are removed from the reference first (so no target is a training
sample); the page reports per-component median errors and |Δφ|::

    .venv/bin/python scripts/bench_design.py --model models/pvae3d --data data/default_3d.h5 \
        --count 50
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
    p.add_argument(
        "--rank",
        choices=("physics", "surrogate"),
        default="physics",
        help="re-rank candidates by physics (default) or by the surrogate only",
    )
    p.add_argument(
        "--heldout",
        type=int,
        default=None,
        help="targets from the model's stored test split, removed from the reference "
        "(default: 0 for a 2D model, --count for a 3D one)",
    )
    p.add_argument("--steps", type=int, help="refinement steps (DesignOptions.steps)")
    p.add_argument("--k-init", type=int, help="initial guesses per target (DesignOptions)")
    p.add_argument("--screen-steps", type=int, help="screen steps (DesignOptions)")
    p.add_argument("--n-verify", type=int, help="most physics runs per target (DesignOptions)")
    p.add_argument("--threads", type=int, help="torch threads while designing (DesignOptions)")
    p.add_argument("--polish-steps", type=int, help="physics-guided polish steps (DesignOptions)")
    p.add_argument("--scorer", choices=("auto", "network", "estimate"),
                   help="what scores candidates (DesignOptions.scorer)")  # fmt: skip
    p.add_argument(
        "--porosity-offsets", type=float, nargs="+",
        help="relative porosity offsets of the binarisation variants (DesignOptions)",
    )  # fmt: skip
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    p.add_argument("--seed", type=int, default=0, help="seed of the random targets")
    p.add_argument(
        "--part",
        help="I/N: only the I-th of N equal parts of the held-out targets "
        "(parallel runs; scripts/merge_bench_design.py pools their --save files)",
    )
    p.add_argument("--save", type=Path, help="also write the held-out results (.npz)")
    p.add_argument("--exclude", type=Path, nargs="*", default=[],
                   help="--save files of earlier runs: their targets are not drawn again "
                        "(a fresh set of held-out targets)")  # fmt: skip
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


def _flag(name: str, dims: int) -> str:
    return name if name == "porosity" else ("k" if dims == 2 else f"k{name[2]}")


def run_set(model, cnn, ref, targets: np.ndarray, names, args, opts) -> dict:
    """Design for targets (n, len(names)); best designs by surrogate and physics, baseline."""
    from porestudio.design.inverse import design
    from porestudio.design.targets import make_targets

    tg = make_targets({_flag(n, model.spec.dims): targets[:, j] for j, n in enumerate(names)})
    verify = "physics" if args.rank == "physics" else None
    stats: dict = {}
    t0 = time.perf_counter()
    results = design(model, tg, surrogate=cnn, candidates=args.candidates, verify=verify,
                     data=ref, options=opts, stats=stats)  # fmt: skip
    wall = time.perf_counter() - t0
    best = [r.candidates[0] for r in results]
    physics_s = stats["wall_s"].get("physics", 0.0)
    if verify is None:
        t1 = time.perf_counter()
        best = _physics_of(model, ref, best)
        physics_s = time.perf_counter() - t1
    names = results[0].names
    return {
        "wall": wall, "physics_s": physics_s, "stats": stats, "n": len(results),
        "target": targets, "names": names,
        "sur": np.array([[c.predicted[n] for n in names] for c in best]),
        "phys": np.array([[c.verified[n] for n in names] for c in best]),
        "base": np.array([[r.baseline.verified[n] for n in names] for r in results]),
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
    """Per property: (R², median and p95 relative error); porosity also |Δφ| median, p95."""
    m = np.ones(res["n"], bool) if mask is None else mask
    got, tgt = res[key][m], res["target"][m]
    rel = np.abs(got - tgt) / tgt
    out = {}
    for j, name in enumerate(res["names"]):
        out[name] = (r2(got[:, j], tgt[:, j]), *np.nanpercentile(rel[:, j], [50, 95]))
    if "porosity" in res["names"]:
        j = list(res["names"]).index("porosity")
        out["dphi"] = tuple(np.nanpercentile(np.abs(got[:, j] - tgt[:, j]), [50, 95]))
    return out


def heldout_targets(model, ref, n: int, seed: int, part: str | None = None,
                    exclude: np.ndarray | None = None):  # fmt: skip
    """(targets (n, p) of test-split samples, the reference without the test split); with
    ``part`` "I/N" the I-th of N equal parts of those targets; samples whose porosity and
    diagonal k equal a row of ``exclude`` (m, 1 + diagonal) are not drawn."""
    from porestudio.design.reference import without_indices

    test = np.asarray(model.config.get("training", {}).get("test_indices", []), np.int64)
    names = list(ref.latent.names)
    diag = [names.index(c) for c in ("k_xx", "k_yy", "k_zz") if c in names]
    props = ref.latent.properties
    flowing = np.isfinite(props).all(axis=1) & (props[:, diag] > 0).all(axis=1)
    if exclude is not None and len(exclude):
        cols = [names.index("porosity"), *diag]
        seen = np.isclose(props[:, None, cols], np.asarray(exclude)[None], rtol=1e-9).all(-1)
        flowing &= ~seen.any(axis=1)
    rows = np.flatnonzero(np.isin(ref.latent.indices, test) & flowing)  # k = 0: no target
    if not len(rows):
        raise SystemExit("the model file stores no test split of this dataset: no held-out targets")
    rng = np.random.default_rng(seed + 2)
    pick = rng.choice(rows, min(n, len(rows)), replace=False)
    if part:
        i, parts = (int(v) for v in part.split("/"))
        pick = np.array_split(pick, parts)[i - 1]
    return ref.latent.properties[pick], without_indices(ref, test)


def error_map(res: dict, ref, path: Path) -> None:
    from porestudio.design.plots import error_map as draw

    t, p = res["target"], res["phys"]
    mse = (p[:, 0] - t[:, 0]) ** 2 + (p[:, 1] - t[:, 1]) ** 2
    data = (ref.latent.properties[:, 0], ref.latent.properties[:, 1])
    draw(t[:, 0], t[:, 1], np.log10(np.maximum(mse, 1e-12)), path, data=data, overwrite=True,
         flagged=res["outside"],
         title="design error by physics: log10(MSE porosity + MSE k)")  # fmt: skip


def _short(name: str) -> str:
    return "φ" if name == "porosity" else name


def table(res: dict, title: str) -> list[str]:
    inside = ~res["outside"]
    names = res["names"]
    cols = [f"R² {_short(n)}" for n in names] + [
        f"{w} err {_short(n)}" for n in names for w in ("median", "p95")] + [
        "median abs Δφ", "p95 abs Δφ"]  # fmt: skip
    rows = [f"### {title} ({res['n']} targets, {int(inside.sum())} inside the support)", "",
            "| targets | evaluated by | " + " | ".join(cols) + " |",
            "|---|---|" + "---|" * len(cols)]  # fmt: skip
    for subset, mask in (("all", None), ("inside support", inside)):
        if mask is not None and mask.sum() < 2:
            continue
        for label, key in (("surrogate (paper's way)", "sur"), ("physics", "phys"),
                           ("nearest training sample", "base")):  # fmt: skip
            s = stats(res, key, mask)
            vals = [f"{s[n][0]:.4f}" for n in names]
            vals += [f"{100 * s[n][i]:.2f} %" for n in names for i in (1, 2)]
            vals += [f"{s['dphi'][0]:.4f}", f"{s['dphi'][1]:.4f}"]
            rows.append(f"| {subset} | {label} | " + " | ".join(vals) + " |")
    st = res["stats"]
    design_s = res["wall"] - st["wall_s"].get("physics", 0.0)
    phases = ", ".join(f"{k} {v:.1f}" for k, v in st["wall_s"].items())
    cpu = sum(st["cpu_s"].values()) - st["cpu_s"].get("physics", 0.0)
    rows += ["", f"flagged outside the support: {100 * res['outside'].mean():.1f} %; best design "
             f"percolates: {100 * res['perc'].mean():.1f} %; median novelty "
             f"{np.median(res['novelty']):.3f} (fraction of voxels differing from the nearest "
             f"training structure); median in-distribution score {np.median(res['density']):.2f}",
             "",
             f"time: design (without physics) {design_s:.1f} s = {design_s / res['n']:.2f} s per "
             f"target (CPU {cpu / res['n']:.2f} s per target); physics "
             f"{res['physics_s']:.1f} s ({st['physics_runs']} runs; "
             f"{res['physics_s'] / res['n']:.2f} s per target); total {res['wall']:.1f} s "
             f"({res['wall'] / res['n']:.2f} s per target). Wall seconds per phase: {phases}; "
             f"{st['scored']} structures scored by the surrogate.", ""]  # fmt: skip
    return rows


def save_result(res: dict, path: Path) -> None:
    """One target set's results as .npz (arrays; names and timing stats as JSON)."""
    import json

    arrays = {k: v for k, v in res.items() if isinstance(v, np.ndarray)}
    meta = {"names": list(res["names"]), "stats": res["stats"], "wall": res["wall"],
            "physics_s": res["physics_s"]}  # fmt: skip
    np.savez(path, meta=json.dumps(meta), **arrays)


def load_result(path: Path) -> dict:
    """The results :func:`save_result` wrote."""
    import json

    with np.load(path) as f:
        res = {k: f[k] for k in f.files if k != "meta"}
        meta = json.loads(str(f["meta"]))
    return {**res, **meta, "names": tuple(meta["names"]), "n": len(res["target"])}


def write_doc(args, header, ref, sets: list, opts, setup_s: float) -> None:
    lines = ["# Inverse design benchmark (paper section 4.5)", "", *header,
             f"Model `{args.model}`, surrogate `{args.cnn or 'none'}`, data "
             f"`{ref.latent.source}` ({len(ref)} labelled samples), ranking by {args.rank}, "
             f"device {args.device}.", "",
             *([args.note, ""] if args.note else []),
             f"Reference set-up (encode + pack the training data): {setup_s:.1f} s. "
             f"Options: `{opts}`.", "",
             f"Paper (Fig. 17, by its CNN surrogate): R² k {PAPER_R2['k']}, R² φ "
             f"{PAPER_R2['porosity']}.", ""]  # fmt: skip
    for title, res in sets:
        if res is not None and res["n"]:
            lines += table(res, title)
    if any(t.startswith("uniform") for t, _ in sets):
        lines += ["![design error map](bench_design_error_map.png)", ""]
    lines += ["Errors are relative to the target (Δφ absolute); the nearest training sample is "
              "the labelled sample nearest the target in the model's scaled property space (its "
              "labels are physics).", ""]  # fmt: skip
    args.out.write_text("\n".join(lines))


def options(args, model):
    """DesignOptions from the command line (the model's defaults otherwise)."""
    from porestudio.design.inverse import options_for

    opts = options_for(model, physics_device=args.device)
    for flag, field in (("steps", "steps"), ("k_init", "k_init"), ("screen_steps", "screen_steps"),
                        ("n_verify", "n_verify"), ("threads", "threads"),
                        ("porosity_offsets", "porosity_offsets"),
                        ("polish_steps", "polish_steps"), ("scorer", "scorer")):  # fmt: skip
        value = getattr(args, flag)
        if value is not None:
            opts = dataclasses.replace(opts, **{field: tuple(value) if isinstance(value, list)
                                                else value})  # fmt: skip
    return opts


def main(argv: list[str] | None = None) -> int:
    from _machine import bench_header

    from porestudio.design.inverse import resolve_reference
    from porestudio.ml.modelfile import load_model

    args = parse(argv)
    missing = [str(f) for f in args.exclude if not f.is_file()]
    if missing:
        raise SystemExit(f"--exclude: no such results file: {', '.join(missing)}")
    header = bench_header(argv)
    model = load_model(args.model, device=args.device)
    cnn = load_model(args.cnn, device=args.device) if args.cnn else None
    t0 = time.perf_counter()
    ref = resolve_reference(model, args.data, args.latent)
    setup = time.perf_counter() - t0
    opts = options(args, model)
    names = tuple(n for n in model.spec.properties
                  if n == "porosity" or n[2:3] == n[3:4])  # porosity and diagonal k  # fmt: skip
    cols = [list(model.spec.properties).index(n) for n in names]
    n_held = args.heldout
    if n_held is None:
        n_held = 0 if model.spec.dims == 2 else args.count
    sets = []
    if n_held:
        seen = [load_result(f)["target"] for f in args.exclude]
        targets, held_ref = heldout_targets(model, ref, n_held, args.seed, args.part,
                                            np.concatenate(seen) if seen else None)  # fmt: skip
        targets = targets[:, cols]
        part = f", part {args.part} of {n_held}" if args.part else ""
        held = run_set(model, cnn, held_ref, targets, names, args, opts)
        sets.append((f"held-out targets (the model's test split, not in the reference{part})",
                     held))  # fmt: skip
        if args.save:
            save_result(held, args.save)
    if model.spec.dims == 2 and args.count:
        uni = run_set(model, cnn, ref, uniform_targets(args.count, args.phi_range, args.k_range,
                                                       args.seed), names, args, opts)  # fmt: skip
        sets.append((f"uniform targets φ {args.phi_range}, k {args.k_range} lu", uni))
        error_map(uni, ref, args.out.with_name("bench_design_error_map.png"))
    n_between = args.count // 5 if args.between is None else args.between
    tb = between_targets(n_between, ref, args.seed) if model.spec.dims == 2 else np.zeros((0, 2))
    if len(tb):
        sets.append(("between the porosity levels of the data (midpoints, median k)",
                     run_set(model, cnn, ref, tb, names, args, opts)))  # fmt: skip
    write_doc(args, header, ref, sets, opts, setup)
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
