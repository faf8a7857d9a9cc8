"""``porestudio generate``: write a data set of synthetic structures (squares, GRF, spheres)."""

from __future__ import annotations

import argparse

from porestudio.cli._common import add_overwrite, examples, print_json, progress_bar

_NOTE = (
    "Sample i of seed S is the same whatever --count: it is drawn from the random "
    "stream [S, i]. The porosity of each sample is stored as property 'porosity'. "
    "An existing FILE.h5 is never replaced unless --overwrite is given."
)
_EXAMPLES = {
    "generate": (
        "porestudio generate squares --count 48831 --seed 1 --out squares.h5",
        "porestudio generate grf --count 100 --shape 48 --porosity 0.4 --out grf.h5",
    ),
    "squares": (
        "porestudio generate squares --count 48831 --seed 1 --out squares.h5",
        "porestudio generate squares --count 10 --n-pores 20 30 --out small.h5 --overwrite",
    ),
    "grf": (
        "porestudio generate grf --count 100 --shape 48 --porosity 0.4 --out grf.h5",
        "porestudio generate grf --count 8 --shape 32 32 96 --correlation-length 2 2 6 "
        "--periodic --voxel-size 1e-5 --out aniso.h5",
    ),
    "spheres": (
        "porestudio generate spheres --count 20 --shape 64 --porosity 0.35 --out beads.h5",
        "porestudio generate spheres --count 5 --radius 6 --packed --out packed.h5",
    ),
}


def _epilog(name: str) -> str:
    return _NOTE + "\n\n" + examples(*_EXAMPLES[name])


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``generate`` sub-command and its three generators."""
    p = subparsers.add_parser(
        "generate",
        help="generate a data set of synthetic structures into an HDF5 file",
        description="Generate COUNT synthetic structures into a new HDF5 data set.",
        epilog=_epilog("generate"),
    )
    kinds = p.add_subparsers(dest="generator", metavar="GENERATOR", required=True)
    sq = kinds.add_parser(
        "squares",
        help="the paper's data set: square pores in 2D images, extruded along z",
        description="Square pores (never overlapping, may touch) at random positions in a "
        "SIZE x SIZE image, extruded to DEPTH slices along z (paper, section 4.1).",
        epilog=_epilog("squares"),
    )
    _common(sq)
    sq.add_argument("--size", type=int, default=100, help="image edge [voxels]")
    sq.add_argument("--depth", type=int, default=100, help="slices along z [voxels]")
    sq.add_argument("--pore-size", type=int, default=10, help="pore edge [voxels]")
    sq.add_argument(
        "--n-pores",
        type=int,
        nargs=2,
        default=(10, 40),
        metavar=("MIN", "MAX"),
        help="inclusive range of the number of pores per image",
    )
    grf = kinds.add_parser(
        "grf",
        help="thresholded Gaussian random field (spinodoid-like, anisotropic)",
        description="Gaussian random field with a correlation length per axis, thresholded "
        "at the exact porosity.",
        epilog=_epilog("grf"),
    )
    _common(grf)
    _shape_porosity(grf)
    grf.add_argument(
        "--correlation-length",
        type=float,
        nargs="+",
        default=[5.0],
        metavar="L",
        help="correlation length [voxels]: one value, or three for z y x",
    )
    grf.add_argument("--periodic", action="store_true", help="make the structure tile")
    sph = kinds.add_parser(
        "spheres",
        help="random overlapping or packed spheres",
        description="Random spheres of one phase at an exact porosity.",
        epilog=_epilog("spheres"),
    )
    _common(sph)
    _shape_porosity(sph)
    sph.add_argument("--radius", type=float, default=8.0, help="sphere radius [voxels]")
    sph.add_argument("--packed", action="store_true", help="non-overlapping spheres")
    sph.add_argument(
        "--phase",
        choices=("solid", "pore"),
        default="solid",
        help="what the spheres are: solid grains or pores",
    )
    sph.add_argument("--periodic", action="store_true", help="make the structure tile")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--count", type=int, required=True, help="number of samples (> 0)")
    p.add_argument("--seed", type=int, default=0, help="non-negative random seed")
    p.add_argument(
        "--out", required=True, metavar="FILE.h5", help="HDF5 data set to write (.h5 or .hdf5)"
    )
    add_overwrite(p, "FILE.h5")
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
        help="volume shape: one edge (cube) or three values z y x",
    )
    p.add_argument("--porosity", type=float, default=0.5, help="pore fraction in (0, 1)")


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
    from porestudio.atomic import SUFFIXES, check_writable
    from porestudio.errors import InputError
    from porestudio.structures.generators import generate_dataset

    check_writable(args.out, overwrite=args.overwrite, suffixes=SUFFIXES["hdf5"])
    if args.count <= 0:
        raise InputError(f"--count must be at least 1, got {args.count}")
    params = _params(args)
    with progress_bar(f"generating {args.generator}", unit="sample") as bar:
        out = generate_dataset(
            args.out,
            args.generator,
            args.count,
            args.seed,
            voxel_size_m=args.voxel_size,
            progress=bar,
            overwrite=args.overwrite,
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
