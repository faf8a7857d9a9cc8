"""Studio speed (issue 12 item 8): start-up to the map, slider scrubbing, a verified design.

Drives the real main window under the current display (use ``xvfb-run -a -s "-screen 0
1600x1000x24"`` without one) on a labelled dataset with a pVAE and a CNN (``--dataset``,
``--pvae``, ``--cnn``; without them the small models of ``scripts/screenshot_panels.py`` are
trained first) and writes a markdown table (``--out``, default ``docs/bench_studio.md``).

Measured:
- *open → map*: from opening the dataset and loading both models until the latent map is
  drawn (the dataset encoded once: the design reference and the map);
- *scrubbing*: steps of a decoded path shown in viewer B one after the other, each until
  its surface is rendered (the decode is done once when the path is made), frames/s;
- *design*: one target, 5 candidates, physics-verified, with the library's default settings.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def _wait(app, condition, timeout_s: float = 600.0) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout_s:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.002)
    return time.perf_counter() - start


def measure(data: Path, pvae: Path, cnn: Path, steps: int = 30) -> dict[str, float]:
    """The three timings (seconds, frames/s) on the given models."""
    from PySide6 import QtCore

    from porestudio.gui.app import application
    from porestudio.gui.main_window import MainWindow
    from porestudio.gui.settings import Settings

    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        ini = QtCore.QSettings(str(Path(tmp) / "s.ini"), QtCore.QSettings.Format.IniFormat)
        w = MainWindow(settings=Settings(ini))
        w.resize(1600, 1000)
        w.show()
        t0 = time.perf_counter()
        w.open_dataset(data)
        _wait(app, lambda: w.studio.table is not None)
        w.panels.load(str(pvae))
        w.panels.load(str(cnn))
        _wait(app, lambda: w.studio.latent is not None and w.studio.surrogate is not None)
        app.processEvents()
        out = {"open_to_map_s": time.perf_counter() - t0}
        out["scrub_fps"] = _scrub(app, w, steps)
        out["design_s"] = _design(app, w)
        w.close()
    return out


def _scrub(app, w, steps: int) -> float:
    studio = w.studio
    lmap = studio.latent
    studio.pick(int(lmap.indices[lmap.scores[:, 0].argmin()]))
    studio.pick(int(lmap.indices[lmap.scores[:, 0].argmax()]), add=True)
    w.panels.interpolation.steps_spin.setValue(steps)
    w.panels.interpolation.interpolate()
    _wait(app, lambda: studio.path is not None)
    _wait(app, lambda: not w.jobs.busy())
    viewer = w.viewers.b
    start = time.perf_counter()
    for step in range(1, steps):
        w.panels.interpolation.slider.setValue(step)
        _wait(app, lambda s=step: viewer.structure is not None
              and viewer.structure.provenance.get("step") == s)  # fmt: skip
    return (steps - 1) / (time.perf_counter() - start)


def _design(app, w) -> float:
    panel = w.panels.design
    panel.options = None
    panel.fields["porosity"].setText("0.3")
    panel.fields["k_zz"].setText("0.2")
    panel.count_spin.setValue(5)
    panel.verify_box.setChecked(True)
    start = time.perf_counter()
    panel.design()
    _wait(app, lambda: w.studio.results != ())
    return time.perf_counter() - start


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import bench_header
    from screenshot_panels import tiny_models

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path)
    parser.add_argument("--pvae", type=Path)
    parser.add_argument("--cnn", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/bench_studio.md"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.pvae is None:
            args.dataset, args.pvae, args.cnn = tiny_models(Path(tmp))
        r = measure(args.dataset, args.pvae, args.cnn)
    rows = [
        ("open dataset + load models → latent map drawn", f"{r['open_to_map_s']:.1f} s", "≤ 5 s"),
        ("slider scrubbing: path steps rendered in viewer B", f"{r['scrub_fps']:.1f} frames/s",
         "≥ 10 (2D)"),
        ("design: 1 target, 5 candidates, physics-verified (library defaults)",
         f"{r['design_s']:.1f} s", "≤ 10 s (2D)"),
    ]  # fmt: skip
    lines = ["# Studio speed (issue 12 item 8)", "", *bench_header(),
             f"Dataset `{args.dataset.name}`; pVAE and CNN from `{args.pvae.parent}`.", "",
             "| measure | result | goal |", "|---|---|---|",
             *(f"| {a} | {b} | {c} |" for a, b, c in rows), ""]  # fmt: skip
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
