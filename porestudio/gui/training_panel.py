"""The training panel: train a CNN or pVAE on the open dataset, with live loss curves.

The same call as ``porestudio train``: :func:`porestudio.ml.api.train` (through
:func:`porestudio.gui.model.compute.train_model`) in a worker. Its per-epoch events cross to
the GUI thread through a queued signal and draw every loss term; Cancel (or closing the
window) raises :class:`~porestudio.errors.Cancelled` at the next epoch — the checkpoint in the
model folder is kept, and Train again resumes it. When training ends the new model is offered
to the studio (``model_trained``).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from porestudio.errors import Cancelled, InputError
from porestudio.gui.feedback import report_error
from porestudio.gui.jobs import Job, JobManager
from porestudio.gui.model import StudioModel
from porestudio.gui.model.compute import train_model
from porestudio.gui.task import Task

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


class _EventBridge(QtCore.QObject):
    """Per-epoch events from the worker to the GUI; raises Cancelled once cancelled."""

    event = QtCore.Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.stop = threading.Event()
        self.job: Job | None = None

    def __call__(self, event: dict) -> None:
        if self.stop.is_set() or (self.job is not None and self.job.cancelled):
            raise Cancelled("training cancelled: the checkpoint is kept (Train resumes it)")
        self.event.emit(dict(event))


class TrainingPanel(QtWidgets.QWidget):
    """Kind, epochs, model folder, Train/Cancel and the loss curves.

    Signals
    -------
    model_trained(str)
        Folder of a model that finished training.
    """

    model_trained = QtCore.Signal(str)

    def __init__(self, studio: StudioModel, jobs: JobManager, parent=None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.jobs = jobs
        self.history: list[dict] = []
        self.config_overrides: dict | None = None
        form = QtWidgets.QFormLayout()
        self.kind_box = QtWidgets.QComboBox()
        self.kind_box.addItems(["pvae", "cnn"])
        self.epochs_spin = QtWidgets.QSpinBox()
        self.epochs_spin.setRange(0, 10_000)
        self.epochs_spin.setSpecialValueText("default")
        self.out_edit = QtWidgets.QLineEdit()
        self.out_edit.setPlaceholderText("model folder (default: beside the dataset)")
        form.addRow("model", self.kind_box)
        form.addRow("epochs", self.epochs_spin)
        form.addRow("folder", self.out_edit)
        self.train_button = QtWidgets.QPushButton("Train")
        self.train_button.clicked.connect(self.train)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.progress = QtWidgets.QProgressBar()
        row = QtWidgets.QHBoxLayout()
        for w in (self.train_button, self.cancel_button, self.progress):
            row.addWidget(w)
        self.status = QtWidgets.QLabel("train a model on the open dataset (labelled samples)")
        self.status.setWordWrap(True)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setLogMode(y=True)
        self.legend = self.plot.addLegend(offset=(5, 5), labelTextSize="8pt")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for item in (form, row):
            layout.addLayout(item)
        layout.addWidget(self.status)
        layout.addWidget(self.plot, 1)
        self.bridge = _EventBridge(self)
        self.bridge.event.connect(self._epoch, QtCore.Qt.ConnectionType.QueuedConnection)
        self.task = Task(jobs, "train", run=self.train_button, cancel=self.cancel_button,
                         progress=self.progress, status=self.status, busy=(self.kind_box,),
                         description="training", parent=self)  # fmt: skip
        self.cancel_button.clicked.connect(self.bridge.stop.set)

    def model_folder(self) -> Path:
        """Where the model goes: the typed folder, or ``<dataset>_<kind>/`` beside it."""
        text = self.out_edit.text().strip()
        if text:
            return Path(text).expanduser()
        table = self.studio.table
        return table.path.with_name(f"{table.path.stem}_{self.kind_box.currentText()}")

    def train(self) -> None:
        """Train (or resume) in a worker; the loss curves follow every epoch."""
        if self.studio.table is None:
            report_error(InputError("no dataset open: open a labelled dataset to train on"), self)
            return
        out = self.model_folder()
        self.history = []
        self._draw()
        self.bridge.stop.clear()
        epochs = self.epochs_spin.value() or None
        self.bridge.job = self.task.start(
            train_model, self.kind_box.currentText(), str(self.studio.table.path), str(out),
            epochs=epochs, device=self.studio.device, on_epoch=self.bridge, progress=False,
            config_overrides=self.config_overrides,
            on_result=lambda r: self._trained(r), on_error=self._failed,
        )  # fmt: skip

    def cancel(self) -> None:
        """Stop at the next epoch (the checkpoint is kept)."""
        self.bridge.stop.set()
        self.task.cancel()

    def _epoch(self, event: dict) -> None:
        self.history.append(event)
        epoch, epochs = int(event.get("epoch", 0)), int(event.get("epochs", 0) or 1)
        self.progress.setRange(0, epochs)
        self.progress.setValue(epoch)
        self.status.setText(f"{event.get('stage', '')}: epoch {epoch} of {epochs}")
        self._draw()

    def _draw(self) -> None:
        self.plot.clear()
        self.legend.clear()
        keys = [k for k in (self.history[-1] if self.history else {}) if _is_loss(k)]
        x = np.arange(1, len(self.history) + 1)
        for colour, key in zip(_COLOURS * 3, keys, strict=False):
            name = "train_loss" if key == "loss" else key
            y = np.array([float(e.get(key, np.nan)) for e in self.history])
            style = QtCore.Qt.PenStyle.DashLine if key.startswith("val_") else None
            pen = pg.mkPen(colour, width=2, style=style or QtCore.Qt.PenStyle.SolidLine)
            self.plot.plot(x, np.where(y > 0, y, np.nan), pen=pen, name=name)

    def _trained(self, result) -> None:
        self.status.setText(f"trained in {result.seconds:.0f} s: {result.directory}")
        self.model_trained.emit(str(result.directory))

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.status.setText("cancelled: the checkpoint is kept; Train resumes it")
        else:
            report_error(exc, self)


def _is_loss(key: str) -> bool:
    """Loss terms of a training event (``loss``, ``train_*``, ``val_*``; not the R² metrics)."""
    return key == "loss" or (key.startswith(("train_", "val_")) and not key.startswith("val_r2"))
