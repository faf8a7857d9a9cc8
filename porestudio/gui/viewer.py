"""3D structure viewer: a pyvistaqt QtInteractor with surface, slice planes and scale.

The render meshes are built in a worker (:func:`porestudio.gui.mesh.build_render_meshes`);
the viewer only swaps the finished data into persistent actors on the GUI thread, so a
new 100³ structure re-renders in a fraction of a second.

While a slider drives the viewer (``show_source(..., draft=True)``: the interpolation path)
it shows a cheap draft surface (:func:`porestudio.structures.surfaces.draft_surface`) and,
:data:`SETTLE_MS` after the last request, the full surface — the one export writes. Each
new structure is drawn once, in the widget's own paint (not also before it), and
:attr:`StructureViewer.on_screen` says what the last finished frame showed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable

import numpy as np
from PySide6 import QtCore, QtWidgets

from porestudio.gui.jobs import JobManager
from porestudio.gui.mesh import RenderMeshes, build_render_meshes, slice_plane, to_polydata
from porestudio.gui.mesh_cache import MeshCache
from porestudio.gui.model.render import LEGACY, SETTLE_MS, ScrubPolicy
from porestudio.gui.render_widget import draw_scale, release_interactor, save_png
from porestudio.structures.volume import Structure

log = logging.getLogger(__name__)

__all__ = ["LEGACY", "SETTLE_MS", "ScrubPolicy", "StructureViewer"]

PHASE_COLOURS = {"solid": "#c9b48f", "pore": "#5b9bd5"}
SLICE_COLOURS = ["#404040", "#a8d8ff"]  # solid, pore
CAMERA_PRESETS = ("iso", "x", "y", "z", "reset")


def _load_and_build(
    source: Callable[[], Structure], mode: str, phase: str, draft: bool = False
) -> tuple[Structure, RenderMeshes]:
    """Worker: fetch the structure and build its meshes (pure, no Qt)."""
    structure = source()
    meshes = build_render_meshes(
        structure.pore, structure.voxel_size_m, mode=mode, phase=phase, draft=draft
    )
    return structure, meshes


class StructureViewer(QtWidgets.QWidget):
    """One 3D view of a structure.

    Signals
    -------
    rendered(float)
        A new structure is on screen; the argument is the seconds since the request.
    structure_changed(object, str)
        The shown :class:`~porestudio.structures.volume.Structure` and its title.
    settled(object)
        The full surface (not a draft) of the given structure has been drawn.
    """

    rendered = QtCore.Signal(float)
    structure_changed = QtCore.Signal(object, str)
    settled = QtCore.Signal(object)

    def __init__(self, name: str, jobs: JobManager, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        from pyvistaqt import QtInteractor

        self.name = name
        self.jobs = jobs
        self.mode = "smooth"
        self.phase = "solid"
        self.structure: Structure | None = None
        self.title = ""
        self.meshes: RenderMeshes | None = None
        self._requested_at = 0.0
        self._source: Callable[[], Structure] | None = None
        self._wanted: tuple | None = None
        self._wanted_title = ""
        self._key: Hashable | None = None
        self.policy = ScrubPolicy()
        self.on_screen: tuple[Structure, RenderMeshes] | None = None
        self.frames = 0
        self._settle = QtCore.QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._settled)
        self.cache = MeshCache(jobs, _load_and_build, name)
        self.cache.on_ready = self._prefetched
        self._scale_key: tuple | None = None
        self.plotter = QtInteractor(self, auto_update=False, multi_samples=0, lighting="none")
        self._setup_lighting()
        self.plotter.set_background("white", top="#dfe6ee")
        self.plotter.add_axes(interactive=False, line_width=2)
        self._build_actors()
        self._build_controls()
        self.plotter.ren_win.AddObserver("EndEvent", self._frame_done)
        self.set_slices_visible(False)
        self._message("no structure")

    # --- layout ------------------------------------------------------------------------
    def _setup_lighting(self) -> None:
        """One light that follows the camera, from above left (software OpenGL pays per
        light and per pixel: the default five-light kit doubles the render time)."""
        import pyvista as pv

        key = pv.Light(position=(-0.25, 0.4, 1.0), light_type="camera light", intensity=1.0)
        self.plotter.add_light(key)

    def _build_actors(self) -> None:
        """Persistent actors; new structures only swap their data."""
        import pyvista as pv

        self._surface = pv.PolyData()
        self._surface_actor = self.plotter.add_mesh(
            self._surface,
            color=PHASE_COLOURS["solid"],
            smooth_shading=True,
            name="surface",
            specular=0.2,
            ambient=0.3,
            culling="back",  # closed, outward surfaces: back faces are never visible
        )
        placeholder = np.zeros((1, 1, 1), dtype=bool)
        self._slices = {axis: slice_plane(placeholder, axis, 0) for axis in "xyz"}
        self._slice_actors = {
            axis: self.plotter.add_mesh(
                mesh,
                scalars="pore",
                cmap=SLICE_COLOURS,
                clim=(0, 1),
                n_colors=2,
                show_scalar_bar=False,
                name=f"slice-{axis}",
                lighting=False,
            )
            for axis, mesh in self._slices.items()
        }

    def _build_controls(self) -> None:
        self.slices_box = QtWidgets.QCheckBox("Slices")
        self.slices_box.setToolTip("Three orthogonal slice planes; move them with the sliders")
        self.slices_box.toggled.connect(self.set_slices_visible)
        self.sliders: dict[str, QtWidgets.QSlider] = {}
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(self.slices_box)
        for axis in "xyz":
            slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
            slider.setObjectName(f"slice-{axis}")
            slider.setToolTip(f"Position of the slice normal to {axis} [voxel]")
            slider.valueChanged.connect(lambda value, a=axis: self.set_slice_index(a, value))
            self.sliders[axis] = slider
            row.addWidget(QtWidgets.QLabel(axis))
            row.addWidget(slider, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plotter.interactor, 1)
        layout.addLayout(row)

    # --- showing structures ------------------------------------------------------------
    def show_source(
        self,
        source: Callable[[], Structure],
        title: str = "",
        key: Hashable | None = None,
        *,
        draft: bool = False,
    ) -> None:
        """Load and mesh a structure in a worker, then show it (latest request wins).

        Parameters
        ----------
        source : callable
            Returns the :class:`Structure` (e.g. reads sample ``i`` of a dataset); runs in
            a worker thread, so it must not touch Qt.
        title : str
            Shown in the corner of the view.
        key : hashable, optional
            Identity of the structure (e.g. file, modification time, index): its meshes
            are cached and may have been prefetched.
        draft : bool
            A slider asks (more requests follow quickly): show a draft surface now and
            the full one once the requests stop for :data:`SETTLE_MS` (only with
            ``policy.draft`` and the smooth surface).
        """
        self._source, self._key = source, key
        self._requested_at = time.perf_counter()
        draft = self._use_draft(draft)
        self._settle.stop()
        wanted = self.cache_key(key, draft=draft)
        self._wanted, self._wanted_title = wanted, title
        channel = f"view:{self.name}"
        cached = self.cache.get(wanted)
        if cached is not None or self.cache.building(wanted):
            self.jobs.invalidate(channel)
            if cached is not None:
                self._apply(*cached, title=title)
            return  # else _prefetched() shows it when its build ends
        self.jobs.submit(
            channel, _load_and_build, source, self.mode, self.phase, draft,
            on_result=lambda result: self._built(wanted, result, title),
            description=f"rendering {title}",
        )  # fmt: skip

    def _use_draft(self, draft: bool) -> bool:
        return bool(draft and self.policy.draft and self.mode == "smooth")

    def cache_key(self, key: Hashable | None, *, draft: bool = False) -> tuple | None:
        """The mesh cache's key of structure ``key`` in the current mode and phase."""
        return None if key is None else (key, self.mode, self.phase, self._use_draft(draft))

    def prefetch(
        self, items: list[tuple[Hashable, Callable[[], Structure]]], *, draft: bool = False
    ) -> None:
        """Build the meshes of likely next structures in the background (``(key, source)``)."""
        self.cache.prefetch([(self.cache_key(k, draft=draft), s) for k, s in items])

    def _settled(self) -> None:
        """The slider rests: replace the draft by the full surface."""
        if self.meshes is not None and self.meshes.draft and self._source is not None:
            self.show_source(self._source, self._wanted_title, self._key)

    def _built(self, wanted: tuple | None, result: tuple, title: str) -> None:
        self.cache.put(wanted, result)
        self._apply(*result, title=title)

    def _prefetched(self, key: tuple, value: tuple | None) -> None:
        if key != self._wanted:
            return
        if value is None:  # the prefetch failed: build it the normal way (reports errors)
            self._wanted = None
            self.show_source(self._source, self._wanted_title)
        else:
            self._apply(*value, title=self._wanted_title)

    def show_structure(self, structure: Structure, title: str = "") -> None:
        """Show an in-memory structure (meshed in a worker)."""
        self.show_source(lambda: structure, title)

    def set_surface_mode(self, mode: str) -> None:
        """``"smooth"`` (isosurface) or ``"voxel"`` (exact voxel faces); re-meshes."""
        if mode != self.mode:
            self.mode = mode
            self._rebuild()

    def set_phase(self, phase: str) -> None:
        """Show the surface of the ``"solid"`` or the ``"pore"`` phase; re-meshes."""
        if phase != self.phase:
            self.phase = phase
            self._rebuild()

    def _rebuild(self) -> None:
        if self.structure is not None:
            self.show_structure(self.structure, self.title)

    def clear(self, message: str = "no structure") -> None:
        """Remove the shown structure."""
        self.jobs.invalidate(f"view:{self.name}")
        self._settle.stop()
        self.structure = None
        self.meshes = None
        self.on_screen = None
        self._surface.copy_from(self._empty_polydata())
        for axis, mesh in self._slices.items():
            mesh.copy_from(slice_plane(np.zeros((1, 1, 1), dtype=bool), axis, 0))
            self._slice_actors[axis].SetVisibility(False)
        self._message(message)
        self.plotter.remove_bounds_axes()
        self._scale_key = None
        self.plotter.render()

    @staticmethod
    def _empty_polydata():
        import pyvista as pv

        return pv.PolyData()

    def _apply(self, structure: Structure, meshes: RenderMeshes, *, title: str) -> None:
        """GUI thread: swap the finished meshes into the actors and render."""
        if meshes.draft:
            self._settle.start()
        first = self.meshes is None
        self.structure, self.meshes, self.title = structure, meshes, title
        self._surface.copy_from(to_polydata(meshes.surface), deep=False)
        prop = self._surface_actor.prop
        prop.color = PHASE_COLOURS[meshes.phase]
        prop.interpolation = "phong"  # voxel faces carry their face normal at each corner
        self._update_slider_ranges(meshes.shape)
        self._update_slices()
        self._update_scale(meshes, reset_camera=first)
        self._message(title)
        self._draw()
        elapsed = time.perf_counter() - self._requested_at
        log.debug("viewer %s: %s on screen after %.3f s", self.name, title, elapsed)
        self.structure_changed.emit(structure, title)
        self.rendered.emit(elapsed)

    def _draw(self) -> None:
        """Draw the scene: in the next paint (``policy.one_paint``) or now and again then."""
        if self.policy.one_paint and self.plotter.isVisible():
            QtWidgets.QWidget.update(self.plotter)
        else:
            self.plotter.render()

    def _frame_done(self, *_args) -> None:
        """A render finished: remember what it showed (VTK observer, GUI thread)."""
        self.frames += 1
        if self.meshes is None or self.structure is None:
            return
        shown = (self.structure, self.meshes)
        if self.on_screen is not None and self.on_screen[1] is self.meshes:
            return
        self.on_screen = shown
        if not self.meshes.draft:
            QtCore.QTimer.singleShot(0, lambda s=self.structure: self.settled.emit(s))

    def _message(self, text: str) -> None:
        self.plotter.add_text(
            f"{self.name}: {text}",
            position="upper_left",
            font_size=9,
            name="title",
            color="#202020",
            render=False,
        )

    # --- scale, axes -------------------------------------------------------------------
    def _update_scale(self, meshes: RenderMeshes, *, reset_camera: bool) -> None:
        key = (meshes.shape, meshes.scale)
        if key == self._scale_key and not reset_camera:
            return
        self._scale_key = key
        draw_scale(self.plotter, meshes.shape, meshes.scale, reset_camera=reset_camera)

    # --- slices ------------------------------------------------------------------------
    def _update_slider_ranges(self, shape: tuple[int, int, int]) -> None:
        nz, ny, nx = shape
        for axis, n in zip("xyz", (nx, ny, nz), strict=True):
            slider = self.sliders[axis]
            if slider.maximum() != n - 1:
                slider.blockSignals(True)
                slider.setRange(0, n - 1)
                slider.setValue(n // 2)
                slider.blockSignals(False)

    def set_slices_visible(self, visible: bool) -> None:
        """Show or hide the three orthogonal slice planes."""
        if self.slices_box.isChecked() != visible:
            self.slices_box.setChecked(visible)
            return
        for axis, actor in self._slice_actors.items():
            actor.SetVisibility(bool(visible))
            self.sliders[axis].setEnabled(bool(visible))
        self._update_slices()
        self.plotter.render()

    def set_slice_index(self, axis: str, index: int) -> None:
        """Move the slice normal to ``axis`` to voxel ``index``."""
        if self.sliders[axis].value() != index:
            self.sliders[axis].setValue(index)  # re-enters through valueChanged
            return
        self._update_slices(axes=axis)
        self.plotter.render()

    def _update_slices(self, axes: str = "xyz") -> None:
        if self.meshes is None or not self.slices_box.isChecked():
            return
        for axis in axes:
            plane = slice_plane(
                self.meshes.pore, axis, self.sliders[axis].value(), self.meshes.scale.spacing
            )
            self._slices[axis].copy_from(plane, deep=False)

    def set_surface_visible(self, visible: bool) -> None:
        """Show or hide the phase surface."""
        self._surface_actor.SetVisibility(bool(visible))
        self.plotter.render()

    # --- camera, screenshot ------------------------------------------------------------
    def camera_preset(self, preset: str) -> None:
        """Set the camera: ``iso``, ``x``/``y``/``z`` (looking along that axis) or ``reset``."""
        p = self.plotter
        actions = {
            "iso": p.view_isometric,
            "x": p.view_yz,
            "y": p.view_xz,
            "z": p.view_xy,
            "reset": p.reset_camera,
        }
        if preset not in actions:
            raise ValueError(f"unknown camera preset {preset!r}")
        actions[preset](render=False)
        p.camera.zoom(0.85)  # room for the axis labels
        p.render()

    def save_screenshot(self, path: str, overwrite: bool = False) -> None:
        """Write the 3D view as a PNG (atomic; an existing file only with ``overwrite``)."""
        save_png(self.plotter, path, overwrite=overwrite)

    def close_plotter(self) -> None:
        """Release the render window (call before the widget goes)."""
        self.jobs.cancel(f"view:{self.name}")
        release_interactor(self.plotter)
