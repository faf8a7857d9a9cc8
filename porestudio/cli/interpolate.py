"""``porestudio interpolate``: a decoded path between two structures through the latent space."""

from __future__ import annotations

import argparse

from porestudio.cli._common import examples, progress_bar
from porestudio.cli._design import add_model_args, boundary_mode, check_new, load_cnn, load_pvae


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``interpolate`` sub-command."""
    p = subparsers.add_parser(
        "interpolate",
        help="slerp/lerp between two structures in a pVAE's latent space",
        description=(
            "Encode two structures (DATA.h5:INDEX, a TIFF stack or slice folder, "
            "FILE@Z,Y,X for a sub-volume of the model's size; or CODE.npy, a latent code), "
            "interpolate their latent codes, "
            "decode and binarise each step, and write the path as a porestudio dataset with "
            "the properties along it (regressor, --cnn surrogate, --verify physics)."
        ),
        epilog=examples(
            "porestudio interpolate models/pvae2d --from set.h5:3 --to set.h5:40 --out path.h5",
            "porestudio interpolate models/pvae3d --from ct.tif@0,0,0 --to ct.h5:-1 --steps 20 "
            "--verify physics --cnn models/cnn3d --out path.h5 --plot path.png",
        ),
    )
    add_model_args(p)
    p.add_argument("--from", dest="source", required=True, metavar="A", help="start structure")
    p.add_argument("--to", dest="dest", required=True, metavar="B", help="end structure")
    p.add_argument("--steps", type=int, default=100, help="structures on the path, ends included")
    p.add_argument("--method", default="slerp", choices=["slerp", "lerp"], help="interpolation")
    p.add_argument("--verify", choices=["physics"], help="also compute properties by physics")
    p.add_argument("--cnn", metavar="MODEL", help="CNN surrogate evaluated along the path")
    p.add_argument("--mode", default="auto", choices=["auto", "kuhn", "periodic"],
                   help="side walls of physics runs (auto: as the training labels)")  # fmt: skip
    p.add_argument("--threshold", type=float, default=0.5, help="binarisation level")
    p.add_argument("--out", required=True, metavar="PATH.h5", help="output dataset")
    p.add_argument("--plot", metavar="PNG", help="also plot the properties along the path")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Encode the ends, interpolate, decode, evaluate, write."""
    from porestudio.design.interpolate import path, save_path
    from porestudio.design.io import code_for

    out = check_new(args.out, args.overwrite)
    model = load_pvae(args.model, args.device)
    cnn = load_cnn(args.cnn, args.device)
    z0, z1 = code_for(model, args.source), code_for(model, args.dest)
    with progress_bar("interpolating") as bar:
        result = path(model, z0, z1, args.steps, args.method, surrogate=cnn, verify=args.verify,
                      threshold=args.threshold, progress=bar,
                      boundary_mode=boundary_mode(model, args.mode),
                      physics_device=args.device)  # fmt: skip
    attrs = {"from": args.source, "to": args.dest, "model": str(args.model)}
    save_path(result, out, voxel_size_m=model.spec.voxel_size_m, attrs=attrs,
              overwrite=args.overwrite)  # fmt: skip
    phi = result.properties["porosity"]
    print(f"{out.name}: {len(result.t)} structures ({args.method}), "
          f"porosity {phi[0]:.4f} -> {phi[-1]:.4f}")  # fmt: skip
    if args.plot:
        from porestudio.design.plots import path_plot

        path_plot(result.t, result.properties, args.plot, overwrite=args.overwrite)
    return 0
