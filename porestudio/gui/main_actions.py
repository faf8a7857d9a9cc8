"""Menus and toolbar of the main window (actions wired to MainWindow methods)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets

from porestudio import __version__
from porestudio.gui.settings import DEVICES

if TYPE_CHECKING:
    from porestudio.gui.main_window import MainWindow


class MainActions:
    """All actions of the main window; ``update_recent()`` refreshes the recent-files menu."""

    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.toolbar = window.addToolBar("Main")
        self.toolbar.setObjectName("toolbar-main")
        self._file_menu()
        self._view_menu()
        self._compute_menu()
        self._help_menu()
        self._fill_toolbar()

    def action(
        self, text: str, slot=None, *, shortcut=None, checkable=False, tip=""
    ) -> QtGui.QAction:
        """A new action owned by the window."""
        act = QtGui.QAction(text, self.w)
        if shortcut:
            act.setShortcut(QtGui.QKeySequence(shortcut))
        act.setCheckable(checkable)
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        if slot is not None:
            (act.toggled if checkable else act.triggered).connect(slot)
        return act

    def _file_menu(self) -> None:
        w = self.w
        menu = w.menuBar().addMenu("&File")
        self.open = self.action(
            "&Open dataset…",
            w.ask_open_dataset,
            shortcut="Ctrl+O",
            tip="Open an HDF5 dataset of structures",
        )
        self.recent_menu = QtWidgets.QMenu("Open &recent", w)
        self.import_ct = self.action(
            "&Import CT…",
            w.open_ct_import,
            shortcut="Ctrl+I",
            tip="Import a micro-CT volume into a dataset",
        )
        self.load_model = self.action(
            "&Load model…",
            w.ask_load_model,
            shortcut="Ctrl+M",
            tip="Load a trained pVAE (latent map, design) or CNN surrogate",
        )
        self.generate = self.action(
            "&Generate…", w.open_generate, shortcut="Ctrl+G", tip="Generate synthetic structures"
        )
        self.export = self.action(
            "&Export structure…",
            w.open_export,
            shortcut="Ctrl+E",
            tip="Export the shown structure (STL, TIFF, VTI)",
        )
        self.screenshot = self.action(
            "Save &screenshot…", lambda: w.save_screenshot(), tip="Save the window as PNG"
        )
        quit_ = self.action("&Quit", w.close, shortcut="Ctrl+Q")
        menu.addAction(self.open)
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        for act in (self.load_model, self.import_ct, self.generate, self.export, self.screenshot):
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(quit_)
        self.update_recent()

    def update_recent(self) -> None:
        """Rebuild the recent-files menu from the settings."""
        self.recent_menu.clear()
        files = self.w.settings.recent_files()
        for path in files:
            act = self.recent_menu.addAction(Path(path).name)
            act.setToolTip(path)
            act.triggered.connect(functools.partial(self.w.open_dataset, path))
        self.recent_menu.setEnabled(bool(files))

    def _view_menu(self) -> None:
        w = self.w
        menu = w.menuBar().addMenu("&View")
        for dock in w.docks.values():
            menu.addAction(dock.toggleViewAction())
        menu.addSeparator()
        self._view_actions()
        for act in (
            self.smooth,
            self.pore_phase,
            self.slices,
            self.compare,
            self.link,
            self.target_b,
        ):
            menu.addAction(act)
        camera = menu.addMenu("&Camera")
        self.cameras = []
        presets = (
            ("iso", "Isometric"),
            ("x", "Along x"),
            ("y", "Along y"),
            ("z", "Along z"),
            ("reset", "Fit"),
        )
        for preset, text in presets:
            act = self.action(text, functools.partial(self._camera, preset))
            camera.addAction(act)
            self.cameras.append(act)
        menu.addSeparator()
        menu.addAction(self.action("Reset layout", w.reset_layout))

    def _view_actions(self) -> None:
        w = self.w
        self.smooth = self.action(
            "Smooth surface",
            self._set_smooth,
            checkable=True,
            tip="Smooth isosurface (on) or exact voxel faces (off)",
        )
        self.smooth.setChecked(w.settings.surface_mode == "smooth")
        self.pore_phase = self.action(
            "Show pore phase",
            self._set_pore,
            checkable=True,
            tip="Surface of the pores instead of the solid",
        )
        self.slices = self.action(
            "Slices", self._set_slices, checkable=True, tip="Three orthogonal slice planes"
        )
        self.compare = self.action(
            "Compare A/B",
            self._set_compare,
            checkable=True,
            shortcut="Ctrl+B",
            tip="Two viewers side by side",
        )
        self.link = self.action(
            "Link cameras", w.viewers.set_linked, checkable=True, tip="A and B share one camera"
        )
        self.target_b = self.action(
            "Selection → B",
            checkable=True,
            tip="In compare mode, show selected samples in viewer B",
        )

    def _compute_menu(self) -> None:
        w = self.w
        menu = w.menuBar().addMenu("&Compute")
        self.permeability = self.action(
            "&Permeability",
            w.properties.compute,
            shortcut="Ctrl+K",
            tip="Permeability of the shown structure",
        )
        menu.addAction(self.permeability)
        device_menu = menu.addMenu("&Device")
        group = QtGui.QActionGroup(w)
        for device in DEVICES:
            act = self.action(device, functools.partial(self._set_device, device), checkable=True)
            act.setChecked(device == w.settings.device)
            group.addAction(act)
            device_menu.addAction(act)

    def _help_menu(self) -> None:
        menu = self.w.menuBar().addMenu("&Help")
        menu.addAction(self.action("&About", self._about))

    def _fill_toolbar(self) -> None:
        bar = self.toolbar
        for act in (self.open, self.load_model, self.import_ct, self.generate, self.export):
            bar.addAction(act)
        bar.addSeparator()
        for act in (self.smooth, self.pore_phase, self.slices):
            bar.addAction(act)
        bar.addSeparator()
        for act in (self.compare, self.link, self.target_b):
            bar.addAction(act)
        bar.addSeparator()
        for act in self.cameras:
            bar.addAction(act)
        bar.addSeparator()
        bar.addAction(self.permeability)
        bar.addAction(self.screenshot)

    # --- slots ---------------------------------------------------------------------------
    def _set_smooth(self, on: bool) -> None:
        mode = "smooth" if on else "voxel"
        self.w.settings.surface_mode = mode
        for viewer in self.w.viewers.viewers:
            viewer.set_surface_mode(mode)

    def _set_pore(self, on: bool) -> None:
        for viewer in self.w.viewers.viewers:
            viewer.set_phase("pore" if on else "solid")

    def _set_slices(self, on: bool) -> None:
        for viewer in self.w.viewers.viewers:
            viewer.set_slices_visible(on)

    def _set_compare(self, on: bool) -> None:
        self.w.viewers.set_compare(on)
        self.target_b.setChecked(on)

    def _camera(self, preset: str) -> None:
        for viewer in self.w.viewers.viewers:
            if viewer.isVisible():
                viewer.camera_preset(preset)

    def _set_device(self, device: str, on: bool) -> None:
        if on:
            self.w.settings.device = device
            self.w.properties.device = device
            self.w.studio.set_device(device)

    def _about(self) -> None:
        QtWidgets.QMessageBox.about(
            self.w,
            "porestudio",
            f"porestudio {__version__}\nA design studio for porous metamaterials.",
        )


def build_actions(window: MainWindow) -> MainActions:
    """Create the menus and the toolbar of ``window``."""
    return MainActions(window)
