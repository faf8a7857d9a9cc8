"""Two structure viewers side by side (A/B comparison) with optionally linked cameras."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from porestudio.gui.jobs import JobManager
from porestudio.gui.viewer import StructureViewer


class ViewerPair(QtWidgets.QSplitter):
    """Viewer A (always shown) and viewer B (shown in compare mode).

    With linked cameras both views share one VTK camera. After each render of either view
    the camera pose is compared with the last one seen; if it moved, the other view is
    re-rendered (queued on the event loop, so interaction stays smooth and no render loop
    can arise from clipping-range updates).
    """

    def __init__(self, jobs: JobManager, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(QtCore.Qt.Orientation.Horizontal, parent)
        self.a = StructureViewer("A", jobs)
        self.b = StructureViewer("B", jobs)
        self.addWidget(self.a)
        self.addWidget(self.b)
        self.b.hide()
        self.linked = False
        self._observers: list[tuple[object, int]] = []
        self._pending: set[str] = set()
        self._pose: tuple | None = None

    @property
    def viewers(self) -> tuple[StructureViewer, StructureViewer]:
        """(A, B)."""
        return self.a, self.b

    @property
    def comparing(self) -> bool:
        """Whether viewer B is shown."""
        return not self.b.isHidden()

    def set_compare(self, on: bool) -> None:
        """Show or hide viewer B."""
        self.b.setVisible(bool(on))
        if on:
            self.setSizes([1, 1])
        QtCore.QTimer.singleShot(0, self.refit)  # after the splitter has resized the views

    def refit(self) -> None:
        """Fit each visible view's camera to its (new) size."""
        for viewer in self.viewers:
            if viewer.isVisible():
                viewer.camera_preset("reset")

    def set_linked(self, on: bool) -> None:
        """Share one camera between A and B (B takes A's view), or give B its own copy."""
        on = bool(on)
        if on == self.linked:
            return
        self.linked = on
        if on:
            self.b.plotter.renderer.camera = self.a.plotter.renderer.camera
            for name, viewer in (("b", self.a), ("a", self.b)):
                window = viewer.plotter.ren_win
                tag = window.AddObserver("EndEvent", lambda *_, n=name: self._rendered(n))
                self._observers.append((window, tag))
        else:
            for obj, tag in self._observers:
                obj.RemoveObserver(tag)
            self._observers.clear()
            self.b.plotter.renderer.camera = self.a.plotter.renderer.camera.copy()
        self.b.plotter.render()

    def _rendered(self, other: str) -> None:
        cam = self.a.plotter.renderer.GetActiveCamera()
        pose = (
            cam.GetPosition(),
            cam.GetFocalPoint(),
            cam.GetViewUp(),
            cam.GetViewAngle(),
            cam.GetParallelScale(),
        )
        if pose == self._pose:
            return
        self._pose = pose
        if not self._pending:
            QtCore.QTimer.singleShot(0, self._render_pending)
        self._pending.add(other)

    def _render_pending(self) -> None:
        pending, self._pending = self._pending, set()
        for name in pending:
            viewer = self.a if name == "a" else self.b
            if viewer.isVisible():
                viewer.plotter.render()

    def close_viewers(self) -> None:
        """Release both render windows."""
        for obj, tag in self._observers:
            obj.RemoveObserver(tag)
        self._observers.clear()
        for viewer in self.viewers:
            viewer.close_plotter()
