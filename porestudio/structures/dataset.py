"""HDF5 datasets of many structures with per-sample properties (layout: docs/dataset_layout.md).

* Write: :class:`DatasetWriter` builds a new file in ``.<name>.*.tmp`` beside the target and
  renames it on success (an existing target is untouched on error).
* Modify: :func:`write_properties` and :func:`append_structures` copy the file to a temp
  file, change the copy, fsync and rename — atomic too.
* Read: :func:`open_dataset` returns a lazy :class:`Dataset` (one sample = one chunk).
* Concurrency: every writer holds an exclusive advisory lock on ``FILE.h5.lock``
  (:func:`porestudio.structures._h5layout.write_lock`, :mod:`porestudio.locks`); a second
  writer fails at once with a clear message (BusyError) instead of silently losing the
  first one's changes. Readers need no lock.

Structures are stored bit-packed along x (``numpy.packbits``), gzip-compressed, one sample
per chunk: about 4 KB for a 100³ extruded sample, 55 KB for a random one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.atomic import SUFFIXES, atomic_path, check_writable
from porestudio.errors import FormatError, InputError
from porestudio.structures import _h5layout as L
from porestudio.structures import _h5write as W
from porestudio.structures._dstats import describe_file
from porestudio.structures.naming import resolve_index
from porestudio.structures.volume import Structure
from porestudio.units import check_voxel_size

log = logging.getLogger(__name__)

SCHEMA_VERSION = L.SCHEMA_VERSION
FORMAT_NAME = L.FORMAT_NAME
STANDARD_PROPERTY_ATTRS = L.STANDARD_PROPERTY_ATTRS
LABEL_NOT_LABELLED, LABEL_OK, LABEL_FAILED = L.LABEL_NOT_LABELLED, L.LABEL_OK, L.LABEL_FAILED
LABEL_SURROGATE = L.LABEL_SURROGATE
lock_path = L.lock_path
write_lock = L.write_lock

__all__ = [
    "SCHEMA_VERSION",
    "Dataset",
    "DatasetWriter",
    "append_structures",
    "describe",
    "lock_path",
    "open_dataset",
    "write_lock",
    "write_properties",
]


class DatasetWriter:
    """Write a new dataset atomically; use as a context manager.

    Parameters
    ----------
    path : path
        Target ``.h5`` file (replaced only when the ``with`` block ends without error).
    shape : (nz, ny, nx)
        Shape of every sample [voxels].
    voxel_size_m : float or None
        Voxel edge shared by all samples [m]; None = unknown (stored as NaN).
    attrs : dict, optional
        Extra metadata (JSON-serialisable), stored in the root attribute ``user_attrs_json``.
    inputs : tuple of paths
        Files the job reads; writing over one of them is refused.
    overwrite : bool
        Replace an existing file at ``path`` (default: refuse it, naming ``--overwrite``).
        The name must end in ``.h5`` or ``.hdf5``.

    Examples
    --------
    >>> with DatasetWriter("a.h5", shape=(9, 9, 9), voxel_size_m=None) as w:  # doctest: +SKIP
    ...     w.append(pores, provenance=[{"seed": 1}], properties={"porosity": phi})
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        shape: tuple[int, int, int],
        voxel_size_m: float | None,
        attrs: Mapping[str, Any] | None = None,
        inputs: tuple[str | os.PathLike, ...] = (),
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path).expanduser().absolute()
        self._rules = {"inputs": inputs, "overwrite": overwrite, "suffixes": SUFFIXES["hdf5"]}
        self.shape = _check_shape(shape)
        self.voxel_size_m = check_voxel_size(voxel_size_m)
        self._attrs = dict(attrs or {})
        L.to_json(self._attrs)  # fail early on unserialisable metadata
        self._stack: contextlib.ExitStack | None = None
        self._h5 = None
        self.count = 0

    def __enter__(self) -> DatasetWriter:
        import h5py

        stack = contextlib.ExitStack()
        try:
            check_writable(self.path, **self._rules)  # clear message before locking
            stack.enter_context(L.write_lock(self.path))
            tmp = stack.enter_context(atomic_path(self.path, **self._rules))
            self._h5 = h5py.File(tmp, "w")
            stack.callback(self._h5.close)
            W.create_layout(self._h5, self.shape, self.voxel_size_m, self._attrs)
        except BaseException:
            stack.__exit__(None, None, None)
            raise
        self._stack = stack
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        stack, self._stack, self._h5 = self._stack, None, None
        if stack is not None:
            return bool(stack.__exit__(exc_type, exc, tb))
        return False

    def append(
        self,
        pores: np.ndarray,
        provenance: Sequence[Mapping[str, Any]] | None = None,
        properties: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Append samples.

        Parameters
        ----------
        pores : ndarray of bool, shape (n, nz, ny, nx) or (nz, ny, nx)
            True = pore.
        provenance : list of dict, optional
            One JSON-serialisable dict per sample.
        properties : dict of name -> ndarray (n, ...), optional
            Per-sample values; ``porosity`` is computed when not given. Properties missing
            from this call are NaN (floats), 0 (integers) or "" (strings) for these rows.
        """
        if self._h5 is None:
            raise InputError("DatasetWriter.append called outside its 'with' block")
        W.append(self._h5, pores, provenance, properties, self.shape)
        self.count = self._h5[L.PORE_BITS].shape[0]

    def set_property_attrs(self, name: str, attrs: Mapping[str, Any]) -> None:
        """Set attributes (unit, method, ...) of a property, creating it (empty) if needed."""
        if self._h5 is None:
            raise InputError("DatasetWriter.set_property_attrs called outside its 'with' block")
        W.set_property_attrs(self._h5, name, attrs)


class Dataset:
    """A dataset opened for lazy reading (see :func:`open_dataset`)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser().absolute()
        self._h5 = L.open_h5(self.path)
        try:
            L.validate(self._h5, self.path.name)
        except BaseException:
            self._h5.close()
            raise
        self.shape: tuple[int, int, int] = tuple(  # type: ignore[assignment]
            int(n) for n in self._h5.attrs["shape_zyx"]
        )
        vox = float(self._h5.attrs["voxel_size_m"])
        self.voxel_size_m: float | None = vox if np.isfinite(vox) else None

    def __len__(self) -> int:
        return int(self._h5[L.PORE_BITS].shape[0])

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._h5.close()

    @property
    def attrs(self) -> dict[str, Any]:
        """Root metadata (format, schema_version, creator, created, ...) plus user attrs."""
        out = {k: L.decode_attr(v) for k, v in self._h5.attrs.items() if k != "user_attrs_json"}
        out["voxel_size_m"] = self.voxel_size_m
        out.update(json.loads(L.decode_attr(self._h5.attrs.get("user_attrs_json", "{}"))))
        return out

    def pore(self, i: int) -> np.ndarray:
        """Sample ``i`` as a boolean array ``(nz, ny, nx)``, True = pore."""
        i = self.check_index(i)
        return L.unpack(self._read(L.PORE_BITS, slice(i, i + 1))[0], self.shape[2])

    def pores(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Samples ``start..stop-1`` as a boolean array ``(n, nz, ny, nx)``."""
        start, stop, _ = slice(start, stop).indices(len(self))
        return L.unpack(self._read(L.PORE_BITS, slice(start, max(start, stop))), self.shape[2])

    def provenance(self, i: int) -> dict[str, Any]:
        """Provenance of sample ``i`` (decoded JSON)."""
        i = self.check_index(i)
        raw = self._read(L.PROVENANCE, slice(i, i + 1))[0]
        return json.loads(L.decode_attr(raw) or "{}")

    def structure(self, i: int) -> Structure:
        """Sample ``i`` as a :class:`Structure` (provenance gets ``dataset`` and ``index``)."""
        prov = {**self.provenance(i), "dataset": str(self.path), "index": self.check_index(i)}
        return Structure(self.pore(i), self.voxel_size_m, prov)

    def property_names(self) -> list[str]:
        """Names of the stored per-sample properties."""
        return sorted(self._h5[L.PROPERTIES].keys())

    def properties(self, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """Per-sample property arrays ``(n, ...)``; NaN = not computed, strings decoded."""
        names = self.property_names() if names is None else list(names)
        out = {}
        for name in names:
            if name not in self._h5[L.PROPERTIES]:
                raise InputError(f"{self.path.name} has no property {name!r}")
            dset = self._h5[L.PROPERTIES][name]
            data = dset.asstr()[()] if dset.dtype.kind == "O" else dset[()]
            out[name] = np.asarray(data)
        return out

    def property_attrs(self, name: str) -> dict[str, Any]:
        """Attributes of a property (unit, method, ...)."""
        if name not in self._h5[L.PROPERTIES]:
            raise InputError(f"{self.path.name} has no property {name!r}")
        return {k: L.decode_attr(v) for k, v in self._h5[L.PROPERTIES][name].attrs.items()}

    def check_index(self, i: int) -> int:
        """``i`` as a non-negative index; InputError when out of range (negatives count back)."""
        return resolve_index(i, len(self), self.path.name)

    def _read(self, name: str, sel: slice) -> np.ndarray:
        try:
            return self._h5[name][sel]
        except OSError as exc:
            raise FormatError(f"cannot read {self.path.name}/{name}: corrupt file ({exc})") from exc


def open_dataset(path: str | os.PathLike) -> Dataset:
    """Open a dataset for lazy reading.

    Raises
    ------
    InputError
        The file does not exist.
    FormatError
        Not HDF5, truncated, or an HDF5 file of another layout (the message names what
        is missing).
    """
    return Dataset(path)


def write_properties(
    path: str | os.PathLike,
    values: Mapping[str, np.ndarray],
    *,
    indices: Sequence[int] | np.ndarray | None = None,
    attrs: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Set per-sample properties of an existing dataset, atomically (copy, modify, rename).

    Parameters
    ----------
    path : path
        The dataset.
    values : dict of name -> ndarray
        Shape ``(n, ...)`` for all samples, or ``(len(indices), ...)`` with ``indices``.
        A new property is created (other rows NaN / 0 / "").
    indices : sequence of int, optional
        Sample indices the rows of ``values`` belong to.
    attrs : dict of name -> dict, optional
        Attributes to set on properties (e.g. ``{"permeability_lu": {"method": "lbm"}}``).
    """
    for name in values:
        L.check_property_name(name)
    with _modify(path) as h5:
        n = h5[L.PORE_BITS].shape[0]
        idx = _check_indices(indices, n)
        for name, vals in values.items():
            W.write_property(h5, name, np.asarray(vals), idx, n)
        for name, extra in (attrs or {}).items():
            W.set_property_attrs(h5, name, extra)


def append_structures(path: str | os.PathLike, structures: Iterable[Structure]) -> int:
    """Append structures to an existing dataset atomically; returns the new sample count.

    Every structure must have the dataset's shape and voxel size (None only if the
    dataset's is unknown).
    """
    structures = list(structures)
    with _modify(path) as h5:
        shape = tuple(int(n) for n in h5.attrs["shape_zyx"])
        vox = float(h5.attrs["voxel_size_m"])
        for s in structures:
            _check_compatible(s, shape, vox)
        if structures:
            pores = np.stack([s.pore for s in structures])
            W.append(h5, pores, [s.provenance for s in structures], None, shape)
        return int(h5[L.PORE_BITS].shape[0])


def set_voxel_size(path: str | os.PathLike, voxel_size_m: float) -> None:
    """Record the voxel size of a dataset whose voxel size is unknown (atomic, locked).

    Parameters
    ----------
    path : path
        Existing porestudio dataset.
    voxel_size_m : float
        Voxel edge [m].

    Raises
    ------
    InputError
        Bad value, or the dataset already has a voxel size (changing it would silently
        rescale the physical quantities derived from it).
    """
    voxel_size_m = check_voxel_size(voxel_size_m, required=True)
    with _modify(path) as h5:
        old = float(h5.attrs["voxel_size_m"])
        if np.isfinite(old):
            raise InputError(f"{Path(path).name} already has a voxel size ({old:.6g} m)")
        h5.attrs["voxel_size_m"] = float(voxel_size_m)


def describe(path: str | os.PathLike) -> dict[str, Any]:
    """Summary of a dataset: count, shape, voxel size, metadata and Table-3 statistics.

    Returns
    -------
    dict
        JSON-ready; ``statistics`` maps a row name (``porosity``, ``permeability_lu[xx]``,
        ``permeability_m2[xx]`` when the voxel size is known, ...) to ``unit``, ``count``,
        ``mean``, ``std``, ``min``, ``25%``, ``50%``, ``75%``, ``max`` over the computed
        (non-NaN) values; ``label_status`` counts samples per status.
    """
    with open_dataset(path) as ds:
        return describe_file(ds)


@contextlib.contextmanager
def _modify(path: str | os.PathLike):
    import h5py

    target = Path(path).expanduser().absolute()
    Dataset(target).close()  # clear errors for missing / foreign files
    check_writable(target, overwrite=True)  # an edit in place, asked for by the caller
    with L.write_lock(target), atomic_path(target, overwrite=True) as tmp:
        shutil.copyfile(target, tmp)
        with h5py.File(tmp, "r+") as h5:
            yield h5


def _check_indices(indices, n: int) -> np.ndarray | None:
    if indices is None:
        return None
    idx = np.asarray(indices, dtype=np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise InputError(f"sample indices must lie in 0..{n - 1}")
    if np.unique(idx).size != idx.size:
        raise InputError("sample indices must not repeat")
    return idx


def _check_compatible(s: Structure, shape, vox: float) -> None:
    if not isinstance(s, Structure):
        raise InputError(f"expected a Structure, got {type(s).__name__}")
    if s.shape != tuple(shape):
        raise InputError(f"structure of shape {s.shape} does not fit the dataset's {shape}")
    known = np.isfinite(vox)
    if (s.voxel_size_m is None) != (not known) or (
        known and abs(s.voxel_size_m - vox) > 1e-6 * vox
    ):
        raise InputError(
            f"structure voxel size {s.voxel_size_m} m differs from the dataset's "
            f"{vox if known else None} m"
        )


def _check_shape(shape) -> tuple[int, int, int]:
    try:
        out = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise InputError(f"shape must be three sizes (nz, ny, nx); got {shape!r}") from None
    if len(out) != 3 or min(out) < 1:
        raise InputError(f"shape must be three positive sizes (nz, ny, nx); got {shape!r}")
    return out  # type: ignore[return-value]
