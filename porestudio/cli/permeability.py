"""``porestudio permeability``: the permeability tensor of a volume or a dataset sample."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from porestudio.cli._common import examples, print_json, progress_bar
from porestudio.errors import InputError
from porestudio.units import AXES_XYZ, DARCY_M2, MILLIDARCY_M2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``permeability`` sub-command."""
    p = subparsers.add_parser(
        "permeability",
        help="permeability tensor of a volume (LBM or exact 2D Stokes)",
        description=(
            "Compute the permeability of a binary volume (TIFF stack, slice folder) or of "
            "one sample of a porestudio HDF5 dataset (FILE.h5:INDEX). Lattice units are "
            "voxel²; m², darcy and mD are shown when the voxel size is known."
        ),
        epilog=examples(
            "porestudio permeability ct.h5:3 --tensor --mode periodic --device auto",
            "porestudio permeability grey.tif --threshold 90 --subvoxel --voxel-size 5e-6",
        ),
    )
    p.add_argument("volume", metavar="VOLUME", help="TIFF stack, slice folder or FILE.h5[:INDEX]")
    p.add_argument(
        "--axis",
        default="all",
        choices=["x", "y", "z", "all"],
        help="flow axis whose diagonal entry is computed (default: %(default)s)",
    )
    p.add_argument(
        "--tensor", action="store_true", help="the full 3x3 tensor (off-diagonal entries too)"
    )
    p.add_argument("--voxel-size", type=float, metavar="M", help="voxel edge in metres")
    from porestudio.cli._solver_args import add_solver_arguments

    add_solver_arguments(p)
    p.add_argument(
        "--threshold",
        default="otsu",
        metavar="T",
        help="grey threshold of a grey-scale volume, pore = grey < T (default: otsu)",
    )
    p.add_argument(
        "--subvoxel",
        action="store_true",
        help="place the walls between voxel centres from the grey values (partial volume; "
        "grey-scale TIFF / slice folder only)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Load the structure, compute, print."""
    from porestudio.cli._solver_args import solver_from_args
    from porestudio.physics.permeability import permeability

    solver = solver_from_args(args)  # a bad option is refused before the volume is read
    structure, label = load_input(args.volume, args.threshold)
    level_set = grey_walls(args.volume, structure) if args.subvoxel else None
    with progress_bar("permeability", unit="‰") as bar:
        result = permeability(
            structure, axes=args.axis, tensor=args.tensor, voxel_size_m=args.voxel_size,
            progress=bar, level_set=level_set, options=solver,
        )  # fmt: skip
    if args.json:
        print_json({"source": label, "shape_zyx": list(structure.shape), **result.to_dict()})
    else:
        print(format_table(result, label, structure.shape))
    return 0


def load_input(spec: str, threshold: str = "otsu"):
    """A Structure from ``path`` (volume) or ``path.h5:index`` (dataset sample)."""
    from porestudio.structures.naming import is_hdf5, parse_sample_ref

    path, index = (ref := parse_sample_ref(spec)).path, ref.index
    if is_hdf5(path):
        from porestudio.structures.dataset import open_dataset

        with open_dataset(path) as ds:
            count = len(ds)
            if index is None:
                if count != 1:
                    raise InputError(
                        f"{path.name} holds {count} samples; choose one as {path.name}:INDEX"
                    )
                index = 0
            return ds.structure(index), f"{path.name}:{ds.check_index(index)}"
    if index is not None:
        raise InputError(f"{path.name} is not an HDF5 dataset; ':{index}' needs one")
    from porestudio.structures.ct import load_structure

    return load_structure(path, threshold=threshold), path.name


def grey_walls(spec: str, structure) -> np.ndarray:
    """Level set of the grey volume ``spec`` for sub-voxel walls (``--subvoxel``)."""
    from porestudio.structures.ct import read_grey
    from porestudio.structures.level_set import grey_level_set

    prov = structure.provenance
    if prov.get("kind") != "ct":
        raise InputError("--subvoxel needs a grey-scale volume; dataset samples are binary")
    grey = read_grey(Path(spec)).data
    if np.unique(grey[:: max(1, grey.shape[0] // 8)]).size <= 2:
        raise InputError(f"{Path(spec).name} is binary: no grey values to place walls with")
    return grey_level_set(grey, prov["threshold"], structure.pore, bool(prov["invert"]))


def format_table(result, label: str, shape: tuple[int, ...]) -> str:
    """Human-readable table of a PermeabilityResult (units in the headers)."""
    from porestudio.formatting import format_value, header
    from porestudio.physics.tensor import summary_lines

    dx = result.voxel_size_m
    head = f"{label}: {'×'.join(map(str, shape[::-1]))} voxels (x×y×z), "
    head += f"porosity {format_value(result.porosity)}, voxel size "
    head += f"{format_value(dx)} m" if dx else "unknown (lattice units only; --voxel-size M)"
    lines = [head, f"method {result.method}, mode {result.mode}"]
    cols = ["entry", header("k", "voxel²")]
    cols += [header("k", "m²"), header("k", "D"), header("k", "mD")] if dx else []
    lines.append("  ".join(f"{c:>14}" for c in cols))
    for i, a in enumerate(AXES_XYZ):
        for j, b in enumerate(AXES_XYZ):
            v = result.k_lu[i, j]
            if np.isnan(v):
                continue
            row = [f"k_{a}{b}", format_value(v)]
            if dx:
                m2 = result.k_m2[i, j]
                row += [format_value(m2), format_value(m2 / DARCY_M2)]
                row += [format_value(m2 / MILLIDARCY_M2)]
            lines.append("  ".join(f"{c:>14}" for c in row))
    if result.tensor:
        lines += summary_lines(result.k_lu, "voxel²", result.mode)
    lines += [f"run {r.describe()}" for r in result.runs]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)
