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
- *design*: one target, 5 candidates, physics-verified, with the library's default settings;
- *start-up*: a fresh ``python`` process opening the studio on the default dataset, until
  viewer A has painted the first structure and the latent map is drawn (``--startup``), with
  nothing encoded (a resources folder without ``latent/``: the encoder runs), as a first
  start ships (empty user cache, the default encoding read from ``resources/latent``) and
  again with the user cache it filled;
- *3D scrubbing* (``--pvae3d DIR``, the model's training dataset opened for it): as above
  on a path of that model. ``--pvae3d speed-only`` trains a throwaway 48³ pVAE (default
  architecture, one epoch, Kozeny–Carman labels) whose only use is this timing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T_IMPORT = time.perf_counter()


def _wait(app, condition, timeout_s: float = 600.0) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout_s:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.002)
    return time.perf_counter() - start


def measure(
    data: Path, pvae: Path, cnn: Path, steps: int = 30, pvae3d: Path | None = None
) -> dict[str, float]:
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
        if pvae3d is not None:
            out["scrub3d_fps"], out["shape3d"] = _scrub3d(app, w, pvae3d)
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


def _scrub3d(app, w, pvae3d: Path, steps: int = 20) -> tuple[float, str]:
    from porestudio.gui.viewer import ScrubPolicy

    w.panels.load_3d(str(pvae3d))
    _wait(app, lambda: w.studio.model is not None and w.studio.model.spec.dims == 3
          and w.studio.latent is not None)  # fmt: skip
    _wait(app, lambda: not w.jobs.busy())
    _interpolate(app, w, steps)
    fps, _ = _scrub(app, w, steps, ScrubPolicy())
    return fps, "×".join(map(str, w.studio.model.spec.sample_shape_zyx))


def without_shipped_encodings(tmp: Path) -> Path:
    """A resources folder of links to the real one, less ``latent/`` (nothing encoded)."""
    from porestudio.resources import RESOURCES_DIR

    out = tmp / "resources-unencoded"
    out.mkdir()
    for item in RESOURCES_DIR.iterdir():
        if item.name != "latent":
            (out / item.name).symlink_to(item)
    return out


def startup_child() -> None:
    """Child process: open the studio on the default dataset; print READY when the first
    structure is painted and the map drawn."""
    from PySide6 import QtCore

    from porestudio.gui.app import application, create_window
    from porestudio.gui.settings import Settings

    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        ini = QtCore.QSettings(str(Path(tmp) / "s.ini"), QtCore.QSettings.Format.IniFormat)
        w = create_window(None, Settings(ini))
        w.resize(1600, 1000)
        _wait(app, lambda: w.studio.latent is not None and w.viewers.a.on_screen is not None)
        print(f"READY {time.perf_counter() - T_IMPORT:.3f}", flush=True)
        _wait(app, lambda: not w.jobs.busy())
        w.close()


def startup(cache: Path, resources: Path | None = None) -> float:
    """Seconds from launching a studio process until READY (``cache``: XDG_CACHE_HOME;
    ``resources``: another PORESTUDIO_RESOURCES)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    if resources is not None:
        env["PORESTUDIO_RESOURCES"] = str(resources)
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--startup-child"], env=env,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    for line in child.stdout:
        if line.startswith("READY"):
            elapsed = time.perf_counter() - start
            break
    else:
        raise RuntimeError("the studio did not start")
    child.wait(timeout=120)
    return elapsed


def speed_only_pvae3d(folder: Path, size: int = 48, count: int = 24) -> Path:
    """A throwaway 3D pVAE for timing only (see the module docstring)."""
    import numpy as np

    from porestudio.ml import api
    from porestudio.physics.lbm.tau import kozeny_carman
    from porestudio.structures import generators
    from porestudio.structures.dataset import DatasetWriter

    pores = [
        generators.grf(i, shape=(size,) * 3, porosity=0.3 + 0.01 * i,
                       correlation_length_vox=(3, 3, 6)).pore
        for i in range(count)
    ]  # fmt: skip
    k = np.zeros((count, 3, 3))
    for i, p in enumerate(pores):
        k[i] = np.eye(3) * kozeny_carman(p)
    data = folder / "speed_only_3d.h5"
    with DatasetWriter(data, shape=(size,) * 3, voxel_size_m=None) as w:
        w.append(np.stack(pores), properties={"permeability_lu": k,
                                              "label_status": np.ones(count, np.int8)})  # fmt: skip
    return api.train("pvae", data, folder / "pvae3d", epochs=1, seed=1).directory


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
    parser.add_argument("--pvae3d", help="a 3D pVAE folder, or 'speed-only'")
    parser.add_argument("--startup", action="store_true", help="also time fresh start-ups")
    parser.add_argument("--startup-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path("docs/bench_studio.md"))
    args = parser.parse_args()
    if args.startup_child:
        startup_child()
        return
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache-window")  # open → map: encodes
        r = {}
        if args.startup:
            bare = without_shipped_encodings(Path(tmp))
            r["startup_bare_s"] = startup(Path(tmp) / "cache-bare", bare)
            r["startup_cold_s"] = startup(Path(tmp) / "cache")
            r["startup_warm_s"] = startup(Path(tmp) / "cache")
        if args.pvae is None:
            args.dataset, args.pvae, args.cnn = tiny_models(Path(tmp))
        pvae3d = args.pvae3d
        if pvae3d == "speed-only":
            pvae3d = speed_only_pvae3d(Path(tmp))
        r |= measure(args.dataset, args.pvae, args.cnn,
                     pvae3d=Path(pvae3d) if pvae3d else None)  # fmt: skip
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
    if "startup_cold_s" in r:
        rows[:0] = [
            ("start-up → first structure painted + latent map (first start, nothing encoded: "
             "the encoder runs)", f"{r['startup_bare_s']:.1f} s", "—"),
            ("start-up → first structure painted + latent map (first start: empty user cache, "
             "the default encoding shipped in resources/latent)",
             f"{r['startup_cold_s']:.1f} s", "≤ 5 s"),
            ("start-up → first structure painted + latent map (encoding cached)",
             f"{r['startup_warm_s']:.1f} s", "≤ 5 s"),
        ]  # fmt: skip
    if "scrub3d_fps" in r:
        kind = " (speed-only model)" if args.pvae3d == "speed-only" else ""
        rows.append((f"slider scrubbing, 3D pVAE{kind}, {r['shape3d']} cubes",
                     f"{r['scrub3d_fps']:.1f} frames/s", "≥ 4 (3D)"))  # fmt: skip
    lines = ["# Studio speed (issue 12 item 8)", "", *bench_header(),
             f"Dataset `{args.dataset.name}`; pVAE and CNN from `{args.pvae.parent}`.", "",
             "| measure | result | goal |", "|---|---|---|",
             *(f"| {a} | {b} | {c} |" for a, b, c in rows), ""]  # fmt: skip
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
