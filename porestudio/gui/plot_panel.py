"""Histogram / scatter plot of dataset properties (pyqtgraph), selection highlighted."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from porestudio.gui.table_model import Column

_MAX_SCATTER = 60_000
"""More points than this are thinned (every k-th) for drawing; the selection always shows."""


class PlotPanel(QtWidgets.QWidget):
    """Histogram of one property or scatter of two; click a point to select its sample.

    Signals
    -------
    sample_clicked(int)
        The sample under a clicked scatter point.
    """

    sample_clicked = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns: dict[str, Column] = {}
        self.selected: int | None = None
        self.mode_box = QtWidgets.QComboBox()
        self.mode_box.addItems(["Histogram", "Scatter"])
        self.x_box = QtWidgets.QComboBox()
        self.y_box = QtWidgets.QComboBox()
        for box in (self.mode_box, self.x_box, self.y_box):
            box.currentIndexChanged.connect(self.redraw)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.mode_box)
        row.addWidget(QtWidgets.QLabel("x"))
        row.addWidget(self.x_box, 1)
        self.y_label = QtWidgets.QLabel("y")
        row.addWidget(self.y_label)
        row.addWidget(self.y_box, 1)
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        for side in ("bottom", "left"):
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        self._scatter: pg.ScatterPlotItem | None = None

    def set_columns(self, columns: list[Column]) -> None:
        """Numeric columns that can be plotted (the index column is skipped)."""
        self.columns = {
            c.header: c for c in columns if c.name != "#" and c.values.dtype.kind in "iuf"
        }
        names = list(self.columns)
        for box, default in (
            (self.x_box, _preferred(names, 0)),
            (self.y_box, _preferred(names, 1)),
        ):
            box.blockSignals(True)
            current = box.currentText()
            box.clear()
            box.addItems(names)
            if current in names:
                box.setCurrentText(current)
            elif names:
                box.setCurrentIndex(min(default, len(names) - 1))
            box.blockSignals(False)
        self.redraw()

    def set_selected(self, sample: int | None) -> None:
        """Highlight one sample (or none)."""
        self.selected = sample
        self._draw_selection()

    def redraw(self) -> None:
        """Rebuild the plot from the current choices."""
        self.plot.clear()
        self._scatter = None
        scatter = self.mode_box.currentText() == "Scatter"
        self.y_box.setVisible(scatter)
        self.y_label.setVisible(scatter)
        x = self.columns.get(self.x_box.currentText())
        if x is None:
            return
        if scatter:
            y = self.columns.get(self.y_box.currentText())
            if y is not None:
                self._draw_scatter(x, y)
        else:
            self._draw_histogram(x)
        self._draw_selection()

    def _draw_histogram(self, x: Column) -> None:
        values = x.values[np.isfinite(x.values)].astype(float)
        self.plot.setLabel("bottom", x.header)
        self.plot.setLabel("left", "samples")
        if values.size == 0:
            return
        edges = _bin_edges(values)
        counts, edges = np.histogram(values, bins=edges)
        self.plot.plot(
            edges,
            counts,
            stepMode="center",
            fillLevel=0,
            brush=(91, 155, 213, 120),
            pen=pg.mkPen("#2f6ea8"),
        )

    def _draw_scatter(self, x: Column, y: Column) -> None:
        self.plot.setLabel("bottom", x.header)
        self.plot.setLabel("left", y.header)
        ok = np.flatnonzero(np.isfinite(x.values) & np.isfinite(y.values))
        if ok.size > _MAX_SCATTER:
            ok = ok[:: int(np.ceil(ok.size / _MAX_SCATTER))]
        self._scatter = pg.ScatterPlotItem(
            x=x.values[ok].astype(float),
            y=y.values[ok].astype(float),
            data=ok,
            size=4,
            pen=None,
            brush=pg.mkBrush(47, 110, 168, 110),
            hoverable=False,
        )
        self._scatter.sigClicked.connect(self._clicked)
        self.plot.addItem(self._scatter)

    def _draw_selection(self) -> None:
        for item in list(self.plot.items()):
            if getattr(item, "_selection_marker", False):
                self.plot.removeItem(item)
        x = self.columns.get(self.x_box.currentText())
        if self.selected is None or x is None or self.selected >= len(x.values):
            return
        xv = float(x.values[self.selected])
        if not np.isfinite(xv):
            return
        if self.mode_box.currentText() == "Histogram":
            marker = pg.InfiniteLine(xv, angle=90, pen=pg.mkPen("#d62728", width=2))
        else:
            y = self.columns.get(self.y_box.currentText())
            yv = float(y.values[self.selected]) if y is not None else np.nan
            if not np.isfinite(yv):
                return
            marker = pg.ScatterPlotItem(
                x=[xv], y=[yv], size=12, symbol="o", pen=pg.mkPen("k"), brush=pg.mkBrush("#d62728")
            )
        marker._selection_marker = True
        self.plot.addItem(marker)

    def _clicked(self, _item, points, *args) -> None:
        if len(points):
            self.sample_clicked.emit(int(points[0].data()))


def _bin_edges(values: np.ndarray) -> np.ndarray | int:
    """Histogram bins: one per level for discrete data (≤ 80 levels), else √n bins."""
    levels = np.unique(values)
    if 1 < levels.size <= 80:
        step = float(np.min(np.diff(levels)))
        if np.allclose(np.round((levels - levels[0]) / step), (levels - levels[0]) / step):
            return np.arange(levels[0] - step / 2, levels[-1] + step, step)
    return int(np.clip(np.sqrt(values.size), 5, 80))


def _preferred(names: list[str], which: int) -> int:
    """Default x (porosity) and y (first permeability) choice among the column headers."""
    wanted = ("porosity",) if which == 0 else ("k_zz", "k_xx", "k_yy")
    for prefix in wanted:
        for i, name in enumerate(names):
            if name.startswith(prefix):
                return i
    return which
