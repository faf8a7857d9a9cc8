"""Before Qt starts, the studio checks that it can open a window and says in one line why not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from porestudio.errors import SetupError
from porestudio.gui.display import (
    debian_package,
    explain_load_error,
    require_display,
    xcb_plugin_problem,
)

ROOT = Path(__file__).resolve().parents[2]


def test_no_display_names_xvfb_run_and_display():
    with pytest.raises(SetupError) as exc:
        require_display({})
    message = str(exc.value)
    assert "xvfb-run" in message and "DISPLAY" in message and "\n" not in message
    with pytest.raises(SetupError, match="xvfb-run"):
        require_display({"QT_QPA_PLATFORM": "wayland"})


def test_headless_platforms_and_wayland_need_no_x_server():
    require_display({"QT_QPA_PLATFORM": "offscreen"})
    require_display({"QT_QPA_PLATFORM": "minimal:fontengine=freetype"})
    require_display({"WAYLAND_DISPLAY": "wayland-0"})


def test_the_display_of_this_test_run_passes():
    assert os.environ.get("DISPLAY"), "the GUI tests run under Xvfb"
    require_display(dict(os.environ))  # the xcb plugin's libraries load here
    assert xcb_plugin_problem() is None


def test_a_plugin_that_does_not_load_is_explained(tmp_path):
    broken = tmp_path / "libqxcb.so"
    broken.write_bytes(b"not a shared library")
    problem = xcb_plugin_problem(broken)
    assert problem is not None and problem.startswith("Qt's xcb platform plugin does not load")


def test_a_missing_library_names_its_apt_package():
    error = "libxcb-cursor.so.0: cannot open shared object file: No such file or directory"
    assert explain_load_error(error) == (
        "Qt's xcb platform plugin needs libxcb-cursor.so.0: install it "
        "(sudo apt-get install libxcb-cursor0, or bash scripts/install.sh)"
    )
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libxcb-icccm.so.4.0.0") == "libxcb-icccm4"


def test_the_studio_without_a_display_exits_2_with_one_line(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XAUTHORITY")
    }
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "porestudio"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("porestudio: error: no display") and "xvfb-run" in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_screenshot_over_an_existing_file_is_refused_before_qt(tmp_path):
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"an older screenshot")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for argv, message in (
        (["--screenshot", str(shot)], "already exists; give --overwrite"),
        (["--screenshot", str(tmp_path / "shot.jpg")], "must end in .png"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "porestudio", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 2 and message in done.stderr
        assert done.stderr.count("\n") == 1
    assert shot.read_bytes() == b"an older screenshot"
