"""``porestudio design``: structures for target porosity and permeability (inverse design)."""

from __future__ import annotations

import argparse

from porestudio.cli._common import examples, progress_bar
from porestudio.cli._design import add_model_args, boundary_mode, check_new, load_cnn, load_pvae
from porestudio.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``design`` sub-command."""
    p = subparsers.add_parser(
        "design",
        help="inverse design: structures for target porosity and permeability",
        description=(
            "Design printable structures with a pVAE for targets given by flags or, one per "
            "row, in a CSV file (header porosity,k or porosity,kx,ky,kz). Candidates are "
            "decoded, binarised, cleaned and scored on the printed structure; --verify "
            "physics re-ranks them by the physics solver. The nearest training structure is "
            "written beside them as the baseline."
        ),
        epilog=examples(
            "porestudio design models/pvae2d --porosity 0.3 --k 1.2 --cnn models/cnn2d "
            "--out designs.h5",
            "porestudio design models/pvae3d --porosity 0.35 --kx 2 --ky 2 --kz 4 "
            "--candidates 3 --out d3.h5",
            "porestudio design models/pvae2d --targets targets.csv --units mD --voxel-size 5e-6 "
            "--out designs.h5",
        ),
    )
    add_model_args(p)
    p.add_argument("--porosity", type=float, help="target porosity (0..1)")
    p.add_argument("--k", type=float, help="target permeability along the flow axis")
    for axis in "xyz":
        p.add_argument(f"--k{axis}", type=float, help=f"target permeability k_{axis}{axis}")
    p.add_argument("--targets", metavar="CSV", help="many targets, one per row")
    p.add_argument("--units", default="lu", choices=["lu", "m2", "mD"],
                   help="permeability unit (lu = voxel²)")  # fmt: skip
    p.add_argument("--voxel-size", type=float, metavar="M",
                   help="voxel edge in metres (default: the model's)")  # fmt: skip
    p.add_argument("--candidates", type=int, default=5, help="designs per target")
    p.add_argument("--verify", choices=["physics", "none"], default="physics",
                   help="re-rank candidates by the physics solver")  # fmt: skip
    p.add_argument("--cnn", metavar="MODEL", help="independent CNN surrogate")
    p.add_argument("--data", metavar="DATA.h5", help="training dataset (default: the model's)")
    p.add_argument("--latent", metavar="LATENT.h5", help="its latent file (porestudio latent)")
    p.add_argument(
        "--start",
        metavar="SOURCE",
        action="append",
        help="design from this structure or code (DATA.h5:INDEX, a TIFF, FILE@Z,Y,X, "
        "a .npy code; repeatable): variants of it that meet the target",
    )
    p.add_argument("--k-init", type=int, default=100,
                   help="nearest training samples as initial guesses per target "
                        "(0 with --start: only the start codes)")  # fmt: skip
    p.add_argument(
        "--steps", type=int, help="refinement steps per batch (default: 50 on CUDA, 0 on a CPU)"
    )
    p.add_argument("--polish-steps", type=int, metavar="N",
                   help="physics runs per target on neighbours of its best verified design, "
                        "chosen by the calibrated surrogate (default: the model's, 0)")  # fmt: skip
    p.add_argument("--scorer", default="auto", choices=["auto", "network", "estimate"],
                   help="what scores candidates before physics (auto: a 3D model's calibrated "
                        "conductance estimate where it carries one, else the network)")  # fmt: skip
    p.add_argument("--mode", default="auto", choices=["auto", "kuhn", "periodic"],
                   help="side walls of physics runs (auto: as the training labels)")  # fmt: skip
    p.add_argument("--out", required=True, metavar="DESIGNS.h5", help="output dataset")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Parse the targets, design, write, print a summary."""
    import dataclasses

    from porestudio.design.inverse import design, options_for, resolve_reference
    from porestudio.design.io import save_designs

    out = check_new(args.out, args.overwrite)
    model = load_pvae(args.model, args.device)
    targets = read_targets(args, model.spec.voxel_size_m)
    cnn = load_cnn(args.cnn, args.device)
    opts = options_for(model, physics_device=args.device, scorer=args.scorer)
    if args.steps is not None:
        opts = dataclasses.replace(opts, steps=int(args.steps))
    if args.polish_steps is not None:
        if args.polish_steps < 0:
            raise InputError(f"--polish-steps must be 0 or more; got {args.polish_steps}")
        opts = dataclasses.replace(opts, polish_steps=int(args.polish_steps))
    with progress_bar("reference", unit="sample") as bar:
        ref = resolve_reference(model, args.data, args.latent, progress=bar)
    if args.mode != "auto":
        ref = dataclasses.replace(ref, boundary_mode=args.mode)
    elif args.data is None:
        ref = dataclasses.replace(ref, boundary_mode=boundary_mode(model, "auto"))
    verify = None if args.verify == "none" else args.verify
    start = _start_codes(model, args.start)
    with progress_bar("designing") as bar:
        results = design(model, targets, surrogate=cnn, candidates=args.candidates,
                         k_init=args.k_init, verify=verify, progress=bar, data=ref,
                         options=opts, start=start)  # fmt: skip
    save_designs(results, out, voxel_size_m=model.spec.voxel_size_m,
                 attrs={"model": str(args.model)}, overwrite=args.overwrite)  # fmt: skip
    print(summary(results))
    print(f"wrote {out}")
    return 0


def _start_codes(model, sources):
    """The latent codes (s, d) of the --start sources, or None."""
    if not sources:
        return None
    import numpy as np

    from porestudio.design.io import code_for

    return np.stack([code_for(model, src) for src in sources])


def read_targets(args: argparse.Namespace, model_voxel: float | None):
    """Targets from --targets CSV or the flags (not both)."""
    from porestudio.design.targets import make_targets, read_targets_csv

    voxel = args.voxel_size if args.voxel_size is not None else model_voxel
    flags = {"porosity": args.porosity, "k": args.k, "kx": args.kx, "ky": args.ky, "kz": args.kz}
    given = any(v is not None for v in flags.values())
    if args.targets and given:
        raise InputError("give targets either with --targets CSV or with flags, not both")
    if args.targets:
        return read_targets_csv(args.targets, units=args.units, voxel_size_m=voxel)
    if not given:
        raise InputError("no targets: give --porosity/--k (--kx --ky --kz) or --targets CSV")
    return make_targets(flags, units=args.units, voxel_size_m=voxel, labels=["flags"])


def summary(results) -> str:
    """One block per target: the best candidate and the baseline."""
    lines = []
    for r in results:
        tgt = ", ".join(f"{n} {v:.4g}" for n, v in zip(r.names, r.target, strict=True))
        flag = "  [outside the data's support]" if r.outside_support else ""
        lines.append(f"{r.label}: {tgt}{flag}")
        for i, c in enumerate(r.candidates, 1):
            lines.append(f"  #{i} {_values(c)}  novelty {c.novelty:.3f}, "
                         f"in-distribution {c.in_distribution:.2f}")  # fmt: skip
        lines.append(f"  baseline (training #{r.baseline.nearest_index}) {_values(r.baseline)}")
    return "\n".join(lines)


def _values(c) -> str:
    vals = c.verified if c.verified is not None else c.predicted
    kind = "physics" if c.verified is not None else "predicted"
    body = ", ".join(f"{k} {v:.4g}" for k, v in vals.items())
    perc = "" if c.percolates else ", NOT percolating"
    return f"{kind}: {body} (error {100 * c.error:.1f} %{perc})"
