"""The sample table: a lazy Qt model over a dataset's property arrays (never its structures).

:func:`load_table` (a worker) opens the dataset and reads only the per-sample property
arrays; :class:`PropertyTableModel` formats cells on demand and sorts with ``numpy.argsort``
on the arrays, so 50,000 rows stay smooth.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from PySide6 import QtCore

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


_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)

STATUS_LABELS = {0: NOT_COMPUTED, 1: "ok", 2: "failed"}
_K_TIP = "permeability along {a}; " + NOT_COMPUTED + " = not computed, 0 = no connected pore path"
"""Display text of the ``label_status`` codes (0 not labelled, 1 ok, 2 failed)."""


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


class PropertyTableModel(QtCore.QAbstractTableModel):
    """Table of samples × properties; rows map to samples through a sort permutation.

    A filter (a boolean mask over the samples, see :mod:`porestudio.gui.table_filter`)
    hides rows; ``row_of`` is -1 for a hidden sample. Sorting and filtering are numpy
    operations on whole arrays, so 50,000 rows re-sort or re-filter in milliseconds.
    """

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.columns: list[Column] = []
        self.order = np.zeros(0, dtype=np.int64)  # row -> sample (visible rows)
        self._rank = np.zeros(0, dtype=np.int64)  # sample -> row, -1 if filtered out
        self._sorted = np.zeros(0, dtype=np.int64)  # all samples in sort order
        self._mask: np.ndarray | None = None
        self._sort_by: tuple[str, bool] | None = None  # column name, descending

    @property
    def total(self) -> int:
        """Number of samples (shown or filtered out)."""
        return int(self._sorted.size)

    @property
    def mask(self) -> np.ndarray | None:
        """Samples kept by the filter (bool (n,)), or None without a filter."""
        return self._mask

    def set_columns(self, columns: list[Column], *, keep_sort: bool = True) -> None:
        """Replace all data; the filter is dropped, the sort kept if its column still exists."""
        self.beginResetModel()
        self.columns = columns
        self._mask = None
        if not keep_sort:
            self._sort_by = None
        self._sorted = self._sort_permutation()
        self._apply()
        self.endResetModel()

    def set_filter(self, mask: np.ndarray | None) -> None:
        """Show only the samples where ``mask`` is True (None: all)."""
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (self.total,):
                raise ValueError(f"filter mask of shape {mask.shape}, expected ({self.total},)")
        self.beginResetModel()
        self._mask = mask
        self._apply()
        self.endResetModel()

    def _sort_permutation(self) -> np.ndarray:
        n = len(self.columns[0].values) if self.columns else 0
        values = self.column_values(self._sort_by[0]) if self._sort_by else None
        if values is None:
            self._sort_by = None
            return np.arange(n, dtype=np.int64)
        return sort_order(values, self._sort_by[1])

    def _apply(self) -> None:
        s = self._sorted
        self.order = s if self._mask is None else s[self._mask[s]]
        self._rank = np.full(s.size, -1, dtype=np.int64)
        self._rank[self.order] = np.arange(self.order.size)

    def rowCount(self, parent: QtCore.QModelIndex | None = None) -> int:  # noqa: N802
        if parent is not None and parent.isValid():
            return 0
        return int(self.order.size)

    def columnCount(self, parent: QtCore.QModelIndex | None = None) -> int:  # noqa: N802
        if parent is not None and parent.isValid():
            return 0
        return len(self.columns)

    def data(self, index: QtCore.QModelIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        value = column.values[self.order[index.row()]]
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return column.text(value)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column.labels is None and column.values.dtype.kind in "iuf" else None
        if role == QtCore.Qt.ItemDataRole.UserRole:
            return value
        return None

    def headerData(self, section: int, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != QtCore.Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tooltip or self.columns[section].header
        return None

    def sort(self, column: int, order=QtCore.Qt.SortOrder.AscendingOrder) -> None:
        """Sort rows by a column (NaN and empty values last), keeping the selection map."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        samples = [self.sample_at(i.row()) for i in persistent]
        if 0 <= column < len(self.columns):
            descending = order == QtCore.Qt.SortOrder.DescendingOrder
            self._sort_by = (self.columns[column].name, descending)
        else:
            self._sort_by = None  # column -1: back to sample order
        self._sorted = self._sort_permutation()
        self._apply()
        moved = [
            self.index(self.row_of(s), i.column()) for s, i in zip(samples, persistent, strict=True)
        ]
        self.changePersistentIndexList(persistent, moved)  # the selection follows its sample
        self.layoutChanged.emit()

    def sample_at(self, row: int) -> int:
        """Sample index shown in ``row``."""
        return int(self.order[row])

    def row_of(self, sample: int) -> int:
        """Row where ``sample`` is shown (-1 if the filter hides it)."""
        return int(self._rank[sample])

    def column_values(self, name: str) -> np.ndarray | None:
        """Values (in sample order) of the column with this name (or alias), or None."""
        for column in self.columns:
            if name == column.name or name in column.aliases:
                return column.values
        return None

    def filter_columns(self) -> dict[str, np.ndarray]:
        """Column values by every name a filter may use (names and aliases)."""
        out: dict[str, np.ndarray] = {}
        for column in self.columns:
            for name in (column.name, *column.aliases):
                out[name] = column.values
        return out


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
