"""The sample table: a lazy Qt model over a dataset's property arrays (never its structures).

The data side (:func:`load_table`, run in a worker, :func:`table_columns`, sorting and cell
text) is Qt-free in :mod:`porestudio.gui.model.table`; :class:`PropertyTableModel` formats
cells on demand and sorts with ``numpy.argsort`` on the arrays, so 50,000 rows stay smooth.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from porestudio.gui.model.table import (
    STATUS_LABELS,
    Column,
    DatasetTable,
    format_value,
    load_table,
    sort_order,
    table_columns,
)

__all__ = [
    "STATUS_LABELS",
    "Column",
    "DatasetTable",
    "PropertyTableModel",
    "format_value",
    "load_table",
    "sort_order",
    "table_columns",
]

_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)


class PropertyTableModel(QtCore.QAbstractTableModel):
    """Table of samples × properties; rows map to samples through a sort permutation.

    A filter (a boolean mask over the samples, see :mod:`porestudio.gui.model.table_filter`)
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
