"""The encoding cache: a second encoding of the same (weights, dataset) is read back, not run."""

from __future__ import annotations

import numpy as np

from porestudio.gui.model import latent_cache
from porestudio.gui.model.compute import cached_map, design_space
from porestudio.ml import api


def test_the_encoding_is_cached_per_weights_and_dataset(trained, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = api.load(trained.pvae)
    assert latent_cache.load_latent(model, trained.dataset) is None
    assert cached_map(str(trained.pvae), str(trained.dataset)) is None
    first = design_space(model, str(trained.dataset))
    files = list((tmp_path / "cache/porestudio/latent").glob("*.h5"))
    assert len(files) == 1
    cached = latent_cache.load_latent(model, trained.dataset)
    assert np.array_equal(cached.mu, first.reference.latent.mu)
    assert np.array_equal(cached.indices, first.reference.latent.indices)
    again = design_space(model, str(trained.dataset))
    assert np.allclose(again.latent.scores, first.latent.scores)
    weights, lmap = cached_map(str(trained.pvae), str(trained.dataset))  # no model loaded
    assert weights == model.config["weights_sha256"]
    assert np.allclose(lmap.scores, first.latent.scores)
    other = dict(model.config, weights_sha256="0" * 64)
    assert latent_cache.load_latent(other, trained.dataset) is None  # other weights: a miss
    files[0].write_bytes(b"not hdf5")
    assert latent_cache.load_latent(model, trained.dataset) is None  # unreadable: a miss


def test_the_default_encodings_ship_and_match_the_encoders(tmp_path, monkeypatch):
    """A first start finds each default dataset's codes in resources/latent (2D, and 3D when
    its default ships), and they are what the default pVAE's encoder gives (not stale)."""
    from porestudio.resources import RESOURCES_DIR
    from porestudio.structures.dataset import open_dataset

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty"))
    pairs = [("models/pvae2d", "default_dataset.h5"), ("models/pvae3d", "default_3d.h5")]
    checked = 0
    for model_rel, data_rel in pairs:
        if not (RESOURCES_DIR / model_rel / "model.json").is_file():
            assert model_rel != "models/pvae2d", "the 2D default model always ships"
            continue
        model = api.load(RESOURCES_DIR / model_rel)
        data = RESOURCES_DIR / data_rel
        shipped = latent_cache.load_latent(model, data)
        assert shipped is not None, "run scripts/ship_latent.py after changing a default"
        assert latent_cache.cache_file(model, data).parent == tmp_path / "empty/porestudio/latent"
        pick = shipped.indices[:: max(1, len(shipped.indices) // 24)]
        with open_dataset(data) as ds:
            pores = np.stack([ds.pore(int(i)) for i in pick])
        fresh = model.encode(pores)
        rows = np.searchsorted(shipped.indices, pick)
        assert np.allclose(shipped.mu[rows], fresh, atol=1e-3)
        checked += 1
    assert checked >= 1
