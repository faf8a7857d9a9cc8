"""Properties of the shown structure: morphology at once, permeability on demand.

Morphology (:func:`porestudio.structures.morphology.summary`) and the permeability tensor
(:func:`porestudio.physics.permeability.permeability`) run in workers; the permeability job
reports progress and can be cancelled. Values are kept in lattice units and converted for
display only (:mod:`porestudio.units`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from porestudio.errors import InputError
from porestudio.formatting import NOT_COMPUTED, format_value, header
from porestudio.gui.feedback import report_error
from porestudio.gui.jobs import JobManager
from porestudio.gui.task import Task
from porestudio.gui.voxel_input import UNKNOWN_VOXEL_HINT, VoxelSizeInput
from porestudio.structures.volume import Structure
from porestudio.units import permeability_from_lattice, unit_label

log = logging.getLogger(__name__)

UNIT_CHOICES = (("voxel² (lattice)", "lu"), ("m²", "m2"), ("mD", "mD"))


def morphology_summary(structure: Structure) -> dict[str, Any]:
    """Worker: :func:`porestudio.structures.morphology.summary` of a structure."""
    from porestudio.structures.morphology import summary

    return summary(structure)


def compute_permeability(
    structure: Structure, *, tensor: bool, mode: str, method: str, device: str, progress=None
):
    """Worker: the permeability tensor of a structure (see physics.permeability).

    The options go through the one set of solver rules
    (:class:`~porestudio.physics.options.SolverOptions`); ``device`` ("auto", "cpu",
    "cuda") is resolved there (torch was imported on the GUI thread at start-up).
    """
    from porestudio.physics.options import SolverOptions
    from porestudio.physics.permeability import permeability

    options = SolverOptions(mode=mode, method=method, device=device)
    return permeability(structure, tensor=tensor, options=options, progress=progress)


def save_permeability(path: str, index: int, result: Any, mode: str) -> str:
    """Worker: store one sample's tensor in its dataset (atomic rewrite)."""
    from porestudio.structures.dataset import write_properties

    attrs = {"unit": "voxel^2", "method": str(result.method), "tensor_mode": mode}
    write_properties(
        path,
        {"permeability_lu": np.asarray(result.k_lu, dtype=float)[None]},
        indices=[index],
        attrs={"permeability_lu": attrs},
    )
    return path


