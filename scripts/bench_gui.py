"""Studio speed: start-up to the first rendered structure, re-render on selection, big tables.

Run under an X server (software OpenGL is what CI and this benchmark use):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/bench_gui.py

Writes ``docs/bench_gui.md``. Targets (issue #5): start-up ≤ 5 s on a 2-core CPU, selecting
another 100³ structure re-renders in ≤ 0.3 s.
"""

from __future__ import annotations

import argparse
import os
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


def table_seconds(n: int = 48_831) -> dict[str, float]:
    """Seconds for the sample table with ``n`` rows: fill, sort, filter, plot the subset."""
    from porestudio.gui.app import application
    from porestudio.gui.model.table_filter import evaluate
    from porestudio.gui.plot_panel import PlotPanel
    from porestudio.gui.table_model import PropertyTableModel, table_columns

    application()
    rng = np.random.default_rng(0)
    props = {
        "porosity": rng.random(n),
        "permeability_lu": rng.random((n, 3, 3)),
        "label_status": np.ones(n, dtype=np.int8),
    }
    model = PropertyTableModel()
    out = {}
    t0 = time.perf_counter()
    model.set_columns(table_columns(props, n))
    out["fill the table model"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.sort(2)
    out["sort a column"] = time.perf_counter() - t0
    text = "0.2 < porosity < 0.3 and k_zz > 0.5"
    t0 = time.perf_counter()
    mask = evaluate(text, model.filter_columns(), model.total)
    model.set_filter(mask)
    out[f"filter `{text}` (parse, evaluate, re-index)"] = time.perf_counter() - t0
    plot = PlotPanel()
    plot.set_columns(model.columns)
    for mode in ("Histogram", "Scatter"):
        plot.mode_box.setCurrentText(mode)
        t0 = time.perf_counter()
        plot.set_subset(mask)
        out[f"redraw the plot with the subset ({mode.lower()})"] = time.perf_counter() - t0
    return out


def _stats(values: list[float]) -> str:
    v = sorted(values)
    p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
    return f"{statistics.median(v):.3f} | {p90:.3f} | {v[-1]:.3f} | {len(v)}"


HISTORY = """\
Earlier runs of this script (same machine, medians in seconds; the load is the 1-minute
average before the run, with ~5 other jobs on the 2 cores):

| version | load | next row, GRF smooth | jump, GRF smooth | next row, GRF voxel | jump, GRF voxel |
|---|---|---|---|---|---|
| v1: 5-light kit, no culling, skimage marching cubes | 6.5 | 0.284 | 0.634 | 0.408 | 0.596 |
| one light + culling + flying edges | 5.2 | 0.104 | 0.317 | 0.152 | 0.262 |
| + leaner clustering and voxel faces (this page) | see above | | | | |

The selection times scale with the load: at a load of 5 the random jump on a GRF sample
came out at 0.32 s (above the 0.3 s target), at a load of 3 at 0.17-0.19 s.
"""

_RENDERER: dict[str, str] = {}


def _gl_renderer(render_window) -> str:
    """OpenGL renderer string of a VTK render window."""
    for line in render_window.ReportCapabilities().splitlines():
        if "renderer string" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def _renderer() -> str:
    return _RENDERER.get("name", "unknown")


def report(startup, startup_grf, selections, table, load_before, load_after="", header=()) -> str:
    """The markdown page."""
    lines = [
        "# Studio speed (scripts/bench_gui.py)",
        "",
        *header,
        f"OpenGL renderer: {_renderer()} (software rendering under Xvfb). Load average "
        f"before the run: {load_before}, after: {load_after} (1/5/15-minute averages from "
        "`uptime`) — other jobs share these cores, so absolute times vary from run to run.",
        "",
        "| measurement | median [s] | p90 [s] | max [s] | runs | target |",
        "|---|---|---|---|---|---|",
        f"| start-up to first rendered structure (default dataset) | {_stats(startup)} | ≤ 5 |",
        f"| start-up to first rendered structure (100³ GRF dataset) | {_stats(startup_grf)} "
        "| ≤ 5 |",
    ]
    for (name, mode, how), values in selections.items():
        lines.append(f"| select {how}, {name}, {mode} surface | {_stats(values)} | ≤ 0.3 |")
    for what, seconds in table.items():
        lines.append(f"| {what}, 48,831 rows | {seconds:.4f} | | | 1 | < 1 frame |")
    lines += [
        "",
        "Re-render time = from the selection (request on the GUI thread) until the new surface "
        "is drawn: reading the sample from HDF5, meshing in a worker thread (Gaussian-smoothed "
        "indicator, VTK flying edges — which releases the GIL, unlike scikit-image's marching "
        "cubes, which froze the GUI thread for ~150 ms per mesh — and vertex clustering to a "
        "150k-triangle budget; or merged voxel faces with their face normals), swapping the "
        "arrays into the persistent VTK actor (shallow copy) and one render. While a sample is "
        "shown, the meshes of the rows above and below it are built in the background (one job "
        "at a time), so stepping through the table only pays the hand-over and the render; a "
        "random jump pays the whole chain. The render is what software OpenGL (llvmpipe) pays "
        "per pixel and per light: one camera-following key light instead of VTK's five-light "
        "kit and back-face culling of the closed surface cut it from ~270 ms to ~85 ms for a "
        "125k-triangle GRF surface in a 900×780 view; voxel surfaces are handed over with "
        "vertex normals, which saves VTK a normal computation on the GUI thread (~70 ms). "
        "No anti-aliasing, no depth peeling; scale axes are rebuilt only when the shape or "
        "voxel size changes. The start-up time is measured from launching the process until "
        "the first structure is on screen (Qt, VTK and the dataset opened; the solver modules "
        "are imported afterwards).",
        "",
        HISTORY,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="start-up repetitions")
    parser.add_argument("--samples", type=int, default=12, help="selections per case")
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench_gui.md"))
    args = parser.parse_args()
    from porestudio.gui.app import default_dataset

    sys.path.insert(0, str(ROOT / "scripts"))
    from _machine import bench_header

    header = bench_header()
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
    table = table_seconds()
    load_after = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text = report(startup, startup_grf, selections, table, load_before, load_after, header)
    from porestudio.atomic import atomic_path

    with atomic_path(args.out, overwrite=True) as tmp_out:  # regenerates its page
        tmp_out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
