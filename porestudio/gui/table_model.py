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

from porestudio.units import permeability_from_lattice, unit_label

_AXES = "xyz"


@dataclasses.dataclass(frozen=True, eq=False)
class Column:
    """One table column: a name, a unit label and one value per sample (n,)."""

    name: str
    values: np.ndarray
    unit: str = ""
    tooltip: str = ""

    @property
    def header(self) -> str:
        """Header text (name and unit)."""
        return f"{self.name} [{self.unit}]" if self.unit else self.name


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


def table_columns(
    properties: dict[str, np.ndarray], n: int, unit: str = "lu", voxel_size_m: float | None = None
) -> list[Column]:
    """Columns of the sample table: index, scalar properties, permeability diagonal.

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
    columns = [Column("#", np.arange(n))]
    rest = []
    for name in sorted(properties, key=_column_rank):
        values = np.asarray(properties[name])
        if values.shape[:1] != (n,):
            continue
        if name == "permeability_lu" and values.shape[1:] == (3, 3):
            columns += _permeability_columns(values, unit, voxel_size_m)
        elif values.ndim == 1:
            (columns if name == "porosity" else rest).append(Column(name, values))
    return columns + rest


def _column_rank(name: str) -> tuple[int, str]:
    """Porosity and permeability first, other properties alphabetically, messages last."""
    first = {"porosity": 0, "permeability_lu": 1}
    return (first.get(name, 3 if name.endswith("message") else 2), name)


def _permeability_columns(k_lu: np.ndarray, unit: str, voxel_size_m: float | None) -> list:
    if voxel_size_m is None:
        unit = "lu"
    diag = np.asarray(permeability_from_lattice(k_lu, unit, voxel_size_m))
    return [
        Column(f"k_{a}{a}", diag[:, i, i], unit_label(unit), f"permeability along {a}")
        for i, a in enumerate(_AXES)
    ]


class PropertyTableModel(QtCore.QAbstractTableModel):
    """Table of samples × properties; rows map to samples through a sort permutation."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.columns: list[Column] = []
        self.order = np.zeros(0, dtype=np.int64)  # row -> sample
        self._rank = np.zeros(0, dtype=np.int64)  # sample -> row

    def set_columns(self, columns: list[Column]) -> None:
        """Replace all data (rows in sample order)."""
        self.beginResetModel()
        self.columns = columns
        n = len(columns[0].values) if columns else 0
        self.order = np.arange(n, dtype=np.int64)
        self._rank = self.order.copy()
        self.endResetModel()

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
            return format_value(value)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and column.values.dtype.kind in "iuf":
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
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
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        samples = [self.sample_at(i.row()) for i in persistent]
        self.order = sort_order(
            self.columns[column].values, order == QtCore.Qt.SortOrder.DescendingOrder
        )
        self._rank = np.empty_like(self.order)
        self._rank[self.order] = np.arange(self.order.size)
        moved = [
            self.index(self.row_of(s), i.column()) for s, i in zip(samples, persistent, strict=True)
        ]
        self.changePersistentIndexList(persistent, moved)  # the selection follows its sample
        self.layoutChanged.emit()

    def sample_at(self, row: int) -> int:
        """Sample index shown in ``row``."""
        return int(self.order[row])

    def row_of(self, sample: int) -> int:
        """Row where ``sample`` is shown."""
        return int(self._rank[sample])

    def column_values(self, name: str) -> np.ndarray | None:
        """Values (in sample order) of the column with this name, or None."""
        for column in self.columns:
            if column.name == name:
                return column.values
        return None


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


def format_value(value: Any) -> str:
    """Cell text of a property value."""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "—"
        magnitude = abs(float(value))
        if magnitude != 0 and (magnitude < 1e-3 or magnitude >= 1e5):
            return f"{float(value):.4g}"
        return f"{float(value):.4f}"
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)
