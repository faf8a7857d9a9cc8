"""``porestudio generate``: write a data set of synthetic structures (squares, GRF, spheres)."""

from __future__ import annotations

import argparse

from porestudio.cli._common import print_json, progress_bar

_EPILOG = (
    "Sample i of seed S is the same whatever --count: it is drawn from the random "
    "stream [S, i]. The porosity of each sample is stored as property 'porosity'."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``generate`` sub-command and its three generators."""
    p = subparsers.add_parser(
        "generate",
        help="generate a data set of synthetic structures into an HDF5 file",
        description="Generate COUNT synthetic structures into a new HDF5 data set.",
        epilog=_EPILOG,
    )
    kinds = p.add_subparsers(dest="generator", metavar="GENERATOR", required=True)
    sq = kinds.add_parser(
        "squares",
        help="the paper's data set: square pores in 2D images, extruded along z",
        description="Square pores (never overlapping, may touch) at random positions in a "
        "SIZE x SIZE image, extruded to DEPTH slices along z (paper, section 4.1).",
        epilog=_EPILOG,
    )
    _common(sq)
    sq.add_argument("--size", type=int, default=100, help="image edge [voxels] (100)")
    sq.add_argument("--depth", type=int, default=100, help="slices along z [voxels] (100)")
    sq.add_argument("--pore-size", type=int, default=10, help="pore edge [voxels] (10)")
    sq.add_argument(
        "--n-pores",
        type=int,
        nargs=2,
        default=(10, 40),
        metavar=("MIN", "MAX"),
        help="inclusive range of the number of pores per image (10 40)",
    )
    grf = kinds.add_parser(
        "grf",
        help="thresholded Gaussian random field (spinodoid-like, anisotropic)",
        description="Gaussian random field with a correlation length per axis, thresholded "
        "at the exact porosity.",
        epilog=_EPILOG,
    )
    _common(grf)
    _shape_porosity(grf)
    grf.add_argument(
        "--correlation-length",
        type=float,
        nargs="+",
        default=[5.0],
        metavar="L",
        help="correlation length [voxels]: one value, or three for z y x (5)",
    )
    grf.add_argument("--periodic", action="store_true", help="make the structure tile")
    sph = kinds.add_parser(
        "spheres",
        help="random overlapping or packed spheres",
        description="Random spheres of one phase at an exact porosity.",
        epilog=_EPILOG,
    )
    _common(sph)
    _shape_porosity(sph)
    sph.add_argument("--radius", type=float, default=8.0, help="sphere radius [voxels] (8)")
    sph.add_argument("--packed", action="store_true", help="non-overlapping spheres")
    sph.add_argument(
        "--phase",
        choices=("solid", "pore"),
        default="solid",
        help="what the spheres are: solid grains (default) or pores",
    )
    sph.add_argument("--periodic", action="store_true", help="make the structure tile")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--count", type=int, required=True, help="number of samples (> 0)")
    p.add_argument("--seed", type=int, default=0, help="non-negative random seed (0)")
    p.add_argument("--out", required=True, metavar="FILE.h5", help="HDF5 data set to write")
    p.add_argument("--voxel-size", type=float, metavar="M", help="voxel edge in metres")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=run)


def _shape_porosity(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--shape",
        type=int,
        nargs="+",
        default=[100],
        metavar="N",
        help="volume shape: one edge (cube) or three values z y x (100)",
    )
    p.add_argument("--porosity", type=float, default=0.5, help="pore fraction in (0, 1) (0.5)")


def _params(args: argparse.Namespace) -> dict:
    from porestudio.errors import InputError

    if args.generator == "squares":
        return {
            "size": args.size,
            "depth": args.depth,
            "pore_size": args.pore_size,
            "n_pores": tuple(args.n_pores),
        }
    if len(args.shape) not in (1, 3):
        raise InputError("--shape takes one value (cube) or three values (z y x)")
    shape = tuple(args.shape) * 3 if len(args.shape) == 1 else tuple(args.shape)
    params = {"shape": shape, "porosity": args.porosity, "periodic": args.periodic}
    if args.generator == "grf":
        if len(args.correlation_length) not in (1, 3):
            raise InputError("--correlation-length takes one value or three values (z y x)")
        lengths = (
            args.correlation_length * 3
            if len(args.correlation_length) == 1
            else (args.correlation_length)
        )
        params["correlation_length_vox"] = tuple(lengths)
    else:
        params.update(radius_vox=args.radius, overlapping=not args.packed, phase=args.phase)
    return params


def run(args: argparse.Namespace) -> int:
    """Handler of ``porestudio generate``."""
    from porestudio.atomic import check_writable
    from porestudio.errors import InputError
    from porestudio.structures.generators import generate_dataset

    if args.count <= 0:
        raise InputError(f"--count must be at least 1, got {args.count}")
    check_writable(args.out)
    params = _params(args)
    with progress_bar(f"generating {args.generator}", unit="sample") as bar:
        out = generate_dataset(
            args.out,
            args.generator,
            args.count,
            args.seed,
            voxel_size_m=args.voxel_size,
            progress=bar,
            **params,
        )
    if args.json:
        print_json(
            {
                "out": str(out),
                "generator": args.generator,
                "count": args.count,
                "seed": args.seed,
                "params": params,
            }
        )
    else:
        print(f"wrote {args.count} {args.generator} samples to {out}")
    return 0
