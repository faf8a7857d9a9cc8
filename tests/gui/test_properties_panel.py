"""Permeability in the properties panel: computed in a worker, units, save, cancel, close."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.structures.dataset import open_dataset
from porestudio.units import MILLIDARCY_M2

pytest.importorskip("porestudio.physics.permeability")


def _open(window, qtbot, path, wait_idle):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        window.open_dataset(path)
    wait_idle(window.jobs)


def _cell(panel, i, j) -> float:
    return float(panel.tensor_table.item(i, j).text())


def test_permeability_of_an_extruded_sample_matches_stokes2d(
    window, qtbot, squares_dataset, wait_idle, errors
):
    from porestudio.physics.stokes2d import extruded_permeability

    _open(window, qtbot, squares_dataset, wait_idle)
    panel = window.properties
    panel.compute_button.click()
    wait_idle(window.jobs)
    assert errors.messages == []
    with open_dataset(squares_dataset) as ds:
        section = ds.pore(0)[0]
    kzz = extruded_permeability(section)  # flow normal to the squares' section (along z)
    assert panel.result.k_lu[2, 2] == pytest.approx(kzz, rel=1e-6)
    assert _cell(panel, 2, 2) == pytest.approx(kzz, rel=1e-3)
    assert "stokes2d" in panel.run_info.text()
    panel.set_unit("mD")  # voxel 10 µm
    assert _cell(panel, 2, 2) == pytest.approx(kzz * 1e-10 / MILLIDARCY_M2, rel=1e-3)
    assert "mD" in panel.tensor_table.toolTip()
    panel.set_unit("m2")
    assert _cell(panel, 2, 2) == pytest.approx(kzz * 1e-10, rel=1e-3)


def test_saving_the_tensor_writes_it_into_the_dataset(
    window, qtbot, squares_dataset, wait_idle, errors
):
    _open(window, qtbot, squares_dataset, wait_idle)
    window.browser.select_sample(2)
    wait_idle(window.jobs)
    window.properties.compute()
    wait_idle(window.jobs)
    k = window.properties.result.k_lu.copy()
    assert window.properties.save_button.isEnabled()
    with qtbot.waitSignal(window.browser.dataset_opened, timeout=30_000):
        window.properties.save_button.click()
    wait_idle(window.jobs)
    with open_dataset(squares_dataset) as ds:
        stored = ds.properties(["permeability_lu"])["permeability_lu"]
        assert ds.property_attrs("permeability_lu")["unit"] == "voxel^2"
    assert np.allclose(stored[2], k, equal_nan=True)
    assert np.isnan(stored[0]).all()
    assert window.browser.selected_sample() == 2  # reloaded, selection kept
    assert window.browser.model.column_values("k_zz")[2] == pytest.approx(k[2, 2])  # voxel²
    assert errors.messages == []


def test_cancel_stops_a_running_lbm_computation(window, qtbot, grf_dataset, wait_idle, errors):
    _open(window, qtbot, grf_dataset, wait_idle)
    panel = window.properties
    panel.compute()
    qtbot.waitUntil(lambda: panel.progress.maximum() > 1, timeout=120_000)  # first report
    assert panel.cancel_button.isEnabled() and not panel.compute_button.isEnabled()
    panel.cancel_button.click()
    wait_idle(window.jobs)
    assert panel.result is None and panel.run_info.text() == "cancelled"
    assert panel.compute_button.isEnabled() and errors.messages == []


def test_selecting_another_sample_drops_a_running_computation(
    window, qtbot, grf_dataset, wait_idle, errors
):
    _open(window, qtbot, grf_dataset, wait_idle)
    window.properties.compute()
    window.browser.select_sample(1)
    wait_idle(window.jobs)
    assert window.properties.result is None
    assert window.properties.structure.provenance["index"] == 1
    assert errors.messages == []


def test_closing_the_window_while_a_job_runs_does_not_crash(qtbot, settings, grf_dataset):
    from porestudio.gui.main_window import MainWindow

    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.viewers.a.rendered, timeout=60_000):
        win.open_dataset(grf_dataset)
    win.properties.compute()
    qtbot.waitUntil(lambda: win.jobs.busy("permeability"), timeout=5_000)
    win.close()
    assert not win.jobs.busy() or win.jobs.pool.activeThreadCount() == 0
    qtbot.wait(100)  # late signals from the stopped worker must not crash anything


def test_compute_without_a_structure_reports_an_error(window, errors):
    window.properties.compute()
    assert errors.messages == ["no structure selected: pick a sample first"]


def test_runs_name_their_sides_skipped_axes_say_so_and_not_computed_looks_alike(
    window, qtbot, squares_dataset, wait_idle, errors
):
    from porestudio.formatting import NOT_COMPUTED

    _open(window, qtbot, squares_dataset, wait_idle)
    panel = window.properties
    panel.compute()
    wait_idle(window.jobs)
    text = panel.run_info.text()
    assert "x (no-slip sides): skipped (not percolating" in text  # extruded squares
    assert "z (no-slip sides): stokes2d" in text
    assert panel.tensor_table.item(0, 0).text() == "0"  # closed: k = 0, computed
    assert panel.tensor_table.item(0, 1).text() == NOT_COMPUTED  # diagonal only
    assert NOT_COMPUTED + " = not computed" in panel.tensor_table.toolTip()
    with qtbot.waitSignal(window.browser.dataset_opened, timeout=30_000):
        panel.save_button.click()  # sample 0 labelled, samples 1, 2 not
    wait_idle(window.jobs)
    column = next(c for c in window.browser.model.columns if c.name == "k_xx")
    assert column.text(column.values[0]) == "0"  # the same text as the panel's cell
    assert column.text(column.values[1]) == NOT_COMPUTED  # not labelled: the same dash
    assert errors.messages == []


def test_the_full_tensor_defaults_to_the_recommended_sides_and_is_explained(
    window, qtbot, grf_dataset, squares_dataset, wait_idle, errors
):
    panel = window.properties
    _open(window, qtbot, grf_dataset, wait_idle)  # 24³, not extruded: small sample
    panel.tensor_box.setChecked(True)
    assert panel.mode_box.currentText() == "periodic"
    _open(window, qtbot, squares_dataset, wait_idle)  # extruded: the paper's Kuhn sides
    assert panel.mode_box.currentText() == "kuhn"
    panel.compute()
    wait_idle(window.jobs)
    text = panel.run_info.text()
    assert "asymmetry ‖K−Kᵀ‖/‖K‖ = 0" in text and "principal values [voxel²]" in text
    assert "free-slip sides" in text and errors.messages == []
