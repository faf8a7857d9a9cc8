"""Table-3 style statistics of dataset properties (count, mean, std, min, quartiles, max)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from porestudio.units import AXES_XYZ

STAT_KEYS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
"""Columns of the statistics table, as in Table 3 of the paper (and pandas ``describe``)."""

_STATUS_NAMES = {0: "not_labelled", 1: "ok", 2: "failed", 3: "surrogate"}


def table_stats(values: np.ndarray) -> dict[str, float | int | None]:
    """Statistics of the finite values (NaN = not computed is skipped).

    ``std`` is the sample standard deviation (ddof = 1, as pandas); quartiles use linear
    interpolation. Entries are None when there are too few values.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    out: dict[str, float | int | None] = dict.fromkeys(STAT_KEYS)
    out["count"] = int(v.size)
    if v.size == 0:
        return out
    q = np.percentile(v, [25, 50, 75])
    out.update(
        {
            "mean": float(v.mean()),
            "std": float(v.std(ddof=1)) if v.size > 1 else None,
            "min": float(v.min()),
            "25%": float(q[0]),
            "50%": float(q[1]),
            "75%": float(q[2]),
            "max": float(v.max()),
        }
    )
    return out


def describe_file(ds: Any) -> dict[str, Any]:
    """The :func:`porestudio.structures.dataset.describe` dictionary of an open Dataset."""
    attrs = ds.attrs
    info: dict[str, Any] = {
        "path": str(ds.path),
        "count": len(ds),
        "shape_zyx": list(ds.shape),
        "voxel_size_m": ds.voxel_size_m,
        "schema_version": attrs.get("schema_version"),
        "creator": attrs.get("creator"),
        "created": attrs.get("created"),
        "attrs": {k: v for k, v in attrs.items() if k not in _ROOT_KEYS},
        "properties": {},
        "statistics": {},
    }
    values = ds.properties()
    for name, arr in values.items():
        pattrs = ds.property_attrs(name)
        info["properties"][name] = {
            "dtype": "str" if arr.dtype.kind in "OUS" else str(arr.dtype),
            "per_sample_shape": list(arr.shape[1:]),
            **pattrs,
        }
        if name == "label_status":
            info["label_status"] = _status_counts(arr)
        elif arr.dtype.kind in "biuf":
            info["statistics"].update(_rows(name, arr, str(pattrs.get("unit", "")), ds))
    return _clean_json(info)


_ROOT_KEYS = {"format", "schema_version", "creator", "created", "voxel_size_m", "shape_zyx"}


def _rows(name: str, arr: np.ndarray, unit: str, ds: Any) -> dict[str, dict]:
    if arr.ndim == 1:
        return {name: {"unit": unit, **table_stats(arr)}}
    rows, rows_m2 = {}, {}
    tensor3 = arr.shape[1:] == (3, 3)
    for idx in np.ndindex(*arr.shape[1:]):
        label = "".join(AXES_XYZ[i] for i in idx) if tensor3 else ",".join(map(str, idx))
        comp = arr[(slice(None), *idx)]
        stats = table_stats(comp)
        if stats["count"] == 0 and arr.shape[0] > 0 and tensor3 and idx[0] != idx[1]:
            continue  # off-diagonal never computed (diagonal-only labelling)
        rows[f"{name}[{label}]"] = {"unit": unit, **stats}
        if name == "permeability_lu" and ds.voxel_size_m is not None:
            k_m2 = comp * ds.voxel_size_m**2
            rows_m2[f"permeability_m2[{label}]"] = {"unit": "m^2", **table_stats(k_m2)}
    return {**rows, **rows_m2}


def _status_counts(arr: np.ndarray) -> dict[str, int]:
    out = {name: 0 for name in _STATUS_NAMES.values()}
    values, counts = np.unique(np.asarray(arr, dtype=np.int64), return_counts=True)
    for v, c in zip(values, counts, strict=True):
        out[_STATUS_NAMES.get(int(v), f"code_{int(v)}")] = int(c)
    return out


def _clean_json(obj: Any) -> Any:
    """NaN/inf → None, numpy scalars → Python (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean_json(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
