"""``train --init``: a fine-tune starts from a trained model's weights, scaler and split."""

from __future__ import annotations

import json

import numpy as np
import pytest

from porestudio.cli import main
from porestudio.errors import InputError
from porestudio.ml import api

TINY = {"arch": {"channels": [8, 16, 16, 16], "latent_dim": 16}}


@pytest.fixture(scope="module")
def base_model(squares_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("ft") / "base"
    api.train("pvae", squares_set, out, seed=1, config_overrides={
        **TINY, "stages": [{"name": "vae", "epochs": 2}, {"name": "regressor", "epochs": 1}],
    })  # fmt: skip
    return out


def test_fine_tune_starts_from_the_weights_and_improves_the_regressor(
    base_model, squares_set, tmp_path
):
    base = api.load(base_model)
    zero = api.train("pvae", squares_set, tmp_path / "zero", seed=1, init=base_model,
                     config_overrides={"stages": [{"name": "regressor", "epochs": 0}]})  # fmt: skip
    same = api.load(zero.directory)
    sec = np.random.default_rng(0).random((3, 1, 20, 20)) < 0.4
    x = np.repeat(sec, 2, axis=1)  # extruded along z, as the model's data
    # zero epochs: the written model is the starting model, weight for weight
    np.testing.assert_allclose(same.encode(x), base.encode(x), rtol=1e-6)
    ft = api.train("pvae", squares_set, tmp_path / "ft", seed=1, init=base_model,
                   config_overrides={"stages": [{"name": "regressor", "epochs": 6}]})  # fmt: skip
    cfg = ft.config
    assert cfg["arch"] == base.config["arch"] and cfg["scaler"] == base.config["scaler"]
    assert cfg["training"]["split_seed"] == base.config["training"]["split_seed"]
    assert cfg["training"]["test_indices"] == base.config["training"]["test_indices"]
    start = cfg["training"]["init_from"]
    assert start["weights_sha256"] == base.config["weights_sha256"]
    assert start["seconds"] == pytest.approx(base.config["training"]["seconds"])
    # the encoder was frozen in a regressor-only stage: same codes, better properties
    np.testing.assert_allclose(api.load(ft.directory).encode(x), base.encode(x), rtol=1e-5)
    r2 = lambda m: np.mean([p["r2"] for p in m["held_out"]["val"].values()])  # noqa: E731
    assert r2(ft.metrics) > r2(base.config["metrics"])


def test_fine_tune_refuses_another_kind_shape_or_overridden_arch(
    base_model, squares_set, squares_writer, tmp_path
):
    with pytest.raises(InputError, match="pvae model; it cannot start a cnn"):
        api.train("cnn", squares_set, tmp_path / "c", init=base_model)
    other = squares_writer(tmp_path / "other.h5", 40, seed=5, size=24)
    with pytest.raises(InputError, match="was trained on 2D"):
        api.train("pvae", other, tmp_path / "o", init=base_model)
    with pytest.raises(InputError, match="keeps the starting model's arch"):
        api.train("pvae", squares_set, tmp_path / "a", init=base_model,
                  config_overrides={"arch": {"channels": [4, 4, 4, 4]}})  # fmt: skip
    assert not (tmp_path / "c" / "model.json").exists()


def test_cli_train_init(base_model, squares_set, tmp_path, capsys):
    stages = json.dumps({"stages": [{"name": "transfer", "epochs": 1}]})
    rc = main(["train", "pvae", str(squares_set), "--out", str(tmp_path / "m"), "--init",
               str(base_model), "--config", stages, "--json"])  # fmt: skip
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["epochs_run"] == 1
    cfg = json.loads((tmp_path / "m" / "model.json").read_text())
    assert cfg["training"]["init_from"]["model"] == str(base_model)
    rc = main(["train", "pvae", str(squares_set), "--out", str(tmp_path / "n"), "--init",
               str(tmp_path / "nothing")])  # fmt: skip
    assert rc == 2
    assert "no such model" in capsys.readouterr().err
    assert not (tmp_path / "n").exists()  # refused before anything was written


def test_fine_tune_on_a_grown_dataset_keeps_the_test_samples_held_out(squares_writer, tmp_path):
    import h5py

    path = squares_writer(tmp_path / "grown.h5", 200, seed=4)
    with h5py.File(path, "r+") as f:  # the campaign had labelled 150 of them
        f["properties/label_status"][150:] = 0
    stages = {"stages": [{"name": "vae", "epochs": 1}, {"name": "regressor", "epochs": 1}]}
    base = api.train("pvae", path, tmp_path / "base", seed=2, config_overrides={**TINY, **stages})
    old_test = base.config["training"]["test_indices"]
    with h5py.File(path, "r+") as f:  # ... and went on: 50 more labels
        f["properties/label_status"][150:] = 1
    ft = api.train("pvae", path, tmp_path / "ft", seed=2, init=base.directory,
                   config_overrides={"stages": [{"name": "regressor", "epochs": 1}]})  # fmt: skip
    # the seed alone would draw another split over 200 samples: the old test part stays
    assert ft.config["training"]["test_indices"] == old_test
    sizes = ft.config["training"]["split_sizes"]
    assert sizes["test"] == len(old_test) and sum(sizes.values()) == 200


def test_a_new_architecture_is_measured_on_an_earlier_models_test_samples(grf3d_set, tmp_path):
    import json

    from porestudio.ml import api

    small = {"arch": {"channels": [4, 4, 4, 4], "kernels": [3, 3, 3, 3]}}
    a = api.train("cnn", grf3d_set, tmp_path / "a", epochs=1, seed=1, config_overrides=small)
    other = {
        "arch": {"channels": [4, 8, 8, 8], "kernels": [3, 3, 3, 3]},
        "test_like": str(a.directory),
    }
    b = api.train("cnn", grf3d_set, tmp_path / "b", epochs=1, seed=5, config_overrides=other)
    test_a = json.loads((a.directory / "model.json").read_text())["training"]["test_indices"]
    test_b = json.loads((b.directory / "model.json").read_text())["training"]["test_indices"]
    seed_b = api.train("cnn", grf3d_set, tmp_path / "c", epochs=1, seed=5, config_overrides=small)
    test_c = json.loads((seed_b.directory / "model.json").read_text())["training"]["test_indices"]
    assert sorted(test_b) == sorted(test_a) and sorted(test_c) != sorted(test_a)
