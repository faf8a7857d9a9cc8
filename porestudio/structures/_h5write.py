"""Writing the HDF5 layout of :mod:`._h5layout`: create, append samples, set properties.

All functions take an open, writable ``h5py.File`` (the temp file of an atomic write).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.structures._h5layout import (
    FORMAT_NAME,
    GZIP_LEVEL,
    PORE_BITS,
    PROPERTIES,
    PROVENANCE,
    SCHEMA_VERSION,
    STANDARD_PROPERTY_ATTRS,
    check_property_name,
    encode_attr,
    pack,
    property_dtype,
    string_dtype,
    to_json,
)


def create_layout(h5, shape, voxel_size_m, attrs: dict) -> None:
    """Root attributes, empty ``pore_bits`` / ``provenance`` datasets and the properties group."""
    from porestudio import __version__

    nbx = (shape[2] + 7) // 8
    h5.attrs.update(
        format=FORMAT_NAME,
        schema_version=SCHEMA_VERSION,
        creator=f"porestudio {__version__}",
        created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        voxel_size_m=np.nan if voxel_size_m is None else float(voxel_size_m),
        shape_zyx=np.asarray(shape, dtype=np.int64),
        user_attrs_json=to_json(attrs),
    )
    bits = h5.create_dataset(
        PORE_BITS,
        shape=(0, *shape[:2], nbx),
        maxshape=(None, *shape[:2], nbx),
        dtype=np.uint8,
        chunks=(1, *shape[:2], nbx),
        compression="gzip",
        compression_opts=GZIP_LEVEL,
    )
    bits.attrs.update(
        encoding="packbits",
        bitorder="big",
        packed_axis=3,
        nx=shape[2],
        pore_value=1,
        read_with="numpy.unpackbits(bits, axis=-1, count=nx).astype(bool)",
    )
    h5.create_dataset(
        PROVENANCE,
        shape=(0,),
        maxshape=(None,),
        dtype=string_dtype(),
        chunks=(256,),
        compression="gzip",
    )
    h5.create_group(PROPERTIES)


def append(h5, pores, provenance, properties, shape) -> None:
    """Append boolean samples ``(n, nz, ny, nx)`` with provenance and properties (see
    :meth:`porestudio.structures.dataset.DatasetWriter.append`)."""
    pores = np.asarray(pores)
    if pores.ndim == 3:
        pores = pores[None]
    if pores.dtype != np.bool_:
        raise InputError(f"pores must be a boolean array (True = pore); got {pores.dtype}")
    if pores.ndim != 4 or pores.shape[1:] != tuple(shape):
        raise InputError(f"samples of shape {pores.shape[1:]} do not fit the dataset's {shape}")
    n = pores.shape[0]
    provenance = list(provenance) if provenance is not None else [{}] * n
    if len(provenance) != n:
        raise InputError(f"{len(provenance)} provenance entries for {n} samples")
    props = {check_property_name(k): np.asarray(v) for k, v in (properties or {}).items()}
    if "porosity" not in props:
        counts = [np.count_nonzero(p) for p in pores]  # faster than an axis reduction
        props["porosity"] = np.asarray(counts, dtype=np.float64) / pores[0].size
    for name, vals in props.items():
        if vals.shape[:1] != (n,):
            raise InputError(f"property {name} has {vals.shape[:1]} rows for {n} samples")
    n0 = h5[PORE_BITS].shape[0]
    h5[PORE_BITS].resize(n0 + n, axis=0)
    h5[PORE_BITS][n0:] = pack(pores)
    h5[PROVENANCE].resize(n0 + n, axis=0)
    h5[PROVENANCE][n0:] = np.array([to_json(p) for p in provenance], dtype=object)
    for dset in h5[PROPERTIES].values():
        dset.resize(n0 + n, axis=0)
    for name, vals in props.items():
        write_property(h5, name, vals, np.arange(n0, n0 + n), n0 + n)


def write_property(h5, name: str, vals: np.ndarray, idx, n: int) -> None:
    """Write rows ``idx`` (all ``n`` rows if None) of property ``name``, creating it."""
    group = h5[PROPERTIES]
    rows = n if idx is None else len(idx)
    if vals.shape[:1] != (rows,):
        raise InputError(f"property {name} has {vals.shape[:1]} rows; expected {rows}")
    if name not in group:
        create_property(group, name, vals, n)
    dset = group[name]
    if dset.shape[1:] != vals.shape[1:]:
        raise InputError(
            f"property {name} has per-sample shape {vals.shape[1:]}; "
            f"the stored one is {dset.shape[1:]}"
        )
    if (dset.dtype.kind == "O") != (vals.dtype.kind in "USO"):
        raise InputError(f"property {name}: cannot mix text and numbers")
    text = dset.dtype.kind == "O"
    if text:
        vals = vals.astype(str).astype(object)
    if idx is None:
        dset[...] = vals
    elif len(idx) and np.array_equal(idx, np.arange(idx[0], idx[0] + len(idx))):
        dset[int(idx[0]) : int(idx[0]) + len(idx)] = vals
    elif len(idx):  # scattered rows: properties are small, rewrite the whole column
        data = dset.asstr()[()].astype(object) if text else dset[()]
        data[idx] = vals
        dset[...] = data


def create_property(group, name: str, vals: np.ndarray, n: int) -> None:
    """Create an ``(n, ...)`` property dataset filled with NaN / 0 / "" (chunked, gzip)."""
    dtype, fill = property_dtype(vals)
    rest = vals.shape[1:]
    chunk_rows = max(1, min(4096, 65536 // max(1, int(np.prod(rest)))))
    kwargs: dict[str, Any] = {"fillvalue": fill} if fill is not None else {}
    if fill is not None and np.dtype(dtype).itemsize > 1:
        kwargs["shuffle"] = True  # byte shuffle before gzip: numbers compress better
    dset = group.create_dataset(
        name,
        shape=(n, *rest),
        maxshape=(None, *rest),
        dtype=dtype,
        chunks=(chunk_rows, *rest),
        compression="gzip",
        **kwargs,
    )
    dset.attrs.update(STANDARD_PROPERTY_ATTRS.get(name, {}))


def set_property_attrs(h5, name: str, attrs: Mapping[str, Any]) -> None:
    """Set attributes of an existing property (dicts and lists of text stored as JSON)."""
    group = h5[PROPERTIES]
    if name not in group:
        raise InputError(f"cannot set attributes of property {name!r}: it has no values yet")
    for key, value in attrs.items():
        group[name].attrs[key] = encode_attr(value)
