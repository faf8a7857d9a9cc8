"""The model panels of the main window and the glue between them, the viewers and the model.

:class:`StudioPanels` adds the latent map, design, interpolation and training docks, loads
models (File ▸ Load model…, or the defaults in ``resources/models/`` that fit the open
dataset), encodes the dataset once a pVAE and a dataset are both there (a :class:`Task`:
the reference for design and the latent map), and shows in the viewers whatever the studio
model says is shown (``studio.events.shown``: a gallery click, a path step).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from porestudio.errors import InputError, PorestudioError
from porestudio.gui.design_panel import DesignPanel
from porestudio.gui.feedback import report_error
from porestudio.gui.latent_map_panel import LatentMapPanel
from porestudio.gui.model.compute import (
    cached_map,
    codes_of,
    design_space,
    load_model,
    path_structure,
)
from porestudio.gui.native_libs import import_torch
from porestudio.gui.task import Task

if TYPE_CHECKING:
    from porestudio.gui.main_window import MainWindow

log = logging.getLogger(__name__)


class StudioPanels(QtCore.QObject):
    """Latent map, design, interpolation and training panels of ``window``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self._last_step: int | None = None
        studio = window.studio
        right = QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        self.latent = LatentMapPanel(studio)
        self.design = DesignPanel(studio, window.jobs)
        window.add_panel("Latent map", self.latent, right)
        window.add_panel("Design", self.design, right)
        self._extra_panels(window, right)
        self.space_task = Task(window.jobs, "design-space", status=self.latent.status,
                               description="encoding the dataset", parent=window)  # fmt: skip
        self.place_task = Task(window.jobs, "place", run=self.latent.place_button,
                               description="encoding the structure", parent=window)  # fmt: skip
        self.latent.place_button.clicked.connect(self.place_shown)
        studio.events.model.connect(lambda e: self.encode())
        studio.events.dataset.connect(self._dataset_changed)
        studio.events.shown.connect(self._show)
        self.design.export_requested.connect(window.open_export)

    def _extra_panels(self, window: MainWindow, area) -> None:
        """Interpolation and training docks (tabbed with design)."""
        from porestudio.gui.interpolation_panel import InterpolationPanel
        from porestudio.gui.training_panel import TrainingPanel

        self.interpolation = InterpolationPanel(window.studio, window.jobs)
        self.training = TrainingPanel(window.studio, window.jobs)
        window.add_panel("Interpolation", self.interpolation, area)
        window.add_panel("Training", self.training, area)
        self.training.model_trained.connect(self.load)

    def arrange(self) -> None:
        """Tab the model panels: the map with the plot, design/paths/training with properties."""
        d = self.w.docks
        self.w.tabifyDockWidget(d["Plot"], d["Latent map"])
        for name in ("Design", "Interpolation", "Training"):
            self.w.tabifyDockWidget(d["Properties"], d[name])
        d["Latent map"].raise_()
        d["Design"].raise_()

    # --- models -----------------------------------------------------------------------------
    def load(self, directory: str) -> None:
        """Load a model folder in a worker and use it (pVAE: map and design; CNN: surrogate)."""
        directory = str(directory)  # one channel per folder: a pVAE and a CNN load side by side
        import_torch()  # on this (GUI) thread: a worker's first import would freeze the GUI
        self.w.jobs.submit(f"load-model:{directory}", load_model, directory,
                           on_result=self._use, description="loading a model")  # fmt: skip

    def _use(self, model) -> None:
        try:
            self.w.studio.use_model(model)
        except InputError as exc:
            report_error(exc, self.w)

    def _dataset_changed(self, _event) -> None:
        studio = self.w.studio
        if studio.table is not None and studio.model is None:
            found = [str(d) for d in default_models(studio.table)]
            if found:
                self._map_from_cache(found)
                self._after_first_paint(lambda: [self.load(d) for d in found])
        self.encode()

    def _map_from_cache(self, folders: list[str]) -> None:
        """Draw the map from the encoding cache while torch and the models load."""
        studio = self.w.studio
        table = studio.table

        def use(found) -> None:
            if found is not None and studio.table is table and studio.latent is None:
                studio.set_latent(found[1], weights=found[0])

        for folder in folders:
            self.w.jobs.submit(f"cached-map:{folder}", cached_map, folder, str(table.path),
                               on_result=use, on_error=lambda _exc: None,
                               description="reading the cached map")  # fmt: skip

    def _after_first_paint(self, action) -> None:
        """Run ``action`` once viewer A shows its first structure (at most 3 s later): the
        first paint does not wait for torch and the models."""
        viewer = self.w.viewers.a
        if viewer.on_screen is not None or self.w.studio.table.count == 0:
            action()
            return
        pending = [True]

        def go(*_args) -> None:
            if pending[0]:
                pending[0] = False
                QtCore.QTimer.singleShot(0, action)

        viewer.settled.connect(go)  # emitted once the frame is drawn
        QtCore.QTimer.singleShot(3000, go)

    def encode(self) -> None:
        """Encode the open dataset with the pVAE (reference + latent map) in a worker."""
        studio = self.w.studio
        if studio.model is None or studio.table is None:
            self.space_task.invalidate()
            return
        self.space_task.start(design_space, studio.model, str(studio.table.path),
                              on_result=studio.set_design_space,
                              on_error=self._encode_failed)  # fmt: skip

    def _encode_failed(self, exc: BaseException) -> None:
        if isinstance(exc, PorestudioError):
            self.latent.status.setText(f"the map is not available: {exc}")
        else:
            report_error(exc, self.w)

    def place_shown(self) -> None:
        """Encode the structure in viewer A with the pVAE and put it on the map (▲)."""
        studio = self.w.studio
        structure = studio.shown["A"]
        try:
            if studio.model is None:
                raise InputError("no model loaded: load or train a pVAE first")
            if structure is None:
                raise InputError("viewer A shows no structure")
            studio.model.spec.check_fits(structure.shape, extruded=_extruded(structure.pore))
        except InputError as exc:
            report_error(exc, self.w)
            return
        label = self.w.viewers.a.title or "structure"
        self.place_task.start(codes_of, studio.model, structure.pore[None], progress=False,
                              on_result=lambda z: studio.place(label, z[0]))  # fmt: skip

    # --- viewers ------------------------------------------------------------------------------
    def _show(self, event) -> None:
        name, structure = event.value
        viewers = self.w.viewers
        viewer = viewers.a if name == "A" else viewers.b
        if structure is None or viewer.structure is structure:
            return  # cleared, or the viewer itself reported what it shows
        if name == "B" and not viewers.comparing:
            self.w.actions_.compare.setChecked(True)
        title = _title(structure)
        if self._path_step(structure) is None:
            viewer.show_structure(structure, title)
        else:
            self._show_step(viewer, structure, title)

    def _path_step(self, structure) -> int | None:
        """The step of the current path that ``structure`` is, or None."""
        studio = self.w.studio
        prov = structure.provenance
        if studio.path is None or prov.get("generator") != "interpolation":
            return None
        return studio.step if prov.get("step") == studio.step else None

    def _show_step(self, viewer, structure, title: str) -> None:
        """A path step from the slider: a draft now, meshes ahead in the slider's direction."""
        studio = self.w.studio
        path, step = studio.path, studio.step
        last, self._last_step = self._last_step, step
        viewer.show_source(lambda: structure, title, key=("path", path, step), draft=True)
        ahead = viewer.policy.ahead
        if ahead <= 0:
            return
        n = len(path.t)
        sign = -1 if last is not None and step < last else 1
        if not 0 <= step + sign < n:  # at an end the slider can only come back
            sign = -sign
        steps = [step + sign, step - sign] + [step + sign * i for i in range(2, ahead + 1)]
        viewer.prefetch([(("path", path, s), functools.partial(
            path_structure, path, s, studio.voxel_size_m)) for s in steps if 0 <= s < n],
            draft=True)  # fmt: skip


