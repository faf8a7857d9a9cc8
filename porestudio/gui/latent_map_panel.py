"""The latent map: PCA scatter of the encoded dataset (pyqtgraph), coloured by a property.

It draws what :class:`~porestudio.gui.model.StudioModel` holds (``latent``, ``selection``,
``path``, ``results``) and changes it only through the model: a click picks a structure
(``studio.pick``), Shift+click (or the "2nd pick" button) adds the second pick for the
interpolation. Speed with 50,000+ points: one :class:`pyqtgraph.ScatterPlotItem` per colour
class (:data:`~porestudio.gui.model.latent_map.N_LEVELS` single-brush
:class:`~porestudio.gui.fast_scatter.UniformScatter` items in pixel mode, no per-point brush
lists), a KDE density image underneath, and hover/click through a KD-tree
(:class:`~porestudio.gui.model.latent_map.PointFinder`) instead of item hit tests.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from porestudio.errors import InputError
from porestudio.formatting import format_value
from porestudio.gui.fast_scatter import UniformScatter
from porestudio.gui.model import StudioModel
from porestudio.gui.model.latent_map import (
    N_LEVELS,
    LatentMap,
    PointFinder,
    colour_levels,
    colour_values,
    density_image,
)

NO_MODEL = "no model loaded: load or train a pVAE to see the latent map"
_PICK_PENS = ("#d62728", "#1f77b4")  # first pick red, second blue
_HOVER_PX = 8


class LatentMapPanel(QtWidgets.QWidget):
    """The latent map dock; observes ``studio`` and picks through it."""

    def __init__(self, studio: StudioModel, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.map: LatentMap | None = None
        self.finder: PointFinder | None = None
        self.colour_by: str | None = None
        self._xy = np.zeros((0, 2))
        self._build_controls()
        self._build_plot()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(self._controls)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)
        for name, slot in (
            ("latent", self._latent_changed),
            ("selection", lambda e: self._draw_picks()),
            ("path", lambda e: self._draw_path()),
            ("step", lambda e: self._draw_path()),
            ("results", lambda e: self._draw_designs()),
            ("markers", lambda e: self._draw_markers()),
            ("model", self._model_changed),
        ):
            studio.events[name].connect(slot)
        self.set_map(studio.latent)

    # --- construction -------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.colour_box = QtWidgets.QComboBox()
        self.colour_box.setToolTip("Colour the points by a property (k on a log scale)")
        self.colour_box.currentTextChanged.connect(self._colour_changed)
        self.pc_x, self.pc_y = QtWidgets.QSpinBox(), QtWidgets.QSpinBox()
        for spin, value, axis in ((self.pc_x, 1, "x"), (self.pc_y, 2, "y")):
            spin.setRange(1, 99)
            spin.setValue(value)
            spin.setPrefix("PC")
            spin.setToolTip(f"Principal component on the {axis} axis")
            spin.valueChanged.connect(self._axes_changed)
        self.density_box = QtWidgets.QCheckBox("density")
        self.density_box.setChecked(True)
        self.density_box.setToolTip("Shade the map by the density of the encoded samples (KDE)")
        self.density_box.toggled.connect(lambda on: self.density.setVisible(on))
        self.second_button = QtWidgets.QToolButton()
        self.second_button.setText("2nd pick")
        self.second_button.setCheckable(True)
        self.second_button.setToolTip(
            "The next click picks the second structure (for interpolation); Shift+click too"
        )
        self.place_button = QtWidgets.QToolButton()
        self.place_button.setText("place A")
        self.place_button.setToolTip(
            "Encode the structure in viewer A (an imported CT sub-volume, a design, …) and "
            "put it on the map (▲)"
        )
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("colour"))
        row.addWidget(self.colour_box, 1)
        for w in (self.pc_x, self.pc_y, self.density_box, self.second_button, self.place_button):
            row.addWidget(w)
        self._controls = row
        self.status = QtWidgets.QLabel(NO_MODEL)
        self.status.setWordWrap(True)

    def _build_plot(self) -> None:
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.plot = self.view.addPlot(row=0, col=0)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        for side in ("bottom", "left"):
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.plot.setMenuEnabled(False)
        self.density = pg.ImageItem()
        self.density.setZValue(-10)
        self.density.setLookupTable(_grey_lut())
        self.plot.addItem(self.density)
        self.cmap = pg.colormap.get("viridis")
        colours = self.cmap.getLookupTable(0.0, 1.0, N_LEVELS, alpha=False)
        self.layers = []
        for c in colours:
            item = UniformScatter(size=5, pen=None, brush=pg.mkBrush(*c, 220))
            self.plot.addItem(item)
            self.layers.append(item)
        self.missing = UniformScatter(size=4, pen=None, brush=(150, 150, 150, 120))
        self.missing.setZValue(-1)  # unlabelled samples under the coloured ones
        self.plot.addItem(self.missing)
        for item in (*self.layers, self.missing, self.density):
            # drawn from a pixmap while only the markers above them move (a path step while
            # the slider is dragged): no Python paint of 50,000 points per frame
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        orange = "#ff7f0e"
        self.path_line = pg.PlotDataItem(
            pen=pg.mkPen(orange, width=2), symbol="o", symbolSize=5, symbolBrush=orange,
            symbolPen=None,
        )  # fmt: skip
        self.path_step = pg.ScatterPlotItem(
            size=16, symbol="d", pen=pg.mkPen("k", width=1.5), brush=orange
        )
        self.designs = pg.ScatterPlotItem(
            size=16, symbol="star", pen=pg.mkPen("k"), brush="#e377c2"
        )
        self.picks = pg.ScatterPlotItem(size=18, symbol="o", brush=None)
        self.markers = pg.ScatterPlotItem(size=16, symbol="t1", pen=pg.mkPen("k"), brush="#17becf")
        for item in (self.path_line, self.path_step, self.designs, self.picks, self.markers):
            item.setZValue(10)
            self.plot.addItem(item)
        self.hover = pg.TextItem("", color="k", fill=pg.mkBrush(255, 255, 240, 230), anchor=(0, 1))
        self.hover.setZValue(20)
        self.hover.hide()
        self.plot.addItem(self.hover, ignoreBounds=True)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=self.cmap, interactive=False, width=14)
        self.bar.getAxis("right").enableAutoSIPrefix(False)
        self.view.addItem(self.bar, row=0, col=1)
        scene = self.plot.scene()
        scene.sigMouseMoved.connect(self._mouse_moved)
        scene.sigMouseClicked.connect(self._mouse_clicked)

    # --- data ------------------------------------------------------------------------------
    def _model_changed(self, event) -> None:
        if event.value is None:
            self.status.setText(NO_MODEL)
        elif getattr(event.value, "kind", None) != "pvae":
            self.status.setText("the loaded model has no latent space (a CNN): load a pVAE")
        else:
            self.status.setText("encoding the dataset…")

    def _latent_changed(self, event) -> None:
        self.set_map(event.value)

    def set_map(self, lmap: LatentMap | None) -> None:
        """Draw a map (None: clear it and say why)."""
        self.map = lmap
        if lmap is None:
            for item in (*self.layers, self.missing, self.picks, self.path_line, self.designs):
                item.clear()
            self.path_step.clear()
            self.density.clear()
            if self.studio.model is None:
                self.status.setText(NO_MODEL)
            return
        self.status.setText(f"{len(lmap)} structures encoded; click one, Shift+click a second")
        for spin in (self.pc_x, self.pc_y):
            spin.blockSignals(True)
            spin.setRange(1, lmap.n_components)
        if self.pc_x.value() == self.pc_y.value():  # the first map: PC1 against PC2
            self.pc_x.setValue(1)
            self.pc_y.setValue(min(2, lmap.n_components))
        for spin in (self.pc_x, self.pc_y):
            spin.blockSignals(False)
        names = list(lmap.properties)
        self.colour_box.blockSignals(True)
        self.colour_box.clear()
        self.colour_box.addItems(names)
        if self.colour_by in names:
            self.colour_box.setCurrentText(self.colour_by)
        self.colour_by = self.colour_box.currentText() or None
        self.colour_box.blockSignals(False)
        self._axes_changed()

    def axes(self) -> tuple[int, int]:
        """The principal components (0-based) on x and y."""
        return self.pc_x.value() - 1, self.pc_y.value() - 1

    def _axes_changed(self) -> None:
        lmap = self.map
        if lmap is None:
            return
        i, j = self.axes()
        self._xy = lmap.scores[:, [i, j]]
        self.finder = PointFinder(self._xy[:, 0], self._xy[:, 1])
        image, (x0, y0, w, h) = density_image(self._xy[:, 0], self._xy[:, 1])
        self.density.setImage(image, levels=(0.0, 1.0))
        self.density.setRect(QtCore.QRectF(x0, y0, w, h))
        self.plot.setLabel("bottom", lmap.axis_label(i))
        self.plot.setLabel("left", lmap.axis_label(j))
        self._draw_points()
        self._draw_picks()
        self._draw_path()
        self._draw_designs()
        self._draw_markers()
        self.plot.autoRange()

    def _colour_changed(self, name: str) -> None:
        if name:
            self.colour_by = name
            self._draw_points()

    def _draw_points(self) -> None:
        if self.map is None or self.colour_by not in self.map.properties:
            return
        values, label = colour_values(self.map, self.colour_by)
        levels, lo, hi = colour_levels(values)
        xy = self._xy
        for k, item in enumerate(self.layers):
            rows = levels == k
            item.setData(x=xy[rows, 0], y=xy[rows, 1])
        gone = levels < 0
        self.missing.setData(x=xy[gone, 0], y=xy[gone, 1])
        self.bar.setLevels((lo, hi))
        self.bar.getAxis("right").setLabel(label)

    def _project(self, z) -> np.ndarray:
        i, j = self.axes()
        return self.map.project(np.asarray(z))[:, [i, j]]

    def _draw_picks(self) -> None:
        rows = [self.map.row_of(s) for s in self.studio.selection] if self.map else []
        spots = [
            {"pos": self._xy[r], "pen": pg.mkPen(_PICK_PENS[k], width=3)}
            for k, r in enumerate(rows)
            if r is not None
        ]
        self.picks.setData(spots)

    def _draw_path(self) -> None:
        path = self.studio.path
        if self.map is None or path is None:
            self.path_line.clear()
            self.path_step.clear()
            return
        xy = self._project(path.z)
        self.path_line.setData(xy[:, 0], xy[:, 1])
        step = self.studio.step
        if step is None:
            self.path_step.clear()
        else:
            self.path_step.setData(x=xy[step : step + 1, 0], y=xy[step : step + 1, 1])

    def _draw_designs(self) -> None:
        codes = [c.z for r in self.studio.results for c in r.candidates if c.z is not None]
        if self.map is None or not codes:
            self.designs.clear()
            return
        xy = self._project(np.stack(codes))
        self.designs.setData(x=xy[:, 0], y=xy[:, 1])

    def _draw_markers(self) -> None:
        codes = list(self.studio.markers.values())
        if self.map is None or not codes:
            self.markers.clear()
            return
        xy = self._project(np.stack(codes))
        labels = list(self.studio.markers)
        self.markers.setData([{"pos": p, "data": k} for p, k in zip(xy, labels, strict=True)])
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        if not inside.all():  # a CT sub-volume far from the data: keep its ▲ in view
            self.plot.autoRange()

    # --- mouse -------------------------------------------------------------------------------
    def point_at(self, scene_pos: QtCore.QPointF) -> int | None:
        """Row of the map point under a scene position (None: none within a few pixels)."""
        if self.finder is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        vb = self.plot.getViewBox()
        p = vb.mapSceneToView(scene_pos)
        sx, sy = vb.viewPixelSize()
        return self.finder.nearest(p.x(), p.y(), sx, sy, _HOVER_PX)

    def describe(self, row: int) -> str:
        """Tooltip text of map point ``row``: sample index and properties."""
        lmap = self.map
        lines = [f"#{int(lmap.indices[row])}"]
        for name, values in lmap.properties.items():
            value = float(values[row])
            shown = self.studio.k_in_unit(value) if name.startswith("k_") else value
            unit = "" if not name.startswith("k_") else f" {_unit_text(self.studio)}"
            lines.append(f"{name} = {format_value(shown)}{unit}")
        return "\n".join(lines)

    def _mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        row = self.point_at(scene_pos)
        if row is None:
            self.hover.hide()
            return
        self.hover.setText(self.describe(row))
        self.hover.setPos(*self._xy[row])
        self.hover.show()

    def _mouse_clicked(self, event) -> None:
        row = self.point_at(event.scenePos())
        if row is None or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        shift = bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier)
        self.pick_row(row, second=shift or self.second_button.isChecked())

    def pick_row(self, row: int, second: bool = False) -> None:
        """Pick map point ``row`` (as the second pick with ``second``) through the model."""
        try:
            self.studio.pick(int(self.map.indices[row]), add=second)
        except InputError as exc:
            self.status.setText(str(exc))
            return
        self.second_button.setChecked(False)


def _grey_lut() -> np.ndarray:
    """White (no samples) to a light blue-grey (dense) for the density shading."""
    ramp = np.linspace(0.0, 1.0, 256)[:, None]
    white, dense = np.array([255, 255, 255]), np.array([150, 165, 190])
    return (white + ramp * (dense - white)).astype(np.uint8)


def _unit_text(studio: StudioModel) -> str:
    from porestudio.units import unit_label

    return unit_label(studio.unit if studio.voxel_size_m is not None else "lu")
