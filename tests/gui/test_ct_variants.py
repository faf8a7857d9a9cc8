"""CT → latent → variants in the main window: a tiny real 3D pVAE and the real FiberForm CT.

Load the 3D model (its training dataset opens because the open 2D set does not fit it),
import a CT sub-volume through the studio's CT import, crop it to the model's cube, encode
it onto the map and design variants of it; the panel says when no 3D model is loaded.
"""

from __future__ import annotations

import time

import numpy as np

from porestudio.design.inverse import DesignOptions
from porestudio.gui.model.ct_latent import NO_3D_MODEL
from tests.gui.conftest import CT_FIBERFORM


def _wait(qtbot, condition, timeout_s=120.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        qtbot.wait(20)


def test_ct_sub_volume_to_latent_to_variants(window, qtbot, trained, trained3d, errors, tmp_path):
    w, studio, panel = window, window.studio, window.panels.ct
    w.open_dataset(trained.dataset)  # a 2D set: the 3D model does not fit it
    _wait(qtbot, lambda: studio.table is not None)
    assert panel.model_label.text() == NO_3D_MODEL and not panel.encode_button.isEnabled()
    w.panels.load_3d(str(trained3d.pvae))
    _wait(qtbot, lambda: studio.model is not None and studio.latent is not None)
    assert studio.table.path == trained3d.dataset  # its training dataset was opened
    assert panel.model_label.text().startswith("3D model: 8×8×8 cubes, 8-dim codes")
    dialog = w.panels.import_ct()
    qtbot.addWidget(dialog)
    dialog.set_source(str(CT_FIBERFORM))
    _wait(qtbot, lambda: dialog.scan is not None)
    dialog.sub_box.setChecked(True)
    dialog.size_spin.setValue(10)
    dialog.stride_spin.setValue(90)
    dialog.out_edit.setText(str(tmp_path / "ct.h5"))
    dialog.import_button.click()
    _wait(qtbot, lambda: panel.source is not None)
    assert studio.table.path == trained3d.dataset  # the CT set did not replace it
    assert panel.source.pore.shape == (10, 10, 10)
    assert "crop the centre to 8×8×8" in panel.fit_label.text()
    assert panel.crop_button.isEnabled() and not panel.encode_button.isEnabled()
    panel.crop()
    assert panel.source.pore.shape == (8, 8, 8) and panel.encode_button.isEnabled()
    panel.encode()
    _wait(qtbot, lambda: studio.start is not None)
    label = studio.start.label
    assert label.startswith("CT ct:0") and label in studio.markers
    assert len(w.panels.latent.markers.data) == 1  # the ▲ on the map
    design = w.panels.design
    assert design.start_box.isChecked() and label in design.start_box.text()
    panel.design_button.click()
    design.options = DesignOptions(k_init=0, keep=2, screen_steps=10, steps=20, patience=10)
    design.fields["porosity"].setText("0.6")
    design.count_spin.setValue(2)
    design.verify_box.setChecked(False)
    design.design()
    _wait(qtbot, lambda: studio.results != ())
    codes = np.stack([c.z for c in studio.results[0].candidates])
    far = np.linalg.norm(studio.reference.latent.mu - studio.start.code, axis=1).max()
    assert np.linalg.norm(codes - studio.start.code, axis=1).max() < far
    assert errors.messages == []


def test_a_2d_model_is_not_taken_for_a_3d_one(window, qtbot, trained, errors, wait_idle):
    w = window
    w.open_dataset(trained.dataset)
    w.panels.load(str(trained.pvae))
    _wait(qtbot, lambda: w.studio.model is not None)
    assert w.panels.ct.model_label.text() == "the loaded pVAE is 2D: " + NO_3D_MODEL
    w.panels.ct.use_viewer_a()
    _wait(qtbot, lambda: w.studio.shown["A"] is not None or errors.messages)
    w.panels.load_3d(str(trained.pvae))
    wait_idle(w.jobs)
    assert any("not a 3D pVAE" in m for m in errors.messages)
    assert not w.panels.ct.encode_button.isEnabled()


def test_the_default_3d_model_opens_its_design_space_with_its_cnn(window, qtbot, errors):
    """One click: the shipped 3D pVAE, the shipped 3D set it trained on, the 3D CNN."""
    from porestudio.resources import RESOURCES_DIR

    studio, panel = window.studio, window.panels.ct
    assert panel.default_button.isVisibleTo(panel)
    panel.default_button.click()
    _wait(qtbot, lambda: studio.model is not None and studio.latent is not None, 300.0)
    assert studio.table.path == RESOURCES_DIR / "default_3d.h5"
    assert studio.model.spec.dims == 3 and studio.model.kind == "pvae"
    _wait(qtbot, lambda: studio.surrogate is not None, 120.0)
    assert studio.surrogate.kind == "cnn" and studio.surrogate.spec.dims == 3
    assert panel.model_label.text().startswith("3D model: 48×48×48 cubes")
    assert errors.messages == []
