"""The HDF5 layout of a porestudio dataset: names, dtypes, bit packing, validation, lock.

Documented for readers without porestudio in ``docs/dataset_layout.md``.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import FormatError, InputError
from porestudio.structures.naming import missing_message

SCHEMA_VERSION = 1
"""Version of the layout; readers refuse files with a newer version."""
FORMAT_NAME = "porestudio-dataset"
"""Value of the root attribute ``format``."""

PORE_BITS = "structures/pore_bits"
PROVENANCE = "structures/provenance"
PROPERTIES = "properties"
GZIP_LEVEL = 4

ROOT_ATTRS = ("format", "schema_version", "creator", "created", "voxel_size_m", "shape_zyx")
"""Root attributes every dataset carries (``user_attrs_json`` holds the caller's extras)."""

STANDARD_PROPERTY_ATTRS: dict[str, dict[str, str]] = {
    "porosity": {"unit": "1", "method": "voxel count", "description": "pore volume fraction"},
    "permeability_lu": {
        "unit": "voxel^2",
        "axes": "x,y,z",
        "description": "intrinsic permeability tensor k[i, j] (x, y, z order); NaN = not computed",
    },
    "label_status": {
        "unit": "",
        "codes": "0 = not labelled, 1 = ok, 2 = failed, 3 = surrogate (a CNN's prediction)",
    },
    "label_message": {"unit": "", "description": "reason of a failed label"},
}

LABEL_NOT_LABELLED, LABEL_OK, LABEL_FAILED, LABEL_SURROGATE = 0, 1, 2, 3


def pack(pores: np.ndarray) -> np.ndarray:
    """Bit-pack boolean samples ``(..., nx)`` along x (numpy ``packbits``, big bit order)."""
    return np.packbits(pores, axis=-1)


def unpack(bits: np.ndarray, nx: int) -> np.ndarray:
    """Inverse of :func:`pack`: boolean array ``(..., nx)``, True = pore."""
    return np.unpackbits(bits, axis=-1, count=nx).view(np.bool_)


def string_dtype():
    """Variable-length UTF-8 string dtype of h5py."""
    import h5py

    return h5py.string_dtype("utf-8")


def property_dtype(values: np.ndarray) -> tuple[Any, Any]:
    """HDF5 storage dtype and fill value of a property array."""
    kind = values.dtype.kind
    if kind == "f":
        return np.float64, np.nan
    if kind == "b":
        return np.int8, 0
    if kind in "iu":
        return values.dtype, 0
    if kind in "USO":
        return string_dtype(), None
    raise InputError(f"property values of dtype {values.dtype} cannot be stored")


def check_property_name(name: str) -> str:
    """A property name must be a plain identifier-like string (no ``/``)."""
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise InputError(f"invalid property name {name!r}; use letters, digits and _")
    return name


def encode_attr(value: Any) -> Any:
    """A value storable as an HDF5 attribute (dicts and lists of strings become JSON)."""
    if isinstance(value, dict | list | tuple) and not _numeric_sequence(value):
        return json.dumps(value, default=_json_default)
    if value is None:
        return "null"
    return value


def decode_attr(value: Any) -> Any:
    """Plain Python value of an HDF5 attribute."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _numeric_sequence(value: Any) -> bool:
    if isinstance(value, dict):
        return False
    arr = np.asarray(value)
    return arr.dtype.kind in "biuf" and arr.ndim >= 1


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_json(obj: Any) -> str:
    """Compact JSON with numpy scalars and arrays converted."""
    try:
        return json.dumps(obj, sort_keys=True, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise InputError(f"metadata is not JSON-serialisable: {exc}") from None


def validate(h5, name: str) -> None:
    """Raise :class:`FormatError` (naming what is missing) unless ``h5`` is a dataset file."""
    fmt = decode_attr(h5.attrs.get("format"))
    if fmt != FORMAT_NAME:
        top = ", ".join(sorted(h5.keys())[:8]) or "nothing"
        raise FormatError(
            f"{name} is an HDF5 file but not a porestudio dataset (root attribute "
            f"format={FORMAT_NAME!r} missing; top-level items: {top})"
        )
    version = decode_attr(h5.attrs.get("schema_version"))
    if not isinstance(version, int):
        raise FormatError(f"{name}: root attribute schema_version is missing")
    if version > SCHEMA_VERSION:
        raise FormatError(
            f"{name} has schema version {version}, newer than this porestudio reads "
            f"({SCHEMA_VERSION}); update porestudio"
        )
    for key in ROOT_ATTRS:
        if key not in h5.attrs:
            raise FormatError(f"{name}: root attribute {key!r} is missing")
    for item in (PORE_BITS, PROVENANCE, PROPERTIES):
        if item not in h5:
            raise FormatError(f"{name}: /{item} is missing")
    _validate_shapes(h5, name)


def _validate_shapes(h5, name: str) -> None:
    shape = tuple(int(n) for n in h5.attrs["shape_zyx"])
    bits = h5[PORE_BITS]
    nbx = (shape[2] + 7) // 8 if len(shape) == 3 else -1
    if len(shape) != 3 or bits.ndim != 4 or bits.shape[1:] != (*shape[:2], nbx):
        raise FormatError(f"{name}: /{PORE_BITS} shape {bits.shape} does not fit {shape}")
    n = bits.shape[0]
    if h5[PROVENANCE].shape != (n,):
        raise FormatError(f"{name}: /{PROVENANCE} has {h5[PROVENANCE].shape}, expected ({n},)")
    for key, dset in h5[PROPERTIES].items():
        if dset.shape[:1] != (n,):
            raise FormatError(f"{name}: property {key} has {dset.shape[0]} rows, expected {n}")


def open_h5(path: Path, mode: str = "r"):
    """Open an HDF5 file with clear errors for missing, non-HDF5 and corrupt files."""
    import h5py

    if not path.exists():
        raise InputError(missing_message(path))
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a dataset file")
    if not h5py.is_hdf5(path):
        raise FormatError(f"{path.name} is not an HDF5 file")
    try:
        return h5py.File(path, mode)
    except OSError as exc:
        raise FormatError(
            f"cannot open {path.name} as HDF5 (truncated or corrupt?): {exc}"
        ) from exc


def lock_path(path: str | os.PathLike) -> Path:
    """The advisory lock file of a dataset: ``FILE.h5.lock`` beside it."""
    p = Path(path).expanduser().absolute()
    return p.with_name(p.name + ".lock")


def write_lock(path: str | os.PathLike) -> contextlib.AbstractContextManager:
    """Hold the exclusive advisory lock of dataset ``path`` (:mod:`porestudio.locks`).

    Raises :class:`~porestudio.errors.BusyError` at once if another process holds it.
    """
    from porestudio.locks import exclusive_lock

    return exclusive_lock(lock_path(path), Path(path).name, "written")
