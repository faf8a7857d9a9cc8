"""The calibrated conductance estimate a 3D model carries (ml/estimate.py)."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from porestudio.errors import FormatError, InputError
from porestudio.ml import api, estimate, modelfile, physics_inputs
from porestudio.structures.dataset import open_dataset

ARCH = {"channels": [4, 8, 8, 8], "kernels": [3, 3, 3, 3], "physics_inputs": ["conductance"]}


def test_the_fit_recovers_a_power_law_and_keeps_zero_flow_at_zero():
    rng = np.random.default_rng(0)
    q = np.exp(rng.uniform(-6, 2, size=(200, 3)))
    a, b = np.array([1.1, 0.9, 1.3]), np.array([-0.4, 0.2, -1.0])
    k = np.exp(b) * q**a * np.exp(rng.normal(0, 0.01, size=q.shape))
    q[:5, 0], k[:5, 0] = 0.0, 0.0  # no flow along x: not fitted on
    fit = estimate.fit_power_law(q, k)
    np.testing.assert_allclose(fit.a, a, atol=0.01)
    np.testing.assert_allclose(fit.b, b, atol=0.02)
    assert fit.n == (195, 200, 200)
    out = fit.apply(q)
    assert (out[:5, 0] == 0).all()
    np.testing.assert_allclose(out[5:], np.exp(fit.b) * q[5:] ** np.array(fit.a), rtol=1e-12)
    assert estimate.PowerLaw.from_json(json.loads(json.dumps(fit.to_json()))) == fit


def test_bad_fits_and_malformed_json_are_clear_errors():
    q = np.arange(1.0, 13.0).reshape(4, 3)
    with pytest.raises(InputError, match="too few samples flowing along y"):
        estimate.fit_power_law(q, np.array([[1.0, 0, 1]] * 4))
    with pytest.raises(InputError, match="along x are all equal"):
        estimate.fit_power_law(np.ones((4, 3)), np.ones((4, 3)))
    with pytest.raises(InputError, match="differ in shape"):
        estimate.fit_power_law(np.ones((4, 3)), np.ones((5, 3)))
    for bad in ({"a": [1, 1], "b": [0, 0], "n": [1, 1]}, {"a": [1, 1, 1]},
                {"a": [1, 1, "x"], "b": [0, 0, 0], "n": [3, 3, 3]}):  # fmt: skip
        with pytest.raises(FormatError, match="physics_fit"):
            estimate.PowerLaw.from_json(bad)
    assert estimate.of_model({}) is None


@pytest.mark.slow
def test_train_stores_the_fit_and_fit_estimate_reproduces_it(grf3d_set, tmp_path):
    over = {"arch": ARCH}
    r = api.train("cnn", grf3d_set, tmp_path / "c", epochs=1, seed=3, config_overrides=over)
    stored = estimate.of_model(r.config)
    m = api.load(r.directory)
    with open_dataset(grf3d_set) as ds:
        pores = ds.pores(0, 24)
        k_lu = ds.properties(["permeability_lu"])["permeability_lu"]
    raw = physics_inputs.compute(pores)
    test = np.asarray(r.config["training"]["test_indices"])
    # fitted on the samples outside the test split, against the LBM labels
    rest = np.setdiff1d(np.arange(24), test)
    k = np.stack([k_lu[:, j, j] for j in range(3)], 1)
    direct = estimate.fit_power_law(raw[rest], k[rest])
    assert direct.n == stored.n
    np.testing.assert_allclose(direct.a + direct.b, stored.a + stored.b, rtol=1e-9)
    got = m.estimate(pores)
    np.testing.assert_allclose(got["k_yy"], stored.apply(raw)[:, 1], rtol=1e-12)
    # the calibrated physics reads the held-out cubes' k (a real fit, not a constant)
    held = np.stack([got[f"k_{a}{a}"][test] for a in "xyz"], 1)
    assert np.median(np.abs(held / k[test] - 1)) < 0.35
    # fitted again afterwards (scripts/fit_physics_estimate.py): the same fit, same weights
    weights = hashlib.sha256((r.directory / modelfile.WEIGHTS).read_bytes()).hexdigest()
    config = modelfile.read_model_config(r.directory)
    del config[estimate.KEY]
    (r.directory / modelfile.CONFIG).write_text(json.dumps(config))
    assert api.load(r.directory).estimate(pores) is None
    again = api.fit_estimate(r.directory, cache=tmp_path / "c2")
    assert again.n == stored.n
    np.testing.assert_allclose(again.a + again.b, stored.a + stored.b, rtol=1e-9)
    assert hashlib.sha256((r.directory / modelfile.WEIGHTS).read_bytes()).hexdigest() == weights
    assert estimate.of_model(api.load(r.directory).config) == again
    # evaluate scores the model's own fit; the script rescores an older evaluation.json
    ev = api.evaluate(r.directory, grf3d_set)
    assert ev["conductance_estimate"]["k_xx"]["a"] == pytest.approx(again.a[0])
    assert ev["conductance_estimate"]["k_xx"]["fitted_on"] == "the model's training samples"
    old = {**ev, "conductance_estimate": {"k_xx": {"a": 9.0}}}
    (r.directory / "evaluation.json").write_text(json.dumps(old, default=str))
    script = _script("fit_physics_estimate")
    assert script.main([str(r.directory), "--cache", str(tmp_path / "c2"),
                        "--refresh-evaluation"]) is None  # fmt: skip
    new = json.loads((r.directory / "evaluation.json").read_text())
    assert new["conductance_estimate"] == json.loads(
        json.dumps(ev["conductance_estimate"], default=str)
    )
    assert new["properties"] == json.loads(json.dumps(ev["properties"], default=str))


def _script(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fit_estimate_refuses_a_model_without_physics_inputs(tmp_path, grf3d_set):
    r = api.train("cnn", grf3d_set, tmp_path / "c", epochs=1, seed=3,
                  config_overrides={"arch": {k: v for k, v in ARCH.items()
                                             if k != "physics_inputs"}})  # fmt: skip
    assert estimate.KEY not in r.config
    before = (r.directory / modelfile.CONFIG).read_bytes()
    with pytest.raises(InputError, match="only a 3D model that reads"):
        api.fit_estimate(r.directory)
    assert (r.directory / modelfile.CONFIG).read_bytes() == before
    with pytest.raises(InputError, match="cannot be changed"):
        modelfile.update_config(r.directory, {"weights_sha256": "0" * 64})
    shutil.rmtree(r.directory)


def test_a_fit_that_cannot_be_made_leaves_the_trained_model_without_one():
    from types import SimpleNamespace

    from porestudio.ml.training import _physics_fit

    props = ("porosity", "k_xx", "k_yy", "k_zz")
    y = np.array([[0.5, 1.0, 0.0, 1.0]] * 6)  # nothing flows along y: no fit possible
    prep = SimpleNamespace(aux=np.arange(1.0, 19.0).reshape(6, 3), y=y,
                           spec=SimpleNamespace(properties=props),
                           parts={"train": np.arange(4), "val": np.arange(4, 6)})  # fmt: skip
    assert _physics_fit(prep) == {}
    y[:, 2] = np.arange(1.0, 7.0)
    assert estimate.KEY in _physics_fit(prep)
