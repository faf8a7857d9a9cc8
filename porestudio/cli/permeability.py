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
    p.add_argument("--axis", default="all", choices=["x", "y", "z", "all"], help="flow axis")
    p.add_argument("--tensor", action="store_true", help="also compute off-diagonal entries")
    p.add_argument("--mode", default="kuhn", choices=["kuhn", "periodic"], help="side walls")
    p.add_argument("--method", default="auto", choices=["auto", "lbm", "stokes2d"])
    p.add_argument("--collision", default="trt", choices=["trt", "bgk"])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    p.add_argument("--voxel-size", type=float, metavar="M", help="voxel edge in metres")
    p.add_argument("--tol", type=float, default=1e-6, help="LBM convergence tolerance")
    p.add_argument("--max-steps", type=int, metavar="N", help="LBM step limit per run")
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
    from porestudio.physics.permeability import permeability

    structure, label = load_input(args.volume, args.threshold)
    level_set = grey_walls(args.volume, structure) if args.subvoxel else None
    with progress_bar("permeability") as bar:
        result = permeability(
            structure, axes=args.axis, tensor=args.tensor, mode=args.mode,
            method=args.method, collision=args.collision, device=args.device,
            voxel_size_m=args.voxel_size, tol=args.tol, max_steps=args.max_steps,
            progress=bar, level_set=level_set,
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
    """Human-readable table of a PermeabilityResult."""
    dx = result.voxel_size_m
    head = f"{label}: {'×'.join(map(str, shape[::-1]))} voxels (x×y×z), "
    head += f"porosity {result.porosity:.4f}, voxel size "
    head += f"{dx:.4g} m" if dx else "unknown (lattice units only; --voxel-size M)"
    lines = [head, f"method {result.method}, mode {result.mode}"]
    cols = ["entry", "k [voxel²]"] + (["k [m²]", "k [D]", "k [mD]"] if dx else [])
    lines.append("  ".join(f"{c:>14}" for c in cols))
    for i, a in enumerate(AXES_XYZ):
        for j, b in enumerate(AXES_XYZ):
            v = result.k_lu[i, j]
            if np.isnan(v):
                continue
            row = [f"k_{a}{b}", f"{v:.6g}"]
            if dx:
                m2 = result.k_m2[i, j]
                row += [f"{m2:.6g}", f"{m2 / DARCY_M2:.6g}", f"{m2 / MILLIDARCY_M2:.6g}"]
            lines.append("  ".join(f"{c:>14}" for c in row))
    if result.tensor and not np.isnan(result.asymmetry):
        lines.append(f"asymmetry ‖K−Kᵀ‖/‖K‖ = {result.asymmetry:.3g}")
    for r in result.runs:
        if r.method == "none":
            lines.append(f"run {r.axis} {r.side_bc}: skipped ({r.note})")
            continue
        state = "converged" if r.converged else "NOT converged"
        extra = f", {r.steps} steps, residual {r.residual:.2e}, {r.mflups:.1f} MFLUPS" * (
            r.method == "lbm"
        )
        lines.append(
            f"run {r.axis} {r.side_bc}: {r.method} {state}{extra}, {r.seconds:.2f} s"
            + (f" ({r.note})" if r.note else "")
        )
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)
