"""The studio's main window: A/B 3D viewers in the centre, dockable panels around them.

Docks (rearrangeable, layout saved in the settings): the dataset browser, the property
plot and the properties panel. Later model panels (latent map, interpolation, design form)
plug in the same way: a QWidget that receives the shared :class:`JobManager`, added with
:meth:`MainWindow.add_panel`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from porestudio.errors import InputError
from porestudio.gui.ct_import_dialog import CtImportDialog
from porestudio.gui.dataset_browser import DatasetBrowser
from porestudio.gui.export_dialog import ExportDialog
from porestudio.gui.feedback import report_error
from porestudio.gui.generate_dialog import GenerateDialog
from porestudio.gui.jobs import JobManager
from porestudio.gui.main_actions import build_actions
from porestudio.gui.model import StudioModel
from porestudio.gui.native_libs import one_blas_thread, preload_before_rendering
from porestudio.gui.plot_panel import PlotPanel
from porestudio.gui.properties_panel import PropertiesPanel
from porestudio.gui.settings import Settings
from porestudio.gui.studio_panels import StudioPanels, ask_model_folder
from porestudio.gui.table_model import DatasetTable
from porestudio.gui.viewer import StructureViewer
from porestudio.gui.viewer_pair import ViewerPair
from porestudio.gui.voxel_input import store_voxel_size
from porestudio.structures.naming import SampleRef, resolve_index
from porestudio.structures.volume import Structure
from porestudio.units import check_voxel_size

log = logging.getLogger(__name__)

LONG_JOBS = {"permeability", "ct-import", "generate-dataset", "export", "dataset"}
"""Channels whose progress shows in the status bar (with a Cancel button)."""


class MainWindow(QtWidgets.QMainWindow):
    """porestudio's main window.

    Parameters
    ----------
    settings : Settings, optional
        Persistent settings (default: the user's).
    jobs : JobManager, optional
        Background-job runner shared by every panel.
    """

    def __init__(self, settings: Settings | None = None, jobs: JobManager | None = None):
        super().__init__()
        preload_before_rendering()  # Triton's LLVM before Mesa's (see native_libs)
        one_blas_thread()  # small matrices; spinning BLAS threads cost seconds (native_libs)
        self.settings = settings or Settings()
        self.jobs = jobs or JobManager(self)
        self.studio = StudioModel(device=self.settings.device)
        """The shared state every panel observes (Qt-free; see :mod:`porestudio.gui.model`)."""
        self.table: DatasetTable | None = None
        self.structure: Structure | None = None
        self._pending_select: int | None = None
        self._default_state = None
        self.setWindowTitle("porestudio")
        self.setDockOptions(
            QtWidgets.QMainWindow.DockOption.AnimatedDocks
            | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks
        )
        self.viewers = ViewerPair(self.jobs, self)
        self.setCentralWidget(self.viewers)
        self.browser = DatasetBrowser(self.jobs)
        self.plot = PlotPanel()
        self.properties = PropertiesPanel(self.jobs)
        self.properties.device = self.settings.device
        self.properties.set_unit(self.settings.permeability_unit)
        self.browser.set_permeability_unit(self.settings.permeability_unit)
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self.add_panel("Dataset", self.browser, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_panel("Properties", self.properties, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.add_panel("Plot", self.plot, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        self.panels = StudioPanels(self)
        self.actions_ = build_actions(self)
        self._build_status_bar()
        self._connect()
        for viewer in self.viewers.viewers:
            viewer.set_surface_mode(self.settings.surface_mode)
        self.resize(1500, 900)
        docks = self.docks
        vertical, horizontal = QtCore.Qt.Orientation.Vertical, QtCore.Qt.Orientation.Horizontal
        self.resizeDocks([docks["Dataset"], docks["Plot"]], [500, 340], vertical)
        self.resizeDocks([docks["Dataset"], docks["Properties"]], [540, 430], horizontal)
        self.panels.arrange()
        self._default_state = self.saveState()
        self.settings.restore_window(self)

    # --- construction ------------------------------------------------------------------
    def add_panel(
        self,
        title: str,
        widget: QtWidgets.QWidget,
        area=QtCore.Qt.DockWidgetArea.RightDockWidgetArea,
    ) -> QtWidgets.QDockWidget:
        """Add a dockable panel (also used by later model panels)."""
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.job_label = QtWidgets.QLabel("")
        self.job_progress = QtWidgets.QProgressBar()
        self.job_progress.setMaximumWidth(220)
        self.job_cancel = QtWidgets.QToolButton()
        self.job_cancel.setText("Cancel")
        self.job_cancel.clicked.connect(self._cancel_status_job)
        for w in (self.job_label, self.job_progress, self.job_cancel):
            bar.addPermanentWidget(w)
            w.hide()
        self._status_channel: str | None = None

    def _connect(self) -> None:
        self.browser.dataset_opened.connect(self._dataset_opened)
        self.browser.open_failed.connect(self._open_failed)
        self.browser.sample_selected.connect(self.show_sample)
        self.browser.filter_changed.connect(self.plot.set_subset)
        self.plot.sample_clicked.connect(self.browser.select_sample)
        for viewer in self.viewers.viewers:
            viewer.structure_changed.connect(functools.partial(self._structure_shown, viewer))
            viewer.rendered.connect(functools.partial(self._after_render, viewer))
        self.properties.dataset_changed.connect(self.reload_dataset)
        self.properties.unit_changed.connect(self._unit_changed)
        self.properties.voxel_size_requested.connect(self.set_voxel_size)
        self.studio.events.selection.connect(self._selection_changed)
        self.studio.events.message.connect(lambda e: self.statusBar().showMessage(e.value, 8000))
        self.jobs.started.connect(self._job_started)
        self.jobs.progress.connect(self._job_progress)
        self.jobs.ended.connect(self._job_ended)

    # --- datasets ----------------------------------------------------------------------
    def open_dataset(self, path: str | Path, select: int = 0) -> None:
        """Open a dataset (in a worker) and show sample ``select`` (negative: from the end)."""
        self._pending_select = select
        self.browser.open(path)

    def reload_dataset(self, path: str) -> None:
        """Re-open a dataset that changed on disk, keeping the selected sample."""
        selected = self.browser.selected_sample()
        self.open_dataset(path, select=selected if selected is not None else 0)

    def _dataset_opened(self, table: DatasetTable) -> None:
        self.table = table
        self.studio.set_table(table)
        self.settings.add_recent(table.path)
        self.settings.last_folder = table.path
        self.actions_.update_recent()
        self.setWindowTitle(f"porestudio — {table.path.name}")
        self._update_plot_columns()
        select, self._pending_select = self._pending_select or 0, None
        if table.count:
            try:
                select = resolve_index(select, table.count, table.path.name)
            except InputError as exc:  # e.g. --dataset set.h5:99: say so, show the first
                report_error(exc, self)
                select = 0
            self.browser.select_sample(select)
        self.statusBar().showMessage(f"opened {table.path} ({table.count} samples)", 5000)

    def _open_failed(self, path: str) -> None:
        """Say why a dataset did not open; with nothing left to show, nothing to compute."""
        text = f"could not open {Path(path).name}: {self.browser.last_error}"
        if self.browser.table is not None:
            text += f" (still showing {self.browser.table.path.name})"
        elif self.properties.origin is not None or self.properties.structure is None:
            self.properties.set_structure(None)  # no sample of any dataset: Compute off
        self.statusBar().showMessage(text)

    def show_sample(self, index: int) -> None:
        """Show sample ``index`` of the open dataset in the target viewer."""
        if self.table is None:
            return
        if index not in self.studio.selection:
            self.studio.pick(index)
        self.plot.set_selected(index)
        viewer = self.target_viewer()
        viewer.show_source(
            self._reader(index),
            SampleRef(self.table.path, index).label(),  # set.h5:3, as the commands name it
            key=self._sample_key(index),
        )

    def _reader(self, index: int):
        vox = self.browser.session_voxel_size_m if self.table.voxel_size_m is None else None
        if vox is None:
            return functools.partial(self.table.dataset.structure, index)
        return functools.partial(_read_with_voxel, self.table.dataset, index, vox)

    def _sample_key(self, index: int) -> tuple:
        return (str(self.table.path), self.table.stamp, index, self.browser.voxel_size_m)

    def _update_plot_columns(self) -> None:
        """The plot shows the table's columns (same units) and its filtered subset."""
        self.plot.set_columns(self.browser.model.columns)
        self.plot.set_subset(self.browser.filter_mask())

    def _prefetch_neighbours(self, viewer: StructureViewer) -> None:
        """Build the meshes of the rows above and below the selection in the background."""
        current = self.browser.selected_sample()
        if self.table is None or current is None or viewer is not self.target_viewer():
            return
        model = self.browser.model
        row = model.row_of(current)
        rows = [r for r in (row + 1, row - 1) if 0 <= r < model.rowCount()]
        samples = [model.sample_at(r) for r in rows]
        viewer.prefetch([(self._sample_key(i), self._reader(i)) for i in samples])

    def target_viewer(self) -> StructureViewer:
        """The viewer that receives the next selection (B only in compare mode)."""
        use_b = self.viewers.comparing and self.actions_.target_b.isChecked()
        return self.viewers.b if use_b else self.viewers.a

    def show_structure(self, structure: Structure, title: str = "generated") -> None:
        """Show an in-memory structure in the target viewer."""
        self.target_viewer().show_structure(structure, title)

    def _selection_changed(self, event) -> None:
        """A pick made elsewhere (latent map, a script): select it in the browser too."""
        picks = event.value
        if picks and self.browser.selected_sample() != picks[-1]:
            self.browser.select_sample(picks[-1])

    def _structure_shown(self, viewer: StructureViewer, structure: Structure, title: str):
        self.studio.show(viewer.name, structure)
        if viewer is not self.target_viewer() or structure is self.structure:
            return  # another view, or the same structure re-meshed (mode or phase switch)
        if self.structure is not None and structure.pore is self.structure.pore:
            self.structure = structure  # the same voxels with a voxel size entered
            self.properties.replace_structure(structure)
            return
        self.structure = structure
        prov = structure.provenance
        origin = None
        if "dataset" in prov and "index" in prov:
            origin = (str(prov["dataset"]), int(prov["index"]))
        self.properties.set_structure(structure, f"{viewer.name}: {title}", origin)

    def _after_render(self, viewer: StructureViewer, _seconds: float) -> None:
        QtCore.QTimer.singleShot(0, lambda: self._prefetch_neighbours(viewer))

    def _unit_changed(self, unit: str) -> None:
        self.settings.permeability_unit = unit
        with contextlib.suppress(InputError):  # m², mD without a voxel size: lattice units
            self.studio.set_unit(unit)
        self.browser.set_permeability_unit(unit)
        self._update_plot_columns()

    # --- voxel size where the data has none -------------------------------------------
    def set_voxel_size(self, voxel_size_m: float, persist: bool = False) -> None:
        """Use a voxel size [m] where the data has none: for this session, or stored.

        The shown structure gets it at once (scale bar, units, export); with an open
        dataset without voxel size, so do its table columns and every sample shown next.
        ``persist`` also writes it into that dataset (in a worker; the dataset reloads).
        """
        try:
            vox = check_voxel_size(voxel_size_m, required=True)
        except InputError as exc:
            report_error(exc, self)
            return
        table, structure = self.table, self.structure
        from_table = table is not None and table.voxel_size_m is None
        if from_table:
            self.browser.set_session_voxel_size(vox)
            self._update_plot_columns()
        if structure is not None and (structure.voxel_size_m is None or _entered(structure)):
            prov = {**structure.provenance, "voxel_size_entered": vox}
            viewer = self.target_viewer()
            viewer.show_structure(
                structure.replace(voxel_size_m=vox, provenance=prov), viewer.title
            )
        if persist and from_table:
            self.jobs.submit(
                "save-voxel-size", store_voxel_size, str(table.path), vox,
                on_result=self.reload_dataset, description="saving the voxel size",
            )  # fmt: skip

    # --- dialogs -----------------------------------------------------------------------
    def ask_open_dataset(self) -> None:
        """File dialog, then open the chosen dataset."""
        name, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open dataset", self.settings.last_folder, "porestudio datasets (*.h5)"
        )
        if name:
            self.open_dataset(name)

    def ask_load_model(self) -> None:
        """Folder dialog, then load the model (pVAE: map and design; CNN: surrogate)."""
        folder = ask_model_folder(self, self.settings.last_folder)
        if folder:
            self.panels.load(folder)

    def open_ct_import(self) -> CtImportDialog:
        """Open the CT import dialog; the imported dataset opens in the browser."""
        dialog = CtImportDialog(self.jobs, self.settings.last_folder, self)
        dialog.imported.connect(self.open_dataset)
        dialog.open()
        return dialog

    def open_generate(self) -> GenerateDialog:
        """Open the generator dialog."""
        path = str(self.table.path) if self.table is not None else None
        dialog = GenerateDialog(self.jobs, path, self)
        dialog.show_requested.connect(self.show_structure)
        dialog.dataset_written.connect(self._generated)
        dialog.open()
        return dialog

    def _generated(self, path: str) -> None:
        same = self.table is not None and Path(path) == self.table.path
        self.open_dataset(path, select=self.table.count if same else 0)

    def open_export(self, structure: Structure | None = None) -> ExportDialog | None:
        """Open the export dialog for ``structure`` (default: the shown structure)."""
        structure = structure if isinstance(structure, Structure) else self.structure
        if structure is None:
            report_error(InputError("no structure to export: select or generate one"), self)
            return None
        dialog = ExportDialog(structure, self.jobs, self.settings.last_folder, self)
        dialog.exported.connect(lambda p: self.statusBar().showMessage(f"wrote {p}", 8000))
        dialog.open()
        return dialog

    def save_screenshot(self, path: str | None = None) -> None:
        """Save the window (or ask where) as PNG."""
        if path is None:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(
                self, "Screenshot", str(Path(self.settings.last_folder) / "porestudio.png"), "*.png"
            )
            if not path:
                return
        try:
            grab_window(self, path, overwrite=True)  # the file dialog asked before replacing
        except Exception as exc:
            report_error(exc, self)

    def reset_layout(self) -> None:
        """Put the panels back where they started."""
        if self._default_state is not None:
            self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()

    # --- status bar ----------------------------------------------------------------------
    def _job_started(self, channel: str, description: str) -> None:
        if channel not in LONG_JOBS:
            return
        self._status_channel = channel
        self.job_label.setText(description)
        self.job_progress.setRange(0, 0)
        self.job_cancel.setVisible(channel != "dataset")
        for w in (self.job_label, self.job_progress):
            w.show()

    def _job_progress(self, channel: str, done: int, total: int) -> None:
        if channel == self._status_channel:
            self.job_progress.setRange(0, max(total, 1))
            self.job_progress.setValue(done)

    def _job_ended(self, channel: str, status: str) -> None:
        if channel != self._status_channel:
            return
        self._status_channel = None
        for w in (self.job_label, self.job_progress, self.job_cancel):
            w.hide()
        if status in ("failed", "cancelled"):
            self.statusBar().showMessage(f"{self.job_label.text()}: {status}", 5000)

    def _cancel_status_job(self) -> None:
        if self._status_channel:
            self.jobs.cancel(self._status_channel)

    # --- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        """Save the layout, cancel running jobs, release the render windows."""
        self.settings.save_window(self)
        self.settings.sync()
        self.jobs.shutdown(timeout_ms=5000)
        self.viewers.close_viewers()
        self.studio.close()
        super().closeEvent(event)


def _read_with_voxel(dataset, index: int, voxel_size_m: float) -> Structure:
    """Worker: sample ``index`` with a voxel size entered in the studio."""
    s = dataset.structure(index)
    prov = {**s.provenance, "voxel_size_entered": voxel_size_m}
    return s.replace(voxel_size_m=voxel_size_m, provenance=prov)


def _entered(structure: Structure) -> bool:
    """Whether the structure's voxel size was entered in the studio (not from its data)."""
    return "voxel_size_entered" in structure.provenance


def grab_window(window: QtWidgets.QWidget, path: str | Path, overwrite: bool = False) -> Path:
    """Render a widget (3D views included) to a PNG, atomically (``overwrite`` to replace)."""
    from porestudio.atomic import SUFFIXES, atomic_path

    image = window.grab()
    with atomic_path(path, overwrite=overwrite, suffixes=SUFFIXES["png"]) as tmp:
        if not image.save(str(tmp), "PNG"):
            raise OSError(f"could not encode {path}")
    return Path(path)
