"""``porestudio label``: fill porosity and permeability of every sample of a dataset."""

from __future__ import annotations

import argparse
import sys

from porestudio.cli._common import examples, print_json, progress_bar

INTERRUPT_NOTE = (
    "the samples finished so far are kept (in the file, or its .labels.journal); "
    "run the same command again to resume"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``label`` sub-command."""
    p = subparsers.add_parser(
        "label",
        help="compute porosity and permeability for every unlabelled sample of a dataset",
        description=(
            "Label every sample of FILE.h5 that lacks porosity or the requested permeability. "
            "Resumable: a killed run continues where it stopped (results are journaled in "
            "FILE.h5.labels.journal). Failing samples are recorded (label_status = 2, "
            "label_message) and the campaign goes on."
        ),
        epilog=examples(
            "porestudio label squares.h5 --workers 2",
            "porestudio label ct.h5 --tensor --mode periodic --device cuda",
            "porestudio label set.h5 --scheduler tcp://head:8786   # Dask cluster",
            "porestudio label set3d.h5 --tensor --mode periodic --first 500   # a physics subset",
            "porestudio label set3d.h5 --surrogate models/cnn3d   # the CNN labels the rest",
        ),
    )
    p.add_argument("file", metavar="FILE.h5", help="porestudio HDF5 dataset")
    p.add_argument(
        "--tensor", action="store_true", help="full 3x3 tensor (off-diagonals of the --mode)"
    )
    p.add_argument(
        "--axis",
        choices=("x", "y", "z", "all"),
        default="all",
        help="flow axis (default: %(default)s; an extruded sample costs one 2D check per "
        "axis it does not percolate along)",
    )
    from porestudio.cli._solver_args import add_solver_arguments

    add_solver_arguments(p)
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes (default: cores - 1; 0 or 1 = in this process)",
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    p.add_argument(
        "--refine",
        type=int,
        default=4,
        help="sub-pixels per pixel of the extruded solver (default: %(default)s)",
    )
    p.add_argument(
        "--si", action="store_true", help="also store permeability_m2 (needs the voxel size)"
    )
    p.add_argument("--retry-failed", action="store_true", help="label failed samples again")
    p.add_argument(
        "--flush-every",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="merge finished results into the file at least this often (default 300)",
    )
    p.add_argument(
        "--first", type=int, metavar="N",
        help="label only the first N samples (the physics subset of the bottom-up route)",
    )  # fmt: skip
    p.add_argument(
        "--surrogate", metavar="MODEL",
        help="label every sample without a physics label by this CNN's predictions instead "
        "(label_status 3 'surrogate'; training uses them only with surrogate_labels, never "
        "for validation or test; a later physics run replaces them)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run, on_interrupt=INTERRUPT_NOTE)


def run(args: argparse.Namespace) -> int:
    """Handler of ``porestudio label``."""
    from porestudio.errors import InputError
    from porestudio.physics.campaign import label_dataset
    from porestudio.structures.naming import parse_sample_ref

    if parse_sample_ref(args.file).index is not None:
        raise InputError(f"label works on a whole dataset; give {args.file.rsplit(':', 1)[0]}")
    if args.surrogate is not None:
        return _run_surrogate(args)
    if args.first is not None and args.first < 1:
        raise InputError(f"--first must be at least 1; got {args.first}")
    with progress_bar("labelling", unit="sample") as bar:
        summary = label_dataset(
            args.file,
            solver=_solver(args),
            tensor=args.tensor,
            axes=args.axis,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=bar,
            refine=args.refine,
            si=args.si,
            retry_failed=args.retry_failed,
            flush_seconds=args.flush_every,
            indices=None if args.first is None else range(min(args.first, _count(args.file))),
        )
    if args.json:
        print_json(summary.to_dict())
        return 0
    methods = ", ".join(f"{k}: {v}" for k, v in sorted(summary.methods.items())) or "-"
    print(
        f"{summary.path}: {summary.total} samples; labelled {summary.labelled} "
        f"(ok {summary.ok}, failed {summary.failed}), skipped {summary.skipped}, "
        f"recovered {summary.recovered} from an interrupted run"
    )
    print(
        f"{summary.seconds:.1f} s, {summary.samples_per_second:.1f} samples/s; methods: {methods}"
    )
    if summary.non_percolating:
        print(f"{summary.non_percolating} samples do not percolate along an axis (k = 0 there)")
    for index, message in summary.failures[:5]:
        print(f"  sample {index} failed: {message}", file=sys.stderr)
    return 0


def _count(path: str) -> int:
    from porestudio.structures.dataset import open_dataset

    with open_dataset(path) as ds:
        return len(ds)


def _run_surrogate(args: argparse.Namespace) -> int:
    """``label --surrogate MODEL``: the CNN labels what physics has not."""
    from porestudio.ml.surrogate_labels import label_with_surrogate

    with progress_bar("surrogate labels", unit="sample") as bar:
        summary = label_with_surrogate(args.surrogate, args.file, progress=bar)
    if args.json:
        print_json(summary.to_dict())
    else:
        print(
            f"{summary.path}: {summary.labelled} samples labelled by the surrogate "
            f"({', '.join(summary.components)}); {summary.skipped_physics} physics labels kept"
        )
    return 0


def _solver(args: argparse.Namespace):
    """The validated SolverOptions of the flags (one set of rules for every command)."""
    from porestudio.cli._solver_args import solver_from_args

    return solver_from_args(args)
