"""The main window on real datasets: open, select, sort, view modes, A/B, bad files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from PySide6 import QtCore

from porestudio.gui.dataset_browser import EMPTY_MESSAGE
from porestudio.structures.dataset import open_dataset


def _open(window, qtbot, path, wait_idle):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        window.open_dataset(path)
    wait_idle(window.jobs)


def test_opens_a_dataset_and_shows_the_first_structure(window, qtbot, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    a = window.viewers.a
    with open_dataset(grf_dataset) as ds:
        expected = ds.pore(0)
    assert np.array_equal(a.structure.pore, expected)
    assert a._surface.n_cells > 100  # the solid surface is on screen
    assert window.browser.model.rowCount() == 5
    assert window.browser.selected_sample() == 0
    # morphology of the shown structure
    porosity = float(window.properties.fields["porosity"].text())
    assert porosity == pytest.approx(expected.mean(), abs=1e-4)
    assert window.properties.fields["voxel"].text() == "2 µm"
    assert str(grf_dataset) in window.settings.recent_files()[0]
    assert window.windowTitle().endswith("grf.h5")


def test_selecting_rows_and_plot_points_shows_those_samples(window, qtbot, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        window.browser.select_sample(3)
    assert window.viewers.a.structure.provenance["index"] == 3
    assert window.plot.selected == 3
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        window.plot.sample_clicked.emit(1)  # what a click on a scatter point does
    assert window.browser.selected_sample() == 1
    assert window.viewers.a.structure.provenance["index"] == 1


def test_rapid_selection_ends_on_the_last_sample(window, qtbot, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    for i in (1, 2, 3, 4, 2):
        window.browser.select_sample(i)
    wait_idle(window.jobs)
    assert window.viewers.a.structure.provenance["index"] == 2


def test_sorting_keeps_the_selected_sample(window, qtbot, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    window.browser.select_sample(4)
    wait_idle(window.jobs)
    model = window.browser.model
    column = [c.name for c in model.columns].index("porosity")
    window.browser.view.sortByColumn(column, QtCore.Qt.SortOrder.DescendingOrder)
    values = [model.columns[column].values[model.sample_at(r)] for r in range(5)]
    assert values == sorted(values, reverse=True)
    assert window.browser.selected_sample() == 4


def test_permeability_column_follows_the_unit(window, qtbot, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    window.properties.set_unit("m2")
    kxx = window.browser.model.column_values("k_xx")
    assert kxx[1] == pytest.approx(0.5 * (2e-6) ** 2)
    assert window.settings.permeability_unit == "m2"


def test_view_modes_phase_slices_and_cameras(window, qtbot, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    a = window.viewers.a
    solid_cells = a._surface.n_cells
    window.actions_.smooth.setChecked(False)
    wait_idle(window.jobs)
    assert a.meshes.mode == "voxel" and window.settings.surface_mode == "voxel"
    window.actions_.pore_phase.setChecked(True)
    wait_idle(window.jobs)
    assert a.meshes.phase == "pore" and a._surface.n_cells != solid_cells
    window.actions_.slices.setChecked(True)
    assert all(actor.GetVisibility() for actor in a._slice_actors.values())
    a.set_slice_index("z", 5)
    assert a._slices["z"].bounds[4] == pytest.approx((5 + 0.5) * 2.0)  # µm, voxel 2 µm
    before = a.plotter.camera_position
    window.actions_.cameras[3].trigger()  # along z
    assert a.plotter.camera_position != before


def test_compare_mode_with_linked_cameras(window, qtbot, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    window.actions_.compare.setChecked(True)
    assert window.viewers.comparing and window.target_viewer() is window.viewers.b
    with qtbot.waitSignal(window.viewers.b.rendered, timeout=30_000):
        window.browser.select_sample(2)
    assert window.viewers.b.structure.provenance["index"] == 2
    assert window.viewers.a.structure.provenance["index"] == 0
    window.actions_.link.setChecked(True)
    a_cam = window.viewers.a.plotter.renderer.GetActiveCamera()
    assert window.viewers.b.plotter.renderer.GetActiveCamera() is a_cam
    a_cam.Azimuth(30)
    window.viewers.a.plotter.render()
    qtbot.wait(50)
    assert window.viewers.b.plotter.camera_position == window.viewers.a.plotter.camera_position
    window.actions_.link.setChecked(False)
    assert window.viewers.b.plotter.renderer.GetActiveCamera() is not a_cam


def test_viewer_screenshot_is_written(window, qtbot, grf_dataset, wait_idle, tmp_path):
    _open(window, qtbot, grf_dataset, wait_idle)
    out = tmp_path / "view.png"
    window.viewers.a.save_screenshot(str(out))
    assert out.stat().st_size > 1000


def test_a_non_hdf5_file_is_refused_with_a_message(window, qtbot, tmp_path, errors, wait_idle):
    bad = tmp_path / "notes.h5"
    bad.write_text("this is not HDF5")
    with qtbot.waitSignal(window.browser.open_failed, timeout=30_000):
        window.open_dataset(bad)
    assert len(errors.messages) == 1 and "notes.h5" in errors.messages[0]
    why = errors.messages[0]
    assert window.browser.table is None
    assert window.browser.info.text() == f"Could not open notes.h5: {why}\n\n{EMPTY_MESSAGE}"
    assert window.statusBar().currentMessage() == f"could not open notes.h5: {why}"
    assert window.properties.structure is None
    assert not window.properties.compute_button.isEnabled()


def test_a_foreign_hdf5_layout_is_refused(window, qtbot, tmp_path, errors, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["images"] = np.zeros((2, 4, 4, 4), dtype=np.uint8)
    with qtbot.waitSignal(window.browser.open_failed, timeout=30_000):
        window.open_dataset(foreign)
    assert len(errors.messages) == 1 and "foreign.h5" in errors.messages[0]
    assert window.browser.table.path == grf_dataset  # the open dataset stays open
    assert window.browser.model.rowCount() == 5
    status = window.statusBar().currentMessage()
    assert status.startswith("could not open foreign.h5: ") and errors.messages[0] in status
    assert status.endswith(f"(still showing {grf_dataset.name})")
    assert window.properties.compute_button.isEnabled()  # its sample is still shown


def test_starts_empty_without_a_default_dataset(qtbot, settings, errors, monkeypatch):
    from porestudio.gui import app

    monkeypatch.setattr(app, "default_dataset", lambda: None)
    win = app.create_window(None, settings)
    qtbot.addWidget(win)
    assert win.browser.table is None and win.browser.info.text() == EMPTY_MESSAGE
    assert "No dataset" in win.statusBar().currentMessage()
    assert win.viewers.a.structure is None
    win.close()
    assert errors.messages == []


def test_layout_and_recent_files_persist(qtbot, settings, grf_dataset, wait_idle):
    from porestudio.gui.main_window import MainWindow

    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.show()
    first.docks["Plot"].hide()
    with qtbot.waitSignal(first.viewers.a.rendered, timeout=60_000):
        first.open_dataset(grf_dataset)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    second.show()
    assert second.docks["Plot"].isHidden()
    assert second.settings.recent_files() == [str(grf_dataset)]
    assert [a.text() for a in second.actions_.recent_menu.actions()] == ["grf.h5"]
    second.close()


def test_neighbouring_rows_are_prefetched(window, qtbot, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)  # sample 0 shown, row 1 prefetched
    viewer = window.viewers.a
    key = viewer.cache_key(window._sample_key(1))
    assert viewer.cache.get(key) is not None
    rendered = []
    viewer.rendered.connect(rendered.append)
    window.browser.select_sample(1)
    assert len(rendered) == 1  # shown at once from the cache, no worker round trip
    assert viewer.structure.provenance["index"] == 1
    with open_dataset(grf_dataset) as ds:
        assert np.array_equal(viewer.structure.pore, ds.pore(1))
    wait_idle(window.jobs)
    assert viewer.cache.get(viewer.cache_key(window._sample_key(2))) is not None


def test_a_sample_is_named_as_on_the_command_line(qtbot, settings, errors, grf_dataset, wait_idle):
    from porestudio.gui import app

    win = app.create_window(f"{grf_dataset}:-1", settings)  # --dataset grf.h5:-1
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.viewers.a.title == f"{grf_dataset.name}:4", timeout=60_000)
    assert win.browser.selected_sample() == 4 and errors.messages == []
    wait_idle(win.jobs)
