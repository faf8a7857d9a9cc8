"""A script drives the studio model: open, load models, pick two, interpolate, design."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.gui.model import StudioModel
from porestudio.gui.model.compute import load_model, parse_steps


def test_a_script_designs_through_the_studio_model(trained, fast_design):
    studio = StudioModel()
    events = []
    for name in ("model", "surrogate", "latent", "path", "results"):
        studio.events[name].connect(lambda e: e.value is not None and events.append(e.type))
    studio.open_dataset(trained.dataset)
    studio.use_model(load_model(str(trained.pvae)))
    studio.use_model(load_model(str(trained.cnn)))
    lmap = studio.encode()
    assert len(lmap) == 200 and lmap.scores.shape[1] == 10
    assert set(lmap.properties) == {"porosity", "k_zz"}
    studio.pick(3)
    studio.pick(40, add=True)
    path = studio.interpolate(steps=6)
    assert path.pores.shape == (6, 2, 20, 20) and len(path.t) == 6
    assert {"regressor_k_zz", "cnn_k_zz"} <= set(path.properties)
    results = studio.design({"porosity": 0.3, "k_zz": 0.15}, candidates=2, options=fast_design)
    assert len(results) == 1 and results[0].names == ("porosity", "k_zz")
    best = results[0].candidates[0]
    assert best.verified is not None and best.verified["k_zz"] >= 0
    assert 0 <= best.novelty <= 1 and 0 <= best.nearest_index < 200
    assert events == ["model", "surrogate", "latent", "path", "results"]


def test_a_model_that_does_not_fit_is_refused(trained, grf_dataset):
    studio = StudioModel()
    studio.open_dataset(grf_dataset)  # 24³ GRF, not 20×20 extruded sections
    with pytest.raises(InputError, match="2D model learned 20x20 sections"):
        studio.use_model(load_model(str(trained.pvae)))
    assert studio.model is None
    with pytest.raises(InputError, match="the latent map and design need a pVAE"):
        studio.set_model(load_model(str(trained.cnn)))


def test_parse_steps():
    assert parse_steps("0, 5 ,9", 10) == [0, 5, 9]
    assert parse_steps("2-4", 10) == [2, 3, 4]
    assert parse_steps("every 4", 10) == [0, 4, 8, 9]
    for bad, match in (("12", "beyond the path"), ("a", "cannot read step")):
        with pytest.raises(InputError, match=match):
            parse_steps(bad, 10)
    assert np.array_equal(parse_steps("", 5), [])
