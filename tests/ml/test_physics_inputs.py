"""The 3D CNN with physics inputs (ml/physics_inputs.py, ml/cnn_physics.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.ml import api, augment, physics_inputs
from porestudio.structures import generators
from porestudio.structures.dataset import open_dataset

ARCH = {"channels": [4, 8, 8, 8], "kernels": [3, 3, 3, 3], "physics_inputs": ["conductance"]}


def test_augmented_physics_inputs_are_those_of_the_transformed_structure():
    import torch

    pore = generators.grf(1, shape=(12, 12, 12), porosity=0.5,
                          correlation_length_vox=(1.5, 2.5, 4.0)).pore  # fmt: skip
    x = torch.from_numpy(pore[None, None].astype(np.float32))
    aux = torch.from_numpy(physics_inputs.compute(pore[None])).float()
    syms = augment.symmetries(3, (12, 12, 12), ("porosity", "k_xx", "k_yy", "k_zz"))
    assert len(syms) == 48
    for code in range(len(syms)):
        moved = augment.apply(x, torch.zeros(1, 4), np.array([code]), syms, _Identity())[0]
        direct = physics_inputs.compute(moved[:, 0].numpy() > 0.5)
        permuted = augment.apply_axes(aux, np.array([code]), syms)
        np.testing.assert_allclose(permuted.numpy(), direct, rtol=1e-4)


class _Identity:
    """Target scaling that is the identity (the targets do not matter here)."""

    def inverse_t(self, y):
        return y

    def transform_t(self, y):
        return y


def test_a_cnn_with_physics_inputs_trains_caches_and_predicts(grf3d_set, tmp_path):
    over = {"arch": ARCH, "augment": True, "periodic_shift": True}
    r = api.train("cnn", grf3d_set, tmp_path / "c", epochs=3, seed=2, config_overrides=over)
    cache = json.loads((tmp_path / "c" / physics_inputs.CACHE).read_text())
    with open_dataset(grf3d_set) as ds:
        pores = ds.pores(0, 24)
    raw = physics_inputs.compute(pores)
    assert len(cache["values"]) == 24
    np.testing.assert_allclose(cache["values"]["5"], raw[5], rtol=1e-9)
    m = api.load(r.directory)
    assert m.physics_inputs
    pred = m.predict(pores[:6])
    assert all(v.shape == (6,) and np.isfinite(v).all() for v in pred.values())
    given = m.predict(pores[:6], physics=raw[:6])  # the caller's estimates: same answer
    assert all(np.allclose(given[k], pred[k], rtol=1e-5) for k in pred)
    # the physics inputs count: other estimates, other predictions
    import torch

    x = torch.from_numpy(pores[:6, None].astype(np.float32))
    with torch.no_grad():
        own = m.predict_t(x).numpy()
        other = m.predict_t(x, torch.from_numpy(raw[:6] * 10.0).float()).numpy()
    assert np.allclose(m.scaler.inverse(own)[:, 1], pred["k_xx"], rtol=1e-5)
    assert not np.allclose(own, other)
    # a second run on the same data reads the cache (a different cache value shows)
    cache["values"]["0"] = [1e3, 1e3, 1e3]
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / physics_inputs.CACHE).write_text(json.dumps(cache))
    api.train("cnn", grf3d_set, tmp_path / "d", epochs=1, seed=2, config_overrides=over)
    assert json.loads((tmp_path / "d" / physics_inputs.CACHE).read_text())["values"]["0"] == [
        1e3, 1e3, 1e3,
    ]  # fmt: skip


def test_physics_inputs_are_refused_for_2d_models_and_unknown_names(squares_set, tmp_path):
    with pytest.raises(InputError, match="physics_inputs"):
        api.train("cnn", squares_set, tmp_path / "a", epochs=1, config_overrides={"arch": ARCH})
    bad = {**ARCH, "physics_inputs": ["edt"]}
    with pytest.raises(InputError, match="physics_inputs"):
        from porestudio.ml.cnn import build_cnn

        build_cnn(3, 4, bad)


def test_the_conductance_baseline_recovers_a_power_law_and_is_reported_for_3d_models(
    grf3d_set, tmp_path
):
    from porestudio.ml.metrics import conductance_baseline

    q = np.array([0.1, 0.5, 1.0, 2.0, 0.0])
    k = 0.5 * q**1.2
    k[-1] = 0.3  # no estimate: left out
    fit = conductance_baseline(q, k)
    assert fit["a"] == pytest.approx(1.2) and fit["b"] == pytest.approx(np.log(0.5))
    assert fit["r2"] == pytest.approx(1.0) and fit["mape"] == pytest.approx(0.0, abs=1e-9)
    small = {"arch": {"channels": [4, 4, 4, 4], "kernels": [3, 3, 3, 3]},
             "fractions": [0.5, 0.1, 0.4]}  # fmt: skip
    r = api.train("cnn", grf3d_set, tmp_path / "c", epochs=1, config_overrides=small)
    ev = api.evaluate(api.load(r.directory), grf3d_set)
    assert set(ev["conductance_estimate"]) == {"k_xx", "k_yy", "k_zz"}
    assert np.isfinite([v["r2_log"] for v in ev["conductance_estimate"].values()]).all()
