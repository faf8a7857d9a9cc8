"""Persistent studio settings (QSettings, INI format): recent files, device, units, layout.

The location follows Qt's user-scope INI path for organisation/application "porestudio";
tests redirect it with ``QSettings.setPath(IniFormat, UserScope, tmp)`` (see
``tests/gui/conftest.py``) so they never touch the user's settings.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

ORGANISATION = "porestudio"
APPLICATION = "porestudio"
MAX_RECENT = 10

DEVICES = ("auto", "cpu", "cuda")
UNITS = ("lu", "m2", "mD")
SURFACE_MODES = ("smooth", "voxel")


class Settings:
    """Typed access to the studio's QSettings.

    Parameters
    ----------
    qsettings : QSettings, optional
        Backing store; default: INI file in the user scope for porestudio/porestudio.
    """

    def __init__(self, qsettings: QtCore.QSettings | None = None) -> None:
        self.q = qsettings or QtCore.QSettings(
            QtCore.QSettings.Format.IniFormat,
            QtCore.QSettings.Scope.UserScope,
            ORGANISATION,
            APPLICATION,
        )

    # --- recent files -------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        """Recently opened datasets, newest first (only those that still exist)."""
        value = self.q.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(p) for p in (value or []) if Path(str(p)).exists()]

    def add_recent(self, path: str | Path) -> list[str]:
        """Put ``path`` at the front of the recent files; returns the new list."""
        path = str(Path(path).absolute())
        files = [path] + [p for p in self.recent_files() if p != path]
        files = files[:MAX_RECENT]
        self.q.setValue("recent_files", files)
        return files

    # --- simple choices -----------------------------------------------------------------
    def _choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = str(self.q.value(key, default))
        return value if value in choices else default

    @property
    def device(self) -> str:
        """Compute device for solvers: auto, cpu or cuda."""
        return self._choice("device", DEVICES, "auto")

    @device.setter
    def device(self, value: str) -> None:
        self.q.setValue("device", value if value in DEVICES else "auto")

    @property
    def permeability_unit(self) -> str:
        """Unit of shown permeabilities: lu (voxel²), m2 or mD."""
        return self._choice("permeability_unit", UNITS, "lu")

    @permeability_unit.setter
    def permeability_unit(self, value: str) -> None:
        self.q.setValue("permeability_unit", value if value in UNITS else "lu")

    @property
    def surface_mode(self) -> str:
        """Viewer surface: smooth (isosurface) or voxel (exact faces)."""
        return self._choice("surface_mode", SURFACE_MODES, "smooth")

    @surface_mode.setter
    def surface_mode(self, value: str) -> None:
        self.q.setValue("surface_mode", value if value in SURFACE_MODES else "smooth")

    @property
    def last_folder(self) -> str:
        """Folder of the last file dialog."""
        return str(self.q.value("last_folder", str(Path.home())))

    @last_folder.setter
    def last_folder(self, value: str | Path) -> None:
        path = Path(value)
        self.q.setValue("last_folder", str(path if path.is_dir() else path.parent))

    # --- window layout ------------------------------------------------------------------
    def save_window(self, window: QtWidgets.QMainWindow) -> None:
        """Store the window geometry and the dock/toolbar layout."""
        self.q.setValue("window/geometry", window.saveGeometry())
        self.q.setValue("window/state", window.saveState())

    def restore_window(self, window: QtWidgets.QMainWindow) -> bool:
        """Restore geometry and layout saved by :meth:`save_window`; False if none."""
        geometry = self.q.value("window/geometry")
        state = self.q.value("window/state")
        if geometry is not None:
            window.restoreGeometry(geometry)
        return bool(state is not None and window.restoreState(state))

    def sync(self) -> None:
        """Write pending changes to disk."""
        self.q.sync()
