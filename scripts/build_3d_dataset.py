"""Build (and label) the 3D default design space: anisotropic GRF cubes + real CT cubes.

The paper's 3D set (8,965 foam cubes) is not public, so porestudio's 3D models learn from
its own families:

* anisotropic Gaussian-random-field (spinodoid-like) cubes, periodic, porosity uniform in
  ``[--phi-min, --phi-max]`` and a correlation length per axis log-uniform in
  ``[--cl-min, --cl-max]`` voxels, so k_xx, k_yy and k_zz differ;
* every ``--size``³ cube of the two real CT images in ``resources/ct`` (Berea sandstone,
  FiberForm), stride ``--size``.

Sources have different voxel sizes, so the dataset stores none (lattice units; the
source's own voxel size is in each sample's provenance). Every sample is then labelled with
the full periodic LBM tensor by the resumable campaign (``porestudio label`` machinery): a
killed run continues where it stopped when the script is run again.

With ``--unlabelled`` it writes GRF cubes only, from another seed and never labelled: the
structures the 3D pVAE's VAE stage also learns from (``train --pretrain``); they cost
milliseconds each where a label costs seconds of LBM.

Usage::

    python scripts/build_3d_dataset.py --out resources/default_3d.h5 --count 1500
    python scripts/build_3d_dataset.py --out resources/default_3d.h5 --label-only
    python scripts/build_3d_dataset.py --out more_3d.h5 --count 1500 --seed 2027 --unlabelled
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from porestudio.physics.campaign import label_dataset
from porestudio.resources import RESOURCES_DIR as RESOURCES
from porestudio.structures import generators
from porestudio.structures.ct import binarise, read_grey
from porestudio.structures.dataset import DatasetWriter, open_dataset

log = logging.getLogger("build_3d_dataset")

CT_SOURCES = (
    # (path under resources/ct, threshold, note)
    ("berea_openpnm/berea_200_pore0_solid255.tif", 128.0, "Berea sandstone"),
    ("fiberform_puma/100_fiberform.tif", "otsu", "FiberForm"),
)


def ct_cubes(size: int) -> list[tuple[np.ndarray, dict]]:
    """Non-overlapping ``size``³ cubes of the CT images, with provenance."""
    out = []
    for rel, threshold, name in CT_SOURCES:
        grey = read_grey(RESOURCES / "ct" / rel)
        pore = binarise(grey, threshold)
        nz, ny, nx = pore.shape
        for z in range(0, nz - size + 1, size):
            for y in range(0, ny - size + 1, size):
                for x in range(0, nx - size + 1, size):
                    cube = pore[z : z + size, y : y + size, x : x + size]
                    prov = {
                        "kind": "ct", "material": name, "source": f"resources/ct/{rel}",
                        "threshold": threshold, "origin_zyx": [z, y, x],
                        "size_zyx": [size] * 3, "source_voxel_size_m": grey.voxel_size_m,
                    }  # fmt: skip
                    out.append((np.ascontiguousarray(cube), prov))
    return out


def grf_params(rng: np.random.Generator, args: argparse.Namespace) -> tuple[float, tuple]:
    """One draw of (porosity, correlation lengths (lz, ly, lx) [voxels])."""
    phi = float(rng.uniform(args.phi_min, args.phi_max))
    cl = np.exp(rng.uniform(np.log(args.cl_min), np.log(args.cl_max), size=3))
    return phi, tuple(float(c) for c in np.round(cl, 3))


def build(args: argparse.Namespace) -> None:
    """Write the unlabelled dataset (CT cubes first unless ``--unlabelled``, then GRF cubes)."""
    size = args.size
    cubes = [] if args.unlabelled else ct_cubes(size)
    rng = np.random.default_rng([args.seed, 0])
    attrs = {
        "generator": "default_3d", "seed": args.seed, "count_grf": args.count,
        "phi_range": [args.phi_min, args.phi_max], "cl_range_vox": [args.cl_min, args.cl_max],
        "note": "lattice units; GRF cubes are periodic; CT cubes from resources/ct",
    }  # fmt: skip
    with DatasetWriter(args.out, shape=(size,) * 3, voxel_size_m=None, attrs=attrs) as w:
        if cubes:
            w.append(np.stack([c for c, _ in cubes]), provenance=[p for _, p in cubes])
        for start in range(0, args.count, 64):
            pores, provs = [], []
            for i in range(start, min(start + 64, args.count)):
                phi, cl = grf_params(rng, args)
                s = generators.grf(
                    args.seed, shape=size, porosity=phi, correlation_length_vox=cl,
                    periodic=True, index=i,
                )  # fmt: skip
                pores.append(s.pore)
                provs.append(s.provenance)
            w.append(np.stack(pores), provenance=provs)
    log.info("wrote %s: %d CT cubes + %d GRF cubes", args.out, len(cubes), args.count)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=RESOURCES / "default_3d.h5")
    p.add_argument("--count", type=int, default=1500, help="GRF cubes (default 1500)")
    p.add_argument("--size", type=int, default=48, help="cube edge [voxels] (default 48)")
    p.add_argument("--seed", type=int, default=2030)
    p.add_argument("--phi-min", type=float, default=0.2)
    p.add_argument("--phi-max", type=float, default=0.7)
    p.add_argument("--cl-min", type=float, default=4.0)
    p.add_argument("--cl-max", type=float, default=12.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--label-only", action="store_true", help="resume labelling only")
    p.add_argument(
        "--unlabelled", action="store_true",
        help="GRF cubes only, never labelled (for train --pretrain; use another --seed)",
    )  # fmt: skip
    p.add_argument(
        "--max-steps", "--ct-max-steps", type=int, default=30_000,
        help="LBM step limit per run (default 30000: a low-porosity Berea cube, or a GRF cube "
        "near its percolation threshold, can need millions of steps at the automatic tau; "
        "those fail with 'not converged' and stay out of training)",
    )  # fmt: skip
    p.add_argument(
        "--tol", type=float, default=1e-3,
        help="LBM convergence tolerance (default 1e-3: on coarse 48³ GRF cubes about a fifth "
        "fewer steps than 1e-4 and diagonal k within 9e-5 of it, docs/datasets.md)",
    )  # fmt: skip
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.label_only and not args.out.exists():
        build(args)
    if args.unlabelled:
        return
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 10 == 0 or done == total:
            log.info("labelled %d / %d (%.0f s)", done, total, time.perf_counter() - t0)

    # GRF cubes first: they converge in seconds; the low-porosity Berea cubes (tortuous,
    # k ~ 1e-3) take minutes each, so they come last and a partial run is still useful.
    n_ct = len(ct_cubes(args.size))
    with open_dataset(args.out) as ds:
        total = len(ds)
    for part in (np.arange(n_ct, total), np.arange(total)):
        summary = label_dataset(
            args.out, tensor=True, mode="periodic", device=args.device, workers=args.workers,
            progress=progress, flush_seconds=120.0, indices=part, tol=args.tol,
            max_steps=args.max_steps,
        )  # fmt: skip
        log.info("%s", summary.to_dict())


if __name__ == "__main__":
    main()
