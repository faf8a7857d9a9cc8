from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch

from porestudio.errors import FormatError, InputError
from porestudio.ml import api
from porestudio.ml.modelfile import load_model, read_model_config, save_model


@pytest.fixture(scope="module")
def cnn_model(squares_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("m") / "cnn"
    api.train(
        "cnn", squares_set, out, epochs=1,
        config_overrides={"arch": {"channels": [4, 8, 8, 8]}},
    )  # fmt: skip
    return out


def test_round_trip_is_bit_exact(cnn_model, tmp_path):
    m = load_model(cnn_model)
    copy = save_model(tmp_path / "copy", m.module, dict(m.config))
    m2 = load_model(copy)
    for (k, a), (_, b) in zip(
        m.module.state_dict().items(), m2.module.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), k
    x = np.ones((1, 2, 20, 20), bool)
    assert m.predict(x)["k_zz"] == m2.predict(x)["k_zz"]


def test_existing_model_is_not_replaced(cnn_model):
    m = load_model(cnn_model)
    with pytest.raises(Exception, match="already holds a model"):
        save_model(cnn_model, m.module, dict(m.config))


def test_pickle_offered_as_model_is_refused(tmp_path):
    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(FormatError, match="pickle"):
        load_model(bad)
    d = tmp_path / "dir"
    d.mkdir()
    torch.save({"a": torch.zeros(2)}, d / "model.safetensors")
    (d / "model.json").write_text(
        json.dumps({"format": "porestudio-model", "version": 1, "kind": "cnn"})
    )
    with pytest.raises(FormatError, match="zip"):
        load_model(d)


def test_truncated_and_corrupt_weights_are_refused(cnn_model, tmp_path):
    import shutil

    d = tmp_path / "t"
    shutil.copytree(cnn_model, d)
    w = d / "model.safetensors"
    blob = w.read_bytes()
    w.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(FormatError, match="sha256"):
        load_model(d)
    w.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(FormatError, match="sha256"):
        load_model(d)
    assert read_model_config(d)["kind"] == "cnn"


def test_model_refuses_data_that_does_not_fit(cnn_model):
    m = load_model(cnn_model)
    with pytest.raises(InputError, match="sections"):
        m.predict(np.ones((1, 2, 21, 20), bool))
    with pytest.raises(InputError, match="extruded"):
        m.predict(np.random.default_rng(0).random((1, 2, 20, 20)) > 0.5)


def test_cnn_evaluation_on_its_test_split_and_on_another_set(
    cnn_model, squares_set, squares_writer, tmp_path
):
    res = api.evaluate(cnn_model, squares_set)
    assert res["split"] == "test" and res["n"] == 24 and "reconstruction" not in res
    assert np.isfinite(res["properties"]["k_zz"]["mape"])
    assert res["kozeny_carman"]["k_zz"]["c"] > 0
    other = squares_writer(tmp_path / "other.h5", 12, seed=9)
    res2 = api.evaluate(cnn_model, other)
    assert res2["split"] == "all" and res2["n"] == 12