class PropertiesPanel(QtWidgets.QWidget):
    """Morphology and permeability of one structure.

    Signals
    -------
    dataset_changed(str)
        A dataset file was rewritten (permeability saved): reload it.
    unit_changed(str)
        The permeability unit was switched (lu, m2, mD).
    voxel_size_requested(float, bool)
        The user entered a voxel size [m] for a structure without one; the flag asks to
        store it in the dataset (otherwise it holds for this session only).
    """

    dataset_changed = QtCore.Signal(str)
    unit_changed = QtCore.Signal(str)
    voxel_size_requested = QtCore.Signal(float, bool)

    def __init__(self, jobs: JobManager, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.device = "auto"
        self.structure: Structure | None = None
        self.origin: tuple[str, int] | None = None
        self.summary: dict[str, Any] | None = None
        self.result: Any = None
        self._result_mode = "kuhn"
        self._unit = "lu"  # the user's choice; shown as voxel² while the voxel size is unknown
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QtWidgets.QLabel("no structure")
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self._build_morphology())
        layout.addWidget(self._build_permeability())
        layout.addStretch(1)

    # --- layout ------------------------------------------------------------------------
    def _build_morphology(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Morphology")
        form = QtWidgets.QFormLayout(box)
        self.fields: dict[str, QtWidgets.QLabel] = {}
        for key, label in (
            ("voxel", "Voxel size"),
            ("porosity", "Porosity"),
            ("percolation", "Pore percolation x/y/z"),
            ("islands", "Floating solid islands"),
            ("surface", "Specific surface"),
        ):
            self.fields[key] = QtWidgets.QLabel("—")
            self.fields[key].setObjectName(f"field-{key}")
            self.fields[key].setTextInteractionFlags(
                QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
            )
            form.addRow(label, self.fields[key])
            if key == "voxel":
                self.voxel_input = VoxelSizeInput()
                self.voxel_input.requested.connect(self.voxel_size_requested)
                self.voxel_input.hide()
                form.addRow("", self.voxel_input)
        return box

    def _build_permeability(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Permeability")
        grid = QtWidgets.QGridLayout(box)
        from porestudio.physics.options import HELP, METHODS, MODES

        self.tensor_box = QtWidgets.QCheckBox("Full tensor")
        self.tensor_box.setToolTip(
            "Off: the three diagonal components; on: all nine (the sides switch to the "
            "mode docs/datasets.md recommends for the sample's size)"
        )
        self.tensor_box.toggled.connect(self._recommend_mode)
        self.mode_box = QtWidgets.QComboBox()
        self.mode_box.addItems(list(MODES))
        self.mode_box.setToolTip(HELP["mode"])
        self.method_box = QtWidgets.QComboBox()
        self.method_box.addItems(list(METHODS))
        self.method_box.setToolTip(HELP["method"])
        self.unit_box = QtWidgets.QComboBox()
        for text, unit in UNIT_CHOICES:
            self.unit_box.addItem(text, unit)
        self.unit_box.currentIndexChanged.connect(self._unit_changed)
        self.compute_button = QtWidgets.QPushButton("Compute")
        self.compute_button.clicked.connect(self.compute)
        self.compute_button.setEnabled(False)  # until a structure is shown
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.save_button = QtWidgets.QPushButton("Save to dataset")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_to_dataset)
        self.progress = QtWidgets.QProgressBar()
        self._build_tensor_table()
        self.run_info = QtWidgets.QLabel("")
        self.run_info.setWordWrap(True)
        self.task = Task(
            self.jobs, "permeability", run=self.compute_button, cancel=self.cancel_button,
            progress=self.progress, status=self.run_info, description="permeability", parent=self,
        )  # fmt: skip
        self.task.finished.connect(lambda _status: self._idle())
        self._layout_permeability(grid)
        return box

    def _build_tensor_table(self) -> None:
        self.tensor_table = QtWidgets.QTableWidget(3, 3)
        self.tensor_table.setHorizontalHeaderLabels(list("xyz"))
        self.tensor_table.setVerticalHeaderLabels(list("xyz"))
        self.tensor_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tensor_table.horizontalHeader().setSectionResizeMode(
            QtWidgets.QHeaderView.ResizeMode.Stretch
        )
        t = self.tensor_table
        rows = 3 * t.verticalHeader().defaultSectionSize()
        t.setFixedHeight(t.horizontalHeader().sizeHint().height() + rows + 2 * t.frameWidth())
        t.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        t.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _layout_permeability(self, grid: QtWidgets.QGridLayout) -> None:
        grid.addWidget(QtWidgets.QLabel("Sides"), 0, 0)
        grid.addWidget(self.mode_box, 0, 1)
        grid.addWidget(self.tensor_box, 0, 2)
        grid.addWidget(QtWidgets.QLabel("Method"), 1, 0)
        grid.addWidget(self.method_box, 1, 1)
        grid.addWidget(QtWidgets.QLabel("Unit"), 2, 0)
        grid.addWidget(self.unit_box, 2, 1)
        self.unit_note = QtWidgets.QLabel("m², mD: need a voxel size")
        self.unit_note.setStyleSheet("color: #707070;")
        self.unit_note.setToolTip(UNKNOWN_VOXEL_HINT)
        grid.addWidget(self.unit_note, 2, 2)
        row = QtWidgets.QHBoxLayout()
        for w in (self.compute_button, self.cancel_button, self.save_button):
            row.addWidget(w)
        grid.addLayout(row, 3, 0, 1, 3)
        grid.addWidget(self.progress, 4, 0, 1, 3)
        grid.addWidget(self.tensor_table, 5, 0, 1, 3)
        grid.addWidget(self.run_info, 6, 0, 1, 3)

    # --- structure ---------------------------------------------------------------------
    def set_structure(
        self, structure: Structure | None, title: str = "", origin: tuple[str, int] | None = None
    ) -> None:
        """Show a new structure: morphology starts at once, permeability is cleared.

        Parameters
        ----------
        structure : Structure or None
            What to describe.
        title : str
            Heading.
        origin : (dataset path, index), optional
            Where the structure is stored (enables "Save to dataset").
        """
        self.task.invalidate()
        self.structure, self.origin, self.summary = structure, origin, None
        self._idle()
        self._update_units()
        self._set_result(None)
        for label in self.fields.values():
            label.setText("…" if structure is not None else "—")
        self.title.setText(title or ("no structure" if structure is None else "structure"))
        if structure is None:
            self.voxel_input.hide()
            return
        self._show_voxel()
        self._recommend_mode()
        self.jobs.submit(
            "summary",
            morphology_summary,
            structure,
            on_result=self._show_summary,
            description="morphology",
        )

    def replace_structure(self, structure: Structure, title: str | None = None) -> None:
        """The same structure with a voxel size entered: keep the result, refresh units."""
        self.structure = structure
        if title:
            self.title.setText(title)
        self._update_units()
        self._show_tensor()
        self._show_voxel()
        self.jobs.submit("summary", morphology_summary, structure, on_result=self._show_summary)

    def _show_voxel(self) -> None:
        s = self.structure
        vox = s.voxel_size_m if s is not None else None
        entered = s is not None and "voxel_size_entered" in s.provenance
        if vox is None:
            text = "unknown (lattice units)"
        else:
            text = f"{vox * 1e6:.4g} µm" + (" (entered, this session)" if entered else "")
        self.fields["voxel"].setText(text)
        self.voxel_input.setVisible(s is not None and (vox is None or entered))
        self.voxel_input.set_can_save(self.origin is not None)

    def _update_units(self) -> None:
        """m² and mD only with a voxel size; the combo shows voxel² meanwhile."""
        known = self.structure is not None and self.structure.voxel_size_m is not None
        model = self.unit_box.model()
        for row in range(self.unit_box.count()):
            if self.unit_box.itemData(row) != "lu":
                item = model.item(row)
                item.setEnabled(known)
                item.setToolTip("" if known else UNKNOWN_VOXEL_HINT)
        self.unit_box.setToolTip("" if known else UNKNOWN_VOXEL_HINT)
        self.unit_note.setVisible(self.structure is not None and not known)
        shown = self._unit if known or self.structure is None else "lu"
        self.unit_box.blockSignals(True)
        self.unit_box.setCurrentIndex(max(0, self.unit_box.findData(shown)))
        self.unit_box.blockSignals(False)

    def _show_summary(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        perc = " / ".join("yes" if summary[f"percolates_{a}"] else "no" for a in "xyz")
        surface = f"{summary['specific_surface_per_voxel']:.4g} 1/voxel"
        if summary.get("specific_surface_per_m"):
            surface += f" ({summary['specific_surface_per_m']:.4g} 1/m)"
        self.fields["porosity"].setText(f"{summary['porosity']:.4f}")
        self.fields["percolation"].setText(perc)
        self.fields["islands"].setText(str(summary["floating_solid_islands"]))
        self.fields["surface"].setText(surface)

    # --- permeability ------------------------------------------------------------------
    def _recommend_mode(self) -> None:
        """With the full tensor on, pick the sides docs/datasets.md recommends for the size."""
        if not self.tensor_box.isChecked() or self.structure is None:
            return
        from porestudio.physics.tensor import recommended_mode

        self.mode_box.setCurrentText(recommended_mode(self.structure.pore))

    def compute(self) -> None:
        """Start the permeability computation of the shown structure."""
        if self.structure is None:
            report_error(InputError("no structure selected: pick a sample first"), self)
            return
        self._set_result(None)
        mode = self.mode_box.currentText()
        self.task.start(
            compute_permeability,
            self.structure,
            tensor=self.tensor_box.isChecked(),
            mode=mode,
            method=self.method_box.currentText(),
            device=self.device,
            on_result=lambda r, m=mode: self._done(r, m),
        )

    def cancel(self) -> None:
        """Cancel a running permeability computation."""
        self.task.cancel()

    def busy(self) -> bool:
        """Whether a permeability computation is running."""
        return self.task.is_busy()

    def _idle(self) -> None:
        """Compute is offered only with a structure (the task restores the other controls)."""
        self.compute_button.setEnabled(self.structure is not None and not self.busy())

    def _done(self, result: Any, mode: str) -> None:
        self._result_mode = mode
        self._set_result(result)

    def _set_result(self, result: Any) -> None:
        self.result = result
        self.save_button.setEnabled(result is not None and self.origin is not None)
        self._show_tensor()
        self.run_info.setText(self._describe(result) if result is not None else "")

    def _describe(self, result: Any) -> str:
        vox = self.structure.voxel_size_m if self.structure is not None else None
        return describe_result(result, self.unit, vox)

    def _unit_changed(self) -> None:
        self._unit = str(self.unit_box.currentData())
        self._show_tensor()
        if self.result is not None:
            self.run_info.setText(self._describe(self.result))
        self.unit_changed.emit(self.unit)

    @property
    def unit(self) -> str:
        """Chosen display unit of the permeability (lu, m2, mD); voxel² is shown instead
        while the voxel size is unknown."""
        return self._unit

    def set_unit(self, unit: str) -> None:
        """Choose the display unit (lu, m2, mD)."""
        if self.unit_box.findData(unit) < 0:
            return
        self._unit = unit
        self._update_units()
        self._show_tensor()
        self.unit_changed.emit(unit)

    def _show_tensor(self) -> None:
        self.tensor_table.clearContents()
        if self.result is None:
            return
        k, unit = np.asarray(self.result.k_lu, dtype=float), self.unit
        vox = self.structure.voxel_size_m if self.structure is not None else None
        if unit != "lu" and vox is None:
            unit = "lu"
        shown = np.asarray(permeability_from_lattice(k, unit, vox))
        self.tensor_table.setToolTip(
            f"{header('permeability', unit_label(unit))}, rows/columns x, y, z; "
            f"{NOT_COMPUTED} = not computed, 0 = no connected pore path"
        )
        for i in range(3):
            for j in range(3):
                item = QtWidgets.QTableWidgetItem(format_value(float(shown[i, j])))
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
                self.tensor_table.setItem(i, j, item)

    def save_to_dataset(self) -> None:
        """Store the computed tensor in the sample's dataset (permeability_lu)."""
        if self.result is None or self.origin is None:
            return
        path, index = self.origin
        self.save_button.setEnabled(False)
        self.jobs.submit(
            "save-permeability",
            save_permeability,
            path,
            index,
            self.result,
            self._result_mode,
            on_result=self.dataset_changed.emit,
            description="saving permeability",
        )


def describe_result(result: Any, unit: str = "lu", voxel_size_m: float | None = None) -> str:
    """Method, porosity, the tensor's principal axes (full tensor) and one line per run
    naming its boundary mode (skipped runs say "skipped" and why)."""
    from porestudio.physics.tensor import summary_lines

    lines = [f"method {result.method}, mode {result.mode}, porosity "
             f"{format_value(result.porosity)}"]  # fmt: skip
    if result.tensor:
        if unit != "lu" and voxel_size_m is None:
            unit = "lu"
        k = np.asarray(permeability_from_lattice(result.k_lu, unit, voxel_size_m))
        lines += summary_lines(k, unit_label(unit), result.mode)
    lines += [run.describe() for run in getattr(result, "runs", ())]
    lines += list(getattr(result, "notes", ()))
    return "\n".join(lines)
