"""The latent map panel: draws the studio model's map, picks through it, 50,000 points."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from porestudio.gui.latent_map_panel import NO_MODEL, LatentMapPanel
from porestudio.gui.model import StudioModel
from porestudio.gui.model.latent_map import N_LEVELS, PointFinder, colour_levels


@pytest.fixture
def panel(qtbot, grf_dataset):
    studio = StudioModel()
    studio.open_dataset(grf_dataset)
    widget = LatentMapPanel(studio)
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _scene_pos(panel, xy):
    return panel.plot.getViewBox().mapViewToScene(QtCore.QPointF(*xy))


def test_says_no_model_until_a_map_arrives(panel):
    assert panel.status.text() == NO_MODEL
    assert all(len(item.data) == 0 for item in panel.layers)


def test_points_colours_and_colour_bar(panel, synthetic_map):
    lmap = synthetic_map(5)
    panel.studio.set_latent(lmap)
    drawn = sum(len(item.data) for item in panel.layers) + len(panel.missing.data)
    assert drawn == 5 and len(panel.missing.data) == 0  # porosity: all labelled
    assert [panel.colour_box.itemText(i) for i in range(2)] == ["porosity", "k_zz"]
    lo, hi = panel.bar.levels()
    assert lo == pytest.approx(np.percentile(lmap.properties["porosity"], 1))
    panel.colour_box.setCurrentText("k_zz")  # log10 k; sample 0 not labelled -> grey
    assert len(panel.missing.data) == 1
    assert "log10 k_zz" in panel.bar.getAxis("right").labelText
    assert panel.plot.getAxis("bottom").labelText.startswith("PC1 (")


def test_click_picks_and_shift_click_adds_the_second(panel, qtbot, synthetic_map):
    panel.studio.set_latent(synthetic_map(5))
    panel.pc_y.setValue(3)  # other axes: the points move, picking follows
    xy = panel.map.scores[:, [0, 2]]
    assert panel.point_at(_scene_pos(panel, xy[3])) == 3
    panel.pick_row(3)
    panel.pick_row(1, second=True)
    assert panel.studio.selection == (3, 1)
    assert len(panel.picks.data) == 2
    assert np.allclose(panel.picks.data["x"], xy[[3, 1], 0])
    panel.pick_row(1, second=True)  # the same point twice: said, nothing changes
    assert "already picked" in panel.status.text()
    assert panel.studio.selection == (3, 1)


def test_hover_shows_the_properties(panel, synthetic_map):
    panel.studio.set_latent(synthetic_map(5))
    xy = panel.map.scores[:, :2]
    panel._mouse_moved(_scene_pos(panel, xy[2]))
    assert panel.hover.isVisible()
    text = panel.hover.textItem.toPlainText()
    assert text.startswith("#2") and "porosity = " in text and "k_zz = " in text
    far = xy.max(axis=0) + 100.0
    panel._mouse_moved(_scene_pos(panel, far))
    assert not panel.hover.isVisible()


def test_fifty_thousand_points_in_a_few_single_brush_items(panel, synthetic_map):
    lmap = synthetic_map(50_000, seed=3)
    panel.studio.set_latent(lmap)
    counts = [len(item.data) for item in panel.layers]
    assert sum(counts) + len(panel.missing.data) == 50_000
    assert len(panel.layers) == N_LEVELS and sum(c > 0 for c in counts) >= N_LEVELS - 2
    for item in panel.layers:  # one brush per item, pixel mode (the fast path)
        assert item.opts["pxMode"] and item.opts["brush"] is not None
    assert panel.density.image.shape == (160, 160) and panel.density.image.max() == 1.0


def test_colour_levels_and_point_finder():
    values = np.array([0.0, 1.0, 2.0, np.nan, 100.0])
    levels, lo, hi = colour_levels(values, 4)
    assert levels[3] == -1 and levels[0] == 0 and levels[-1] == 3 and lo < hi
    finder = PointFinder(np.array([0.0, 10.0]), np.array([0.0, 0.0]))
    assert finder.nearest(9.0, 0.0, 1.0, 1.0, radius=2) == 1
    assert finder.nearest(5.0, 0.0, 1.0, 1.0, radius=2) is None


def test_uniform_scatter_refuses_per_point_styles(qtbot):
    from porestudio.gui.fast_scatter import UniformScatter

    item = UniformScatter(size=5, brush="r")
    item.setData(x=np.arange(3.0), y=np.zeros(3))
    rects = item.data["sourceRect"]
    assert len(item.data) == 3 and (rects["w"] > 0).all() and len(set(rects.tolist())) == 1
    with pytest.raises(TypeError, match="style is set per item"):
        item.setData(x=np.arange(3.0), y=np.zeros(3), brush=["r", "g", "b"])
