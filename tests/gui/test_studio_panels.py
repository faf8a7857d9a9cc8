"""The studio panels in the main window on a tiny trained pVAE + CNN (real models, real Qt).

Pick two points, scrub the slider, design to a target, compare a candidate with its nearest
training structure, export it with the print check; cancel a design; bad input.
"""

from __future__ import annotations

import struct
import time

import numpy as np
import pytest

from porestudio.gui.design_panel import NO_MODEL
from porestudio.structures.dataset import open_dataset


def _wait(qtbot, condition, timeout_s=120.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        qtbot.wait(20)


@pytest.fixture
def studio_window(window, qtbot, trained, wait_idle):
    """The window on the trained squares set with both models loaded and the map encoded."""
    window.open_dataset(trained.dataset)
    _wait(qtbot, lambda: window.studio.table is not None)
    window.panels.load(str(trained.pvae))
    window.panels.load(str(trained.cnn))
    _wait(qtbot, lambda: window.studio.latent is not None and window.studio.surrogate is not None)
    wait_idle(window.jobs)
    return window


def test_panels_say_no_model_loaded(window, grf_dataset, qtbot, wait_idle):
    window.open_dataset(grf_dataset)
    wait_idle(window.jobs)
    assert window.panels.design.status.text() == NO_MODEL
    assert "no model loaded" in window.panels.latent.status.text()
    assert "no model loaded" in window.panels.interpolation.status.text()
    assert not window.panels.design.design_button.isEnabled()


def test_pick_two_on_the_map_and_scrub_the_path(studio_window, qtbot, wait_idle):
    w, studio = studio_window, studio_window.studio
    panel = w.panels.latent
    assert len(panel.map) == 200 and sum(len(i.data) for i in panel.layers) == 200
    panel.pick_row(panel.map.row_of(5))
    panel.pick_row(panel.map.row_of(60), second=True)
    assert studio.selection == (5, 60) and len(panel.picks.data) == 2
    interp = w.panels.interpolation
    assert interp.go_button.isEnabled()
    interp.steps_spin.setValue(8)
    interp.interpolate()
    _wait(qtbot, lambda: studio.path is not None)
    assert interp.slider.maximum() == 7 and len(panel.path_line.xData) == 8
    for step in (1, 4, 6, 3, 7):  # scrubbing: the latest step wins
        interp.slider.setValue(step)
    wait_idle(w.jobs)
    assert studio.step == 7 and w.viewers.b.structure.provenance["step"] == 7
    assert np.array_equal(w.viewers.b.structure.pore, studio.path.pores[7])
    names = {item.name() for item in interp.k_plot.listDataItems()}
    assert {"regressor k_zz", "cnn k_zz"} <= names
    interp.verify_edit.setText("0, 7")
    interp.verify()
    wait_idle(w.jobs)
    assert list(interp.physics["step"]) == [0, 7]
    names = {item.name() for item in interp.k_plot.listDataItems()}
    assert any(name.startswith("physics k_zz") for name in names)


def test_save_the_path_as_a_dataset(studio_window, qtbot, wait_idle, tmp_path):
    w, studio = studio_window, studio_window.studio
    studio.pick(1)
    studio.pick(2, add=True)
    w.panels.interpolation.steps_spin.setValue(4)
    w.panels.interpolation.interpolate()
    _wait(qtbot, lambda: studio.path is not None)
    out = tmp_path / "path.h5"
    w.panels.interpolation.save(str(out))
    wait_idle(w.jobs)
    with open_dataset(out) as ds:
        assert len(ds) == 4 and ds.voxel_size_m == pytest.approx(1e-5)
        assert np.array_equal(ds.pore(3), studio.path.pores[3])


def test_design_compare_and_export(studio_window, qtbot, wait_idle, fast_design, tmp_path, errors):
    w, studio = studio_window, studio_window.studio
    panel = w.panels.design
    panel.options = fast_design
    panel.fields["porosity"].setText("0.3")
    panel.unit_box.setCurrentIndex(panel.unit_box.findData("mD"))
    k_md = 0.15 * (1e-5) ** 2 / 9.869233e-16  # 0.15 voxel² at 10 µm voxels, in mD
    panel.fields["k_zz"].setText(f"{k_md:.6g}")
    panel.count_spin.setValue(2)
    panel.design()
    _wait(qtbot, lambda: studio.results != ())
    wait_idle(w.jobs)
    assert studio.targets["k_zz"] == pytest.approx(0.15, rel=1e-4)
    result = studio.results[0]
    assert panel.gallery.rowCount() == len(result.candidates) + 1  # + the nearest training
    assert panel.gallery.item(panel.gallery.rowCount() - 1, 1).text() == "nearest training"
    assert panel.gallery.item(0, 4).text() != "—"  # verified by physics
    assert len(w.panels.latent.designs.data) == len(result.candidates)
    panel.gallery.selectRow(0)
    wait_idle(w.jobs)
    cand = result.candidates[0]
    assert np.array_equal(w.viewers.b.structure.pore, cand.pore)
    assert w.viewers.a.structure.provenance["index"] == cand.nearest_index
    dialog = w.open_export(panel.export_selected())
    qtbot.addWidget(dialog)
    wait_idle(w.jobs)  # the print check
    assert "Print check" in dialog.check_label.text() and dialog.check is not None
    out = tmp_path / "design.stl"
    dialog.set_format(".stl")
    dialog.path_edit.setText(str(out))
    dialog.buttons.accepted.emit()
    wait_idle(w.jobs)
    data = out.read_bytes()
    (n,) = struct.unpack("<I", data[80:84])
    assert n > 0 and len(data) == 84 + 50 * n
    assert errors.messages == []


def test_a_design_cancelled_midway(studio_window, qtbot, wait_idle):
    w, studio = studio_window, studio_window.studio
    panel = w.panels.design
    panel.fields["porosity"].setText("0.3")
    panel.design()
    panel.cancel_button.click()  # at once: the worker stops at its first progress report
    wait_idle(w.jobs)
    assert panel.task.last_status == "cancelled" and panel.status.text() == "cancelled"
    assert studio.results == () and panel.design_button.isEnabled()


def test_bad_targets_are_reported(studio_window, errors):
    panel = studio_window.panels.design
    panel.fields["porosity"].setText("1.5")
    panel.design()
    assert errors.messages == ["target porosity must lie between 0 and 1, not 1.5"]
    panel.fields["porosity"].setText("")
    panel.design()
    assert errors.messages[-1].startswith("no target given")
    assert not panel.task.is_busy()


def test_closing_the_window_during_a_design(studio_window, qtbot):
    w = studio_window
    w.panels.design.fields["porosity"].setText("0.3")
    w.panels.design.design()
    w.close()  # cancels the design; the worker stops at its next progress report
    assert w.jobs.wait(60_000)
    assert w.studio.table is None and w.studio.results == ()


def test_place_the_structure_in_a_on_the_map(studio_window, qtbot, wait_idle):
    w, studio = studio_window, studio_window.studio
    with qtbot.waitSignal(w.viewers.a.rendered, timeout=30_000):
        studio.pick(7)
    w.panels.latent.place_button.click()
    _wait(qtbot, lambda: bool(studio.markers))
    ((label, code),) = studio.markers.items()
    assert label == w.viewers.a.title and "7" in label
    assert code.shape == (studio.model.latent_dim,)
    row = w.panels.latent.map.row_of(7)  # the encoder mean: where sample 7 sits on the map
    assert np.allclose(w.panels.latent.markers.data["x"][0], w.panels.latent._xy[row, 0], atol=1e-4)


def test_scrubbing_shows_drafts_then_the_exported_surface(studio_window, qtbot):
    from porestudio.gui.model.render import build_render_meshes

    w, studio = studio_window, studio_window.studio
    w.panels.latent.pick_row(w.panels.latent.map.row_of(5))
    w.panels.latent.pick_row(w.panels.latent.map.row_of(60), second=True)
    w.panels.interpolation.steps_spin.setValue(8)
    w.panels.interpolation.interpolate()
    _wait(qtbot, lambda: studio.path is not None)
    viewer = w.viewers.b
    drafts = []
    viewer.rendered.connect(lambda _s: drafts.append(viewer.meshes.draft))
    with qtbot.waitSignal(viewer.settled, timeout=60_000):
        for step in (1, 2, 3, 4):
            w.panels.interpolation.slider.setValue(step)
    _wait(qtbot, lambda: viewer.on_screen is not None and not viewer.on_screen[1].draft
          and viewer.structure.provenance["step"] == 4)  # fmt: skip
    assert drafts[0] and not drafts[-1]  # drafts while moving, the full surface at rest
    shown = viewer.on_screen[1].surface
    full = build_render_meshes(studio.path.pores[4], studio.voxel_size_m).surface
    assert shown.n_faces == full.n_faces and np.allclose(shown.points, full.points)
    ahead = viewer.cache_key(("path", studio.path, 5), draft=True)
    _wait(qtbot, lambda: viewer.cache.get(ahead) is not None)  # meshed ahead of the slider
