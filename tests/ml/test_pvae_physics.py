"""The 3D pVAE whose encoder reads physics inputs (ml/pvae.py, ml/finetune.py)."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.ml import api, physics_inputs
from porestudio.structures.dataset import open_dataset

SMALL = {"channels": [4, 8, 8], "latent_dim": 8}
PHYS = {**SMALL, "physics_inputs": ["conductance"]}


def _pores(path, n: int) -> np.ndarray:
    with open_dataset(path) as ds:
        return ds.pores(0, n)


def test_a_pvae_with_physics_inputs_trains_encodes_and_evaluates(grf3d_set, tmp_path):
    import torch

    over = {"arch": PHYS, "augment": True, "periodic_shift": True}
    r = api.train("pvae", grf3d_set, tmp_path / "p", epochs=2, seed=1, config_overrides=over)
    m = api.load(r.directory)
    assert m.physics_inputs and m.module.n_aux == 3
    pores = _pores(grf3d_set, 6)
    raw = physics_inputs.compute(pores)
    mu = m.encode(pores)
    np.testing.assert_allclose(m.encode(pores, physics=raw), mu, rtol=1e-5, atol=1e-6)
    x = torch.from_numpy(pores[:, None].astype(np.float32))
    with torch.no_grad():
        other = m.encode_t(x, torch.from_numpy(raw * 10.0).float())[0].numpy()
    assert not np.allclose(other, mu, atol=1e-4)  # the inputs reach the code
    with pytest.raises(InputError, match="shape"):
        m.encode(pores, physics=raw[:2])
    pred = m.predict(pores)
    assert all(np.isfinite(v).all() and (v >= 0).all() for v in pred.values())
    seen = []
    mu_all = api.encode(m, grf3d_set, progress=lambda done, n: seen.append((done, n)))
    np.testing.assert_allclose(mu_all[:6], mu, rtol=1e-5, atol=1e-6)
    assert seen == [(16, 24), (24, 24)]  # chunks of 16: a solve per sample
    ev = api.evaluate(m, grf3d_set)
    assert 0.0 < ev["reconstruction"]["voxel_accuracy"] <= 1.0
    with pytest.raises(InputError, match="physics inputs"):
        m.module.encode(x)  # the bare network refuses to run without them


def test_a_pvae_gains_physics_inputs_when_continued_and_starts_as_the_starting_model(
    grf3d_set, tmp_path
):
    base = api.train("pvae", grf3d_set, tmp_path / "a", epochs=1, seed=3,
                     config_overrides={"arch": SMALL})  # fmt: skip
    zero = {"arch": {"physics_inputs": ["conductance"]},
            "stages": [{"name": "regressor", "epochs": 0}]}  # fmt: skip
    cont = api.train("pvae", grf3d_set, tmp_path / "b", seed=3, init=base.directory,
                     config_overrides=zero)  # fmt: skip
    assert cont.config["arch"]["physics_inputs"] == ["conductance"]
    assert cont.config["arch"]["channels"] == SMALL["channels"]
    old, new = api.load(base.directory), api.load(cont.directory)
    pores = _pores(grf3d_set, 5)
    np.testing.assert_allclose(new.encode(pores), old.encode(pores), rtol=1e-5, atol=1e-6)
    std = new.module.aux_std.numpy()
    assert np.isfinite(std).all() and (std > 0).all() and not np.allclose(std, 1.0)
    # one training epoch moves the zero columns: the inputs then reach the code
    one = api.train("pvae", grf3d_set, tmp_path / "c", seed=3, init=base.directory,
                    config_overrides={"arch": {"physics_inputs": ["conductance"]},
                                      "stages": [{"name": "joint", "epochs": 1,
                                                  "gamma": 10.0}]})  # fmt: skip
    weights = api.load(one.directory).module.fc_mu.weight.detach().numpy()
    assert np.abs(weights[:, -3:]).max() > 0
    # any other change of the architecture is still refused
    with pytest.raises(InputError, match="arch"):
        api.train("pvae", grf3d_set, tmp_path / "d", init=base.directory, config_overrides={
            "arch": {"physics_inputs": ["conductance"], "latent_dim": 4}})  # fmt: skip


def test_physics_inputs_are_refused_for_a_2d_pvae_and_with_pretrain_data(
    squares_set, grf3d_set, tmp_path
):
    with pytest.raises(InputError, match="pVAE config: physics_inputs"):
        api.train("pvae", squares_set, tmp_path / "a", epochs=1, config_overrides={
            "arch": {"physics_inputs": ["conductance"]}})  # fmt: skip
    with pytest.raises(InputError, match="pretrain_data"):
        api.train("pvae", grf3d_set, tmp_path / "b", epochs=1,
                   config_overrides={"arch": PHYS, "pretrain_data": str(grf3d_set)})  # fmt: skip
