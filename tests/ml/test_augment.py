"""Symmetry augmentation: transformed samples carry transformed labels (checked by physics)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from porestudio.ml import api, augment
from porestudio.ml.properties import tensor_index
from porestudio.ml.scaling import TargetScaler
from porestudio.physics.permeability import permeability
from porestudio.physics.stokes2d import extruded_permeability_batch
from porestudio.structures import generators
from porestudio.structures.generators import squares_batch

NAMES_3D = ("porosity", "k_xx", "k_yy", "k_zz", "k_xy", "k_xz", "k_yz")


def _tensor_row(k: np.ndarray) -> np.ndarray:
    return np.array([0.0] + [k[tensor_index(n)] for n in NAMES_3D[1:]])


def test_the_square_symmetries_keep_porosity_and_k_zz():
    section = squares_batch(1, 11, size=24, depth=1, pore_size=4, n_pores=(4, 6))[0]
    syms = augment.symmetries(2, section.shape, ("porosity", "k_zz"))
    assert len(syms) == 8
    x = torch.from_numpy(np.repeat(section[None, None], 8, axis=0)).float()
    y = torch.full((8, 2), 0.5)
    scaler = TargetScaler(("porosity", "k_zz"), (False, True), (0.0, 0.0), (0.0, -3.0), (1.0, 1.0))
    forms, y2 = augment.apply(x, y, np.arange(8), syms, scaler)
    forms = forms.numpy()[:, 0].astype(bool)
    assert len({f.tobytes() for f in forms}) == 8  # an asymmetric section: the test can fail
    k = extruded_permeability_batch(forms, refine=2, richardson=False)
    np.testing.assert_allclose(k, k[0], rtol=1e-6)
    torch.testing.assert_close(y2, y)  # labels unchanged


def test_3d_symmetries_transform_the_tensor_like_the_physics():
    pore = generators.grf(5, shape=(12, 12, 12), porosity=0.55,
                          correlation_length_vox=(1.5, 2.5, 4.0)).pore  # fmt: skip
    k0 = np.asarray(permeability(pore, tensor=True, mode="periodic", tol=1e-6).k_lu)
    syms = augment.symmetries(3, pore.shape, NAMES_3D)
    assert len(syms) == 48
    logs = (False,) + (True,) * 3 + (False,) * 3
    lo = tuple(np.log(0.001) if g else -0.05 for g in logs)
    scaler = TargetScaler(NAMES_3D, logs, (0.0,) * 7, lo, (1.0,) * 7)
    phys = _tensor_row(k0)
    phys[0] = pore.mean()
    y = torch.from_numpy(scaler.transform(phys[None])).float()
    x = torch.from_numpy(pore[None, None]).float()
    for code in (17, 29):  # a swap with a mirror, a 3-cycle with two mirrors
        xs, ys = augment.apply(x, y, np.array([code]), syms, scaler)
        moved = xs.numpy()[0, 0].astype(bool)
        k1 = np.asarray(permeability(moved, tensor=True, mode="periodic", tol=1e-6).k_lu)
        want = scaler.inverse(ys.numpy())[0]
        np.testing.assert_allclose(want[1:4], np.diag(k1), rtol=2e-3)
        np.testing.assert_allclose(want[4:], _tensor_row(k1)[4:], atol=2e-3 * k1.max())
        assert want[0] == pytest.approx(moved.mean())


def test_a_symmetry_needs_every_component_it_maps_onto():
    only_z = augment.symmetries(3, (8, 8, 8), ("porosity", "k_zz"))
    assert len(only_z) == 16  # the swaps that keep z: 2 perms x 8 mirrors
    box = augment.symmetries(3, (8, 8, 16), ("porosity", "k_xx", "k_yy", "k_zz"))
    assert len(box) == 16  # x <-> y swaps only (16 voxels along x, 8 along y, z: no)
    assert len(augment.symmetries(2, (20, 30), ("porosity", "k_zz"))) == 4


def test_training_with_augmentation_is_recorded_and_reproducible(squares_set, tmp_path):
    stages = [{"name": "vae", "epochs": 1}]
    cfg = {"arch": {"channels": [8, 8, 8, 8], "latent_dim": 8}, "augment": True, "stages": stages}
    a = api.train("pvae", squares_set, tmp_path / "a", seed=4, config_overrides=cfg,
                  deterministic=True)  # fmt: skip
    api.train("pvae", squares_set, tmp_path / "b", seed=4, config_overrides=cfg,
              deterministic=True)  # fmt: skip
    api.train("pvae", squares_set, tmp_path / "c", seed=4, deterministic=True,
              config_overrides={**cfg, "augment": False})  # fmt: skip
    assert a.config["training"]["config"]["augment"] is True
    weights = [(tmp_path / d / "model.safetensors").read_bytes() for d in "abc"]
    assert weights[0] == weights[1] and weights[0] != weights[2]


def test_a_3d_model_trains_with_augmentation(grf3d_set, tmp_path):
    cfg = {"arch": {"channels": [4, 8, 8, 8], "kernels": [3, 3, 3, 3], "dense": [8, 8]},
           "augment": True, "stages": [{"name": "cnn", "epochs": 2}]}  # fmt: skip
    r = api.train("cnn", grf3d_set, tmp_path / "m", config_overrides=cfg)
    assert r.epochs_run == 2 and np.isfinite(r.history[-1]["loss"])


def test_a_circular_shift_keeps_the_periodic_tensor():
    pore = generators.grf(8, shape=(12, 12, 12), porosity=0.55,
                          correlation_length_vox=(1.5, 2.5, 4.0), periodic=True).pore  # fmt: skip
    k0 = np.asarray(permeability(pore, tensor=True, mode="periodic", tol=1e-6).k_lu)
    x = torch.from_numpy(np.stack([pore, pore])[:, None]).float()
    offsets = augment.draw_shifts(np.random.default_rng(3), 2, pore.shape)
    moved = augment.shift(x, offsets).numpy()[:, 0].astype(bool)
    assert not np.array_equal(moved[0], pore) and moved[0].sum() == pore.sum()
    np.testing.assert_array_equal(moved[1], np.roll(pore, tuple(offsets[1]), axis=(0, 1, 2)))
    k1 = np.asarray(permeability(moved[0], tensor=True, mode="periodic", tol=1e-6).k_lu)
    np.testing.assert_allclose(np.diag(k1), np.diag(k0), rtol=1e-3)
    np.testing.assert_allclose(k1, k0, atol=1e-3 * k0.max())


def _with_boundary(src, dst, mode: str):
    """A copy of ``src`` whose permeability labels say they had ``mode`` boundaries."""
    from porestudio.structures.dataset import DatasetWriter, open_dataset

    with open_dataset(src) as ds:
        pores = ds.pores()
        labels = ds.properties(["permeability_lu", "label_status"])
    with DatasetWriter(dst, shape=pores.shape[1:], voxel_size_m=1e-5) as w:
        w.append(pores, properties=labels)
        w.set_property_attrs("permeability_lu", {"boundary_mode": mode})
    return dst


def test_periodic_shifts_refuse_labels_computed_with_walls(grf3d_set, tmp_path):
    from porestudio.errors import InputError

    walls = _with_boundary(grf3d_set, tmp_path / "walls.h5", "kuhn")
    cfg = {"periodic_shift": True, "stages": [{"name": "cnn", "epochs": 1}]}
    with pytest.raises(InputError, match="periodic boundaries"):
        api.train("cnn", walls, tmp_path / "m", config_overrides=cfg)
    assert not (tmp_path / "m" / "model.safetensors").exists()


def test_a_3d_model_trains_with_periodic_shifts(grf3d_set, tmp_path):
    cfg = {"arch": {"channels": [4, 8, 8, 8], "kernels": [3, 3, 3, 3], "dense": [8, 8]},
           "stages": [{"name": "cnn", "epochs": 1}]}  # fmt: skip
    runs = {}
    for name, shift in (("a", True), ("b", True), ("c", False)):
        over = {**cfg, "periodic_shift": shift}
        runs[name] = api.train("cnn", grf3d_set, tmp_path / name, seed=2, deterministic=True,
                               config_overrides=over)  # fmt: skip
    assert runs["a"].config["training"]["config"]["periodic_shift"] is True
    weights = [(tmp_path / d / "model.safetensors").read_bytes() for d in "abc"]
    assert weights[0] == weights[1] and weights[0] != weights[2]
