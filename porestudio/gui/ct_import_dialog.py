"""CT import dialog: grey volume → threshold (live porosity) → voxel size → sub-volumes → HDF5.

Steps: choose a TIFF stack, a folder of slices or a raw file; a worker scans it once
(:func:`porestudio.gui.ct_scan.scan_ct`) so the threshold slider (Otsu to start) shows the
binarised slice and the porosity instantly; give or confirm the voxel size; choose the
sub-volume size and stride; import with progress and Cancel
(:func:`porestudio.structures.ct.import_ct`, atomic: a cancelled import leaves no file).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from porestudio.errors import Cancelled, InputError
from porestudio.gui.ct_import_parts import OptionsBox
from porestudio.gui.ct_scan import CtScan, import_ct_job, overlay, porosity_at, read_slice, scan_ct
from porestudio.gui.feedback import ask_replace, report_error
from porestudio.gui.jobs import JobManager
from porestudio.gui.task import Task

log = logging.getLogger(__name__)

RAW_DTYPES = ("uint8", "uint16", "int16", "uint32", "int32", "float32", "float64")


class CtImportDialog(QtWidgets.QDialog):
    """Import a CT volume into a dataset; emits ``imported(path)`` when done."""

    imported = QtCore.Signal(str)

    def __init__(self, jobs: JobManager, folder: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import CT volume")
        self.jobs = jobs
        self.folder = folder
        self.scan: CtScan | None = None
        self.grey_slice = None
        self._slider_scale = 1.0
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self._source_group())
        middle = QtWidgets.QHBoxLayout()
        middle.addWidget(self._preview_group(), 1)
        middle.addWidget(self._options_group())
        layout.addLayout(middle, 1)
        layout.addLayout(self._bottom_row())
        self._set_ready(False)
        self.resize(900, 620)

    # --- layout ------------------------------------------------------------------------
    def _source_group(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("1. Source")
        grid = QtWidgets.QGridLayout(box)
        self.path_edit = QtWidgets.QLineEdit()
        self.path_edit.setPlaceholderText("TIFF stack, folder of slices, or raw file")
        self.path_edit.returnPressed.connect(self.rescan)
        file_button = QtWidgets.QPushButton("File…")
        file_button.clicked.connect(self._browse_file)
        folder_button = QtWidgets.QPushButton("Slice folder…")
        folder_button.clicked.connect(self._browse_folder)
        self.raw_box = QtWidgets.QCheckBox("Raw file: shape z, y, x")
        self.raw_spins = [QtWidgets.QSpinBox(minimum=1, maximum=100_000, value=100) for _ in "zyx"]
        self.raw_dtype = QtWidgets.QComboBox()
        self.raw_dtype.addItems(RAW_DTYPES)
        self.raw_order = QtWidgets.QComboBox()
        self.raw_order.addItem("little-endian", "<")
        self.raw_order.addItem("big-endian", ">")
        self.source_info = QtWidgets.QLabel("")
        grid.addWidget(self.path_edit, 0, 0, 1, 6)
        grid.addWidget(file_button, 0, 6)
        grid.addWidget(folder_button, 0, 7)
        grid.addWidget(self.raw_box, 1, 0)
        for i, spin in enumerate(self.raw_spins):
            grid.addWidget(spin, 1, 1 + i)
        grid.addWidget(self.raw_dtype, 1, 4)
        grid.addWidget(self.raw_order, 1, 5)
        grid.addWidget(self.source_info, 2, 0, 1, 8)
        return box

    def _preview_group(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("2. Threshold (pore = dark, tinted blue)")
        grid = QtWidgets.QGridLayout(box)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.preview = pg.PlotWidget(background="w")
        self.preview.addItem(self.image)
        self.preview.setAspectLocked(True)
        self.preview.invertY(True)
        self.z_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.z_slider.valueChanged.connect(self._z_changed)
        self.threshold_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(0, 1000)
        self.threshold_slider.valueChanged.connect(self._slider_moved)
        self.threshold_spin = QtWidgets.QDoubleSpinBox(decimals=2)
        self.threshold_spin.setRange(-1e12, 1e12)
        self.threshold_spin.valueChanged.connect(self._threshold_changed)
        self.otsu_button = QtWidgets.QPushButton("Otsu")
        self.otsu_button.clicked.connect(self._reset_otsu)
        self.invert_box = QtWidgets.QCheckBox("Pores are bright")
        self.invert_box.toggled.connect(self._refresh_preview)
        self.porosity_label = QtWidgets.QLabel("porosity —")
        self.porosity_label.setObjectName("porosity")
        grid.addWidget(self.preview, 0, 0, 1, 4)
        grid.addWidget(QtWidgets.QLabel("Slice z"), 1, 0)
        grid.addWidget(self.z_slider, 1, 1, 1, 3)
        grid.addWidget(QtWidgets.QLabel("Threshold"), 2, 0)
        grid.addWidget(self.threshold_slider, 2, 1)
        grid.addWidget(self.threshold_spin, 2, 2)
        grid.addWidget(self.otsu_button, 2, 3)
        grid.addWidget(self.invert_box, 3, 0, 1, 2)
        grid.addWidget(self.porosity_label, 3, 2, 1, 2)
        return box

    def _options_group(self) -> OptionsBox:
        self.options_box = OptionsBox()
        box = self.options_box
        self.voxel_edit, self.sub_box, self.out_edit = box.voxel_edit, box.sub_box, box.out_edit
        self.size_spin, self.stride_spin = box.size_spin, box.stride_spin
        self.count_label = box.count_label
        return box

    def _bottom_row(self) -> QtWidgets.QHBoxLayout:
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.hide()  # shown while scanning or importing
        self.import_button = QtWidgets.QPushButton("Import")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button = QtWidgets.QPushButton("Cancel import")
        self.import_task = Task(
            self.jobs, "ct-import", run=self.import_button, cancel=self.cancel_button,
            progress=self.progress, hide_progress=True, description="importing CT volume",
            parent=self,
        )  # fmt: skip
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.reject)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addStretch(0)
        for w in (self.import_button, self.cancel_button, close):
            row.addWidget(w)
        return row

    # --- source ------------------------------------------------------------------------
    def _browse_file(self) -> None:
        name, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "CT volume", self.folder, "TIFF stacks (*.tif *.tiff);;All files (*)"
        )
        if name:
            self.set_source(name)

    def _browse_folder(self) -> None:
        name = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder of slices", self.folder)
        if name:
            self.set_source(name)

    def set_source(self, path: str) -> None:
        """Choose the volume to import and scan it."""
        self.path_edit.setText(str(path))
        src = Path(path)
        self.out_edit.setText(str(src.with_suffix(".h5") if src.is_file() else src / "ct.h5"))
        self.rescan()

    def raw(self) -> dict[str, Any] | None:
        """Raw-file layout from the form, or None for TIFF/slices."""
        if not self.raw_box.isChecked():
            return None
        return {
            "shape": tuple(s.value() for s in self.raw_spins),
            "dtype": self.raw_dtype.currentText(),
            "byte_order": self.raw_order.currentData(),
        }

    def rescan(self) -> None:
        """Scan the chosen source in a worker (histogram, Otsu, middle slice)."""
        path = self.path_edit.text().strip()
        if not path:
            return
        self._set_ready(False)
        self.source_info.setText("scanning…")
        self.jobs.submit(
            "ct-scan",
            scan_ct,
            path,
            self.raw(),
            progress=True,
            on_result=self._scanned,
            on_progress=self._show_progress,
            on_error=self._scan_failed,
            description="scanning CT volume",
        )

    def _scan_failed(self, exc: BaseException) -> None:
        self.scan = None
        self.source_info.setText("")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.hide()
        if not isinstance(exc, Cancelled):
            report_error(exc, self)

    def _scanned(self, scan: CtScan) -> None:
        self.scan, self.grey_slice = scan, scan.slice
        nz, ny, nx = scan.shape
        vox = "unknown" if scan.voxel_size_m is None else f"{scan.voxel_size_m * 1e6:.4g} µm"
        self.source_info.setText(
            f"{nx}×{ny}×{nz} (x×y×z) voxels, {scan.dtype}, grey {scan.lo:g}…{scan.hi:g}, "
            f"voxel size in file: {vox}, threshold method: {scan.method}"
        )
        self._setup_sliders(scan)
        self.options_box.set_volume(scan.shape, scan.voxel_size_m)
        self.progress.setRange(0, 1)
        self.progress.hide()
        self._set_ready(True)

    def _setup_sliders(self, scan: CtScan) -> None:
        self.z_slider.blockSignals(True)
        self.z_slider.setRange(0, scan.shape[0] - 1)
        self.z_slider.setValue(scan.slice_index)
        self.z_slider.blockSignals(False)
        span = scan.hi - scan.lo
        if scan.integer and span <= 100_000:
            self._slider_scale = 1.0
            self.threshold_slider.setRange(int(scan.lo), int(scan.hi) + 1)
            self.threshold_spin.setDecimals(0)
        else:
            self._slider_scale = (span or 1.0) / 1000.0
            self.threshold_slider.setRange(0, 1000)
            self.threshold_spin.setDecimals(4)
        self.threshold_spin.setRange(scan.lo, scan.hi + 1)
        self._reset_otsu()

    def _reset_otsu(self) -> None:
        if self.scan is None:
            return
        start = (
            self.scan.otsu if self.scan.otsu is not None else 0.5 * (self.scan.lo + self.scan.hi)
        )
        self.threshold_spin.setValue(start)
        self._threshold_changed(start)

    # --- threshold preview -------------------------------------------------------------
    def threshold(self) -> float:
        """The chosen threshold (pore = grey < t, or >= t when inverted)."""
        return float(self.threshold_spin.value())

    def set_threshold(self, value: float) -> None:
        """Set the threshold (updates slider, preview and porosity)."""
        self.threshold_spin.setValue(value)

    def _slider_moved(self, position: int) -> None:
        if self.scan is None:
            return
        lo = 0.0 if self._slider_scale == 1.0 else self.scan.lo
        value = lo + position * self._slider_scale
        self.threshold_spin.blockSignals(True)
        self.threshold_spin.setValue(value)
        self.threshold_spin.blockSignals(False)
        self._refresh_preview()

    def _threshold_changed(self, value: float) -> None:
        if self.scan is None:
            return
        lo = 0.0 if self._slider_scale == 1.0 else self.scan.lo
        self.threshold_slider.blockSignals(True)
        self.threshold_slider.setValue(int(round((value - lo) / self._slider_scale)))
        self.threshold_slider.blockSignals(False)
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        if self.scan is None or self.grey_slice is None:
            return
        t, inv = self.threshold(), self.invert_box.isChecked()
        self.image.setImage(
            overlay(self.grey_slice, t, inv, self.scan.lo, self.scan.hi), levels=(0, 255)
        )
        self.porosity_label.setText(f"porosity {porosity_at(self.scan, t, inv):.4f}")

    def porosity(self) -> float | None:
        """Porosity of the whole volume at the current threshold."""
        if self.scan is None:
            return None
        return porosity_at(self.scan, self.threshold(), self.invert_box.isChecked())

    def _z_changed(self, z: int) -> None:
        if self.scan is not None:
            self.jobs.submit(
                "ct-slice",
                read_slice,
                self.scan.source,
                z,
                self.raw(),
                on_result=self._slice_loaded,
                description="reading slice",
            )

    def _slice_loaded(self, result) -> None:
        _, self.grey_slice = result
        self._refresh_preview()

    # --- import ------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        """Keyword arguments of ``import_ct`` from the form (raises InputError)."""
        opts: dict[str, Any] = {
            "threshold": self.threshold(),
            "invert": self.invert_box.isChecked(),
        }
        opts.update(self.options_box.options())
        raw = self.raw()
        if raw:
            opts.update(
                raw_shape=raw["shape"], raw_dtype=raw["dtype"], raw_byte_order=raw["byte_order"]
            )
        return opts

    def start_import(self) -> QtWidgets.QMessageBox | None:
        """Validate the form and import in a worker (progress, Cancel).

        An existing dataset file is replaced only after the user answers the question this
        returns (None when nothing had to be asked).
        """
        try:
            if self.scan is None:
                raise InputError("choose a CT volume first (and wait for its preview)")
            options = self.options()
            out = self.out_edit.text().strip()
            if not out:
                raise InputError("give the dataset file to write")
        except InputError as exc:
            report_error(exc, self)
            return None
        return ask_replace(out, lambda overwrite: self._import(out, options, overwrite), self)

    def _import(self, out: str, options: dict[str, Any], overwrite: bool) -> None:
        if self.scan is None:
            return
        self.import_task.start(
            import_ct_job,
            self.scan.source,
            out,
            options={**options, "overwrite": overwrite},
            on_result=self._imported,
            on_error=self._import_failed,
        )

    def cancel_import(self) -> None:
        """Stop a running import (the dataset file is not written)."""
        self.import_task.cancel()

    def busy(self) -> bool:
        """Whether an import is running."""
        return self.import_task.is_busy()

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.show()
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _import_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.source_info.setText("import cancelled: no dataset was written")
        else:
            report_error(exc, self)

    def _imported(self, path: str) -> None:
        self.imported.emit(path)
        self.accept()

    def _set_ready(self, ready: bool) -> None:
        for w in (
            self.threshold_slider,
            self.threshold_spin,
            self.otsu_button,
            self.z_slider,
            self.import_button,
        ):
            w.setEnabled(ready)

    def reject(self) -> None:
        """Close; a running import is cancelled (nothing is left behind)."""
        self.jobs.cancel("ct-import")
        self.jobs.invalidate("ct-scan")
        super().reject()
