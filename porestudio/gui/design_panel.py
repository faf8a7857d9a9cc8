"""The design panel: type a target, get physics-verified candidates, compare, export.

The form sets ``studio.targets`` (porosity and the permeability components the loaded pVAE
predicts, in lattice units, m² or mD); Design runs
:func:`porestudio.gui.model.compute.run_design` in a worker (progress, Cancel) and stores the
results in the studio model. The gallery lists the candidates — predicted and verified
properties, error, novelty, in-distribution score, nearest training structure — and the
training structure nearest the target as the baseline. Clicking a row shows the candidate in
viewer B next to its nearest training structure in viewer A; Export… opens the export dialog
(with its print check) on the selected candidate. With a start point (an encoded CT
sub-volume, :mod:`porestudio.gui.model.ct_latent`) the "start from" box makes the design
begin from its code: the candidates are variants of the scanned material.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from porestudio.errors import InputError
from porestudio.formatting import format_value
from porestudio.gui.feedback import report_error
from porestudio.gui.jobs import JobManager
from porestudio.gui.model import StudioModel
from porestudio.gui.model.compute import candidate_structure, run_design
from porestudio.gui.task import Task
from porestudio.structures.volume import Structure
from porestudio.units import unit_label

NO_MODEL = "no model loaded: load or train a pVAE to design structures"
TARGETS = ("porosity", "k_xx", "k_yy", "k_zz")
_HEAD = ("", "source", "porosity", "k pred.", "k verified", "error", "novelty", "in-dist.",
         "nearest")  # fmt: skip


class DesignPanel(QtWidgets.QWidget):
    """Target form, Design button and the gallery of candidates.

    Signals
    -------
    export_requested(Structure)
        Export… was clicked on a candidate (the main window opens the export dialog).
    """

    export_requested = QtCore.Signal(object)

    def __init__(self, studio: StudioModel, jobs: JobManager, parent=None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.jobs = jobs
        self.rows: list = []  # (Candidate, label) per gallery row
        self.options = None  # DesignOptions for the search (None: the library's defaults)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._build_form())
        layout.addLayout(self._build_buttons())
        self.status = QtWidgets.QLabel(NO_MODEL)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addWidget(self._build_gallery(), 1)
        self.task = Task(jobs, "design", run=self.design_button, cancel=self.cancel_button,
                         progress=self.progress, status=self.status, description="designing",
                         parent=self)  # fmt: skip
        studio.events.model.connect(self._model_changed)
        studio.events.dataset.connect(self._model_changed)
        studio.events.results.connect(self._results_changed)
        studio.events.unit.connect(self._unit_changed)
        studio.events.start.connect(self._start_changed)
        self._model_changed(None)

    # --- construction ---------------------------------------------------------------------
    def _build_form(self) -> QtWidgets.QFormLayout:
        form = QtWidgets.QFormLayout()
        self.fields: dict[str, QtWidgets.QLineEdit] = {}
        for name in TARGETS:
            edit = QtWidgets.QLineEdit()
            edit.setValidator(QtGui.QDoubleValidator(0.0, 1e30, 12, edit))
            edit.setPlaceholderText("any" if name != "porosity" else "e.g. 0.45")
            edit.returnPressed.connect(self.design)
            self.fields[name] = edit
            form.addRow(name, edit)
        self.unit_box = QtWidgets.QComboBox()
        for unit in ("lu", "m2", "mD"):
            self.unit_box.addItem(unit_label(unit), unit)
        self.unit_box.setToolTip("Unit of the permeability targets (m², mD need the voxel size)")
        self.count_spin = QtWidgets.QSpinBox()
        self.count_spin.setRange(1, 20)
        self.count_spin.setValue(5)
        self.verify_box = QtWidgets.QCheckBox("verify with the physics solver")
        self.verify_box.setChecked(True)
        self.start_box = QtWidgets.QCheckBox("start from —")
        self.start_box.setToolTip("Design variants of the encoded CT sub-volume (its latent "
                                  "code is the first initial guess)")  # fmt: skip
        self.start_box.setEnabled(False)
        self.start_box.toggled.connect(self._start_toggled)
        form.addRow("k unit", self.unit_box)
        form.addRow("candidates", self.count_spin)
        form.addRow("", self.verify_box)
        form.addRow("", self.start_box)
        return form

    def _build_buttons(self) -> QtWidgets.QHBoxLayout:
        self.design_button = QtWidgets.QPushButton("Design")
        self.design_button.setDefault(True)
        self.design_button.clicked.connect(self.design)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.progress = QtWidgets.QProgressBar()
        self.export_button = QtWidgets.QPushButton("Export…")
        self.export_button.setToolTip("Export the selected candidate (STL with print check)")
        self.export_button.clicked.connect(self.export_selected)
        self.export_button.setEnabled(False)
        row = QtWidgets.QHBoxLayout()
        for w in (self.design_button, self.cancel_button, self.progress, self.export_button):
            row.addWidget(w)
        return row

    def _build_gallery(self) -> QtWidgets.QTableWidget:
        self.gallery = QtWidgets.QTableWidget(0, len(_HEAD))
        self.gallery.setHorizontalHeaderLabels(list(_HEAD))
        self.gallery.setIconSize(QtCore.QSize(56, 56))
        self.gallery.verticalHeader().setDefaultSectionSize(60)
        self.gallery.verticalHeader().hide()
        self.gallery.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.gallery.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.gallery.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.gallery.itemSelectionChanged.connect(self._row_selected)
        header = self.gallery.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        return self.gallery

    # --- studio events ------------------------------------------------------------------------
    def _model_changed(self, _event) -> None:
        model = self.studio.model
        names = set(model.spec.properties) if model is not None else set()
        for name, edit in self.fields.items():
            edit.setEnabled(name in names)
        ready = model is not None and self.studio.table is not None
        self.design_button.setEnabled(ready)
        if model is None:
            self.status.setText(NO_MODEL)
        elif self.studio.table is None:
            self.status.setText("open the model's training dataset to design")
        else:
            self.status.setText(f"targets for {', '.join(model.spec.properties)}")
        vox = self.studio.voxel_size_m is not None
        for i in (1, 2):  # m², mD need a voxel size
            self.unit_box.model().item(i).setEnabled(vox)

    def _start_changed(self, event) -> None:
        start = event.value
        self.start_box.setEnabled(start is not None)
        self.start_box.setText("start from —" if start is None else f"start from {start.label}")
        self.start_box.setChecked(start is not None)

    def _start_toggled(self, on: bool) -> None:
        self.studio.use_start = bool(on)

    def _unit_changed(self, event) -> None:
        index = self.unit_box.findData(event.value)
        if index >= 0:
            self.unit_box.setCurrentIndex(index)

    # --- design -----------------------------------------------------------------------------
    def target_values(self) -> dict[str, float]:
        """The typed targets (empty fields left out), in the form's unit."""
        out = {}
        for name, edit in self.fields.items():
            text = edit.text().strip().replace(",", ".")
            if edit.isEnabled() and text:
                try:
                    out[name] = float(text)
                except ValueError:
                    raise InputError(f"target {name}: {text!r} is not a number") from None
        return out

    def design(self) -> None:
        """Validate the targets and run the design in a worker."""
        studio = self.studio
        try:
            if studio.model is None:
                raise InputError(NO_MODEL)
            if studio.reference is None:
                raise InputError("the dataset is still being encoded: wait a moment")
            studio.set_targets(self.target_values(), unit=self.unit_box.currentData())
        except InputError as exc:
            report_error(exc, self)
            return
        self.task.start(
            run_design, studio.model, dict(studio.targets), reference=studio.reference,
            surrogate=studio.surrogate, candidates=self.count_spin.value(),
            verify=self.verify_box.isChecked(), device=studio.device, options=self.options,
            start=studio.start_code(), on_result=studio.set_results,
        )  # fmt: skip

    def _results_changed(self, event) -> None:
        self.rows = []
        for result in event.value:
            for k, cand in enumerate(result.candidates):
                self.rows.append((cand, f"design {k + 1}"))
            self.rows.append((result.baseline, "nearest training"))
        self._fill()
        results = event.value
        if results and results[0].outside_support:
            self.status.setText(
                f"the target lies outside the training data (distance "
                f"{results[0].support_distance:.2f}): the closest designs are shown"
            )
        elif results:
            self.status.setText(f"{len(results[0].candidates)} candidates; click one to compare")
        self.export_button.setEnabled(False)

    def _fill(self) -> None:
        g = self.gallery
        g.setRowCount(len(self.rows))
        kname = self._k_name()
        for r, (cand, label) in enumerate(self.rows):
            icon = QtWidgets.QTableWidgetItem()
            icon.setIcon(QtGui.QIcon(QtGui.QPixmap.fromImage(section_image(cand.pore))))
            g.setItem(r, 0, icon)
            verified = (cand.verified or {}).get(kname)
            cells = (label, cand.porosity, self._k(cand.predicted.get(kname)), self._k(verified),
                     f"{100 * cand.error:.1f} %" if np.isfinite(cand.error) else "—",
                     cand.novelty, cand.in_distribution, f"#{cand.nearest_index}")  # fmt: skip
            for c, value in enumerate(cells, start=1):
                g.setItem(r, c, QtWidgets.QTableWidgetItem(_text(value)))
        g.setHorizontalHeaderItem(3, QtWidgets.QTableWidgetItem(f"{kname} pred."))
        g.setHorizontalHeaderItem(4, QtWidgets.QTableWidgetItem(f"{kname} verified"))

    def _k_name(self) -> str:
        model = self.studio.model
        ks = [p for p in (model.spec.properties if model else ()) if p in TARGETS[1:]]
        typed = [k for k in ks if k in self.studio.targets]
        return (typed or ks or ["k_zz"])[0]

    def _k(self, value) -> float | None:
        return None if value is None else self.studio.k_in_unit(float(value))

    # --- gallery -------------------------------------------------------------------------------
    def selected(self) -> tuple | None:
        """(Candidate, label) of the selected gallery row, or None."""
        rows = self.gallery.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _row_selected(self) -> None:
        picked = self.selected()
        self.export_button.setEnabled(picked is not None)
        if picked is not None:
            self.compare(*picked)

    def compare(self, candidate, label: str) -> None:
        """Show a candidate in viewer B and its nearest training structure in viewer A."""
        studio = self.studio
        studio.show("B", candidate_structure(candidate, studio.voxel_size_m, label))
        try:
            studio.show("A", studio.structure(candidate.nearest_index))
        except InputError as exc:
            self.status.setText(str(exc))

    def export_selected(self) -> Structure | None:
        """Ask the main window to export the selected candidate (export dialog, print check)."""
        picked = self.selected()
        if picked is None:
            return None
        structure = candidate_structure(picked[0], self.studio.voxel_size_m, picked[1])
        self.export_requested.emit(structure)
        return structure


def section_image(pore: np.ndarray, size: int = 56) -> QtGui.QImage:
    """A thumbnail of the middle z-section (pore white, solid dark), ``size`` pixels wide."""
    section = np.asarray(pore)[pore.shape[0] // 2]
    grey = np.where(section, 245, 70).astype(np.uint8)
    rep = max(1, size // max(section.shape))
    grey = np.ascontiguousarray(np.kron(grey, np.ones((rep, rep), np.uint8)))
    h, w = grey.shape
    return QtGui.QImage(grey.data, w, h, w, QtGui.QImage.Format.Format_Grayscale8).copy()


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return format_value(float(value))
