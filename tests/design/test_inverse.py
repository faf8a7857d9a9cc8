"""Inverse design end to end with a real tiny pVAE and CNN (tests/design/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.design.inverse import DesignOptions, design
from porestudio.design.reference import build_reference
from porestudio.design.targets import make_targets
from porestudio.errors import Cancelled, InputError
from porestudio.physics.permeability import permeability
from porestudio.structures import morphology
from porestudio.structures.dataset import open_dataset

FAST = DesignOptions(
    k_init=20, keep=3, pool=4, raw=2, screen_steps=10, steps=10, n_verify=6, smoothing=(1.0,)
)


@pytest.fixture(scope="module")
def reference(pvae, squares_set):
    return build_reference(pvae, squares_set)


def test_designs_percolate_and_physics_matches_a_direct_call(pvae, cnn, reference, squares_set):
    targets = make_targets({"porosity": [0.2, 0.3], "k": [0.12, 0.2]})
    results = design(pvae, targets, surrogate=cnn, candidates=2, data=reference, options=FAST)
    assert [r.label for r in results] == ["target 1", "target 2"]
    for r in results:
        assert r.names == ("porosity", "k_zz")
        assert 1 <= len(r.candidates) <= 2
        for c in r.candidates:
            assert c.pore.shape == (2, 20, 20) and c.pore.dtype == np.bool_
            assert c.percolates and morphology.is_extruded(c.pore, "z")
            assert morphology.floating_solid_islands(c.pore) == 0
            assert c.porosity == pytest.approx(c.pore.mean())
            assert np.isfinite(list(c.predicted.values())).all()
            direct = permeability(c.pore, axes="z").k_lu[2, 2]
            assert c.verified["k_zz"] == pytest.approx(direct, rel=1e-9)
            assert 0.0 <= c.novelty <= 1.0 and 0.0 <= c.in_distribution <= 1.0
            assert np.isfinite(c.error)
        errors = [c.error for c in r.candidates]
        assert errors == sorted(errors)  # re-ranked by physics
        if len(r.candidates) == 2:
            assert (r.candidates[0].pore != r.candidates[1].pore).any()  # distinct
        base = r.baseline
        assert base.source == "training" and base.novelty == 0.0
        with open_dataset(squares_set) as ds:
            np.testing.assert_array_equal(base.pore, ds.pore(base.nearest_index))


def test_porosity_is_hit_from_the_voxels(pvae, reference):
    r = design(pvae, {"porosity": 0.26, "k": 0.15}, candidates=1, verify=None,
               data=reference, options=FAST)[0]  # fmt: skip
    best = r.candidates[0]
    assert best.verified is None
    assert abs(best.porosity - 0.26) <= 0.02


def test_off_trend_target_is_flagged_outside_the_support(pvae, reference):
    r = design(pvae, {"porosity": 0.13, "k": 5.0}, candidates=1, verify=None,
               data=reference, options=FAST)[0]  # fmt: skip
    assert r.outside_support and r.support_distance > 0.05


def test_bad_requests(pvae, cnn, reference):
    with pytest.raises(InputError, match="no output for k_xx"):
        design(pvae, {"porosity": 0.2, "kx": 1.0}, data=reference, options=FAST)
    with pytest.raises(InputError, match="pVAE"):
        design(cnn, {"porosity": 0.2, "k": 0.1}, data=reference, options=FAST)
    with pytest.raises(InputError, match="outside"):
        design(pvae, {"porosity": 1.5, "k": 0.1}, data=reference, options=FAST)


def test_design_is_cancellable(pvae, reference):
    def stop(done, total):
        if done > 0:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        design(pvae, {"porosity": 0.2, "k": 0.1}, data=reference, progress=stop, options=FAST)


def test_design_from_a_start_code(pvae, reference, squares_set):
    """Variants of a given structure (the studio's CT → latent → variants)."""
    from porestudio.design import io

    z = io.code_for(pvae, f"{squares_set}:7")
    assert z.shape == (reference.latent.mu.shape[1],)
    only = design(pvae, {"porosity": 0.25, "k": 0.15}, candidates=2, verify=None, k_init=0,
                  data=reference, options=FAST, start=z)[0]  # fmt: skip
    codes = np.stack([c.z for c in only.candidates])
    # every candidate descends from the start code: refined from it or the code itself
    assert np.linalg.norm(codes - z, axis=1).max() < np.linalg.norm(
        reference.latent.mu - z, axis=1).max()  # fmt: skip
    assert all(c.percolates for c in only.candidates)
    both = design(pvae, {"porosity": 0.25, "k": 0.15}, candidates=2, verify=None,
                  data=reference, options=FAST, start=np.stack([z, z + 0.1]))[0]  # fmt: skip
    assert len(both.candidates) >= 1 and both.baseline.source == "training"


def test_start_codes_are_checked(pvae, reference):
    d = reference.latent.mu.shape[1]
    with pytest.raises(InputError, match="start codes must have shape"):
        design(pvae, {"porosity": 0.2, "k": 0.1}, data=reference, options=FAST,
               start=np.zeros(d + 1))  # fmt: skip
    with pytest.raises(InputError, match="finite"):
        design(pvae, {"porosity": 0.2, "k": 0.1}, data=reference, options=FAST,
               start=np.full(d, np.nan))  # fmt: skip
    with pytest.raises(InputError, match="k_init"):
        design(pvae, {"porosity": 0.2, "k": 0.1}, data=reference, options=FAST, k_init=0)


def test_physics_runs_in_rounds_stop_when_good_enough(pvae, cnn, reference):
    import dataclasses

    import torch

    threads = torch.get_num_threads()
    tg = {"porosity": [0.2, 0.3], "k": [0.12, 0.2]}
    runs = {}
    for tol in (10.0, 0.0):  # every design is good enough / none is
        stats: dict = {}
        opts = dataclasses.replace(FAST, n_verify=6, verify_batch=2, verify_tol=tol, retry_steps=0)
        res = design(pvae, tg, surrogate=cnn, candidates=2, data=reference, options=opts,
                     stats=stats)  # fmt: skip
        runs[tol] = stats["physics_runs"]
        assert set(stats["wall_s"]) >= {"screen", "decode", "score", "physics"}
        assert stats["scored"] >= runs[tol]
        assert all(c.verified is not None for r in res for c in r.candidates)
    assert runs[10.0] == 2 * 2  # one round of 2 per target
    assert runs[0.0] == 2 * 6  # rounds until n_verify
    assert torch.get_num_threads() == threads  # DesignOptions.threads is restored


def test_targets_missing_the_tolerance_get_a_second_pass(pvae, cnn, reference):
    import dataclasses

    tg = {"porosity": [0.2, 0.3], "k": [0.12, 0.2]}
    stats: dict = {}
    opts = dataclasses.replace(FAST, steps=0, n_verify=2, verify_batch=None, retry_steps=3,
                               retry_tol=0.0)  # fmt: skip
    res = design(pvae, tg, surrogate=cnn, candidates=1, data=reference, options=opts,
                 stats=stats)  # fmt: skip
    inside = sum(not r.outside_support for r in res)
    assert stats["retried"] == inside and "refine" in stats["wall_s"]
    assert stats["physics_runs"] == 2 * (2 + inside)
    for r in res:
        assert r.candidates[0].verified is not None and r.candidates[0].percolates
    stats = {}
    design(pvae, tg, surrogate=cnn, candidates=1, data=reference, stats=stats,
           options=dataclasses.replace(opts, retry_steps=0))  # fmt: skip
    assert stats["retried"] == 0
