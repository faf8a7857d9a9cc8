"""A pixel-mode :class:`pyqtgraph.ScatterPlotItem` whose points all share one style.

pyqtgraph looks up every point's symbol in its fragment atlas through a Python list of
per-point style keys (about 7 µs a point: 0.35 s for 50,000). When an item's points all
have the item's own symbol, size, pen and brush — how the latent map draws, one item per
colour class — one lookup serves them all; :class:`UniformScatter` does that, so ``setData``
of 50,000 points is numpy work only. Per-point styles are refused rather than silently
ignored.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

_STYLE_KEYS = ("symbol", "size", "pen", "brush")


class UniformScatter(pg.ScatterPlotItem):
    """ScatterPlotItem in pixel mode with one style for all its points (see module doc)."""

    def __init__(self, *, symbol="o", size=5, pen=None, brush=None) -> None:
        super().__init__(pxMode=True, useCache=True)
        self.setSymbol(symbol, update=False)
        self.setSize(size, update=False)
        self.setPen(pen if pen is not None else pg.mkPen(None), update=False)
        self.setBrush(brush if brush is not None else pg.mkBrush("b"), update=False)

    def setData(self, *args, **kargs) -> None:  # noqa: N802 - pyqtgraph's name
        """``setData(x=..., y=...)`` (or ``pos=``); per-point styles are not accepted."""
        if args or any(k in kargs for k in _STYLE_KEYS):
            raise TypeError("UniformScatter takes x/y or pos only; style is set per item")
        super().setData(**kargs)

    def updateSpots(self, dataSet=None) -> None:  # noqa: N802 - pyqtgraph's name
        """One atlas lookup for the item's style, broadcast to every new point."""
        data = self.data if dataSet is None else dataSet
        fresh = data["sourceRect"]["w"] == 0
        if np.any(fresh):
            style = tuple(self.opts[k] for k in _STYLE_KEYS)
            coords = self.fragmentAtlas[[style]][0]
            rect = data["sourceRect"]
            for field, value in zip(("x", "y", "w", "h"), coords, strict=True):
                rect[field][fresh] = value
            self.invalidate()
        self._updateMaxSpotSizes(data=data)
