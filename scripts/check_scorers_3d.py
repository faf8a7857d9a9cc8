"""How well each scorer reads k of the structures a 3D design prints, against the LBM.

    python scripts/check_scorers_3d.py --count 32 --part 1/2 --save a.npz
    python scripts/check_scorers_3d.py --count 32 --part 2/2 --save b.npz
    python scripts/check_scorers_3d.py --merge a.npz b.npz --out docs/logs/check_scorers_3d.md

Structures: ``--count`` cubes drawn (``--seed``) from the pVAE's stored test split, each
encoded, decoded and binarised at its own porosity after cleaning (as a design candidate is),
also from the decoder output smoothed by ``--sigma`` voxels along x and along z (the
polish's anisotropy knob); every one that can be a design (percolating, some solid) is
scored by the CNN surrogate, by the CNN's calibrated conductance estimate
(``LoadedModel.estimate``, ml/estimate.py) and by the LBM in the labels' settings (periodic,
the labels' tolerance). ``--part I/N`` runs the I-th of N equal parts of the cubes (parallel
runs), ``--merge`` pools their ``--save`` files into one page.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

AXES = ("k_xx", "k_yy", "k_zz")
VARIANTS = ("decoded", "smoothed along x", "smoothed along z")


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="resources/models/pvae3d", help="3D pVAE")
    p.add_argument("--cnn", default="resources/models/cnn3d", help="3D CNN with physics_fit")
    p.add_argument("--data", default="resources/default_3d.h5")
    p.add_argument("--count", type=int, default=32, help="test cubes used")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--sigma", type=float, default=1.5, help="smoothing width [voxels]")
    p.add_argument("--part", default="1/1", help="I/N: the I-th of N parts of the cubes")
    p.add_argument("--save", type=Path, help="write this part's results (.npz)")
    p.add_argument("--merge", type=Path, nargs="+", help="pool --save files instead of running")
    p.add_argument("--out", type=Path, help="markdown page of the (pooled) results")
    return p.parse_args(argv)


def structures(args, pvae) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Design-like cleaned structures of this part's test cubes, and (index, variant) tags."""
    from porestudio.design import _candidates as C
    from porestudio.structures.dataset import open_dataset

    test = np.asarray(pvae.config["training"]["test_indices"])
    pick = np.sort(np.random.default_rng(args.seed).choice(test, args.count, replace=False))
    i, n = (int(v) for v in args.part.split("/"))
    out, tags = [], []
    with open_dataset(args.data) as ds:
        for idx in np.array_split(pick, n)[i - 1]:
            pore = ds.pore(int(idx))
            prob = pvae.decode(pvae.encode(pore[None]))[0]
            widths = (0, (0, 0, args.sigma), (args.sigma, 0, 0))  # array order (z, y, x)
            for name, sig in zip(VARIANTS, widths, strict=True):
                field = C.smoothed(prob, sig) if sig else np.asarray(prob, np.float64)
                s, ok = C.matched(field, float(pore.mean()), ("x", "y", "z"), 3)
                if ok:
                    out.append(s)
                    tags.append((int(idx), name))
    return np.stack(out), tags


def run(args) -> dict:
    import torch

    from porestudio.design.verify import physics_properties
    from porestudio.ml import physics_inputs
    from porestudio.ml.api import load
    from porestudio.physics.options import CHECK_MAX_STEPS, CHECK_TOL

    torch.set_num_threads(1)
    pvae, cnn = load(args.model), load(args.cnn)
    pores, tags = structures(args, pvae)
    t = [time.perf_counter()]
    raw = physics_inputs.compute(pores)
    est = cnn.estimate(pores, physics=raw)
    if est is None:
        raise SystemExit(f"{args.cnn} carries no physics_fit (scripts/fit_physics_estimate.py)")
    net = cnn.predict(pores, physics=raw)
    t.append(time.perf_counter())
    lbm = physics_properties(pores, pvae.spec, boundary_mode="periodic", tol=CHECK_TOL,
                             max_steps=CHECK_MAX_STEPS)  # fmt: skip
    t.append(time.perf_counter())
    return {"lbm": np.stack([lbm[k] for k in AXES], 1),
            "network": np.stack([net[k] for k in AXES], 1),
            "estimate": np.stack([est[k] for k in AXES], 1),
            "variant": np.array([v for _, v in tags]), "index": np.array([i for i, _ in tags]),
            "seconds": np.array([t[1] - t[0], t[2] - t[1]])}  # fmt: skip


def table(res: dict) -> list[str]:
    lines = ["| structures | scorer | " + " | ".join(f"{k} median / p90" for k in AXES) + " |",
             "|---|---|" + "---|" * len(AXES)]  # fmt: skip
    for variant in ("all", *VARIANTS):
        rows = np.ones(len(res["lbm"]), bool) if variant == "all" else res["variant"] == variant
        for scorer in ("network", "estimate"):
            cells = []
            for j in range(len(AXES)):
                ok = rows & np.isfinite(res["lbm"][:, j]) & (res["lbm"][:, j] > 1e-3)
                e = 100 * np.abs(res[scorer][ok, j] / res["lbm"][ok, j] - 1)
                cells.append(f"{np.median(e):.1f} / {np.percentile(e, 90):.1f} %" if ok.any()
                             else "—")  # fmt: skip
            lines.append(f"| {variant} ({rows.sum()}) | {scorer} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    from _machine import bench_header

    args = parse(argv)
    if args.merge:
        parts = [dict(np.load(f)) for f in args.merge]
        res = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "seconds"}
        res["seconds"] = np.sum([p["seconds"] for p in parts], axis=0)
    else:
        res = run(args)
        if args.save:
            np.savez(args.save, **res)
    lines = ["# Scorers of printed 3D structures against the LBM", "", *bench_header(argv), "",
             "Relative error of k (structures with k > 1e-3 along the axis); network = the 3D "
             "CNN surrogate, estimate = its calibrated conductance estimate "
             "(ml/estimate.py).", "", *table(res), "",
             f"Seconds: estimate + network {res['seconds'][0]:.0f}, LBM {res['seconds'][1]:.0f} "
             f"(summed over parts).", ""]  # fmt: skip
    text = "\n".join(lines)
    if args.out:
        args.out.write_text(text)
    print(json.dumps({"n": int(len(res["lbm"]))}))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
