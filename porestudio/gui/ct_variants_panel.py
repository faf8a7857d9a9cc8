"""The CT → variants panel: encode a CT sub-volume with a 3D pVAE, place it, design from it.

Steps, top to bottom: a 3D model (Load 3D model…: a pVAE folder trained on 3D cubes; the
panel says so plainly while none is loaded), a CT sub-volume (Import CT… — the studio's CT
import, whose sub-volumes land here without replacing the open dataset — or the structure in
viewer A), the fit to the model (a centred crop is offered when the volume is larger than the
model's cubes), then Encode and place: the code becomes the studio's start point (a marker on
the latent map) and Design variants… switches to the design panel with "start from" ticked.
The Qt-free work is :mod:`porestudio.gui.model.ct_latent`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from porestudio.errors import InputError
from porestudio.gui.feedback import report_error
from porestudio.gui.jobs import JobManager
from porestudio.gui.model import StudioModel
from porestudio.gui.model.ct_latent import (
    NO_3D_MODEL,
    centre_crop,
    cube_fit,
    default_3d_model,
    encode_start,
    model_is_3d,
)
from porestudio.gui.task import Task
from porestudio.structures.volume import Structure


class CtVariantsPanel(QtWidgets.QWidget):
    """Model, source, fit and encode rows of the CT → latent → variants workflow.

    Signals
    -------
    load_model_requested()
        Load 3D model… was clicked (the main window asks for the folder).
    default_model_requested()
        Default 3D model was clicked (the main window loads ``resources/models/pvae3d``).
    import_requested()
        Import CT… was clicked (the main window opens the CT import dialog).
    design_requested()
        Design variants… was clicked (the main window raises the design panel).
    """

    load_model_requested = QtCore.Signal()
    default_model_requested = QtCore.Signal()
    import_requested = QtCore.Signal()
    design_requested = QtCore.Signal()

    def __init__(self, studio: StudioModel, jobs: JobManager, parent=None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.source: Structure | None = None
        self.source_name = ""
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._model_row())
        layout.addLayout(self._source_row())
        layout.addLayout(self._fit_row())
        layout.addLayout(self._encode_row())
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.task = Task(jobs, "encode-ct", run=self.encode_button, status=self.status,
                         description="encoding the CT sub-volume", parent=self)  # fmt: skip
        studio.events.model.connect(lambda e: self._refresh())
        studio.events.start.connect(lambda e: self._refresh())
        self._refresh()

    # --- construction ---------------------------------------------------------------------
    def _model_row(self) -> QtWidgets.QHBoxLayout:
        self.model_label = QtWidgets.QLabel(NO_3D_MODEL)
        self.model_label.setWordWrap(True)
        self.load_button = QtWidgets.QPushButton("Load 3D model…")
        self.load_button.clicked.connect(self.load_model_requested)
        self.default_button = QtWidgets.QPushButton("Default 3D model")
        self.default_button.setToolTip("The 3D pVAE shipped in resources/models/pvae3d, with "
                                       "the 3D design space it was trained on")  # fmt: skip
        self.default_button.setVisible(default_3d_model() is not None)
        self.default_button.clicked.connect(self.default_model_requested)
        return _row(self.model_label, self.load_button, self.default_button)

    def _source_row(self) -> QtWidgets.QHBoxLayout:
        self.source_label = QtWidgets.QLabel("no CT sub-volume: Import CT… or use viewer A")
        self.source_label.setWordWrap(True)
        self.import_button = QtWidgets.QPushButton("Import CT…")
        self.import_button.clicked.connect(self.import_requested)
        self.viewer_button = QtWidgets.QPushButton("Use viewer A")
        self.viewer_button.setToolTip("Take the structure shown in viewer A")
        self.viewer_button.clicked.connect(self.use_viewer_a)
        return _row(self.source_label, self.import_button, self.viewer_button)

    def _fit_row(self) -> QtWidgets.QHBoxLayout:
        self.fit_label = QtWidgets.QLabel("")
        self.fit_label.setWordWrap(True)
        self.crop_button = QtWidgets.QPushButton("Crop")
        self.crop_button.setToolTip("Crop the centre of the sub-volume to the model's cube")
        self.crop_button.clicked.connect(self.crop)
        return _row(self.fit_label, self.crop_button)

    def _encode_row(self) -> QtWidgets.QHBoxLayout:
        self.encode_button = QtWidgets.QPushButton("Encode and place")
        self.encode_button.setToolTip("Encode with the 3D pVAE; a marker on the latent map")
        self.encode_button.clicked.connect(self.encode)
        self.design_button = QtWidgets.QPushButton("Design variants…")
        self.design_button.setToolTip("Design from this code: type a target in the design panel")
        self.design_button.clicked.connect(self.design_requested)
        return _row(self.encode_button, self.design_button)

    # --- source ----------------------------------------------------------------------------
    def set_source(self, structure: Structure | None, name: str = "CT") -> None:
        """The sub-volume to encode (None: none)."""
        self.source, self.source_name = structure, name
        self._refresh()

    def use_viewer_a(self) -> None:
        """Take the structure shown in viewer A as the sub-volume."""
        structure = self.studio.shown.get("A")
        if structure is None:
            report_error(InputError("viewer A shows no structure"), self)
            return
        prov = structure.provenance
        name = f"{Path(str(prov['dataset'])).stem}:{prov['index']}" if "index" in prov else "A"
        self.set_source(structure, name)

    def crop(self) -> None:
        """Replace the sub-volume by its centred crop to the model's cube."""
        model = self.studio.model
        try:
            if self.source is None or not model_is_3d(model):
                raise InputError(NO_3D_MODEL if not model_is_3d(model) else "no sub-volume")
            need = tuple(model.spec.sample_shape_zyx)
            self.set_source(centre_crop(self.source, need),
                            f"{self.source_name} (centre {'×'.join(map(str, need))})")  # fmt: skip
        except InputError as exc:
            report_error(exc, self)

    # --- encode ----------------------------------------------------------------------------
    def encode(self) -> None:
        """Encode the sub-volume (a worker); the code becomes the studio's start point."""
        studio = self.studio
        try:
            if not model_is_3d(studio.model):
                raise InputError(NO_3D_MODEL)
            if self.source is None:
                raise InputError("no CT sub-volume: Import CT… or use viewer A first")
            fit = cube_fit(self.source.pore.shape, studio.model)
            if not fit.fits:
                raise InputError(fit.message)
        except InputError as exc:
            report_error(exc, self)
            return
        self.task.start(encode_start, studio.model, self.source, f"CT {self.source_name}",
                        progress=False, on_result=self._encoded)  # fmt: skip

    def _encoded(self, start) -> None:
        try:
            self.studio.set_start(start)
        except InputError as exc:  # the model changed while encoding
            report_error(exc, self)

    # --- state --------------------------------------------------------------------------------
    def _refresh(self) -> None:
        model, source = self.studio.model, self.source
        is3d = model_is_3d(model)
        if is3d:
            shape = "×".join(map(str, model.spec.sample_shape_zyx))
            self.model_label.setText(f"3D model: {shape} cubes, {model.latent_dim}-dim codes")
        elif model is not None:
            self.model_label.setText("the loaded pVAE is 2D: " + NO_3D_MODEL)
        else:
            self.model_label.setText(NO_3D_MODEL)
        if source is not None:
            shape = "×".join(map(str, source.pore.shape))
            self.source_label.setText(f"{self.source_name}: {shape} voxels, "
                                      f"porosity {source.pore.mean():.3f}")  # fmt: skip
        fit = cube_fit(source.pore.shape, model) if is3d and source is not None else None
        self.fit_label.setText("" if fit is None else fit.message)
        self.crop_button.setEnabled(bool(fit and fit.can_crop))
        if fit is not None and fit.can_crop:
            self.crop_button.setText(f"Crop to {'×'.join(map(str, fit.need))}")
        self.encode_button.setEnabled(bool(fit and fit.fits))
        start = self.studio.start
        self.design_button.setEnabled(start is not None)
        if start is not None:
            self.status.setText(f"{start.label} is on the map (▲); Design variants… designs "
                                "from its code")  # fmt: skip


def _row(*widgets: QtWidgets.QWidget) -> QtWidgets.QHBoxLayout:
    row = QtWidgets.QHBoxLayout()
    for k, w in enumerate(widgets):
        row.addWidget(w, 1 if k == 0 else 0)
    return row
