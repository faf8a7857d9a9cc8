#!/usr/bin/env python
"""Build the paper's datasets and the studio's default data; write docs/datasets.md.

Steps (run any subset with ``--steps``; results accumulate in docs/datasets.json, from
which docs/datasets.md is rendered, so a step rerun elsewhere — e.g. ``ct`` on a GPU
machine — updates only its own section):

* ``synthetic`` — the 48,831-sample square-pore set of paper section 4.1, generated with
  :func:`porestudio.structures.generators.generate_dataset` into ``--out`` (not committed)
  and labelled along z with the exact extruded-Stokes solver; Table 3 side by side.
* ``default`` — ``resources/default_dataset.h5``: the first ``--default-count`` samples of
  the same sequence (identical to the full set's first samples), labelled the same way.
* ``compare`` — BGK and TRT LBM at pixel resolution on ``--compare`` of those samples
  against the exact values: explains the systematic difference to the paper's Table 3.
* ``ct`` — real CT sets from resources/ct: Berea 200³ → 27 cubes of 100³ (stride 50),
  FiberForm 100³ → Otsu → the whole volume and 27 cubes of 50³ (stride 25); labelled with
  the full Kuhn LBM tensor in voxel² and m² (``--device cuda`` on a GPU; on a CPU only the
  first ``--ct-limit`` samples of each set), copied into resources/.

Usage::

    .venv/bin/python scripts/build_paper_datasets.py --steps default compare
    .venv/bin/python scripts/build_paper_datasets.py --steps synthetic --workers 1
    .venv/bin/python scripts/build_paper_datasets.py --steps ct --device cuda --ct-all --ct-fresh
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from _datasets_doc import render  # noqa: E402

from porestudio.atomic import atomic_path  # noqa: E402
from porestudio.physics.campaign import label_dataset  # noqa: E402
from porestudio.structures.dataset import describe, open_dataset  # noqa: E402

log = logging.getLogger("build_paper_datasets")

PAPER_COUNT = 48_831
SEED = 2025
CT_SETS: dict[str, dict[str, Any]] = {
    "ct_berea": {
        "source": "ct/berea_openpnm/berea_200_pore0_solid255.tif",
        "size": 100, "stride": 50, "threshold": "otsu", "voxel_size_m": None,
    },
    "ct_fiberform": {
        "source": "ct/fiberform_puma/100_fiberform.tif",
        "size": None, "stride": None, "threshold": "otsu", "voxel_size_m": 1.3e-6,
    },
    "ct_fiberform50": {
        "source": "ct/fiberform_puma/100_fiberform.tif",
        "size": 50, "stride": 25, "threshold": "otsu", "voxel_size_m": 1.3e-6,
    },
}  # fmt: skip


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--steps",
        nargs="+",
        default=["default"],
        choices=("synthetic", "default", "compare", "ct", "docs"),
    )
    p.add_argument("--out", type=Path, default=ROOT / "data-build", help="uncommitted outputs")
    p.add_argument("--resources", type=Path, default=ROOT / "resources")
    p.add_argument("--docs", type=Path, default=ROOT / "docs")
    p.add_argument("--count", type=int, default=PAPER_COUNT, help="synthetic samples")
    p.add_argument("--default-count", type=int, default=2500)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    p.add_argument("--compare", type=int, default=40, help="samples for the LBM comparison")
    p.add_argument("--compare-depth", type=int, default=2, help="z slab of the LBM runs")
    p.add_argument(
        "--ct-limit",
        type=int,
        default=2,
        help="label at most this many samples per CT set (0 = import only)",
    )
    p.add_argument("--ct-all", action="store_true", help="label every CT sample (GPU)")
    p.add_argument("--ct-tol", type=float, default=1e-6, help="LBM tolerance of the CT runs")
    p.add_argument("--ct-fresh", action="store_true", help="re-import, dropping old CT labels")
    p.add_argument(
        "--ct-mode",
        default="periodic",
        choices=("periodic", "kuhn"),
        help="side boundaries of the CT tensors: fully periodic (symmetric full tensor, as "
        "PuMA) or Kuhn (no-slip diagonal, free-slip off-diagonals, as the paper)",
    )
    p.add_argument("--ct-sets", nargs="+", default=list(CT_SETS), choices=list(CT_SETS))
    return p.parse_args(argv)


def generate_squares(path: Path, count: int, seed: int) -> float:
    """Generate the square-pore set unless a complete one exists; returns seconds."""
    from porestudio.structures.generators import generate_dataset

    if path.exists():
        with open_dataset(path) as ds:
            if len(ds) == count and ds.attrs.get("seed") == seed:
                return 0.0
    start = time.perf_counter()
    generate_dataset(path, "squares", count, seed, overwrite=True)  # an incomplete set
    return time.perf_counter() - start


def stats_of(path: Path) -> dict[str, Any]:
    """Table-3 statistics of a labelled set (porosity and every computed k component)."""
    info = describe(path)
    return {
        "count": info.get("count"),
        "statistics": info.get("statistics", {}),
        "label_status": info.get("label_status", {}),
        "size_mb": path.stat().st_size / 1e6,
    }


def label_squares(path: Path, workers: int | None) -> dict[str, Any]:
    summary = label_dataset(path, method="stokes2d", axes="z", workers=workers)
    return {"summary": summary.to_dict()}


def step_synthetic(args: argparse.Namespace) -> dict[str, Any]:
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "squares_paper.h5"
    gen_s = generate_squares(path, args.count, args.seed)
    out = label_squares(path, args.workers)
    out.update(stats_of(path), generate_seconds=gen_s, seed=args.seed, file=str(path))
    return out


def step_default(args: argparse.Namespace) -> dict[str, Any]:
    path = args.resources / "default_dataset.h5"
    gen_s = generate_squares(path, args.default_count, args.seed)
    out = label_squares(path, args.workers)
    out.update(stats_of(path), generate_seconds=gen_s, seed=args.seed)
    return out


def step_compare(args: argparse.Namespace) -> dict[str, Any]:
    """LBM (BGK τ=1 and TRT) at pixel resolution vs the exact extruded values."""
    from porestudio.physics.permeability import permeability

    with open_dataset(args.resources / "default_dataset.h5") as ds:
        n = min(args.compare, len(ds))
        sections = ds.pores(0, n)[:, 0]
        exact = ds.properties(["permeability_lu"])["permeability_lu"][:n, 2, 2]
    rows: dict[str, Any] = {"count": n, "depth": args.compare_depth, "device": args.device}
    for collision in ("bgk", "trt"):
        k, secs, steps = np.empty(n), np.empty(n), np.empty(n)
        for i, section in enumerate(sections):
            slab = np.repeat(section[None], args.compare_depth, axis=0)
            res = permeability(slab, axes="z", method="lbm", collision=collision,
                               device=args.device)  # fmt: skip
            k[i] = res.k_lu[2, 2]
            secs[i] = sum(r.seconds for r in res.runs)
            steps[i] = sum(r.steps for r in res.runs)
            log.info("%s %d/%d: k=%.5f exact=%.5f", collision, i + 1, n, k[i], exact[i])
        rel = k / exact - 1.0
        rows[collision] = {
            "mean_rel": float(rel.mean()), "std_rel": float(rel.std()),
            "min_rel": float(rel.min()), "max_rel": float(rel.max()),
            "k_mean": float(k.mean()), "exact_mean": float(exact.mean()),
            "seconds_per_sample": float(secs.mean()), "steps_mean": float(steps.mean()),
        }  # fmt: skip
    rows["duct10"] = _duct_check(permeability, args.device)
    return rows


def _duct_check(permeability, device: str) -> dict[str, Any]:
    """A single 10×10 square duct (the paper's pore) in a 12×12 section: LBM vs exact.

    BGK is run for several τ: with halfway bounce-back its wall position depends on τ.
    """
    from porestudio.physics.stokes2d import extruded_permeability

    section = np.zeros((12, 12), bool)
    section[1:11, 1:11] = True
    slab = np.repeat(section[None], 2, axis=0)
    out: dict[str, Any] = {"exact": extruded_permeability(section)}
    res = permeability(slab, axes="z", method="lbm", collision="trt", device=device)
    out["trt"] = float(res.k_lu[2, 2])
    out["bgk_tau"] = {}
    for tau in (0.55, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5):
        res = permeability(slab, axes="z", method="lbm", collision="bgk", tau=tau,
                           device=device, max_steps=200_000)  # fmt: skip
        out["bgk_tau"][str(tau)] = float(res.k_lu[2, 2])
    out["bgk"] = out["bgk_tau"]["1.0"]
    return out


def step_ct(args: argparse.Namespace) -> dict[str, Any]:
    from porestudio.resources import resource_path
    from porestudio.structures.ct import import_ct

    args.out.mkdir(parents=True, exist_ok=True)
    previous = _load(args.docs / "datasets.json").get("ct", {})
    results = {k: v for k, v in previous.items() if k in CT_SETS}
    for name in args.ct_sets:
        spec = CT_SETS[name]
        path = args.out / f"{name}.h5"
        if args.ct_fresh:
            path.unlink(missing_ok=True)
        if not path.exists():
            import_ct(resource_path(spec["source"]), path, size=spec["size"],
                      stride=spec["stride"], threshold=spec["threshold"],
                      voxel_size_m=spec["voxel_size_m"])  # fmt: skip
        with open_dataset(path) as ds:
            total = len(ds)
        limit = total if args.ct_all else min(max(args.ct_limit, 0), total)
        summary = label_dataset(path, method="lbm", tensor=True, axes="all", si=True,
                                device=args.device, workers=args.workers, tol=args.ct_tol,
                                indices=range(limit), flush_seconds=60,
                                mode=args.ct_mode)  # fmt: skip
        with atomic_path(args.resources / f"{name}.h5", inputs=(path,), overwrite=True) as tmp:
            shutil.copyfile(path, tmp)
        results[name] = {"summary": summary.to_dict(), "device": args.device, "tol": args.ct_tol,
                         "mode": args.ct_mode, "source": spec["source"],
                         **stats_of(path), **tensor_extras(path)}  # fmt: skip
    return results


def tensor_extras(path: Path) -> dict[str, Any]:
    """Asymmetry ‖K − Kᵀ‖/‖K‖ (max, median) and the mean diagonal in darcy of a CT set."""
    from porestudio.units import DARCY_M2

    with open_dataset(path) as ds:
        props = ds.properties(["permeability_lu", "permeability_m2"])
    k_lu, k_m2 = props["permeability_lu"], props["permeability_m2"]
    done = np.isfinite(k_lu).all(axis=(1, 2))
    if not done.any():
        return {}
    k = k_lu[done]
    asym = np.linalg.norm(k - np.swapaxes(k, 1, 2), axis=(1, 2)) / np.linalg.norm(k, axis=(1, 2))
    diag = np.diagonal(k_m2[done], axis1=1, axis2=2) / DARCY_M2
    return {
        "asymmetry_max": float(asym.max()),
        "asymmetry_median": float(np.median(asym)),
        "k_diag_mean_darcy": diag.mean(axis=0).tolist(),
    }


STEPS = {"synthetic": step_synthetic, "default": step_default, "compare": step_compare,
         "ct": step_ct}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    results_path = args.docs / "datasets.json"
    for step in args.steps:
        if step == "docs":
            continue
        log.info("step %s", step)
        start = time.perf_counter()
        result = STEPS[step](args)
        result.update(step_seconds=time.perf_counter() - start, date=time.strftime("%Y-%m-%d"))
        results = _load(results_path)  # re-read: another build may have written meanwhile
        results[step] = result
        results_path.write_text(json.dumps(results, indent=1, default=_json) + "\n")
    results = _load(results_path)
    (args.docs / "datasets.md").write_text(render(results))
    log.info("wrote %s", args.docs / "datasets.md")
    return 0


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def _json(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


if __name__ == "__main__":
    sys.exit(main())
