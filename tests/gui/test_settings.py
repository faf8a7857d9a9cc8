"""Settings persist in QSettings (a private INI file in tests): recent files, choices, layout."""

from __future__ import annotations

from PySide6 import QtCore

from porestudio.gui.settings import MAX_RECENT, Settings


def test_defaults(settings):
    assert settings.device == "auto"
    assert settings.permeability_unit == "lu"
    assert settings.surface_mode == "smooth"
    assert settings.recent_files() == []


def test_choices_round_trip_and_bad_values_fall_back(settings, tmp_path):
    settings.device = "cpu"
    settings.permeability_unit = "mD"
    settings.surface_mode = "voxel"
    settings.sync()
    again = Settings(
        QtCore.QSettings(str(tmp_path / "porestudio.ini"), QtCore.QSettings.Format.IniFormat)
    )
    assert (again.device, again.permeability_unit, again.surface_mode) == ("cpu", "mD", "voxel")
    again.device = "tpu"
    assert again.device == "auto"


def test_recent_files_newest_first_unique_existing_only(settings, tmp_path):
    files = []
    for i in range(MAX_RECENT + 2):
        path = tmp_path / f"d{i}.h5"
        path.write_bytes(b"")
        files.append(path)
        settings.add_recent(path)
    settings.add_recent(files[-3])  # again: moves to the front, no duplicate
    recent = settings.recent_files()
    assert recent[0] == str(files[-3]) and len(recent) == MAX_RECENT
    assert len(set(recent)) == len(recent)
    files[-1].unlink()
    assert str(files[-1]) not in settings.recent_files()


def test_default_location_is_redirected_in_tests(tmp_path):
    q = Settings().q
    assert q.fileName().startswith(str(tmp_path))  # the autouse fixture moved it
