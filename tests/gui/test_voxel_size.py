"""Structures without a voxel size (lattice units): export asks for one, units explain why."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from porestudio.structures.dataset import DatasetWriter, open_dataset
from porestudio.structures.generators import squares
from porestudio.structures.volume import Structure
from porestudio.units import MILLIDARCY_M2


@pytest.fixture
def lattice_dataset(tmp_path):
    """Three extruded squares samples without a voxel size, k_zz known (like the default set)."""
    samples = [squares(5, index=i, size=20, depth=6, pore_size=4, n_pores=(3, 6)) for i in range(3)]
    k = np.full((3, 3, 3), np.nan)
    k[:, 2, 2] = [0.5, 0.7, 0.9]
    path = tmp_path / "lattice.h5"
    with DatasetWriter(path, shape=(6, 20, 20), voxel_size_m=None) as w:
        w.append(
            np.stack([s.pore for s in samples]),
            provenance=[s.provenance for s in samples],
            properties={"permeability_lu": k},
        )
    return path


def _open(window, qtbot, path, wait_idle):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        window.open_dataset(path)
    wait_idle(window.jobs)


def _stl_extent_mm(path) -> np.ndarray:
    data = path.read_bytes()
    (n,) = struct.unpack("<I", data[80:84])
    assert n > 0 and len(data) == 84 + 50 * n
    record = np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    corners = np.frombuffer(data[84:], dtype=record)["v"].reshape(-1, 3)
    return corners.max(axis=0) - corners.min(axis=0)


def test_stl_export_asks_for_the_unknown_voxel_size(window, qtbot, tmp_path, wait_idle, errors):
    pore = np.ones((4, 6, 8), dtype=bool)
    pore[:, :, :2] = False  # a solid wall 2 voxels thick on the x = 0 face
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        window.show_structure(Structure(pore, None, {}), "lattice units")
    dialog = window.open_export()
    qtbot.addWidget(dialog)
    wait_idle(window.jobs)
    assert dialog.voxel_edit.text() == "" and dialog.voxel_note.isVisible()
    out = tmp_path / "part.stl"
    dialog.set_format(".stl")
    dialog.path_edit.setText(str(out))
    dialog.buttons.accepted.emit()
    wait_idle(window.jobs)
    assert dialog.voxel_error.isVisible() and "voxel size in µm" in dialog.voxel_error.text()
    assert not out.exists() and dialog.isVisible() and errors.messages == []
    dialog.voxel_edit.setText("0")
    dialog.buttons.accepted.emit()
    assert "positive" in dialog.voxel_error.text() and not out.exists()
    dialog.voxel_edit.setText("20")  # µm
    dialog.buttons.accepted.emit()
    wait_idle(window.jobs)
    assert errors.messages == [] and not dialog.isVisible()
    assert _stl_extent_mm(out) == pytest.approx([2 * 0.02, 6 * 0.02, 4 * 0.02])
    assert window.structure.voxel_size_m is None  # the shown structure is unchanged


def test_export_prefills_a_known_voxel_size(window, qtbot, wait_idle):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        window.show_structure(Structure(np.ones((3, 4, 5), dtype=bool), 2.5e-6, {}), "known")
    dialog = window.open_export()
    qtbot.addWidget(dialog)
    wait_idle(window.jobs)
    assert dialog.voxel_edit.text() == "2.5" and not dialog.voxel_note.isVisible()
    assert dialog.structure_to_write() is window.structure


def test_units_explain_and_accept_a_session_voxel_size(
    window, qtbot, lattice_dataset, wait_idle, errors
):
    window.properties.set_unit("mD")
    _open(window, qtbot, lattice_dataset, wait_idle)
    panel, browser = window.properties, window.browser
    mD_row = panel.unit_box.findData("mD")
    assert not panel.unit_box.model().item(mD_row).isEnabled()
    assert "lattice units" in panel.unit_box.toolTip()
    assert panel.unit_note.isVisible() and panel.unit_box.currentData() == "lu"
    assert panel.fields["voxel"].text() == "unknown (lattice units)"
    assert browser.model.columns[4].header == "k_zz [voxel²]"  # mD is not possible yet
    assert panel.voxel_input.isVisible()
    panel.voxel_input.edit.setText("abc")
    panel.voxel_input.use_button.click()
    assert "number of micrometres" in panel.voxel_input.error.text()
    panel.voxel_input.edit.setText("10")  # µm
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        panel.voxel_input.use_button.click()
    wait_idle(window.jobs)
    assert window.structure.voxel_size_m == pytest.approx(1e-5)
    assert panel.unit_box.model().item(mD_row).isEnabled() and panel.unit_box.currentData() == "mD"
    assert "this session" in panel.fields["voxel"].text() and not panel.unit_note.isVisible()
    assert window.viewers.a.meshes.scale.unit == "µm"
    kzz_md = browser.model.column_values("k_zz")
    assert browser.model.columns[4].header == "k_zz [mD]"
    assert kzz_md[1] == pytest.approx(0.7 * 1e-10 / MILLIDARCY_M2)
    assert "this session" in browser.info.text()
    with open_dataset(lattice_dataset) as ds:
        assert ds.voxel_size_m is None  # nothing written
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        browser.select_sample(2)  # the next sample gets the session voxel size too
    assert window.structure.voxel_size_m == pytest.approx(1e-5)
    assert window.structure.provenance["index"] == 2
    assert errors.messages == []


def test_the_voxel_size_can_be_saved_into_the_dataset(
    window, qtbot, lattice_dataset, wait_idle, errors
):
    _open(window, qtbot, lattice_dataset, wait_idle)
    panel = window.properties
    panel.voxel_input.edit.setText("4")
    assert panel.voxel_input.save_button.isVisible()
    with qtbot.waitSignal(window.browser.dataset_opened, timeout=30_000):
        panel.voxel_input.save_button.click()
    wait_idle(window.jobs)
    with open_dataset(lattice_dataset) as ds:
        assert ds.voxel_size_m == pytest.approx(4e-6)
        assert len(ds) == 3
    assert window.browser.table.voxel_size_m == pytest.approx(4e-6)
    assert window.structure.voxel_size_m == pytest.approx(4e-6)
    assert panel.fields["voxel"].text() == "4 µm" and not panel.voxel_input.isVisible()
    assert errors.messages == []
