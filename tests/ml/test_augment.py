"""Symmetry augmentation: the transforms leave the labels unchanged (checked by physics)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from porestudio.ml import api, augment
from porestudio.physics.stokes2d import extruded_permeability_batch
from porestudio.structures.generators import squares_batch


def _numpy_d4(a: np.ndarray, g: int) -> np.ndarray:
    b = np.rot90(a, g % 4, axes=(-2, -1))
    return b[..., ::-1] if g >= 4 else b


def test_the_square_symmetries_keep_porosity_and_k_zz():
    section = squares_batch(1, 11, size=24, depth=1, pore_size=4, n_pores=(4, 6))[0]
    forms = np.stack([np.ascontiguousarray(_numpy_d4(section, g)) for g in range(8)])
    assert len({f.tobytes() for f in forms}) > 1  # an asymmetric section: the test can fail
    k = extruded_permeability_batch(forms, refine=2, richardson=False)
    np.testing.assert_allclose(k, k[0], rtol=1e-6)
    np.testing.assert_allclose(forms.mean(axis=(1, 2)), section.mean())


def test_apply_matches_the_numpy_transforms_per_sample():
    rng = np.random.default_rng(0)
    x = rng.random((16, 1, 6, 6)) < 0.5
    codes = rng.integers(0, 8, 16)
    out = augment.apply(torch.from_numpy(x).float(), codes).numpy().astype(bool)
    for i, g in enumerate(codes):
        np.testing.assert_array_equal(out[i, 0], _numpy_d4(x[i, 0], g))
    vol = torch.from_numpy(rng.random((3, 1, 4, 5, 6)) < 0.5).float()
    flipped = augment.apply(vol, np.array([0, 1, 6])).numpy()
    np.testing.assert_array_equal(flipped[0], vol[0].numpy())
    np.testing.assert_array_equal(flipped[1], vol[1].numpy()[:, ::-1])
    np.testing.assert_array_equal(flipped[2], vol[2].numpy()[:, :, ::-1, ::-1])


@pytest.mark.parametrize(
    ("dims", "shape", "names", "count"),
    [
        (2, (20, 20), ("porosity", "k_zz"), 8),
        (2, (20, 30), ("porosity", "k_zz"), 4),
        (3, (8, 8, 8), ("porosity", "k_xx", "k_yy", "k_zz"), 8),
        (3, (8, 8, 8), ("porosity", "k_xx", "k_xy"), 1),
    ],
)
def test_symmetries_offered(dims, shape, names, count):
    assert len(augment.symmetries(dims, shape, names)) == count


def test_training_with_augmentation_is_recorded_and_reproducible(squares_set, tmp_path):
    stages = [{"name": "vae", "epochs": 1}, {"name": "regressor", "epochs": 1}]
    cfg = {"arch": {"channels": [8, 8, 8, 8], "latent_dim": 8}, "augment": True, "stages": stages}
    a = api.train("pvae", squares_set, tmp_path / "a", seed=4, config_overrides=cfg,
                  deterministic=True)  # fmt: skip
    api.train("pvae", squares_set, tmp_path / "b", seed=4, config_overrides=cfg,
                  deterministic=True)  # fmt: skip
    api.train("pvae", squares_set, tmp_path / "c", seed=4, deterministic=True,
                      config_overrides={**cfg, "augment": False})  # fmt: skip
    assert a.config["training"]["config"]["augment"] is True
    weights = (tmp_path / "c" / "model.safetensors").read_bytes()
    assert weights != (tmp_path / "a" / "model.safetensors").read_bytes()  # it did transform
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (
        tmp_path / "b" / "model.safetensors"
    ).read_bytes()
