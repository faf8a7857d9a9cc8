from __future__ import annotations

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.ml import api
from porestudio.ml.data import spec_for_dataset
from porestudio.ml.properties import symmetric_tensor
from porestudio.structures.dataset import DatasetWriter, open_dataset

SMALL = {
    "cnn": {"arch": {"channels": [4, 8, 8, 8], "kernels": [3, 3, 3, 3]}},
    "pvae": {"arch": {"channels": [4, 8, 8], "latent_dim": 8}},
}


def test_3d_spec_has_the_diagonal(grf3d_set):
    spec = spec_for_dataset(grf3d_set)
    assert spec.dims == 3 and spec.section_axis is None
    assert spec.properties == ("porosity", "k_xx", "k_yy", "k_zz")
    assert spec.voxel_size_m == pytest.approx(1e-5)


@pytest.mark.parametrize("kind", ["cnn", "pvae"])
def test_3d_models_train_predict_and_refuse_2d_data(kind, grf3d_set, squares_set, tmp_path):
    r = api.train(kind, grf3d_set, tmp_path / kind, epochs=1, config_overrides=SMALL[kind])
    m = api.load(r.directory)
    with open_dataset(grf3d_set) as ds:
        pores = ds.pores(0, 3)
    pred = m.predict(pores)
    assert set(pred) == {"porosity", "k_xx", "k_yy", "k_zz"}
    assert all(v.shape == (3,) and np.isfinite(v).all() for v in pred.values())
    tensor = symmetric_tensor(pred)
    assert tensor.shape == (3, 3, 3) and np.isnan(tensor[0, 0, 1])
    with pytest.raises(InputError, match="does not fit the model: this 3D model"):
        api.evaluate(m, squares_set)
    partial = tmp_path / "kzz_only.h5"
    k = np.full((3, 3, 3), np.nan)
    k[:, 2, 2] = 0.1
    with DatasetWriter(partial, shape=(8, 8, 8), voxel_size_m=None) as w:
        w.append(pores, properties={"permeability_lu": k, "label_status": np.ones(3, np.int8)})
    with pytest.raises(InputError, match="no k_xx labels"):
        api.evaluate(m, partial)
    if kind == "pvae":
        prob = m.decode(m.encode(pores))
        assert prob.shape == (3, 8, 8, 8)
        assert m.to_pores(prob).shape == (3, 8, 8, 8)


def test_reconstruction_physics_leaves_a_run_past_the_step_limit_unscored(
    grf3d_set, tmp_path, monkeypatch
):
    from porestudio.ml import evaluation
    from porestudio.physics import options

    spec = spec_for_dataset(grf3d_set)
    comps = ["k_xx", "k_yy", "k_zz"]
    with open_dataset(grf3d_set) as ds:
        pore, label = ds.pore(5), ds.properties(["permeability_lu"])["permeability_lu"][5]
    k = evaluation._solve(spec, pore, comps, "periodic")
    np.testing.assert_allclose(k, np.diag(label), rtol=1e-3)  # the label's own runs
    monkeypatch.setattr(options, "CHECK_MAX_STEPS", 3)  # no 3D run converges in 3 steps
    assert np.isnan(evaluation._solve(spec, pore, comps, "periodic")).all()
    # a whole evaluation goes on past such runs (and past all-pore reconstructions of an
    # untrained decoder, whose k is unbounded) and counts them
    r = api.train("pvae", grf3d_set, tmp_path / "m", epochs=1, config_overrides=SMALL["pvae"])
    phys = api.evaluate(api.load(r.directory), grf3d_set, physics_samples=3)["physics"]
    k_xx = np.asarray(phys["k_xx"]["solver_k"])
    assert phys["n"] == len(k_xx) >= 2 and phys["unscored"] == np.isnan(k_xx).sum() >= 1
    assert np.all(np.isnan(k_xx) | (k_xx == 0))  # unscored, or all solid (no flow)
