"""Studio speed (issue 12 item 8): start-up to the map, slider scrubbing, a verified design.

Drives the real main window under the current display (use ``xvfb-run -a -s "-screen 0
1600x1000x24"`` without one) on a labelled dataset with a pVAE and a CNN (``--dataset``,
``--pvae``, ``--cnn``; without them the small models of ``scripts/screenshot_panels.py`` are
trained first) and writes a markdown table (``--out``, default ``docs/bench_studio.md``).

Measured:
- *open → map*: from opening the dataset and loading both models until the latent map is
  drawn (the dataset encoded once: the design reference and the map);
- *scrubbing*: steps of a decoded path shown in viewer B one after the other, each until
  a render of its surface has finished (the decode is done once when the path is made),
  frames/s — with the viewer as it was (:data:`porestudio.gui.viewer.LEGACY`: full
  surface, rendered before the paint and in it, nothing meshed ahead) and as it is
  (draft surfaces while moving, one paint per frame, steps meshed ahead), in one run;
- *settle*: after the last step, until the full surface (the one export writes) is drawn;
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
        from porestudio.gui.viewer import LEGACY, ScrubPolicy

        _interpolate(app, w, steps)
        out["scrub_fps_legacy"], out["settle_legacy_s"] = _scrub(app, w, steps, LEGACY)
        out["scrub_fps"], out["settle_s"] = _scrub(app, w, steps, ScrubPolicy())
        out["design_s"] = _design(app, w)
        w.close()
    return out


def _interpolate(app, w, steps: int) -> None:
    studio = w.studio
    lmap = studio.latent
    studio.pick(int(lmap.indices[lmap.scores[:, 0].argmin()]))
    studio.pick(int(lmap.indices[lmap.scores[:, 0].argmax()]), add=True)
    w.panels.interpolation.steps_spin.setValue(steps)
    w.panels.interpolation.interpolate()
    _wait(app, lambda: studio.path is not None)
    _wait(app, lambda: not w.jobs.busy())


def _on_screen(viewer, step: int, full: bool = False) -> bool:
    shown = viewer.on_screen
    return (shown is not None and shown[0].provenance.get("step") == step
            and not (full and shown[1].draft))  # fmt: skip


def _scrub(app, w, steps: int, policy) -> tuple[float, float]:
    """Frames/s over steps 1..steps-1 from a rested slider at 0, then seconds to settle."""
    viewer, slider = w.viewers.b, w.panels.interpolation.slider
    viewer.policy = policy
    viewer.cache.clear()
    slider.setValue(0)
    _wait(app, lambda: _on_screen(viewer, 0, full=True))
    _wait(app, lambda: not w.jobs.busy())
    start = time.perf_counter()
    for step in range(1, steps):
        slider.setValue(step)
        _wait(app, lambda s=step: _on_screen(viewer, s))
    fps = (steps - 1) / (time.perf_counter() - start)
    settle = _wait(app, lambda: _on_screen(viewer, steps - 1, full=True))
    return fps, settle


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
        ("slider scrubbing: path steps rendered in viewer B, before (full surfaces)",
         f"{r['scrub_fps_legacy']:.1f} frames/s", "≥ 10 (2D)"),
        ("slider scrubbing: path steps rendered in viewer B, now (drafts while moving)",
         f"{r['scrub_fps']:.1f} frames/s", "≥ 10 (2D)"),
        ("slider rests → full surface drawn, now (incl. the 0.2 s settle delay)",
         f"{r['settle_s']:.2f} s", "—"),
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
