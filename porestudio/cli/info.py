"""``porestudio info``: summary and Table-3 statistics of a dataset, or of one CT volume."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.cli._common import examples
from porestudio.errors import InputError
from porestudio.formatting import format_value, header, tensor_lines
from porestudio.physics.tensor import asymmetry_note, summarize, summary_lines

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
        with open_dataset(path) as ds:
            tensor = _tensor_overview(ds)
        if tensor:
            info["tensor"] = tensor
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
        if name == "permeability_lu":
            out[name]["boundary_mode"] = ds.property_attrs(name).get("boundary_mode", "")
            summary = summarize(np.asarray(values[i], dtype=float))
            out[name]["tensor"] = None if summary is None else summary.to_dict()
    return out


def _tensor_overview(ds: Any) -> dict[str, Any] | None:
    """Asymmetry of the full tensors of a dataset (None without any)."""
    if "permeability_lu" not in ds.property_names():
        return None
    k = np.asarray(ds.properties(["permeability_lu"])["permeability_lu"], dtype=float)
    full = np.isfinite(k).all(axis=(1, 2))
    if not full.any():
        return None
    asym = [summarize(t).asymmetry for t in k[full]]  # type: ignore[union-attr]
    mode = str(ds.property_attrs("permeability_lu").get("boundary_mode", ""))
    return {
        "full_tensors": int(full.sum()),
        "boundary_mode": mode,
        "asymmetry_median": float(np.median(asym)),
        "asymmetry_max": float(np.max(asym)),
    }


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
    t = info.get("tensor")
    if t:
        lines.append(
            f"tensors   {t['full_tensors']} full ({t['boundary_mode'] or '?'} mode); asymmetry "
            f"‖K−Kᵀ‖/‖K‖ median {format_value(t['asymmetry_median'], 2)}, "
            f"max {format_value(t['asymmetry_max'], 2)}"
        )
        note = asymmetry_note(t["asymmetry_max"], t["boundary_mode"])
        lines += [f"note      {note}"] if note else []
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
    return format_value(v).rjust(12)


def format_sample(sample: dict[str, Any]) -> str:
    """Text rendering of one sample's properties and provenance."""
    lines = [f"sample {sample['index']} of {sample['count']}"]
    for name, entry in sample["properties"].items():
        value, unit = entry["value"], entry["unit"]
        if isinstance(value, list) and np.shape(value) == (3, 3):
            k = np.array([[np.nan if v is None else v for v in row] for row in value], dtype=float)
            lines.append(header(name, unit) + " (rows and columns x, y, z):")
            lines += tensor_lines(k)
            if name == "permeability_lu":
                lines += ["  " + x for x in summary_lines(k, unit, entry.get("boundary_mode", ""))]
            continue
        if isinstance(value, list):
            value = ", ".join(format_value(v) for v in value)
        elif isinstance(value, float) or value is None:
            value = format_value(value)
        lines.append(f"{header(name, unit)}: {value}")
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
