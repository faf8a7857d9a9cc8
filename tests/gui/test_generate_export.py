"""Generate dialog (preview, add to dataset, new dataset) and export dialog (STL, TIFF, VTI)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from porestudio.structures.ct import load_structure
from porestudio.structures.dataset import open_dataset
from porestudio.structures.morphology import floating_solid_islands
from porestudio.structures.volume import Structure


def _generate_dialog(window, qtbot, wait_idle, name, **params):
    dialog = window.open_generate()
    qtbot.addWidget(dialog)
    dialog.set_generator(name)
    for key, value in params.items():
        widget = dialog.inputs[name][key]
        widget.setChecked(value) if isinstance(value, bool) else widget.setValue(value)
    dialog.update_preview()
    wait_idle(window.jobs)
    return dialog


def test_preview_follows_the_parameters(window, qtbot, wait_idle, errors):
    dialog = _generate_dialog(
        window, qtbot, wait_idle, "squares", size=40, depth=8, pore_size=5, n_min=4, n_max=4
    )
    s = dialog.structure
    assert s.shape == (8, 40, 40)
    assert s.porosity == pytest.approx(4 * 25 / 1600)  # four 5×5 pores, exactly
    assert "porosity 0.0625" in dialog.preview_label.text()
    assert dialog.image.image.shape == (40, 40)
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        dialog.show_button.click()
    assert window.viewers.a.structure is s
    assert window.properties.structure is s
    assert errors.messages == []


def test_bad_parameters_show_in_the_preview_not_as_a_crash(window, qtbot, wait_idle, errors):
    dialog = _generate_dialog(
        window, qtbot, wait_idle, "squares", size=10, pore_size=8, n_min=5, n_max=5
    )
    assert dialog.structure is None
    assert "pore" in dialog.preview_label.text()
    dialog.voxel_edit.setText("-3")
    dialog.update_preview()
    assert "voxel size" in dialog.preview_label.text()
    assert errors.messages == []


def test_add_to_the_open_dataset(window, qtbot, squares_dataset, wait_idle, errors):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        window.open_dataset(squares_dataset)
    wait_idle(window.jobs)
    dialog = _generate_dialog(
        window, qtbot, wait_idle, "squares", size=20, depth=6, pore_size=4, n_min=5, n_max=5
    )
    dialog.voxel_edit.setText("10")
    dialog.update_preview()
    wait_idle(window.jobs)
    generated = dialog.structure
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        dialog.add_button.click()
    wait_idle(window.jobs)
    assert errors.messages == []
    with open_dataset(squares_dataset) as ds:
        assert len(ds) == 4
        assert np.array_equal(ds.pore(3), generated.pore)
    assert window.browser.model.rowCount() == 4 and window.browser.selected_sample() == 3


def test_write_a_new_dataset_with_several_samples(window, qtbot, tmp_path, wait_idle, errors):
    dialog = _generate_dialog(window, qtbot, wait_idle, "grf", nz=12, ny=12, nx=12, porosity=0.4)
    dialog.count_spin.setValue(3)
    out = tmp_path / "new.h5"
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        dialog.write_new_dataset(str(out))
    wait_idle(window.jobs)
    assert errors.messages == []
    with open_dataset(out) as ds:
        assert len(ds) == 3 and ds.shape == (12, 12, 12)
        assert np.array_equal(ds.pore(0), dialog.structure.pore)  # sample 0 = the preview
        assert ds.pores().mean() == pytest.approx(0.4, abs=0.01)
    assert window.browser.table.path == out


def _show(window, qtbot, structure):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        window.show_structure(structure, "test")


def _export(window, qtbot, wait_idle, suffix, path, **options):
    dialog = window.open_export()
    qtbot.addWidget(dialog)
    wait_idle(window.jobs)  # print check
    dialog.set_format(suffix)
    dialog.path_edit.setText(str(path))
    for key, value in options.items():
        getattr(dialog, key).setChecked(value)
    dialog.buttons.accepted.emit()
    wait_idle(window.jobs)
    return dialog


@pytest.fixture
def island_structure():
    pore = np.ones((10, 12, 14), dtype=bool)
    pore[:, :, :3] = False  # a wall on the x = 0 face
    pore[4:6, 5:7, 7:9] = False  # a floating solid island
    return Structure(pore, 5e-6, {"test": "island"})


def test_print_check_and_stl_export(window, qtbot, tmp_path, wait_idle, errors, island_structure):
    _show(window, qtbot, island_structure)
    out = tmp_path / "part.stl"
    dialog = _export(window, qtbot, wait_idle, ".stl", out)
    assert dialog.check.islands == 1 and dialog.check.percolates_xyz == (False, True, True)
    assert "1 floating solid island" in dialog.check_label.text()
    assert dialog.islands_box.isChecked()  # offered by default when there are islands
    data = out.read_bytes()
    (n,) = struct.unpack("<I", data[80:84])
    assert len(data) == 84 + 50 * n and n > 0
    corners = np.frombuffer(
        data[84:], dtype=np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    )["v"]
    extent = corners.reshape(-1, 3).max(axis=0)  # mm; the island was removed: only the wall
    assert extent == pytest.approx([3 * 5e-3, 12 * 5e-3, 10 * 5e-3])
    assert errors.messages == []


def test_tiff_export_round_trips_with_islands_removed(
    window, qtbot, tmp_path, wait_idle, island_structure
):
    _show(window, qtbot, island_structure)
    out = tmp_path / "stack.tif"
    _export(window, qtbot, wait_idle, ".tif", out, islands_box=True)
    back = load_structure(out)
    assert back.voxel_size_m == pytest.approx(5e-6)
    assert floating_solid_islands(back.pore) == 0
    expected = island_structure.pore.copy()
    expected[4:6, 5:7, 7:9] = True
    assert np.array_equal(back.pore, expected)


def test_vti_export(window, qtbot, tmp_path, wait_idle, island_structure):
    _show(window, qtbot, island_structure)
    out = tmp_path / "volume.vti"
    _export(window, qtbot, wait_idle, ".vti", out, islands_box=False)
    import pyvista as pv

    grid = pv.read(out)
    assert int(np.asarray(grid.cell_data["pore"]).sum()) == int(island_structure.pore.sum())


def test_export_to_an_unwritable_place_is_reported(
    window, qtbot, tmp_path, wait_idle, errors, island_structure
):
    _show(window, qtbot, island_structure)
    out = tmp_path / "missing-folder" / "part.tif"
    dialog = _export(window, qtbot, wait_idle, ".tif", out)
    assert len(errors.messages) == 1 and "does not exist" in errors.messages[0]
    assert dialog.isVisible() and dialog.buttons.isEnabled() and not out.exists()


def test_export_without_a_structure_is_reported(window, errors):
    assert window.open_export() is None
    assert errors.messages == ["no structure to export: select or generate one"]
