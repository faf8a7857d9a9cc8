"""The model panels of the main window and the glue between them, the viewers and the model.

:class:`StudioPanels` adds the latent map, design, interpolation and training docks, loads
models (File ▸ Load model…, or the defaults in ``resources/models/`` that fit the open
dataset), encodes the dataset once a pVAE and a dataset are both there (a :class:`Task`:
the reference for design and the latent map), and shows in the viewers whatever the studio
model says is shown (``studio.events.shown``: a gallery click, a path step). The CT → variants
panel's requests land here too: Load 3D model… (opening the model's training dataset when
the open one does not fit it) and Import CT… (sub-volumes go to that panel, not the browser).
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
from porestudio.gui.model.ct_latent import default_3d_model
from porestudio.gui.native_libs import import_torch
from porestudio.gui.task import Task
from porestudio.ml.modelfile import read_model_config

if TYPE_CHECKING:
    from porestudio.gui.main_window import MainWindow

log = logging.getLogger(__name__)


class StudioPanels(QtCore.QObject):
    """Latent map, design, interpolation and training panels of ``window``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self._last_step: int | None = None
        self._pending_model = None  # a 3D model waiting for its training dataset to open
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
        from porestudio.gui.ct_variants_panel import CtVariantsPanel
        from porestudio.gui.interpolation_panel import InterpolationPanel
        from porestudio.gui.training_panel import TrainingPanel

        self.interpolation = InterpolationPanel(window.studio, window.jobs)
        self.training = TrainingPanel(window.studio, window.jobs)
        self.ct = CtVariantsPanel(window.studio, window.jobs)
        window.add_panel("Interpolation", self.interpolation, area)
        window.add_panel("Training", self.training, area)
        window.add_panel("CT variants", self.ct, area)
        self.training.model_trained.connect(self.load)
        self.ct.load_model_requested.connect(self._ask_3d_model)
        self.ct.default_model_requested.connect(lambda: self.load_3d(str(default_3d_model())))
        self.ct.import_requested.connect(self.import_ct)
        self.ct.design_requested.connect(self._design_variants)

    def arrange(self) -> None:
        """Tab the model panels: the map with the plot, design/paths/training with properties."""
        d = self.w.docks
        self.w.tabifyDockWidget(d["Plot"], d["Latent map"])
        for name in ("Design", "Interpolation", "Training", "CT variants"):
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

    def _ask_3d_model(self) -> None:
        folder = ask_model_folder(self.w, self.w.settings.last_folder)
        if folder:
            self.load_3d(folder)

    def load_3d(self, directory: str) -> None:
        """Load a 3D pVAE folder; its training dataset opens first when the open one does
        not fit it (InputError dialog when it is not a 3D pVAE or that dataset is missing)."""
        import_torch()
        self.w.jobs.submit(f"load-model:{directory}", load_model, str(directory),
                           on_result=self._use_3d, description="loading a 3D model")  # fmt: skip

    def _use_3d(self, model) -> None:
        from porestudio.gui.model.ct_latent import model_is_3d, training_dataset
        from porestudio.gui.model.studio import check_model_fits

        studio = self.w.studio
        try:
            if not model_is_3d(model):
                raise InputError("this model is not a 3D pVAE: Load 3D model needs a pVAE "
                                 "trained on 3D cubes (Load model… takes any model)")  # fmt: skip
            try:
                if studio.table is not None:
                    check_model_fits(model, studio.table)
                    studio.set_model(model)
                    return
            except InputError:
                pass
            data = training_dataset(model)
            if data is None:
                recorded = model.config.get("training", {}).get("dataset") or "not recorded"
                raise InputError(f"the 3D model does not fit the open dataset and its training "
                                 f"dataset ({recorded}) is not at hand: open "
                                 "the dataset it was trained on first")  # fmt: skip
        except InputError as exc:
            report_error(exc, self.w)
            return
        self._pending_model = model
        self.w.open_dataset(data)

    def import_ct(self):
        """The CT import dialog; its first imported sub-volume goes to the CT panel."""
        from porestudio.gui.ct_import_dialog import CtImportDialog

        dialog = CtImportDialog(self.w.jobs, self.w.settings.last_folder, self.w)
        dialog.imported.connect(self._ct_imported)
        dialog.open()
        return dialog

    def _ct_imported(self, path: str) -> None:
        from porestudio.structures.dataset import open_dataset

        try:
            with open_dataset(path) as ds:
                structure, count = ds.structure(0), len(ds)
        except Exception as exc:  # noqa: BLE001 - said in a dialog, the studio goes on
            report_error(exc, self.w)
            return
        name = Path(path).stem + (":0" if count > 1 else "")
        self.ct.set_source(structure, name)
        self.w.docks["CT variants"].raise_()

    def _design_variants(self) -> None:
        self.w.docks["Design"].raise_()
        self.design.fields["porosity"].setFocus()

    def _use(self, model) -> None:
        try:
            self.w.studio.use_model(model)
        except InputError as exc:
            report_error(exc, self.w)

    def _dataset_changed(self, _event) -> None:
        studio = self.w.studio
        pending, self._pending_model = self._pending_model, None
        if pending is not None and studio.table is not None:
            self._use(pending)  # a 3D model whose training dataset just opened
            found = [str(d) for d in default_models(studio.table)]
            self._load_defaults(studio.table, found)  # its default CNN, as the surrogate
        elif studio.table is not None and studio.model is None:
            found = [str(d) for d in default_models(studio.table)]
            if found:
                self._map_from_cache(found)
                self._after_first_paint(lambda t=studio.table: self._load_defaults(t, found))
        self.encode()

    def _load_defaults(self, table, folders: list[str]) -> None:
        """Load the default models, unless the dataset changed or models came meanwhile."""
        studio = self.w.studio
        if studio.table is not table:
            return
        for folder in folders:
            kind = read_model_config(folder).get("kind")
            if (studio.model if kind == "pvae" else studio.surrogate) is None:
                self.load(folder)

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
                viewer.settled.disconnect(go)
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
