"""``porestudio info``: summary and Table-3 statistics of a dataset, or of one CT volume."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.cli._common import examples
from porestudio.errors import InputError

_COLUMNS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``info`` sub-command."""
    p = subparsers.add_parser(
        "info",
        help="describe a dataset (count, shape, voxel size, property statistics) or a volume",
        description=(
            "For an HDF5 dataset: sample count, shape, voxel size and Table-3 statistics "
            "(count, mean, std, min, quartiles, max) of every property; with --index, one "
            "sample's properties and provenance. For a TIFF stack or slice folder: porosity "
            "and morphology of the binarised volume."
        ),
        epilog=examples(
            "porestudio info set.h5 | head",
            "porestudio info set.h5:-1 --json",
            "porestudio info berea.tif --threshold 90 --voxel-size 5e-6",
        ),
    )
    p.add_argument(
        "path",
        metavar="FILE.h5[:INDEX]|VOLUME",
        help="dataset (.h5; :INDEX shows one sample, negative counts from the end), "
        "TIFF stack or folder of slices",
    )
    p.add_argument(
        "--index", type=int, metavar="I", help="show sample I of a dataset (same as FILE.h5:I)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--voxel-size", type=float, metavar="M", help="voxel edge [m] of a volume")
    p.add_argument(
        "--threshold",
        default="otsu",
        metavar="otsu|VALUE",
        help="binarisation threshold of a greyscale volume: a grey value or 'otsu'",
    )
    p.add_argument("--invert", action="store_true", help="pores are bright")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``info``."""
    from porestudio.structures.naming import is_hdf5, parse_sample_ref

    ref = parse_sample_ref(args.path)
    if ref.index is not None:
        if args.index is not None and args.index != ref.index:
            raise InputError(f"{args.path} and --index {args.index} name different samples")
        args.index = ref.index
    path = ref.path
    if is_hdf5(path):
        return _dataset_info(path, args)
    if args.index is not None:
        raise InputError("--index applies to datasets (.h5), not to a single volume")
    return _volume_info(path, args)


def _dataset_info(path: Path, args: argparse.Namespace) -> int:
    from porestudio.cli._common import print_json
    from porestudio.structures.dataset import describe, open_dataset

    if args.index is None:
        info = describe(path)
        print_json(info) if args.json else print(format_describe(info))
        return 0
    with open_dataset(path) as ds:
        i = ds.check_index(args.index)
        sample = {
            "index": i,
            "count": len(ds),
            "voxel_size_m": ds.voxel_size_m,
            "properties": _sample_properties(ds, i),
            "provenance": ds.provenance(i),
        }
    print_json(sample) if args.json else print(format_sample(sample))
    return 0


def _sample_properties(ds: Any, i: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in ds.properties().items():
        v = values[i]
        if isinstance(v, np.ndarray):
            v = np.where(np.isfinite(v), v, np.nan).tolist() if v.dtype.kind == "f" else v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
        out[name] = {"value": _nan_to_none(v), "unit": ds.property_attrs(name).get("unit", "")}
        if name == "permeability_lu" and ds.voxel_size_m is not None:
            k = np.asarray(values[i], dtype=float) * ds.voxel_size_m**2
            out["permeability_m2"] = {"value": _nan_to_none(k.tolist()), "unit": "m^2"}
    return out


def _nan_to_none(v: Any) -> Any:
    if isinstance(v, list):
        return [_nan_to_none(x) for x in v]
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def format_describe(info: dict[str, Any]) -> str:
    """Text rendering of :func:`porestudio.structures.dataset.describe`."""
    vox = info["voxel_size_m"]
    lines = [
        f"dataset   {info['path']}",
        f"samples   {info['count']}",
        f"shape     {' x '.join(map(str, info['shape_zyx']))} voxels (z, y, x)",
        "voxel     "
        + ("unknown (give --voxel-size to commands that need m²)" if vox is None else f"{vox:g} m"),
        f"created   {info.get('created')} by {info.get('creator')}",
    ]
    if "label_status" in info:
        lines.append("labels    " + ", ".join(f"{k} {v}" for k, v in info["label_status"].items()))
    stats = info["statistics"]
    if stats:
        width = max(len(n) for n in stats) + 2
        lines.append("")
        lines.append(
            "property".ljust(width) + "unit".ljust(9) + "".join(c.rjust(12) for c in _COLUMNS)
        )
        for name, row in stats.items():
            cells = "".join(_cell(row[c]) for c in _COLUMNS)
            lines.append(name.ljust(width) + str(row["unit"]).ljust(9) + cells)
    return "\n".join(lines)


def _cell(v: Any) -> str:
    if v is None:
        return "-".rjust(12)
    if isinstance(v, int):
        return str(v).rjust(12)
    return f"{v:.5g}".rjust(12)


def format_sample(sample: dict[str, Any]) -> str:
    """Text rendering of one sample's properties and provenance."""
    lines = [f"sample {sample['index']} of {sample['count']}"]
    for name, entry in sample["properties"].items():
        value = entry["value"]
        if isinstance(value, list):
            value = np.array2string(np.array(value, dtype=float), precision=6)
        lines.append(f"{name}: {value} {entry['unit']}".rstrip())
    lines.append("provenance: " + json.dumps(sample["provenance"], indent=2, sort_keys=True))
    return "\n".join(lines)


def _volume_info(path: Path, args: argparse.Namespace) -> int:
    from porestudio.cli._common import print_json
    from porestudio.cli.import_ct import parse_threshold
    from porestudio.structures.ct import load_structure

    s = load_structure(
        path,
        threshold=parse_threshold(args.threshold),
        invert=args.invert,
        voxel_size_m=args.voxel_size,
    )
    info: dict[str, Any] = {
        "path": str(path.absolute()),
        "shape_zyx": list(s.shape),
        "voxel_size_m": s.voxel_size_m,
        "porosity": s.porosity,
        "threshold": s.provenance["threshold"],
        "threshold_method": s.provenance["threshold_method"],
        "rule": s.provenance["rule"],
    }
    try:
        from porestudio.structures import morphology
    except ImportError:
        morphology = None
    if morphology is not None:
        info["morphology"] = morphology.summary(s)
    if args.json:
        print_json(info)
        return 0
    for key, value in info.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for sub, item in value.items():
                print(f"  {sub}: {item}")
        else:
            print(f"{key}: {value}")
    return 0
