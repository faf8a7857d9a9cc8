"""Generate dialog: synthetic structures (squares, GRF, spheres) with a live preview.

Every parameter change regenerates the structure in a worker (debounced, latest wins) and
shows its middle z slice and porosity. The result can be shown in the 3D viewer, appended
to the open dataset, or written (with more samples of the same seed) to a new dataset.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from porestudio.errors import InputError
from porestudio.gui.ct_import_parts import parse_voxel_um
from porestudio.gui.feedback import ask_replace, report_error
from porestudio.gui.jobs import JobManager
from porestudio.gui.task import Task
from porestudio.structures.volume import Structure

log = logging.getLogger(__name__)

# name -> list of (key, label, kind, default, minimum, maximum)
PARAMETERS: dict[str, list[tuple]] = {
    "squares": [
        ("size", "Section size", int, 100, 4, 2000),
        ("depth", "Depth (z)", int, 100, 1, 2000),
        ("pore_size", "Pore size", int, 10, 1, 500),
        ("n_min", "Pores, min", int, 10, 0, 100000),
        ("n_max", "Pores, max", int, 40, 0, 100000),
    ],
    "grf": [
        ("nz", "Size z", int, 100, 2, 1024),
        ("ny", "Size y", int, 100, 2, 1024),
        ("nx", "Size x", int, 100, 2, 1024),
        ("porosity", "Porosity", float, 0.5, 0.01, 0.99),
        ("lz", "Correlation z", float, 5.0, 0.0, 500.0),
        ("ly", "Correlation y", float, 5.0, 0.0, 500.0),
        ("lx", "Correlation x", float, 5.0, 0.0, 500.0),
        ("periodic", "Periodic", bool, False, 0, 1),
    ],
    "spheres": [
        ("nz", "Size z", int, 100, 2, 1024),
        ("ny", "Size y", int, 100, 2, 1024),
        ("nx", "Size x", int, 100, 2, 1024),
        ("porosity", "Porosity", float, 0.5, 0.01, 0.99),
        ("radius_vox", "Radius [voxel]", float, 8.0, 0.5, 500.0),
        ("overlapping", "Overlapping", bool, True, 0, 1),
        ("pore_spheres", "Spheres are pores", bool, False, 0, 1),
        ("periodic", "Periodic", bool, False, 0, 1),
    ],
}


def generator_kwargs(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``GENERATORS[name]`` from the dialog's raw values."""
    if name == "squares":
        return {
            "size": values["size"],
            "depth": values["depth"],
            "pore_size": values["pore_size"],
            "n_pores": (values["n_min"], values["n_max"]),
        }
    out = {
        "shape": (values["nz"], values["ny"], values["nx"]),
        "porosity": values["porosity"],
        "periodic": values["periodic"],
    }
    if name == "grf":
        out["correlation_length_vox"] = (values["lz"], values["ly"], values["lx"])
    else:
        out.update(
            radius_vox=values["radius_vox"],
            overlapping=values["overlapping"],
            phase="pore" if values["pore_spheres"] else "solid",
        )
    return out


def generate(name: str, seed: int, voxel_size_m: float | None, kwargs: dict) -> Structure:
    """Worker: one structure from a named generator."""
    from porestudio.structures.generators import GENERATORS

    return GENERATORS[name](seed, voxel_size_m=voxel_size_m, **kwargs)


def append_to_dataset(path: str, structure: Structure) -> str:
    """Worker: append one structure to an existing dataset (atomic)."""
    from porestudio.structures.dataset import append_structures

    append_structures(path, [structure])
    return path


def new_dataset(
    path: str, name: str, count: int, seed: int, voxel_size_m, kwargs, progress=None,
    overwrite: bool = False,
):  # fmt: skip
    """Worker: ``count`` samples of one generator and seed into a new dataset (atomic)."""
    from porestudio.structures.generators import generate_dataset

    generate_dataset(
        path, name, count, seed, voxel_size_m=voxel_size_m, progress=progress,
        overwrite=overwrite, **kwargs,
    )  # fmt: skip
    return path


