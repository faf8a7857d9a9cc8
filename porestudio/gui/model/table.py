"""The sample table's data, without Qt: a dataset's property arrays as named columns.

:func:`load_table` (run in a worker) opens a dataset and reads only its per-sample property
arrays; :func:`table_columns` turns them into display columns (porosity, permeability in the
chosen unit, label status); :func:`sort_order` sorts them (cell text:
:mod:`porestudio.formatting`).
The Qt table model (:mod:`porestudio.gui.table_model`) and the studio model use these.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.formatting import NOT_COMPUTED, format_value, header
from porestudio.units import permeability_from_lattice, unit_label

_AXES = "xyz"


@dataclasses.dataclass(frozen=True, eq=False)
class Column:
    """One table column: a name, a unit label and one value per sample (n,).

    ``name`` is what filters refer to (``porosity``, ``k_zz``, ``status``); ``aliases``
    are further accepted names (the stored property name, ``index``); ``labels`` maps
    values to display text (e.g. status codes to ``ok``/``failed``).
    """

    name: str
    values: np.ndarray
    unit: str = ""
    tooltip: str = ""
    labels: dict | None = None
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        """Header text (name and unit)."""
        return header(self.name, self.unit)

    def text(self, value: Any) -> str:
        """Cell text of one of this column's values."""
        if self.labels is not None:
            return self.labels.get(int(value), format_value(value))
        return format_value(value)


@dataclasses.dataclass(frozen=True, eq=False)
class DatasetTable:
    """What the browser shows of a dataset (read in a worker by :func:`load_table`).

    Attributes
    ----------
    dataset : porestudio.structures.dataset.Dataset
        The open dataset (structures are read from it lazily, one per selection).
    path : Path
        Its file.
    count : int
        Number of samples.
    shape : tuple of int
        ``(nz, ny, nx)`` of every sample.
    voxel_size_m : float or None
        Shared voxel edge [m].
    properties : dict of str -> ndarray
        Per-sample property arrays ``(n, ...)``.
    stamp : int
        Modification time of the file when opened [ns] (part of the mesh-cache keys).
    """

    dataset: Any
    path: Path
    count: int
    shape: tuple[int, int, int]
    voxel_size_m: float | None
    properties: dict[str, np.ndarray]
    stamp: int = 0


def load_table(path: str | Path) -> DatasetTable:
    """Open a dataset and read its property arrays (run in a worker).

    Raises
    ------
    porestudio.errors.InputError, FormatError
        Missing, non-HDF5 or foreign-layout file.
    """
    from porestudio.structures.dataset import open_dataset

    ds = open_dataset(path)
    try:
        props = ds.properties()
        stamp = Path(ds.path).stat().st_mtime_ns
        return DatasetTable(ds, Path(ds.path), len(ds), ds.shape, ds.voxel_size_m, props, stamp)
    except BaseException:
        ds.close()
        raise


STATUS_LABELS = {0: NOT_COMPUTED, 1: "ok", 2: "failed"}
"""Display text of the ``label_status`` codes (0 not labelled, 1 ok, 2 failed)."""
_K_TIP = "permeability along {a}; " + NOT_COMPUTED + " = not computed, 0 = no connected pore path"


def table_columns(
    properties: dict[str, np.ndarray], n: int, unit: str = "lu", voxel_size_m: float | None = None
) -> list[Column]:
    """Columns of the sample table: index, porosity, permeability diagonal, status, others.

    The label message column appears only when some sample failed (or has a message).

    Parameters
    ----------
    properties : dict of str -> ndarray
        Property arrays ``(n, ...)``.
    n : int
        Number of samples.
    unit : {"lu", "m2", "mD"}
        Unit of the permeability columns (lattice units if the voxel size is unknown).
    voxel_size_m : float or None
        Voxel edge [m].
    """
    columns = [Column("#", np.arange(n), tooltip="sample index in the dataset", aliases=("index",))]
    rest = []
    for name in sorted(properties, key=_column_rank):
        values = np.asarray(properties[name])
        if values.shape[:1] != (n,):
            continue
        if name == "permeability_lu" and values.shape[1:] == (3, 3):
            columns += _permeability_columns(values, unit, voxel_size_m)
        elif name == "porosity" and values.ndim == 1:
            columns.append(Column(name, values, tooltip="pore volume fraction"))
        elif name == "label_status" and values.ndim == 1:
            rest.append(_status_column(values))
        elif name == "label_message" and values.ndim == 1:
            if _has_failures(properties, values):
                rest.append(Column("message", values, tooltip="why labelling failed",
                                   aliases=(name,)))  # fmt: skip
        elif values.ndim == 1:
            rest.append(Column(name, values))
    return columns + rest


def _status_column(values: np.ndarray) -> Column:
    tip = "permeability labelling: ok, failed, or — (not labelled)"
    return Column("status", values, tooltip=tip, labels=STATUS_LABELS, aliases=("label_status",))


def _has_failures(properties: dict[str, np.ndarray], messages: np.ndarray) -> bool:
    """Failed samples per ``label_status`` if present, else any non-empty message."""
    status = properties.get("label_status")
    if status is not None and np.asarray(status).shape == messages.shape:
        return bool((np.asarray(status) == 2).any())
    return bool(messages.size) and bool(np.vectorize(len, otypes=[int])(messages).any())


def _column_rank(name: str) -> tuple[int, str]:
    """Porosity and permeability first, status, other properties alphabetically, messages last."""
    first = {"porosity": 0, "permeability_lu": 1, "label_status": 2}
    return (first.get(name, 4 if name.endswith("message") else 3), name)


def _permeability_columns(k_lu: np.ndarray, unit: str, voxel_size_m: float | None) -> list:
    if voxel_size_m is None:
        unit = "lu"
    diag = np.asarray(permeability_from_lattice(k_lu, unit, voxel_size_m))
    return [
        Column(f"k_{a}{a}", diag[:, i, i], unit_label(unit), _K_TIP.format(a=a))
        for i, a in enumerate(_AXES)
    ]


def sort_order(values: np.ndarray, descending: bool = False) -> np.ndarray:
    """Stable permutation sorting ``values``; NaN (and empty strings) always last."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        key = np.where(missing, 0.0, -values if descending else values)
        return np.lexsort((key, missing)).astype(np.int64)
    if values.dtype.kind in "iub":
        key = -values.astype(np.int64) if descending else values
        return np.argsort(key, kind="stable").astype(np.int64)
    text = values.astype(str)
    order = np.argsort(text, kind="stable")
    if descending:
        order = order[::-1]
    empty = text[order] == ""
    return np.concatenate([order[~empty], order[empty]]).astype(np.int64)
