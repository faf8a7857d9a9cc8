"""CT import through the dialog: the real FiberForm stack, live porosity, bad inputs, cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from porestudio.gui.ct_scan import porosity_at, scan_ct
from porestudio.structures.ct import binarise, read_grey
from porestudio.structures.dataset import open_dataset

FIBERFORM = Path(__file__).resolve().parents[2] / "resources/ct/fiberform_puma/100_fiberform.tif"
PUMA_SOLID_FRACTION_90 = 0.16714  # PuMA's own test: solid = grey >= 90


def _scanned(window, qtbot, source):
    dialog = window.open_ct_import()
    qtbot.addWidget(dialog)
    dialog.set_source(str(source))
    qtbot.waitUntil(
        lambda: dialog.scan is not None or not window.jobs.busy("ct-scan"), timeout=30_000
    )
    return dialog


def test_scan_gives_exact_live_porosity():
    scan = scan_ct(str(FIBERFORM))
    grey = read_grey(FIBERFORM).data
    for t in (60.0, 90.0, 109.0, 200.0):
        assert porosity_at(scan, t) == pytest.approx(binarise(grey, t).mean(), abs=1e-12)
        assert porosity_at(scan, t, invert=True) == pytest.approx(1 - binarise(grey, t).mean())
    assert 1 - porosity_at(scan, 90.0) == pytest.approx(PUMA_SOLID_FRACTION_90, abs=1e-5)


def test_imports_the_fiberform_stack_into_a_dataset(window, qtbot, tmp_path, wait_idle, errors):
    dialog = _scanned(window, qtbot, FIBERFORM)
    assert dialog.scan.shape == (100, 100, 100)
    assert dialog.threshold() == 109  # Otsu as the start value
    assert dialog.voxel_edit.text() == ""  # this TIFF carries no voxel size
    dialog.set_threshold(90)
    assert dialog.threshold_slider.value() == 90
    assert dialog.porosity_label.text() == f"porosity {1 - PUMA_SOLID_FRACTION_90:.4f}"
    assert dialog.image.image.shape == (100, 100, 3)
    dialog.voxel_edit.setText("1.3")
    dialog.sub_box.setChecked(True)
    dialog.size_spin.setValue(50)
    dialog.stride_spin.setValue(50)
    assert dialog.count_label.text().startswith("8 samples")
    out = tmp_path / "fiberform.h5"
    dialog.out_edit.setText(str(out))
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        dialog.import_button.click()
    wait_idle(window.jobs)
    assert errors.messages == []
    with open_dataset(out) as ds:
        assert len(ds) == 8 and ds.shape == (50, 50, 50)
        assert ds.voxel_size_m == pytest.approx(1.3e-6)
        pores = ds.pores()
    assert 1 - pores.mean() == pytest.approx(PUMA_SOLID_FRACTION_90, abs=1e-5)  # cubes tile it
    assert window.browser.table.path == out and window.browser.model.rowCount() == 8
    assert np.array_equal(window.viewers.a.structure.pore, pores[0])


def test_a_single_slice_is_refused(window, qtbot, tmp_path, errors):
    flat = tmp_path / "slice.tif"
    tifffile.imwrite(flat, np.random.default_rng(0).integers(0, 255, (40, 50), dtype=np.uint8))
    dialog = _scanned(window, qtbot, flat)
    assert dialog.scan is None
    assert len(errors.messages) == 1 and "3D" in errors.messages[0]
    assert not dialog.import_button.isEnabled()


def test_a_zero_voxel_size_is_refused_and_nothing_is_written(window, qtbot, tmp_path, errors):
    dialog = _scanned(window, qtbot, FIBERFORM)
    dialog.voxel_edit.setText("0")
    out = tmp_path / "never.h5"
    dialog.out_edit.setText(str(out))
    dialog.import_button.click()
    assert errors.messages and "voxel size" in errors.messages[-1]
    assert not window.jobs.busy("ct-import") and not out.exists()


def test_an_unwritable_output_is_reported(window, qtbot, tmp_path, errors, wait_idle):
    dialog = _scanned(window, qtbot, FIBERFORM)
    dialog.out_edit.setText(str(tmp_path / "no-such-folder" / "out.h5"))
    dialog.import_button.click()
    wait_idle(window.jobs)
    assert len(errors.messages) == 1 and "does not exist" in errors.messages[0]
    assert dialog.import_button.isEnabled()


def test_cancelling_mid_import_leaves_no_dataset(window, qtbot, tmp_path, errors, wait_idle):
    dialog = _scanned(window, qtbot, FIBERFORM)
    dialog.sub_box.setChecked(True)
    dialog.size_spin.setValue(10)
    dialog.stride_spin.setValue(3)  # 31³ sub-volumes: long enough to cancel in the middle
    out = tmp_path / "cancelled.h5"
    dialog.out_edit.setText(str(out))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() > 100, timeout=60_000)  # writing cubes
    assert dialog.progress.value() < dialog.progress.maximum()
    dialog.cancel_button.click()
    wait_idle(window.jobs)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if "cancelled" in p.name) == []
    assert "cancelled" in dialog.source_info.text() and errors.messages == []