class GenerateDialog(QtWidgets.QDialog):
    """Parameters, preview and destinations of generated structures.

    Signals
    -------
    show_requested(object)
        Show this :class:`Structure` in the 3D viewer.
    dataset_written(str)
        A dataset was created or appended to (open or reload it).
    """

    show_requested = QtCore.Signal(object)
    dataset_written = QtCore.Signal(str)

    def __init__(self, jobs: JobManager, dataset_path: str | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Generate structures")
        self.jobs = jobs
        self.dataset_path = dataset_path
        self.structure: Structure | None = None
        self.inputs: dict[str, dict[str, QtWidgets.QWidget]] = {}
        self._timer = QtCore.QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self.update_preview)
        self._build()
        self.update_preview()

    # --- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.generator_box = QtWidgets.QComboBox()
        self.generator_box.addItems(list(PARAMETERS))
        self.stack = QtWidgets.QStackedWidget()
        for name, params in PARAMETERS.items():
            self.stack.addWidget(self._param_page(name, params))
        self.generator_box.currentIndexChanged.connect(self.stack.setCurrentIndex)
        self.generator_box.currentIndexChanged.connect(self._changed)
        self.seed_spin = QtWidgets.QSpinBox(maximum=2**31 - 1)
        self.seed_spin.valueChanged.connect(self._changed)
        self.voxel_edit = QtWidgets.QLineEdit()
        self.voxel_edit.setPlaceholderText("unknown")
        self.voxel_edit.editingFinished.connect(self._changed)
        self.count_spin = QtWidgets.QSpinBox(minimum=1, maximum=1_000_000)
        form = QtWidgets.QFormLayout()
        form.addRow("Generator", self.generator_box)
        form.addRow("Seed", self.seed_spin)
        form.addRow("Voxel size [µm]", self.voxel_edit)
        left = QtWidgets.QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.stack)
        left.addStretch(1)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.preview = pg.PlotWidget(background="w")
        self.preview.addItem(self.image)
        self.preview.setAspectLocked(True)
        self.preview.invertY(True)
        self.preview_label = QtWidgets.QLabel("…")
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addWidget(self.preview_label)
        top = QtWidgets.QHBoxLayout()
        top.addLayout(left)
        top.addLayout(right, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(self._actions())
        self.resize(820, 520)

    def _param_page(self, name: str, params: list[tuple]) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        widgets: dict[str, QtWidgets.QWidget] = {}
        for key, label, kind, default, lo, hi in params:
            if kind is bool:
                w = QtWidgets.QCheckBox()
                w.setChecked(default)
                w.toggled.connect(self._changed)
            else:
                w = QtWidgets.QSpinBox() if kind is int else QtWidgets.QDoubleSpinBox()
                w.setRange(lo, hi)
                if kind is float:
                    w.setDecimals(3 if hi < 1.0 else 2)
                    w.setSingleStep(0.05 if hi < 1.0 else 0.5)
                w.setValue(default)
                w.valueChanged.connect(self._changed)
            w.setObjectName(f"{name}-{key}")
            widgets[key] = w
            form.addRow(label, w)
        self.inputs[name] = widgets
        return page

    def _actions(self) -> QtWidgets.QHBoxLayout:
        self.show_button = QtWidgets.QPushButton("Show in viewer")
        self.show_button.clicked.connect(self._show)
        self.add_button = QtWidgets.QPushButton("Add to open dataset")
        self.add_button.clicked.connect(self.add_to_dataset)
        self.add_button.setEnabled(self.dataset_path is not None)
        self.new_button = QtWidgets.QPushButton("New dataset…")
        self.new_button.clicked.connect(self._ask_new_dataset)
        self.progress = QtWidgets.QProgressBar()  # shown while a dataset is written
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.write_task = Task(
            self.jobs, "generate-dataset", run=self.new_button, cancel=self.cancel_button,
            progress=self.progress, hide_progress=True, description="generating", parent=self,
        )  # fmt: skip
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.reject)
        self.count_spin.setToolTip("How many structures a new dataset gets (sample i: index i)")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.show_button)
        row.addWidget(self.add_button)
        row.addStretch(1)
        row.addWidget(QtWidgets.QLabel("Samples"))
        for w in (self.count_spin, self.new_button, self.progress, self.cancel_button, close):
            row.addWidget(w)
        return row

    # --- values and preview ------------------------------------------------------------
    @property
    def generator(self) -> str:
        """Selected generator name."""
        return self.generator_box.currentText()

    def set_generator(self, name: str) -> None:
        """Select a generator by name."""
        self.generator_box.setCurrentText(name)

    def values(self) -> dict[str, Any]:
        """Raw parameter values of the selected generator."""
        out = {}
        for key, w in self.inputs[self.generator].items():
            out[key] = w.isChecked() if isinstance(w, QtWidgets.QCheckBox) else w.value()
        return out

    def voxel_size_m(self) -> float | None:
        """Voxel size from the µm field (None when empty); InputError when invalid."""
        return parse_voxel_um(self.voxel_edit.text())

    def request(self) -> tuple[str, int, float | None, dict]:
        """``(generator, seed, voxel_size_m, kwargs)`` of the current parameters."""
        name = self.generator
        return (
            name,
            self.seed_spin.value(),
            self.voxel_size_m(),
            generator_kwargs(name, self.values()),
        )

    def _changed(self, *_args) -> None:
        self._timer.start()

    def update_preview(self) -> None:
        """Regenerate the preview now (latest request wins)."""
        self._timer.stop()
        try:
            args = self.request()
        except InputError as exc:
            self.preview_label.setText(str(exc))
            return
        self.preview_label.setText("generating…")
        self.jobs.submit(
            "generate-preview",
            generate,
            *args,
            on_result=self._preview,
            on_error=self._preview_failed,
            description="preview",
        )

    def _preview_failed(self, exc: BaseException) -> None:
        self.structure = None
        self.preview_label.setText(f"<span style='color:#b03000'>{exc}</span>")

    def _preview(self, structure: Structure) -> None:
        self.structure = structure
        mid = structure.pore[structure.shape[0] // 2]
        self.image.setImage(np.where(mid, 230, 60).astype(np.uint8), levels=(0, 255))
        nz, ny, nx = structure.shape
        self.preview_label.setText(
            f"porosity {structure.porosity:.4f} — {nx}×{ny}×{nz} voxels, "
            f"middle z slice (light = pore)"
        )

    # --- destinations ------------------------------------------------------------------
    def _show(self) -> None:
        if self.structure is not None:
            self.show_requested.emit(self.structure)

    def add_to_dataset(self) -> None:
        """Append the previewed structure to the open dataset."""
        if self.structure is None or self.dataset_path is None:
            report_error(InputError("nothing to add: no preview or no open dataset"), self)
            return
        self.jobs.submit(
            "append",
            append_to_dataset,
            self.dataset_path,
            self.structure,
            on_result=self.dataset_written.emit,
            description="adding to dataset",
        )

    def _ask_new_dataset(self) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(
            self,
            "New dataset",
            "",
            "*.h5",
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite,
        )  # the studio asks itself, once, in write_new_dataset
        if name:
            self.write_new_dataset(name if Path(name).suffix else f"{name}.h5")

    def write_new_dataset(self, path: str) -> QtWidgets.QMessageBox | None:
        """Write ``Samples`` structures of the current parameters to a new dataset.

        An existing ``path`` is replaced only after the user answers the question this
        returns (None when nothing had to be asked).
        """
        try:
            request = self.request()
        except InputError as exc:
            report_error(exc, self)
            return None
        return ask_replace(path, lambda overwrite: self._write(path, request, overwrite), self)

    def _write(self, path: str, request: tuple, overwrite: bool) -> None:
        name, seed, vox, kwargs = request
        self.write_task.start(
            new_dataset,
            str(Path(path)),
            name,
            self.count_spin.value(),
            seed,
            vox,
            kwargs,
            overwrite=overwrite,
            on_result=self.dataset_written.emit,
        )