def default_models(table) -> list[Path]:
    """Model folders in ``resources/models/`` whose data spec fits the open dataset."""
    from porestudio.gui.model.studio import table_is_extruded
    from porestudio.ml.data import DataSpec
    from porestudio.ml.modelfile import read_model_config
    from porestudio.resources import RESOURCES_DIR

    found = []
    for config_file in sorted((RESOURCES_DIR / "models").glob("*/model.json")):
        try:
            spec = DataSpec.from_json(read_model_config(config_file.parent)["data"])
            spec.check_fits(table.shape, extruded=table_is_extruded(table))
        except (PorestudioError, KeyError, TypeError) as exc:
            log.debug("default model %s skipped: %s", config_file.parent.name, exc)
            continue
        found.append(config_file.parent)
    return found


def _extruded(pore) -> bool:
    return bool((pore == pore[:1]).all())


def _title(structure) -> str:
    prov = structure.provenance
    if prov.get("generator") == "design":
        return f"{prov.get('label', 'design')} (novelty {prov.get('novelty', 0):.2f})"
    if prov.get("generator") == "interpolation":
        return f"{prov.get('method', '')} step {prov.get('step')} (t = {prov.get('t', 0):.2f})"
    if "index" in prov:
        return f"#{prov['index']}"
    return "structure"


def ask_model_folder(parent: QtWidgets.QWidget, folder: str) -> str | None:
    """A folder dialog for a model (model.json + model.safetensors)."""
    name = QtWidgets.QFileDialog.getExistingDirectory(parent, "Load model", folder)
    return name or None
