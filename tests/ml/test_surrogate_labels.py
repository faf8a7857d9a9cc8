"""The bottom-up route: a CNN labels what physics has not; training keeps the two apart."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from porestudio.cli import main
from porestudio.ml import api
from porestudio.ml.surrogate_labels import label_with_surrogate
from porestudio.physics.campaign import label_dataset

TINY_CNN = {"arch": {"channels": [4, 8, 8, 8], "kernels": [3, 3, 3, 3], "dense": [16, 8]},
            "stages": [{"name": "cnn", "epochs": 3}]}  # fmt: skip


@pytest.fixture(scope="module")
def cnn(squares_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("sur") / "cnn"
    api.train("cnn", squares_set, out, config_overrides=TINY_CNN)
    return out


@pytest.fixture
def half_labelled(squares_writer, tmp_path):
    """120 squares samples, the second half stripped of its labels."""
    path = squares_writer(tmp_path / "half.h5", 120, seed=21)
    with h5py.File(path, "r+") as f:
        f["properties/label_status"][60:] = 0
        k = f["properties/permeability_lu"][...]
        k[60:] = np.nan
        f["properties/permeability_lu"][...] = k
    return path


def _props(path):
    with h5py.File(path) as f:
        return {k: f[f"properties/{k}"][...] for k in ("label_status", "permeability_lu",
                                                       "porosity")}  # fmt: skip


def test_surrogate_labels_fill_only_what_physics_left(cnn, half_labelled):
    before = _props(half_labelled)
    summary = label_with_surrogate(cnn, half_labelled)
    after = _props(half_labelled)
    assert summary.labelled == 60 and summary.skipped_physics == 60
    assert summary.components == ("k_zz",)
    np.testing.assert_array_equal(after["label_status"][:60], 1)
    np.testing.assert_array_equal(after["label_status"][60:], 3)
    np.testing.assert_array_equal(after["permeability_lu"][:60], before["permeability_lu"][:60])
    k = after["permeability_lu"][60:]
    assert np.isfinite(k[:, 2, 2]).all() and (k[:, 2, 2] > 0).all()
    assert np.isnan(k[:, 0, 0]).all()  # only what the CNN predicts
    from porestudio.structures.dataset import open_dataset

    with open_dataset(half_labelled) as ds:
        phi = np.array([ds.pore(i).mean() for i in range(60, 120)])
        attrs = ds.property_attrs("permeability_lu")
    assert attrs["surrogate_model_sha256"] == api.load(cnn).config["weights_sha256"]
    np.testing.assert_allclose(after["porosity"][60:], phi)


def test_training_uses_surrogate_rows_for_training_only(cnn, half_labelled, tmp_path):
    label_with_surrogate(cnn, half_labelled)
    plain = api.train("cnn", half_labelled, tmp_path / "p", config_overrides=TINY_CNN)
    both = api.train("cnn", half_labelled, tmp_path / "b",
                     config_overrides={**TINY_CNN, "surrogate_labels": True})  # fmt: skip
    tp, tb = plain.config["training"], both.config["training"]
    assert tb["split_sizes"]["train"] == tp["split_sizes"]["train"] + 60
    assert tb["split_sizes"]["test"] == tp["split_sizes"]["test"]
    assert max(tb["test_indices"]) < 60  # test samples carry physics labels
    ev = api.evaluate(api.load(both.directory), half_labelled)
    # the model's own dataset: scored on its test split, physics labels only
    assert ev["split"] == "test" and ev["n"] == tb["split_sizes"]["test"]


def test_a_physics_campaign_replaces_surrogate_labels(cnn, half_labelled):
    label_with_surrogate(cnn, half_labelled)
    label_dataset(half_labelled, axes="z", workers=0, indices=[60, 61], refine=2)
    after = _props(half_labelled)
    np.testing.assert_array_equal(after["label_status"][60:62], 1)
    np.testing.assert_array_equal(after["label_status"][62:], 3)


def test_cli_label_surrogate_and_first(cnn, half_labelled, tmp_path, capsys):
    backup = tmp_path / "copy.h5"
    shutil.copy(half_labelled, backup)
    assert main(["label", str(half_labelled), "--surrogate", str(cnn)]) == 0
    assert "60 samples labelled by the surrogate" in capsys.readouterr().out
    pvae = tmp_path / "not_a_cnn"
    tiny = {"arch": {"channels": [4, 4, 4, 4], "latent_dim": 4},
            "stages": [{"name": "vae", "epochs": 1}]}  # fmt: skip
    api.train("pvae", backup, pvae, config_overrides=tiny)
    untouched = backup.read_bytes()
    assert main(["label", str(backup), "--surrogate", str(pvae)]) == 2
    assert "come from a CNN" in capsys.readouterr().err
    assert backup.read_bytes() == untouched
    assert main(["label", str(backup), "--axis", "z", "--first", "62", "--workers", "0"]) == 0
    assert _props(backup)["label_status"][60:62].tolist() == [1, 1]
    assert _props(backup)["label_status"][62] == 0
