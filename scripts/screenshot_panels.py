"""Screenshots of the studio's model panels (latent map, design, interpolation, training).

Drives the real main window: opens a labelled dataset, loads a pVAE and a CNN, picks two
structures, interpolates and scrubs, designs for a target and selects a candidate, then
saves the window and each panel as PNG in ``--out`` (default ``docs/``). Without ``--pvae``
it first trains a tiny pVAE and CNN on generated squares (a few minutes on two cores).

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshot_panels.py --out docs

With ``--pvae3d DIR`` (a 3D pVAE) it also shoots the CT variants panel: the model loaded (its
training dataset opens), a 50³ FiberForm sub-volume of ``resources/ct_fiberform50.h5`` taken
in (the crop offer), cropped, encoded and placed on the map; with the model's CNN loaded
(a shipped 3D default) it designs variants of that cube (scored by the CNN) and shoots the
window.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

log = logging.getLogger("screenshot_panels")

TINY_PVAE = {
    "arch": {"channels": [8, 16, 16, 16], "latent_dim": 16},
    "stages": [
        {"name": "vae", "epochs": 12, "lr": 2e-3, "train": ["encoder", "decoder"],
         "recon": 1.0, "beta": 1.0, "gamma": 0.0},
        {"name": "joint", "epochs": 24, "lr": 2e-3,
         "train": ["encoder", "decoder", "regressor"], "recon": 1.0, "beta": 1.0, "gamma": 5.0},
    ],
}  # fmt: skip


def tiny_models(folder: Path) -> tuple[Path, Path, Path]:
    """A labelled squares set and a tiny pVAE + CNN trained on it."""
    import numpy as np

    from porestudio.ml import api
    from porestudio.physics.stokes2d import extruded_permeability_batch
    from porestudio.structures.dataset import DatasetWriter
    from porestudio.structures.generators import squares_batch

    n, size = 400, 20
    sections = squares_batch(n, 3, size=size, depth=2, pore_size=4, n_pores=(3, 10))
    k = np.full((n, 3, 3), np.nan)
    k[:, 2, 2] = extruded_permeability_batch(sections, refine=2, richardson=False)
    data = folder / "squares.h5"
    with DatasetWriter(data, shape=(2, size, size), voxel_size_m=1e-5) as w:
        prov = [{"generator": "squares", "index": i} for i in range(n)]
        labels = {"permeability_lu": k, "label_status": np.ones(n, np.int8)}
        w.append(np.broadcast_to(sections[:, None], (n, 2, size, size)), provenance=prov,
                 properties=labels)  # fmt: skip
    api.train("pvae", data, folder / "pvae", config_overrides=TINY_PVAE)
    api.train("cnn", data, folder / "cnn", epochs=5)
    return data, folder / "pvae", folder / "cnn"


def _wait(app, condition, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the studio did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def _settle(app, window, seconds: float = 0.5) -> None:
    _wait(app, lambda: not window.jobs.busy())
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def shoot(
    data: Path, pvae: Path, cnn: Path, out: Path, target=(0.3, 0.2), training=True
) -> list[Path]:  # noqa: E501
    """Drive the window through the panels and save the screenshots; returns the files."""
    from PySide6 import QtCore

    from porestudio.design.inverse import DesignOptions
    from porestudio.gui.app import application
    from porestudio.gui.main_window import MainWindow, grab_window
    from porestudio.gui.settings import Settings

    app = application()
    ini = QtCore.QSettings(str(out / ".screenshot.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=Settings(ini))
    w.resize(1600, 1000)
    w.show()
    w.open_dataset(data)
    _wait(app, lambda: w.studio.table is not None)
    w.panels.load(str(pvae))
    w.panels.load(str(cnn))
    _wait(app, lambda: w.studio.latent is not None and w.studio.surrogate is not None)
    lmap = w.studio.latent
    w.panels.latent.pick_row(int(lmap.scores[:, 0].argmin()))
    w.panels.latent.pick_row(int(lmap.scores[:, 0].argmax()), second=True)
    w.panels.interpolation.steps_spin.setValue(16)
    w.panels.interpolation.interpolate()
    _wait(app, lambda: w.studio.path is not None)
    w.panels.interpolation.verify_edit.setText("every 3")
    w.panels.interpolation.verify()
    _settle(app, w)
    w.panels.interpolation.slider.setValue(9)
    design = w.panels.design
    design.options = DesignOptions(k_init=30, keep=4, screen_steps=40, steps=80, patience=20)
    design.fields["porosity"].setText(str(target[0]))
    design.fields["k_zz"].setText(str(target[1]))
    design.design()
    _wait(app, lambda: w.studio.results != ())
    design.gallery.selectRow(0)
    _settle(app, w, 1.0)
    files = []
    for name in ("Design", "Interpolation", "Latent map"):
        w.docks[name].raise_()
        _settle(app, w)
        widget = w.docks[name].widget()
        path = out / f"panel_{name.lower().replace(' ', '_')}.png"
        widget.grab().save(str(path))
        files.append(path)
    w.docks["Design"].raise_()
    _settle(app, w)
    files.append(grab_window(w, out / "studio_design.png", overwrite=True))
    if training:
        files.append(_training_shot(app, w, data, out))
    w.close()
    return files


def ct_shots(app, w, pvae3d: Path, out: Path) -> list[Path]:
    """The CT variants panel before and after encoding, and the map with the CT marker."""
    from porestudio.resources import RESOURCES_DIR

    w.panels.load_3d(str(pvae3d))
    _wait(app, lambda: w.studio.model is not None and w.studio.model.spec.dims == 3
          and w.studio.latent is not None)  # fmt: skip
    w.panels._ct_imported(str(RESOURCES_DIR / "ct_fiberform50.h5"))
    _settle(app, w)
    panel = w.panels.ct
    files = [out / "panel_ct_variants_fit.png", out / "panel_ct_variants.png",
             out / "panel_latent_map_ct.png"]  # fmt: skip
    panel.grab().save(str(files[0]))
    panel.crop()
    panel.encode()
    _wait(app, lambda: w.studio.start is not None)
    _settle(app, w)
    panel.grab().save(str(files[1]))
    w.docks["Latent map"].raise_()
    _settle(app, w)
    w.docks["Latent map"].widget().grab().save(str(files[2]))
    if w.studio.surrogate is not None:  # a trained 3D set: design variants of the CT cube
        files.append(ct_design_shot(app, w, out))
    return files


def ct_design_shot(app, w, out: Path) -> Path:
    """Variants of the encoded CT cube, 20 % more permeable along each axis, scored by the 3D
    CNN (no LBM verification: a 48³ tensor takes seconds to minutes per candidate on a CPU);
    the best one in viewer B beside its nearest training structure, the whole window."""
    from porestudio.gui.main_window import grab_window

    pore = w.panels.ct.source.pore
    pred = w.studio.surrogate.predict(pore[None])
    design = w.panels.design
    w.panels.ct.design_button.click()
    design.fields["porosity"].setText(f"{float(pore.mean()):.3f}")
    for c in ("k_xx", "k_yy", "k_zz"):
        design.fields[c].setText(f"{1.2 * float(pred[c][0]):.4g}")
    design.count_spin.setValue(3)
    design.verify_box.setChecked(False)
    design.design()
    _wait(app, lambda: w.studio.results != (), 1200.0)
    design.gallery.selectRow(0)
    _settle(app, w, 1.0)
    return grab_window(w, out / "studio_design_3d.png", overwrite=True)


def _training_shot(app, w, data: Path, out: Path) -> Path:
    panel = w.panels.training
    panel.kind_box.setCurrentText("cnn")
    panel.epochs_spin.setValue(12)
    with tempfile.TemporaryDirectory() as tmp:
        panel.out_edit.setText(str(Path(tmp) / "cnn"))
        w.docks["Training"].raise_()
        panel.train()
        _wait(app, lambda: not panel.task.is_busy())
        _settle(app, w)
        path = out / "panel_training.png"
        panel.grab().save(str(path))
    return path


def _ct_run(pvae3d: Path, out: Path) -> list[Path]:
    from PySide6 import QtCore

    from porestudio.gui.app import application
    from porestudio.gui.main_window import MainWindow
    from porestudio.gui.settings import Settings

    app = application()
    ini = QtCore.QSettings(str(out / ".screenshot.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=Settings(ini))
    w.resize(1600, 1000)
    w.show()
    try:
        return ct_shots(app, w, pvae3d, out)
    finally:
        w.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path)
    parser.add_argument("--pvae", type=Path)
    parser.add_argument("--cnn", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument(
        "--target",
        type=float,
        nargs=2,
        default=(0.3, 0.2),
        metavar=("POROSITY", "K_ZZ"),
        help="design target (k in voxel²)",
    )
    parser.add_argument("--no-training", action="store_true", help="skip the training panel")
    parser.add_argument("--pvae3d", type=Path, help="a 3D pVAE: also shoot the CT panel")
    parser.add_argument("--only-ct", action="store_true", help="only the CT panel shots")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.pvae is None and not args.only_ct:
            log.info("training a tiny pVAE and CNN on generated squares…")
            args.dataset, args.pvae, args.cnn = tiny_models(Path(tmp))
        shots = (
            []
            if args.only_ct
            else shoot(
                args.dataset,
                args.pvae,
                args.cnn,
                args.out,
                tuple(args.target),
                not args.no_training,
            )
        )
        if args.pvae3d is not None:
            shots += _ct_run(args.pvae3d, args.out)
        for path in shots:
            log.info("wrote %s", path)
    (args.out / ".screenshot.ini").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
