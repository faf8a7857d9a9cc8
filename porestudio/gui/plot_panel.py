"""Histogram / scatter plot of dataset properties (pyqtgraph), selection highlighted.

With a table filter, the filtered subset is drawn in colour over all samples in grey
(histogram: the subset's bars over the outline of all; scatter: only subset points are
clickable).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from porestudio.gui.table_model import Column

_MAX_SCATTER = 60_000
"""More points than this are thinned (every k-th) for drawing; the selection always shows."""
_MAX_BACKGROUND = 15_000
"""Grey points of the samples a filter hides: a thinned context cloud (drawn quickly)."""


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
        self.subset: np.ndarray | None = None
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
            c.header: c
            for c in columns
            if c.name != "#" and c.labels is None and c.values.dtype.kind in "iuf"
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

    def set_subset(self, mask: np.ndarray | None) -> None:
        """Samples kept by the table filter (bool (n,)), or None for all; redraws."""
        self.subset = None if mask is None else np.asarray(mask, dtype=bool)
        self.redraw()

    def _kept(self, n: int) -> np.ndarray | None:
        """The subset mask if it fits ``n`` samples, else None (no filter)."""
        if self.subset is None or self.subset.shape != (n,):
            return None
        return self.subset

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
        finite = np.isfinite(x.values)
        values = x.values[finite].astype(float)
        self.plot.setLabel("bottom", x.header)
        self.plot.setLabel("left", "samples")
        if values.size == 0:
            return
        counts, edges = np.histogram(values, bins=_bin_edges(values))
        kept = self._kept(len(x.values))
        if kept is None:
            self._steps(edges, counts, (91, 155, 213, 120), "#2f6ea8")
            return
        self._steps(edges, counts, (190, 190, 190, 70), "#a0a0a0")  # all samples
        subset, _ = np.histogram(x.values[finite & kept].astype(float), bins=edges)
        self._steps(edges, subset, (91, 155, 213, 160), "#2f6ea8")

    def _steps(self, edges: np.ndarray, counts: np.ndarray, brush: tuple, pen: str) -> None:
        self.plot.plot(
            edges, counts, stepMode="center", fillLevel=0, brush=brush, pen=pg.mkPen(pen)
        )

    def _draw_scatter(self, x: Column, y: Column) -> None:
        self.plot.setLabel("bottom", x.header)
        self.plot.setLabel("left", y.header)
        finite = np.isfinite(x.values) & np.isfinite(y.values)
        kept = self._kept(len(x.values))
        if kept is not None:  # the samples filtered out: grey, not clickable
            rest = _thin(np.flatnonzero(finite & ~kept), _MAX_BACKGROUND)
            self.plot.addItem(_points(x, y, rest, 3, (160, 160, 160, 70)))
            finite &= kept
        self._scatter = _points(x, y, _thin(np.flatnonzero(finite)), 4, (47, 110, 168, 110))
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


def _points(x: Column, y: Column, rows: np.ndarray, size: int, rgba: tuple) -> pg.ScatterPlotItem:
    """Scatter item of samples ``rows`` (their indices as point data)."""
    return pg.ScatterPlotItem(
        x=x.values[rows].astype(float),
        y=y.values[rows].astype(float),
        data=rows,
        size=size,
        pen=None,
        brush=pg.mkBrush(*rgba),
        hoverable=False,
    )


def _thin(indices: np.ndarray, limit: int = _MAX_SCATTER) -> np.ndarray:
    """Every k-th index so that at most ``limit`` points are drawn."""
    if indices.size > limit:
        return indices[:: int(np.ceil(indices.size / limit))]
    return indices


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
