"""CT → latent → variants without Qt: fit, crop, encode, the start point, a design from it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from porestudio.design.inverse import DesignOptions
from porestudio.errors import InputError
from porestudio.gui.model import StudioModel
from porestudio.gui.model.ct_latent import (
    NO_3D_MODEL,
    centre_crop,
    cube_fit,
    encode_start,
    model_is_3d,
    training_dataset,
)
from porestudio.ml import api
from porestudio.structures.generators import grf
from porestudio.structures.volume import Structure

FAST_START = DesignOptions(k_init=0, keep=2, screen_steps=10, steps=20, patience=10)


@pytest.fixture(scope="module")
def pvae3d(trained3d):
    return api.load(trained3d.pvae)


def _ct(shape, seed=5) -> Structure:
    s = grf(seed, shape=shape, porosity=0.4, correlation_length_vox=2.0)
    return Structure(s.pore, 2e-6, {"generator": "ct-like", "index": 0})


def test_cube_fit_says_what_fits_and_what_crop_would(pvae3d):
    assert model_is_3d(pvae3d)
    assert cube_fit((8, 8, 8), pvae3d).fits
    big = cube_fit((10, 12, 9), pvae3d)
    assert not big.fits and big.can_crop and big.need == (8, 8, 8)
    assert "crop the centre to 8×8×8" in big.message
    small = cube_fit((10, 6, 10), pvae3d)
    assert not small.fits and not small.can_crop
    assert "at least 8×8×8" in small.message


def test_centre_crop_takes_the_middle_and_records_it():
    ct = _ct((10, 12, 9))
    crop = centre_crop(ct, (8, 8, 8))
    assert crop.pore.shape == (8, 8, 8)
    assert np.array_equal(crop.pore, ct.pore[1:9, 2:10, 0:8])
    assert crop.provenance["crop_origin_zyx"] == [1, 2, 0] and crop.voxel_size_m == 2e-6
    with pytest.raises(InputError, match="smaller"):
        centre_crop(ct, (11, 8, 8))


def test_encode_refuses_misfits_and_2d_models(pvae3d, trained):
    with pytest.raises(InputError, match="crop the centre"):
        encode_start(pvae3d, _ct((10, 10, 10)), "CT")
    with pytest.raises(InputError, match="no 3D model loaded"):
        encode_start(api.load(trained.pvae), _ct((8, 8, 8)), "CT")
    start = encode_start(pvae3d, _ct((8, 8, 8)), "CT a")
    assert start.code.shape == (pvae3d.latent_dim,) and np.isfinite(start.code).all()
    assert np.allclose(start.code, pvae3d.encode(start.structure.pore[None])[0], atol=1e-5)


def test_the_start_point_is_placed_used_by_design_and_cleared_with_the_model(
    pvae3d, trained3d, trained
):
    studio = StudioModel()
    studio.open_dataset(trained3d.dataset)
    studio.set_model(pvae3d)
    studio.encode()
    start = encode_start(pvae3d, centre_crop(_ct((12, 12, 12)), (8, 8, 8)), "CT b")
    seen = []
    studio.events.start.connect(lambda e: seen.append(e.value))
    studio.set_start(start)
    assert seen == [start] and np.array_equal(studio.markers["CT b"], start.code)
    assert studio.start_code() is start.code
    results = studio.design({"porosity": 0.45}, candidates=2, verify=False, options=FAST_START)
    codes = np.stack([c.z for c in results[0].candidates])
    # k_init = 0: every candidate comes from the start code (refined or raw), none from the
    # nearest training samples, so they stay closer to it than the farthest training code
    far = np.linalg.norm(studio.reference.latent.mu - start.code, axis=1).max()
    assert np.linalg.norm(codes - start.code, axis=1).max() < far
    studio.use_start = False
    assert studio.start_code() is None
    with pytest.raises(InputError, match="k_init"):  # no start, no nearest samples: refused
        studio.design(candidates=1, verify=False, options=FAST_START)
    with pytest.raises(InputError, match="does not belong"):
        studio.set_start(type(start)("x", np.zeros(3, np.float32), start.structure))
    studio.set_model(None)
    assert studio.start is None and "CT b" not in studio.markers and seen[-1] is None
    assert NO_3D_MODEL.startswith("no 3D model loaded")


def test_a_2d_surrogate_is_dropped_when_a_3d_dataset_opens(trained, trained3d):
    studio = StudioModel()
    studio.open_dataset(trained.dataset)
    studio.use_model(api.load(trained.cnn))
    messages = []
    studio.events.message.connect(lambda e: messages.append(e.value))
    studio.open_dataset(trained3d.dataset)
    assert studio.surrogate is None
    assert any("surrogate does not fit" in m for m in messages)


def test_the_training_dataset_is_found_where_it_was_or_shipped_in_resources(
    pvae3d, trained3d, trained, tmp_path, monkeypatch
):
    training = pvae3d.config["training"]
    assert training_dataset(pvae3d) == str(trained3d.dataset)
    moved = tmp_path / "author" / trained3d.dataset.name  # where the author trained: gone
    monkeypatch.setitem(training, "dataset", str(moved))
    monkeypatch.setattr("porestudio.resources.RESOURCES_DIR", tmp_path / "resources")
    assert training_dataset(pvae3d) is None  # nowhere
    (tmp_path / "resources").mkdir()
    shutil.copy(trained.dataset, tmp_path / "resources" / moved.name)
    assert training_dataset(pvae3d) is None  # a file of that name, but other samples
    shutil.copy(trained3d.dataset, tmp_path / "resources" / moved.name)
    assert training_dataset(pvae3d) == str(tmp_path / "resources" / moved.name)
