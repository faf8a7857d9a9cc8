"""Can the studio start here? Checked before Qt is imported, so the answer is one line.

Without a display, Qt aborts the process (exit 134) with advice about ``xcb-cursor``;
with a display but a missing system library, its xcb plugin fails to load the same way.
:func:`require_display` finds both first and raises :class:`~porestudio.errors.SetupError`
naming what to do (``xvfb-run``, ``DISPLAY``, the apt package). This module imports no Qt.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from porestudio.errors import SetupError

#: Qt platforms that need no display server.
HEADLESS_PLATFORMS = (
    "offscreen",
    "minimal",
    "minimalegl",
    "vnc",
    "linuxfb",
    "eglfs",
    "vkkhrdisplay",
)

NO_DISPLAY = (
    "no display to open the studio on: run it under a virtual one (xvfb-run -a porestudio), "
    "or set DISPLAY (e.g. ssh -X); the command-line tools need none"
)
NO_STUDIO = (
    "the studio is not installed (PySide6, pyvistaqt, pyqtgraph): "
    "pip install 'porestudio[studio]' or bash scripts/install.sh"
)


def require_display(env: Mapping[str, str] | None = None) -> None:
    """Raise SetupError when the studio cannot open a window here.

    Parameters
    ----------
    env : mapping, optional
        Environment to judge (default ``os.environ``): ``QT_QPA_PLATFORM``, ``DISPLAY``,
        ``WAYLAND_DISPLAY``.

    Raises
    ------
    SetupError
        The studio's packages are missing, there is no display, or Qt's xcb plugin cannot
        load a system library (the message names the apt package).
    """
    env = os.environ if env is None else env
    if importlib.util.find_spec("PySide6") is None:
        raise SetupError(NO_STUDIO)
    if not sys.platform.startswith("linux"):
        return
    platform = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if platform in HEADLESS_PLATFORMS:
        return
    if platform == "wayland" or (not platform and env.get("WAYLAND_DISPLAY")):
        if env.get("WAYLAND_DISPLAY") or env.get("DISPLAY"):
            return
        raise SetupError(NO_DISPLAY)
    if not env.get("DISPLAY"):
        raise SetupError(NO_DISPLAY)
    missing = xcb_plugin_problem()
    if missing:
        raise SetupError(missing)


def xcb_plugin_problem(plugin: Path | None = None) -> str | None:
    """Why Qt's xcb platform plugin cannot load (one line naming the package), or None.

    Parameters
    ----------
    plugin : Path, optional
        The plugin library (default: PySide6's ``libqxcb.so``); a missing plugin is not
        judged here (None).
    """
    plugin = plugin or _xcb_plugin()
    if plugin is None or not plugin.exists():
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        return explain_load_error(str(exc))
    return None


def explain_load_error(message: str) -> str:
    """A loader error (``libX.so.N: cannot open shared object file``) as advice."""
    match = re.search(r"(lib[\w.+-]+\.so(?:\.\d+)*): cannot open shared object", message)
    if match is None:
        return f"Qt's xcb platform plugin does not load ({message}); see docs/trust.md"
    soname = match.group(1)
    package = debian_package(soname)
    return (
        f"Qt's xcb platform plugin needs {soname}: install it "
        f"(sudo apt-get install {package}, or bash scripts/install.sh)"
    )


def debian_package(soname: str) -> str:
    """The usual Debian/Ubuntu package of a shared library: libxcb-cursor.so.0 → libxcb-cursor0."""
    match = re.fullmatch(r"(lib[\w.+-]+?)\.so\.(\d+)(?:\.\d+)*", soname)
    if match is None:
        return soname.split(".so", 1)[0]
    name, major = match.groups()
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def _xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "Qt" / "plugins" / "platforms" / "libqxcb.so"
