"""Dataset browser: open an HDF5 dataset, list its samples with their properties.

Opening runs in a worker (:func:`porestudio.gui.table_model.load_table` reads only the
property arrays); the table is a lazy model, so 50,000 samples scroll and sort smoothly.
Selecting a row emits ``sample_selected(index)``; the main window shows that structure.
A filter line above the table (:mod:`porestudio.gui.model.table_filter`, e.g.
``0.2 < porosity < 0.3 and k_zz > 1``) hides the samples that do not match; it is evaluated
on the property arrays with numpy, so it stays instant for 50,000 rows.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets

from porestudio.gui.feedback import report_error
from porestudio.gui.jobs import JobManager
from porestudio.gui.model.table_filter import FilterError, evaluate
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
        Path that could not be opened (the error was already reported; the message is
        ``last_error``).
    sample_selected(int)
        Index of the selected sample.
    filter_changed(object)
        The samples kept by the filter: bool array (n,), or None without a filter.
    """

    dataset_opened = QtCore.Signal(object)
    open_failed = QtCore.Signal(str)
    sample_selected = QtCore.Signal(int)
    filter_changed = QtCore.Signal(object)

    FILTER_DELAY_MS = 250
    """Typing pauses this long before the filter applies (Enter applies at once)."""

    def __init__(self, jobs: JobManager, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.table: DatasetTable | None = None
        self.last_error = ""  # why the last open failed (also in a dialog and the info text)
        self.session_voxel_size_m: float | None = None
        self.unit = "lu"
        self.model = PropertyTableModel(self)
        self.info = QtWidgets.QLabel(EMPTY_MESSAGE)
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.filter_seconds = 0.0
        self._build_filter()
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
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.info)
        layout.addLayout(self._filter_row)
        layout.addWidget(self.filter_error)
        layout.addWidget(self.view, 1)

    def _build_filter(self) -> None:
        self.filter_edit = QtWidgets.QLineEdit()
        self.filter_edit.setObjectName("sample-filter")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setPlaceholderText("Filter, e.g. 0.2 < porosity < 0.3 and k_zz > 1")
        self.filter_edit.setToolTip(
            "Conditions on the columns: <, <=, >, >=, ==, != joined by and / or / not and "
            "parentheses; names: porosity, k_xx, k_yy, k_zz, status (ok, failed), index; "
            "k_zz == nan finds samples without a value. Enter applies at once."
        )
        self.count_label = QtWidgets.QLabel("")
        self.count_label.setObjectName("sample-count")
        self.filter_error = QtWidgets.QLabel("")
        self.filter_error.setObjectName("filter-error")
        self.filter_error.setStyleSheet("color: #b03000;")
        self.filter_error.setWordWrap(True)
        self.filter_error.hide()
        self._filter_timer = QtCore.QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(self.FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self.apply_filter)
        self._filter_row = QtWidgets.QHBoxLayout()
        self._filter_row.addWidget(self.filter_edit, 1)
        self._filter_row.addWidget(self.count_label)

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
        self.last_error = report_error(exc, self)
        why = f"Could not open {Path(path).name}: {self.last_error}"
        self.info.setText(f"{why}\n\n" + (self._describe() if self.table else EMPTY_MESSAGE))
        self.open_failed.emit(path)

    def _loaded(self, table: DatasetTable) -> None:
        old, self.table = self.table, table
        if old is not None and old.dataset is not table.dataset:
            old.dataset.close()
        other_file = old is None or old.path != table.path
        if other_file:  # a reload of the same file keeps sort, filter and session voxel size
            self.session_voxel_size_m = None
            self.view.horizontalHeader().setSortIndicator(-1, QtCore.Qt.SortOrder.AscendingOrder)
        self._fill(keep_sort=not other_file)
        self.info.setText(self._describe())
        self.dataset_opened.emit(table)

    def _fill(self, keep_sort: bool = True) -> None:
        t = self.table
        if t is None:
            self.model.set_columns([])
            self._update_count()
            return
        columns = table_columns(t.properties, t.count, self.unit, self.voxel_size_m)
        self.model.set_columns(columns, keep_sort=keep_sort)
        self.view.resizeColumnsToContents()
        self.apply_filter(keep_selection=False)

    @property
    def voxel_size_m(self) -> float | None:
        """Voxel size used for the permeability units: the dataset's, or one set for the session."""
        if self.table is None:
            return None
        return self.table.voxel_size_m or self.session_voxel_size_m

    def set_session_voxel_size(self, voxel_size_m: float | None) -> None:
        """A voxel size [m] for a dataset that has none (this session only; None forgets it)."""
        selected = self.selected_sample()
        self.session_voxel_size_m = voxel_size_m
        self._fill()
        self.info.setText(self._describe())
        if selected is not None:
            self.select_sample(selected, emit=False)

    # --- filter ------------------------------------------------------------------------
    def apply_filter(self, keep_selection: bool = True) -> bool:
        """Evaluate the filter text now; False (and an inline message) if it is malformed.

        The selection stays on its sample when that sample is still shown; otherwise the
        first remaining row is selected (the views follow it).
        """
        self._filter_timer.stop()
        selected = self.selected_sample() if keep_selection else None
        started = time.perf_counter()
        try:
            mask = evaluate(self.filter_edit.text(), self.model.filter_columns(), self.model.total)
        except FilterError as exc:
            self._show_filter_error(str(exc))
            self._update_count()
            return False
        self._show_filter_error("")
        self.model.set_filter(mask)
        self.filter_seconds = time.perf_counter() - started
        self._update_count()
        if keep_selection:
            self._reselect(selected)
        self.filter_changed.emit(mask)
        return True

    def _show_filter_error(self, message: str) -> None:
        self.filter_error.setText(f"Filter not applied: {message}" if message else "")
        self.filter_error.setVisible(bool(message))
        self.filter_edit.setStyleSheet("border: 1px solid #b03000;" if message else "")

    def _reselect(self, sample: int | None) -> None:
        if sample is not None and self.model.row_of(sample) >= 0:
            self.select_sample(sample, emit=False)
        elif self.model.rowCount() > 0:
            self.select_sample(self.model.sample_at(0))

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        if self.table is None:
            text = ""
        elif self.model.mask is None:
            text = f"{total:,} samples"
        else:
            text = f"{shown:,} of {total:,} samples"
        self.count_label.setText(text)

    def filter_mask(self) -> np.ndarray | None:
        """Samples kept by the current filter (bool (n,)), or None."""
        return self.model.mask

    def _describe(self) -> str:
        t = self.table
        if t is None:
            return EMPTY_MESSAGE
        if t.voxel_size_m is not None:
            vox = f"{t.voxel_size_m * 1e6:.4g} µm"
        elif self.session_voxel_size_m is not None:
            vox = f"{self.session_voxel_size_m * 1e6:.4g} µm (this session)"
        else:
            vox = "unknown (lattice units)"
        shape = "×".join(str(n) for n in t.shape[::-1])
        return f"<b>{t.path.name}</b> — {t.count} samples of {shape} (x×y×z) voxels, voxel {vox}"

    def close_dataset(self) -> None:
        """Forget the open dataset (the table empties)."""
        self.jobs.cancel("dataset")
        if self.table is not None:
            self.table.dataset.close()
        self.table = None
        self.session_voxel_size_m = None
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

    def select_sample(self, sample: int, *, emit: bool = True) -> bool:
        """Select the row of sample ``sample`` (scrolls to it); False if it is not shown."""
        if self.table is None or not 0 <= sample < self.table.count:
            return False
        row = self.model.row_of(sample)
        if row < 0:
            self.filter_error.setText(f"sample #{sample} is hidden by the filter")
            self.filter_error.show()
            return False
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
        return True

    def _row_changed(self, current: QtCore.QModelIndex, _previous: QtCore.QModelIndex) -> None:
        if current.isValid():
            self.sample_selected.emit(self.model.sample_at(current.row()))
