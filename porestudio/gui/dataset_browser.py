"""Dataset browser: open an HDF5 dataset, list its samples with their properties.

Opening runs in a worker (:func:`porestudio.gui.table_model.load_table` reads only the
property arrays); the table is a lazy model, so 50,000 samples scroll and sort smoothly.
Selecting a row emits ``sample_selected(index)``; the main window shows that structure.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from porestudio.gui.feedback import report_error
from porestudio.gui.jobs import JobManager
from porestudio.gui.table_model import DatasetTable, PropertyTableModel, load_table, table_columns

log = logging.getLogger(__name__)

EMPTY_MESSAGE = (
    "No dataset open.\nFile ▸ Open dataset…, import CT data (File ▸ Import CT…)\n"
    "or generate structures (File ▸ Generate…)."
)


class DatasetBrowser(QtWidgets.QWidget):
    """Table of the samples of one dataset.

    Signals
    -------
    dataset_opened(object)
        The new :class:`~porestudio.gui.table_model.DatasetTable`.
    open_failed(str)
        Path that could not be opened (the error was already reported).
    sample_selected(int)
        Index of the selected sample.
    """

    dataset_opened = QtCore.Signal(object)
    open_failed = QtCore.Signal(str)
    sample_selected = QtCore.Signal(int)

    def __init__(self, jobs: JobManager, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.table: DatasetTable | None = None
        self.unit = "lu"
        self.model = PropertyTableModel(self)
        self.info = QtWidgets.QLabel(EMPTY_MESSAGE)
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view = QtWidgets.QTableView()
        self.view.setObjectName("sample-table")
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        vheader = self.view.verticalHeader()
        vheader.setVisible(False)
        vheader.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.view.horizontalHeader().setSortIndicator(-1, QtCore.Qt.SortOrder.AscendingOrder)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.info)
        layout.addWidget(self.view, 1)

    # --- opening -----------------------------------------------------------------------
    def open(self, path: str | Path) -> None:
        """Open a dataset in a worker; ``dataset_opened`` or ``open_failed`` follows."""
        path = str(path)
        self.info.setText(f"Opening {Path(path).name}…")
        self.jobs.submit(
            "dataset",
            load_table,
            path,
            on_result=self._loaded,
            on_error=lambda exc, p=path: self._failed(p, exc),
            description=f"opening {path}",
        )

    def _failed(self, path: str, exc: BaseException) -> None:
        self.info.setText(self._describe() if self.table else EMPTY_MESSAGE)
        report_error(exc, self)
        self.open_failed.emit(path)

    def _loaded(self, table: DatasetTable) -> None:
        old, self.table = self.table, table
        if old is not None and old.dataset is not table.dataset:
            old.dataset.close()
        self.view.horizontalHeader().setSortIndicator(-1, QtCore.Qt.SortOrder.AscendingOrder)
        self._fill()
        self.info.setText(self._describe())
        self.dataset_opened.emit(table)

    def _fill(self) -> None:
        t = self.table
        if t is None:
            self.model.set_columns([])
            return
        self.model.set_columns(table_columns(t.properties, t.count, self.unit, t.voxel_size_m))
        self.view.resizeColumnsToContents()

    def _describe(self) -> str:
        t = self.table
        if t is None:
            return EMPTY_MESSAGE
        vox = "unknown" if t.voxel_size_m is None else f"{t.voxel_size_m * 1e6:.4g} µm"
        shape = "×".join(str(n) for n in t.shape[::-1])
        return f"<b>{t.path.name}</b> — {t.count} samples of {shape} (x×y×z) voxels, voxel {vox}"

    def close_dataset(self) -> None:
        """Forget the open dataset (the table empties)."""
        self.jobs.cancel("dataset")
        if self.table is not None:
            self.table.dataset.close()
        self.table = None
        self._fill()
        self.info.setText(EMPTY_MESSAGE)

    # --- selection ---------------------------------------------------------------------
    def set_permeability_unit(self, unit: str) -> None:
        """Unit of the permeability columns (lu, m2, mD); keeps the selected sample."""
        if unit == self.unit:
            return
        selected = self.selected_sample()
        self.unit = unit
        self._fill()
        if selected is not None:
            self.select_sample(selected, emit=False)

    def selected_sample(self) -> int | None:
        """Index of the selected sample, or None."""
        index = self.view.selectionModel().currentIndex()
        return self.model.sample_at(index.row()) if index.isValid() else None

    def select_sample(self, sample: int, *, emit: bool = True) -> None:
        """Select the row of sample ``sample`` (scrolls to it)."""
        if self.table is None or not 0 <= sample < self.table.count:
            return
        row = self.model.row_of(sample)
        index = self.model.index(row, 0)
        selection = self.view.selectionModel()
        if not emit:
            selection.blockSignals(True)
        selection.setCurrentIndex(
            index,
            QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QtCore.QItemSelectionModel.SelectionFlag.Rows,
        )
        selection.blockSignals(False)
        self.view.scrollTo(index)

    def _row_changed(self, current: QtCore.QModelIndex, _previous: QtCore.QModelIndex) -> None:
        if current.isValid():
            self.sample_selected.emit(self.model.sample_at(current.row()))
