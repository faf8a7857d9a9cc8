"""The interpolation panel: a latent path between the two picks, scrubbed with a slider.

Interpolate encodes the two picked structures and decodes ``steps`` structures along a
slerp or lerp path (:func:`porestudio.gui.model.compute.interpolation`, a worker); the path
goes into the studio model (the map draws it). The slider sets ``studio.step``; the studio
shows that step in viewer B — the viewer meshes in its own worker channel, so while
scrubbing the latest step wins. The plot shows porosity and k along the path (regressor,
CNN, and physics for the steps verified with Verify); Save path… writes it as a dataset.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from porestudio.errors import InputError
from porestudio.gui.feedback import report_error
from porestudio.gui.jobs import JobManager
from porestudio.gui.model import StudioModel
from porestudio.gui.model.compute import (
    interpolation,
    parse_steps,
    path_structure,
    save_path,
    verify_steps,
)
from porestudio.gui.task import Task

PICK_TWO = "pick two structures (click, then Shift+click on the map) to interpolate"
_CURVES = {"regressor": ("#1f77b4", QtCore.Qt.PenStyle.SolidLine),
           "cnn": ("#2ca02c", QtCore.Qt.PenStyle.DashLine),
           "estimate": ("#ff7f0e", QtCore.Qt.PenStyle.DotLine)}  # fmt: skip


class InterpolationPanel(QtWidgets.QWidget):
    """Path controls, step slider and the property plot along the path."""

    def __init__(self, studio: StudioModel, jobs: JobManager, parent=None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.jobs = jobs
        self.physics: dict[str, np.ndarray] = {}
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._build_controls())
        self.status = QtWidgets.QLabel(PICK_TWO)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addLayout(self._build_slider())
        layout.addWidget(self._build_plot(), 1)
        layout.addLayout(self._build_verify())
        self.task = Task(jobs, "interpolate", run=self.go_button, progress=self.progress,
                         status=self.status, description="interpolating", parent=self)  # fmt: skip
        self.verify_task = Task(jobs, "verify-path", run=self.verify_button,
                                cancel=self.cancel_button, progress=self.progress,
                                description="verifying steps", parent=self)  # fmt: skip
        self.save_task = Task(jobs, "save-path", run=self.save_button, progress=None,
                              description="saving the path", parent=self)  # fmt: skip
        studio.events.path.connect(self._path_changed)
        studio.events.step.connect(self._step_changed)
        studio.events.selection.connect(lambda e: self._update_ready())
        studio.events.model.connect(lambda e: self._update_ready())
        self._path_changed(None)

    # --- construction ---------------------------------------------------------------------
    def _build_controls(self) -> QtWidgets.QHBoxLayout:
        self.method_box = QtWidgets.QComboBox()
        self.method_box.addItems(["slerp", "lerp"])
        self.steps_spin = QtWidgets.QSpinBox()
        self.steps_spin.setRange(2, 200)
        self.steps_spin.setValue(20)
        self.steps_spin.setSuffix(" steps")
        self.go_button = QtWidgets.QPushButton("Interpolate")
        self.go_button.clicked.connect(self.interpolate)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(120)
        row = QtWidgets.QHBoxLayout()
        for w in (self.method_box, self.steps_spin, self.go_button, self.progress):
            row.addWidget(w)
        return row

    def _build_slider(self) -> QtWidgets.QHBoxLayout:
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._slider_moved)
        self.step_label = QtWidgets.QLabel("—")
        self.step_label.setMinimumWidth(110)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("step"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.step_label)
        return row

    def _build_plot(self) -> pg.GraphicsLayoutWidget:
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.phi_plot = self.view.addPlot(row=0, col=0)
        self.k_plot = self.view.addPlot(row=1, col=0)
        self.k_plot.setXLink(self.phi_plot)
        self.phi_plot.setLabel("left", "porosity")
        self.k_plot.setLabel("left", "k [voxel²]")
        self.k_plot.setLabel("bottom", "t along the path")
        self.k_plot.setLogMode(y=True)
        for plot in (self.phi_plot, self.k_plot):
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.addLegend(offset=(5, 5), labelTextSize="8pt")
        self.cursor = [pg.InfiniteLine(angle=90, pen=pg.mkPen("#ff7f0e", width=1.5))
                       for _ in range(2)]  # fmt: skip
        self.phi_plot.addItem(self.cursor[0])
        self.k_plot.addItem(self.cursor[1])
        return self.view

    def _build_verify(self) -> QtWidgets.QHBoxLayout:
        self.verify_edit = QtWidgets.QLineEdit("every 5")
        self.verify_edit.setToolTip("Steps to verify: 0, 5, 10 or 2-6 or 'every 4'")
        self.verify_button = QtWidgets.QPushButton("Verify steps")
        self.verify_button.setToolTip("Compute the chosen steps with the physics solver")
        self.verify_button.clicked.connect(self.verify)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.save_button = QtWidgets.QPushButton("Save path…")
        self.save_button.clicked.connect(self._ask_save)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.verify_edit, 1)
        for w in (self.verify_button, self.cancel_button, self.save_button):
            row.addWidget(w)
        return row

    # --- actions --------------------------------------------------------------------------
    def _update_ready(self) -> None:
        ready = self.studio.model is not None and len(self.studio.selection) == 2
        self.go_button.setEnabled(ready)
        if self.studio.path is None:
            if self.studio.model is None:
                self.status.setText("no model loaded: load or train a pVAE to interpolate")
            else:
                self.status.setText("ready: Interpolate" if ready else PICK_TWO)

    def interpolate(self) -> None:
        """Decode the path between the two picks in a worker."""
        studio = self.studio
        try:
            if studio.model is None:
                raise InputError("no model loaded: load or train a pVAE first")
            if len(studio.selection) != 2:
                raise InputError(PICK_TWO)
            a, b = (studio.structure(i).pore for i in studio.selection)
        except InputError as exc:
            report_error(exc, self)
            return
        self.task.start(interpolation, studio.model, a, b, steps=self.steps_spin.value(),
                        method=self.method_box.currentText(), surrogate=studio.surrogate,
                        on_result=studio.set_path)  # fmt: skip

    def verify(self) -> None:
        """Physics of the chosen steps (a worker); drawn on the same plot."""
        path = self.studio.path
        try:
            if path is None:
                raise InputError("no path yet: Interpolate first")
            steps = parse_steps(self.verify_edit.text(), len(path.t))
        except InputError as exc:
            report_error(exc, self)
            return
        self.verify_task.start(verify_steps, path, steps, self.studio.model.spec,
                               device=self.studio.device,
                               on_result=lambda r, p=path: self._verified(p, r))  # fmt: skip

    def _verified(self, path, result: dict) -> None:
        if path is not self.studio.path:
            return
        self.physics = result
        self._draw()
        self.status.setText(f"verified {len(result['step'])} steps with the physics solver")

    def _ask_save(self) -> None:
        if self.studio.path is None:
            report_error(InputError("no path yet: Interpolate first"), self)
            return
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save path", "", "*.h5")
        if name:
            self.save(name)

    def save(self, out: str) -> None:
        """Write the path as a dataset (a worker; refuses to overwrite)."""
        self.save_task.start(save_path, self.studio.path, out, self.studio.voxel_size_m,
                             progress=False,
                             on_result=lambda p: self.status.setText(f"saved {p}"))  # fmt: skip

    # --- studio events ----------------------------------------------------------------------
    def _path_changed(self, _event) -> None:
        path = self.studio.path
        self.physics = {}
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0 if path is None else len(path.t) - 1)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        for w in (self.slider, self.verify_button, self.save_button):
            w.setEnabled(path is not None)
        self._draw()
        self._update_ready()
        if path is not None:
            self.status.setText(f"{len(path.t)} steps ({path.method}); drag the slider")
            self.studio.set_step(0)

    def _slider_moved(self, value: int) -> None:
        if self.studio.path is not None:
            self.studio.set_step(value)

    def _step_changed(self, event) -> None:
        path, step = self.studio.path, event.value
        if path is None or step is None:
            return
        if self.slider.value() != step:
            self.slider.blockSignals(True)
            self.slider.setValue(step)
            self.slider.blockSignals(False)
        t = float(path.t[step])
        self.step_label.setText(f"{step} (t = {t:.2f})")
        for line in self.cursor:
            line.setValue(t)
        self.studio.show("B", path_structure(path, step, self.studio.voxel_size_m))

    def _draw(self) -> None:
        for plot in (self.phi_plot, self.k_plot):
            plot.clear()
            plot.legend.clear()
        self.phi_plot.addItem(self.cursor[0])
        self.k_plot.addItem(self.cursor[1])
        path = self.studio.path
        if path is None:
            return
        self.phi_plot.plot(path.t, path.properties["porosity"], pen=pg.mkPen("k", width=2),
                           name="voxels")  # fmt: skip
        for key, values in path.properties.items():
            source, _, name = key.partition("_")
            off_diagonal = name.startswith("k_") and name[2:3] != name[3:4]
            if source in _CURVES and not off_diagonal:  # signed: no place on a log axis
                colour, style = _CURVES[source]
                pen = pg.mkPen(colour, width=2, style=style)
                target = self.phi_plot if name == "porosity" else self.k_plot
                shown = values if target is self.phi_plot else _positive(values)
                target.plot(path.t, shown, pen=pen, name=f"{source} {name}", connect="finite")
        self._draw_physics(path)

    def _draw_physics(self, path) -> None:
        if not self.physics:
            return
        t = path.t[self.physics["step"]]
        for name, values in self.physics.items():
            if name.startswith("k_"):
                flows = values > 0  # a log axis cannot show k = 0 (no flow): said in the legend
                label = f"physics {name}" + (f" ({int((~flows).sum())} with k = 0)"
                                             if not flows.all() else "")  # fmt: skip
                self.k_plot.plot(
                    t[flows], values[flows], pen=None, symbol="o", symbolBrush="#d62728", name=label
                )


def _positive(values: np.ndarray) -> np.ndarray:
    """Values for a log axis: non-positive ones become gaps (NaN)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(values > 0, values, np.nan)
