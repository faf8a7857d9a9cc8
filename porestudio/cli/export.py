"""``porestudio export``: write one structure as STL (3D printing), TIFF stack or VTI."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from porestudio.cli._common import add_overwrite, examples

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` sub-command."""
    p = subparsers.add_parser(
        "export",
        help="export a structure as STL, binary TIFF stack or VTI",
        description=(
            "Export sample INDEX of a porestudio data set (FILE.h5:INDEX, or FILE.h5 with "
            "--index), or a CT volume (TIFF stack, folder of slices), as an STL of the solid "
            "phase in mm (for printing), a binary TIFF stack (pore = 0, solid = 255, ImageJ "
            "voxel size) and/or a VTK image (.vti, cell data 'pore', metres). Each output "
            "must carry its format's suffix, and an existing file is never replaced unless "
            "--overwrite is given."
        ),
        epilog=examples(
            "porestudio export ct.h5:3 --stl part.stl --skin 2",
            "porestudio export set.h5:-1 --tiff last.tif --vti last.vti --overwrite",
        ),
    )
    p.add_argument(
        "input",
        metavar="FILE.h5[:INDEX]|VOLUME.tif",
        help="data set sample (negative INDEX counts from the end) or CT volume",
    )
    p.add_argument(
        "--index",
        type=int,
        metavar="I",
        help="sample of a data set, same as FILE.h5:I (default: 0)",
    )
    p.add_argument("--stl", metavar="OUT.stl", help="write the solid phase as binary STL (mm)")
    p.add_argument("--tiff", metavar="OUT.tif", help="write a binary TIFF stack (.tif/.tiff)")
    p.add_argument("--vti", metavar="OUT.vti", help="write VTK XML image data")
    add_overwrite(p, "output")
    p.add_argument(
        "--skin",
        type=int,
        default=0,
        metavar="N",
        help="STL: solid frame of N voxels around the four side faces (normal to x, y)",
    )
    p.add_argument("--smooth", action="store_true", help="STL: smooth marching-cubes surface")
    p.add_argument(
        "--remove-islands",
        action="store_true",
        help=(
            "turn floating solid islands (solid touching no face of the volume, face "
            "connectivity; they would print as loose parts) into pore before writing"
        ),
    )
    p.add_argument(
        "--voxel-size",
        type=float,
        metavar="M",
        help="voxel edge in metres (overrides the file's; needed for STL if unknown)",
    )
    p.set_defaults(func=run)


def load_input(path: str, index: int | None, voxel_size_m: float | None):
    """The structure to export: sample ``index`` of a data set, or a CT volume.

    ``path`` may name the sample itself (``FILE.h5:INDEX``); ``index`` (``--index``) then
    must agree with it.
    """
    from porestudio.errors import InputError
    from porestudio.structures.naming import is_hdf5, parse_sample_ref

    ref = parse_sample_ref(path)
    if ref.index is not None and index is not None and ref.index != index:
        raise InputError(f"{path} and --index {index} name different samples; give one")
    index = ref.index if ref.index is not None else index
    source = ref.path
    if is_hdf5(source):
        from porestudio.structures.dataset import open_dataset

        with open_dataset(source) as ds:
            structure = ds.structure(0 if index is None else index)
    else:
        from porestudio.structures.ct import load_structure

        if index is not None:
            raise InputError(f"{source.name} is not a data set (.h5); a sample index needs one")
        structure = load_structure(source)
    if voxel_size_m is not None:
        structure = structure.replace(voxel_size_m=voxel_size_m)
    return structure


def remove_islands(structure):
    """``structure`` without its floating solid islands (reported on stdout)."""
    import numpy as np

    from porestudio.structures.morphology import floating_solid_islands, remove_floating_solids

    count = floating_solid_islands(structure.pore)
    if count:
        pore = remove_floating_solids(structure.pore)
        voxels = int(np.count_nonzero(pore & ~structure.pore))
        provenance = {**structure.provenance, "floating_solids_removed": count}
        structure = structure.replace(pore=pore, provenance=provenance)
        log.info("removed %d floating solid island(s), %d voxels", count, voxels)
        print(f"removed {count} floating solid island(s) ({voxels} voxels)")
    else:
        print("no floating solid island to remove")
    return structure


def run(args: argparse.Namespace) -> int:
    """Handler of ``porestudio export``."""
    from porestudio.atomic import SUFFIXES, check_writable
    from porestudio.errors import InputError
    from porestudio.structures import export
    from porestudio.structures.naming import parse_sample_ref

    outputs = [(flag, getattr(args, flag)) for flag in ("stl", "tiff", "vti")]
    outputs = [(flag, out) for flag, out in outputs if out]
    if not outputs:
        raise InputError("nothing to export: give --stl, --tiff and/or --vti")
    targets = [Path(out).expanduser().absolute() for _, out in outputs]
    if len(set(targets)) != len(targets):
        raise InputError("two outputs have the same file name")
    source = parse_sample_ref(args.input).path
    rules = {"inputs": (source,), "overwrite": args.overwrite}
    for (flag, _), out in zip(outputs, targets, strict=True):  # fail before the long load
        check_writable(out, suffixes=SUFFIXES[flag], **rules)
    if args.skin < 0:
        raise InputError(f"--skin must be >= 0, got {args.skin}")
    structure = load_input(args.input, args.index, args.voxel_size)
    if args.remove_islands:
        structure = remove_islands(structure)
    writers = {
        "stl": lambda s, o: export.write_stl(s, o, skin_vox=args.skin, smooth=args.smooth, **rules),
        "tiff": lambda s, o: export.write_tiff(s, o, **rules),
        "vti": lambda s, o: export.write_vti(s, o, **rules),
    }
    if args.stl and structure.voxel_size_m is None:
        raise InputError("the voxel size is unknown: give it with --voxel-size (metres) for STL")
    for flag, out in outputs:
        writers[flag](structure, out)
        print(f"wrote {out}")
    return 0
