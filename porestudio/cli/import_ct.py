"""``porestudio import-ct``: a CT volume (TIFF stack, slice folder, raw file) → HDF5 dataset."""

from __future__ import annotations

import argparse

from porestudio.cli._common import add_overwrite, examples
from porestudio.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import-ct`` sub-command."""
    p = subparsers.add_parser(
        "import-ct",
        help="import a CT volume into an HDF5 dataset (whole, or cut into sub-volumes)",
        description=(
            "Read a multi-page TIFF, a folder of 2D TIFF/PNG slices or a raw file, binarise it "
            "(pore = grey < threshold; Otsu by default; two-level files are taken as-is with "
            "pore = the darker level) and write it as one sample, or as sub-volumes on a grid, "
            "to an HDF5 dataset. An existing FILE.h5 is never replaced unless --overwrite "
            "is given."
        ),
        epilog=examples(
            "porestudio import-ct berea.tif --out berea.h5 --subvolume 100 --stride 50",
            "porestudio import-ct slices/ --out rock.h5 --threshold 90 --voxel-size 5e-6",
            "porestudio import-ct scan.raw --raw-shape 400,400,400 --raw-dtype uint8 --out scan.h5",
        ),
    )
    p.add_argument("path", help="TIFF stack, folder of slices, or raw file")
    p.add_argument(
        "--out", required=True, metavar="FILE.h5", help="dataset to write (.h5 or .hdf5)"
    )
    add_overwrite(p, "FILE.h5")
    p.add_argument(
        "--voxel-size",
        type=float,
        metavar="M",
        help="voxel edge in metres (overrides the file's metadata)",
    )
    p.add_argument(
        "--threshold",
        default="otsu",
        metavar="otsu|VALUE",
        help="grey value t with pore = grey < t, or 'otsu'",
    )
    p.add_argument("--invert", action="store_true", help="pores are bright: pore = grey >= t")
    p.add_argument("--subvolume", metavar="N|Z,Y,X", help="cut cubes of this size [voxels]")
    p.add_argument(
        "--stride",
        metavar="S|Z,Y,X",
        help="step between sub-volumes [voxels] (default: the sub-volume size)",
    )
    p.add_argument(
        "--remove-islands",
        action="store_true",
        help="remove floating solid islands (they become pore) that touch no face of the sample",
    )
    p.add_argument(
        "--remove-disconnected",
        action="store_true",
        help="fill pores not connected to any face of the sample",
    )
    p.add_argument("--raw-shape", metavar="Z,Y,X", help="shape of a headerless raw file")
    p.add_argument("--raw-dtype", metavar="DTYPE", help="raw element type, e.g. uint8, uint16")
    p.add_argument(
        "--raw-byte-order",
        choices=["little", "big"],
        default="little",
        help="raw byte order",
    )
    p.set_defaults(func=run)


def parse_ints(text: str | None, name: str) -> int | tuple[int, int, int] | None:
    """``"100"`` → 100, ``"300,100,100"`` → (300, 100, 100); None stays None."""
    if text is None:
        return None
    parts = [t.strip() for t in str(text).split(",")]
    try:
        values = [int(t) for t in parts]
    except ValueError:
        raise InputError(f"{name} must be N or Z,Y,X whole numbers; got {text!r}") from None
    if len(values) == 1:
        return values[0]
    if len(values) != 3:
        raise InputError(f"{name} must be N or Z,Y,X; got {text!r}")
    return tuple(values)  # type: ignore[return-value]


def parse_threshold(text: str) -> str | float:
    """``"otsu"`` or a number."""
    if str(text).strip().lower() == "otsu":
        return "otsu"
    try:
        return float(text)
    except ValueError:
        raise InputError(f"--threshold must be 'otsu' or a number; got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """Handler of ``import-ct``."""
    from porestudio.atomic import SUFFIXES, check_writable
    from porestudio.cli._common import progress_bar
    from porestudio.structures.ct import import_ct
    from porestudio.structures.dataset import describe

    check_writable(
        args.out, inputs=(args.path,), overwrite=args.overwrite, suffixes=SUFFIXES["hdf5"]
    )
    size = parse_ints(args.subvolume, "--subvolume")
    stride = parse_ints(args.stride, "--stride")
    if stride is not None and size is None:
        raise InputError("--stride needs --subvolume")
    raw_shape = parse_ints(args.raw_shape, "--raw-shape")
    if isinstance(raw_shape, int):
        raise InputError("--raw-shape must be Z,Y,X")
    with progress_bar("import-ct", unit="step") as bar:
        out = import_ct(
            args.path,
            args.out,
            size=size,
            stride=stride,
            threshold=parse_threshold(args.threshold),
            invert=args.invert,
            voxel_size_m=args.voxel_size,
            remove_islands=args.remove_islands,
            remove_disconnected=args.remove_disconnected,
            raw_shape=raw_shape,
            raw_dtype=args.raw_dtype,
            raw_byte_order=args.raw_byte_order,
            progress=bar,
            overwrite=args.overwrite,
        )
    info = describe(out)
    imp = info["attrs"].get("import", {})
    vox = info["voxel_size_m"]
    phi = info["statistics"].get("porosity", {})
    shape = " x ".join(map(str, info["shape_zyx"]))
    print(f"wrote {out}: {info['count']} sample(s) of {shape} voxels (z, y, x)")
    print(f"threshold {imp.get('threshold'):g} ({imp.get('threshold_method')}), {imp.get('rule')}")
    print(f"voxel size {'unknown' if vox is None else f'{vox:g} m'}")
    if phi.get("count"):
        std = phi.get("std")
        print(f"porosity mean {phi['mean']:.5f}" + (f", std {std:.5f}" if std else ""))
    return 0
