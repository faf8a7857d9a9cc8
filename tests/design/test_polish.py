"""The polish step's pure rules: its variants' smoothing widths and the local calibration."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.design._polish import calibrated, ring, sigma_sets


def test_variants_smooth_along_every_subset_of_the_axes():
    sets = sigma_sets(3, 1.5)
    assert len(sets) == 8 and len(set(sets)) == 8
    assert (0.0, 0.0, 0.0) in sets and (1.5, 1.5, 1.5) in sets
    assert (0.0, 0.0, 1.5) in sets  # along x alone (arrays are z, y, x)
    assert sorted(sigma_sets(2, 1.0)) == [(0, 0), (0, 1.0), (1.0, 0), (1.0, 1.0)]


def test_the_calibration_removes_the_surrogates_bias_on_the_measured_structure():
    # the surrogate read the measured design's k_xx half as large as physics did, k_yy right
    measured = {"porosity": 0.3, "k_xx": 2.0, "k_yy": 1.0}
    measured_pred = {"porosity": 0.3, "k_xx": 1.0, "k_yy": 1.0}
    pred = {"porosity": np.array([0.29, 0.31]), "k_xx": np.array([0.5, 1.5]),
            "k_yy": np.array([0.8, 1.2])}  # fmt: skip
    est = calibrated(pred, measured, measured_pred)
    np.testing.assert_allclose(est["k_xx"], [1.0, 3.0])
    np.testing.assert_allclose(est["k_yy"], [0.8, 1.2])
    np.testing.assert_allclose(est["porosity"], [0.29, 0.31])  # exact from voxels: unscaled


@pytest.mark.parametrize("bad", [0.0, np.nan, -1.0])
def test_a_component_physics_could_not_measure_is_left_as_predicted(bad):
    est = calibrated({"k_zz": np.array([2.0])}, {"k_zz": bad}, {"k_zz": 1.0})
    np.testing.assert_allclose(est["k_zz"], [2.0])


def test_the_pattern_search_ring_steps_one_parameter_at_a_time_within_bounds():
    centre = np.array([0.0, 1.5, 3.0, 0.30])
    step = np.array([0.5, 0.5, 0.5, 0.005])
    lo, hi = np.array([0, 0, 0, 0.29]), np.array([3.0, 3.0, 3.0, 0.31])
    got = ring(centre, centre[None], step, lo, hi)
    # z width at its floor and x width at its cap: one neighbour each; the others two
    assert len(got) == 6
    for q in got:
        moved = np.flatnonzero(~np.isclose(q, centre))
        assert len(moved) == 1 and lo[moved[0]] <= q[moved[0]] <= hi[moved[0]]
    assert any(np.allclose(q, [0.5, 1.5, 3.0, 0.30]) for q in got)
    assert any(np.allclose(q, [0.0, 1.5, 3.0, 0.295]) for q in got)
    # already tried points are not proposed again
    again = ring(centre, np.vstack([centre, got]), step, lo, hi)
    assert again == []


def test_signed_widths_smooth_along_positive_and_sharpen_along_negative_axes():
    from porestudio.design._candidates import shaped, smoothed

    rng = np.random.default_rng(1)
    f = smoothed(rng.random((12, 12, 12)), 1.0)
    np.testing.assert_allclose(shaped(f, (0, 0, 1.5)), smoothed(f, (0, 0, 1.5)))
    sharp = shaped(f, (0, -1.0, 0))
    np.testing.assert_allclose(sharp, 2 * f - smoothed(f, (0, 1.0, 0)))
    # sharpening along y adds variation along y (and only there, up to the boundary rows)
    dy = lambda a: np.abs(np.diff(a, axis=1)).mean()  # noqa: E731
    dx = lambda a: np.abs(np.diff(a, axis=2)).mean()  # noqa: E731
    assert dy(sharp) > 1.3 * dy(f) and dx(sharp) < 1.3 * dx(f)
    np.testing.assert_allclose(shaped(f, (0, 0, 0)), f)


def _search_run(rings: int):
    """What the search needs of a design run, scored by the conductance estimate's raw
    inputs (a real per-axis physics measure of the binarised structure)."""
    from types import SimpleNamespace

    from porestudio.design.inverse import DesignOptions
    from porestudio.ml.physics_inputs import compute

    def predict(pores):
        q = compute(np.asarray(pores, np.uint8))
        return {"porosity": pores.reshape(len(pores), -1).mean(1),
                "k_xx": q[:, 0], "k_yy": q[:, 1], "k_zz": q[:, 2]}  # fmt: skip

    return SimpleNamespace(opts=DesignOptions(polish_search=rings), props=("porosity", "k_xx",
                           "k_yy", "k_zz"), flow_axes=("x", "y", "z"), dims=3,
                           predict=predict, n_scored=0)  # fmt: skip


def _search_start(run, seed: int, widths, phi: float = 0.45):
    """A smoothed random map, the properties of its binarisation shaped by ``widths`` (the
    target) and a search state holding the unshaped binarisation only."""
    from porestudio.design import _polish as P
    from porestudio.design._candidates import matched, shaped, smoothed

    field = smoothed(np.random.default_rng(seed).random((20, 20, 20)), 1.2)
    aim, _ = matched(shaped(field, widths), phi, run.flow_axes, 3)
    t = run.predict(aim[None])
    target = np.array([t[n][0] for n in run.props])
    local = {"field": field, "phi_t": phi, "params": np.zeros((0, 4)), "tried": [],
             "inputs": np.zeros((0, *field.shape), bool), "perc": np.zeros(0, bool),
             "pred": {}, "done": np.zeros(0, bool), "source": 0}  # fmt: skip
    P._score_params(run, local, [(0.0, 0.0, 0.0, phi)])
    return local, target


def test_the_compass_search_reaches_a_far_width_and_then_refines_its_step(monkeypatch):
    from porestudio.design import _polish as P

    monkeypatch.setattr(P, "NEWTON_REACH", 0.0)  # the compass alone (no Gauss–Newton jump)
    run = _search_run(rings=8)
    phi = 0.45
    # the target: the map smoothed 2 voxels along z (array axis 0), 4 steps of 0.5 away
    local, target = _search_start(run, 3, (2.0, 0, 0), phi)
    start = float(P._calibrated_error(run, local, target, None, False)[0])
    P._explore(run, local, target, None)
    err = P._calibrated_error(run, local, target, None, False)
    best = local["params"][int(np.argmin(err))]
    assert start > 0.05 and err.min() < 1e-9  # found the target structure itself
    np.testing.assert_allclose(best, [2.0, 0.0, 0.0, phi])
    assert local["scale"] < P.SEARCH_START  # no ring improved on it: the step shrank
    assert len(local["inputs"]) <= 1 + 8 * 8  # at most one ring of 8 per call's ring
    # a step below the smallest ends the search: nothing more is scored
    local["scale"] = P.SEARCH_MIN / 2
    n = len(local["inputs"])
    P._explore(run, local, target, None)
    assert len(local["inputs"]) == n


def test_a_newton_point_solves_a_linear_residual_within_its_reach():
    from porestudio.design._polish import newton_point

    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4)) + 3 * np.eye(4)
    aim = np.array([0.7, -0.4, 1.1, 0.31])
    params = np.vstack([[0.0, 0.0, 0.0, 0.30], [0.0, 0.0, 0.0, 0.30] + rng.normal(size=(12, 4))
                        * [0.5, 0.5, 0.5, 0.005]])  # fmt: skip
    step = np.array([0.5, 0.5, 0.5, 0.005])
    res = ((params - aim) / step) @ a.T
    lo, hi = np.array([-2, -2, -2, 0.2]), np.array([3, 3, 3, 0.4])
    usable = np.ones(len(params), bool)
    np.testing.assert_allclose(newton_point(res, params, 0, step, lo, hi, usable), aim)
    # a jump is at most NEWTON_REACH steps per coordinate, and stays inside the bounds
    res_far = ((params - [2.9, -0.4, 1.1, 0.31]) / step) @ a.T  # 5.8 steps along the first
    far = newton_point(res_far, params, 0, step, lo, hi, usable)
    assert np.all(np.abs(far - params[0]) <= 4.0 * step + 1e-12) and far[0] == 2.0
    assert newton_point(res, params, 0, step, lo, np.array([0.5, 3, 3, 0.4]), usable)[0] == 0.5
    # too few usable neighbours to fit: no jump
    assert newton_point(res, params, 0, step, lo, hi, np.arange(len(params)) < 4) is None


def test_the_newton_jump_gets_closer_than_the_compass_alone_in_as_many_rings(monkeypatch):
    from porestudio.design import _polish as P

    # an off-grid target (2.5 voxels smoothed along z, 1 sharpened along y)
    errors = {}
    for reach in (0.0, P.NEWTON_REACH):
        monkeypatch.setattr(P, "NEWTON_REACH", reach)
        run = _search_run(rings=3)
        local, target = _search_start(run, 4, (2.5, -1.0, 0.0))
        P._explore(run, local, target, None)
        errors[reach] = float(P._calibrated_error(run, local, target, None, False).min())
    assert errors[P.NEWTON_REACH] < 0.5 * errors[0.0]
