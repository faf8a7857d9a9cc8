"""The studio asks before it replaces a file (Generate, Import CT, Export), and keeps it on No."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from porestudio.structures.dataset import open_dataset

FIBERFORM = Path(__file__).resolve().parents[2] / "resources/ct/fiberform_puma/100_fiberform.tif"
PRECIOUS = b"a labelled dataset the user made last week"


def _answer(qtbot, box: QtWidgets.QMessageBox | None, replace: bool) -> None:
    """Click the question's Replace or Keep button, as a user would."""
    assert box is not None and box.objectName() == "porestudio-replace"
    assert box.isVisible() and "already exists" in box.text()
    assert box.defaultButton() is box.button(QtWidgets.QMessageBox.StandardButton.No)
    yes, no = QtWidgets.QMessageBox.StandardButton.Yes, QtWidgets.QMessageBox.StandardButton.No
    qtbot.mouseClick(box.button(yes if replace else no), QtCore.Qt.MouseButton.LeftButton)


def _generate_dialog(window, qtbot, wait_idle):
    dialog = window.open_generate()
    qtbot.addWidget(dialog)
    dialog.set_generator("grf")
    for key, value in {"nz": 8, "ny": 8, "nx": 8, "porosity": 0.5}.items():
        dialog.inputs["grf"][key].setValue(value)
    dialog.update_preview()
    wait_idle(window.jobs)
    return dialog


def test_generate_keeps_an_existing_file_unless_told(window, qtbot, tmp_path, wait_idle, errors):
    out = tmp_path / "mine.h5"
    out.write_bytes(PRECIOUS)
    dialog = _generate_dialog(window, qtbot, wait_idle)
    _answer(qtbot, dialog.write_new_dataset(str(out)), replace=False)
    assert not window.jobs.busy("generate-dataset")
    assert out.read_bytes() == PRECIOUS
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        _answer(qtbot, dialog.write_new_dataset(str(out)), replace=True)
    wait_idle(window.jobs)
    assert errors.messages == []
    with open_dataset(out) as ds:
        assert ds.shape == (8, 8, 8)
    assert dialog.write_new_dataset(str(tmp_path / "fresh.h5")) is None  # nothing to ask
    wait_idle(window.jobs)
    assert (tmp_path / "fresh.h5").exists()


def test_export_asks_before_replacing(window, qtbot, tmp_path, wait_idle, errors, grf_dataset):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        window.open_dataset(grf_dataset)
    wait_idle(window.jobs)
    out = tmp_path / "part.vti"
    out.write_bytes(PRECIOUS)
    dialog = window.open_export()
    qtbot.addWidget(dialog)
    wait_idle(window.jobs)
    dialog.set_format(".vti")
    dialog.path_edit.setText(str(out))
    _answer(qtbot, dialog.export(), replace=False)
    assert not window.jobs.busy("export") and out.read_bytes() == PRECIOUS
    assert dialog.isVisible()  # still open: the user may pick another name
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        _answer(qtbot, dialog.export(), replace=True)
    assert out.read_bytes() != PRECIOUS and out.read_bytes().startswith(b"<?xml")
    assert errors.messages == []


def test_ct_import_asks_before_replacing(window, qtbot, tmp_path, wait_idle, errors):
    out = tmp_path / "ct.h5"
    out.write_bytes(PRECIOUS)
    dialog = window.open_ct_import()
    qtbot.addWidget(dialog)
    dialog.set_source(str(FIBERFORM))
    qtbot.waitUntil(lambda: dialog.scan is not None, timeout=30_000)
    dialog.out_edit.setText(str(out))
    _answer(qtbot, dialog.start_import(), replace=False)
    assert not window.jobs.busy("ct-import") and out.read_bytes() == PRECIOUS
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=60_000):
        _answer(qtbot, dialog.start_import(), replace=True)
    wait_idle(window.jobs)
    with open_dataset(out) as ds:
        assert len(ds) == 1 and ds.shape == (100, 100, 100)
    assert errors.messages == []
