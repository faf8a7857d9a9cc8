"""``porestudio --screenshot OUT.png`` renders the studio after loading and exits."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
from PySide6 import QtGui


def _pixels(path) -> np.ndarray:
    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB888)
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    data = np.frombuffer(bytes(image.constBits()), dtype=np.uint8, count=h * stride)
    return data.reshape(h, stride)[:, : 3 * w].reshape(h, w, 3).copy()


def test_screenshot_shows_a_rendered_structure(qapp, tmp_path, grf_dataset):
    out = tmp_path / "studio.png"
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "porestudio",
            "-v",
            "--dataset",
            str(grf_dataset),
            "--screenshot",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = re.search(r"viewer A region x=(\d+) y=(\d+) w=(\d+) h=(\d+)", proc.stderr)
    assert match, proc.stderr[-2000:]
    x, y, w, h = map(int, match.groups())
    pixels = _pixels(out)
    assert pixels.shape[0] >= y + h and pixels.shape[1] >= x + w
    view = pixels[y + 30 : y + h - 60, x + 10 : x + w - 10].astype(float)  # skip title, sliders
    grey = view.mean(axis=2)
    assert grey.std() > 20  # not blank: surface shading against the background
    tan = (view[..., 0] > view[..., 2] + 25).mean()  # the solid is drawn in a warm tan
    assert tan > 0.05


def test_screenshot_of_a_bad_dataset_fails_cleanly(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not a dataset")
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "porestudio",
            "--dataset",
            str(bad),
            "--screenshot",
            str(tmp_path / "x.png"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert proc.returncode == 2
    assert "bad.h5" in proc.stderr and "Traceback" not in proc.stderr
