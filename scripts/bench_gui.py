"""Studio speed: start-up to the first rendered structure, re-render on selection, big tables.

Run under an X server (software OpenGL is what CI and this benchmark use):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/bench_gui.py

Writes ``docs/bench_gui.md``. Targets (issue #5): start-up ≤ 5 s on a 2-core CPU, selecting
another 100³ structure re-renders in ≤ 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def startup_seconds(dataset: Path | None, runs: int) -> list[float]:
    """Wall time from process launch to 'first structure on screen' (screenshot mode)."""
    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "porestudio", "-v", "--screenshot", f"{tmp}/s.png"]
            if dataset is not None:
                cmd += ["--dataset", str(dataset)]
            env = dict(os.environ, XDG_CONFIG_HOME=tmp)
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
            first = None
            for line in proc.stderr:
                if "first structure on screen" in line and first is None:
                    first = time.perf_counter() - t0
            proc.wait()
            if first is None:
                raise RuntimeError("the studio did not report a rendered structure")
            out.append(first)
    return out


def make_grf_dataset(path: Path, count: int) -> Path:
    """``count`` random 100³ GRF samples (a harder mesh than the extruded squares)."""
    from porestudio.structures.generators import generate_dataset

    generate_dataset(
        path, "grf", count, 11, shape=(100, 100, 100), porosity=0.5, correlation_length_vox=4.0
    )
    return path


def selection_seconds(dataset: Path, mode: str, count: int, jump: bool) -> list[float]:
    """Request-to-screen times of selecting ``count - 1`` samples after the first.

    ``jump=False``: the next row each time (the rows around the selection are prefetched
    while the user looks at it); ``jump=True``: rows in random order (mostly cold).
    """
    from PySide6 import QtCore, QtWidgets

    from porestudio.gui.app import application
    from porestudio.gui.main_window import MainWindow
    from porestudio.gui.settings import Settings

    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        q = QtCore.QSettings(f"{tmp}/s.ini", QtCore.QSettings.Format.IniFormat)
        window = MainWindow(settings=Settings(q))
        window.show()
        _RENDERER.setdefault("name", _gl_renderer(window.viewers.a.plotter.ren_win))
        times: list[float] = []
        window.viewers.a.rendered.connect(times.append)
        window.actions_.smooth.setChecked(mode == "smooth")
        window.open_dataset(dataset)
        _wait(app, lambda: len(times) >= 1 and not window.jobs.busy())
        times.clear()
        order = np.arange(1, count)
        if jump:
            order = np.random.default_rng(5).permutation(np.arange(2, count, 2))
        for n, i in enumerate(order, start=1):
            window.browser.select_sample(int(i))
            _wait(app, lambda n=n: len(times) >= n and not window.jobs.busy())
        window.close()
        QtWidgets.QApplication.processEvents()
    return times


def _wait(app, condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.002)


def table_seconds(n: int = 48_831) -> tuple[float, float]:
    """Seconds to fill the sample table model with ``n`` rows, and to sort a column."""
    from porestudio.gui.app import application
    from porestudio.gui.table_model import PropertyTableModel, table_columns

    application()
    rng = np.random.default_rng(0)
    props = {
        "porosity": rng.random(n),
        "permeability_lu": rng.random((n, 3, 3)),
        "label_status": np.ones(n, dtype=np.int8),
    }
    model = PropertyTableModel()
    t0 = time.perf_counter()
    model.set_columns(table_columns(props, n))
    t1 = time.perf_counter()
    model.sort(2)
    return t1 - t0, time.perf_counter() - t1


def _stats(values: list[float]) -> str:
    v = sorted(values)
    p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
    return f"{statistics.median(v):.3f} | {p90:.3f} | {v[-1]:.3f} | {len(v)}"


_RENDERER: dict[str, str] = {}


def _gl_renderer(render_window) -> str:
    """OpenGL renderer string of a VTK render window."""
    for line in render_window.ReportCapabilities().splitlines():
        if "renderer string" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def _renderer() -> str:
    return _RENDERER.get("name", "unknown")


def report(startup, startup_grf, selections, table, load_before) -> str:
    """The markdown page."""
    lines = [
        "# Studio speed (scripts/bench_gui.py)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"OpenGL renderer: {_renderer()} (software rendering under Xvfb). Load average "
        f"before the run: {load_before} — other jobs share these cores, so absolute times "
        "vary from run to run.",
        "",
        "| measurement | median [s] | p90 [s] | max [s] | runs | target |",
        "|---|---|---|---|---|---|",
        f"| start-up to first rendered structure (default dataset) | {_stats(startup)} | ≤ 5 |",
        f"| start-up to first rendered structure (100³ GRF dataset) | {_stats(startup_grf)} "
        "| ≤ 5 |",
    ]
    for (name, mode, how), values in selections.items():
        lines.append(f"| select {how}, {name}, {mode} surface | {_stats(values)} | ≤ 0.3 |")
    lines += [
        f"| fill the table model, 48,831 rows | {table[0]:.4f} | | | 1 | smooth |",
        f"| sort a column, 48,831 rows | {table[1]:.4f} | | | 1 | smooth |",
        "",
        "Re-render time = from the selection (request on the GUI thread) until the new surface "
        "is drawn: reading the sample from HDF5, meshing in a worker thread (marching cubes "
        "with a 150k-triangle budget, or merged voxel faces), handing the arrays to VTK and one "
        "render. While a sample is shown, the meshes of the rows above and below it are built "
        "in the background (one job at a time), so stepping through the table only pays the "
        "hand-over and the render; a random jump pays the whole chain. The start-up time is "
        "measured from launching the process until the first structure is on screen (Qt, VTK "
        "and the dataset opened; the solver modules are imported afterwards).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="start-up repetitions")
    parser.add_argument("--samples", type=int, default=12, help="selections per case")
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench_gui.md"))
    args = parser.parse_args()
    from porestudio.gui.app import default_dataset

    load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    default = default_dataset()
    with tempfile.TemporaryDirectory() as tmp:
        grf = make_grf_dataset(Path(tmp) / "grf.h5", args.samples)
        startup = startup_seconds(default, args.runs)
        startup_grf = startup_seconds(grf, args.runs)
        selections = {}
        cases = [("GRF 100³", grf)] + ([("squares 100³", default)] if default else [])
        for mode in ("smooth", "voxel"):
            for name, path in cases:
                for jump in (False, True):
                    how = "random jump (cold)" if jump else "next row (prefetched)"
                    selections[(name, mode, how)] = selection_seconds(
                        path, mode, args.samples, jump
                    )
    text = report(startup, startup_grf, selections, table_seconds(), load_before)
    from porestudio.atomic import atomic_path

    with atomic_path(args.out) as tmp_out:
        tmp_out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
