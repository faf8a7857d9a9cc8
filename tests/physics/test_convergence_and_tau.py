"""The shared stopping rule and the automatic relaxation time."""

import numpy as np
import pytest
from scipy import ndimage

from porestudio.physics.lbm.convergence import WINDOW, Convergence
from porestudio.physics.lbm.tau import TAU_RANGE_TRT, auto_tau, kozeny_carman


def test_converges_after_a_window_of_small_changes():
    stop = Convergence(0, 1e-6)
    u = 1.0
    stop.update(np.array([u, 0.0, 0.0]))  # the first check compares with the fluid at rest
    assert stop.residual == 1.0
    for _ in range(WINDOW):
        assert not stop.converged
        u *= 1.0 + 1e-7
        stop.update(np.array([u, 0.0, 0.0]))
    assert stop.converged and stop.residual < 1e-6


def test_a_turning_point_of_an_oscillation_does_not_stop_the_run():
    """One small difference at the crest of a wave is not convergence."""
    stop = Convergence(0, 1e-6)
    values = [0.5, 0.9, 1.0, 1.0 + 1e-8, 0.9, 0.8]
    flags = []
    for v in values:
        stop.update(np.array([v, 0.0, 0.0]))
        flags.append(stop.converged)
    assert not any(flags)


def test_transverse_components_count_relative_to_the_main_one():
    stop = Convergence(2, 1e-6)
    for k in range(WINDOW + 1):
        stop.update(np.array([1e-3 * k, 0.0, 1.0]))  # z steady, x still moving
    assert not stop.converged and stop.residual == pytest.approx(1e-3)


def test_kozeny_carman_of_a_slit_is_h3_over_20_period():
    h, period = 6, 10
    pore = np.zeros((1, period, 4), bool)
    pore[:, 2 : 2 + h] = True
    assert kozeny_carman(pore) == pytest.approx(h**3 / (20 * period))
    assert kozeny_carman(np.ones((3, 3, 3), bool)) == np.inf


def test_auto_tau_is_small_for_tight_long_samples_and_large_for_open_ones():
    rng = np.random.default_rng(0)
    tight = rng.random((40, 40, 40)) < 0.3  # fine-grained, low porosity
    z, y, x = np.mgrid[:32, :32, :32] + 0.5 - 16
    sphere_cell = x * x + y * y + z * z > 10.0**2
    lo, hi = TAU_RANGE_TRT
    assert auto_tau(tight) == lo
    assert auto_tau(sphere_cell) == hi
    assert auto_tau(np.ones((4, 4, 4), bool)) == hi
    # nu ∝ 1 / L: the same medium twice as long relaxes its pressure over four times the area
    field = ndimage.gaussian_filter(rng.standard_normal((24, 24, 24)), 2, mode="wrap")
    medium = field < np.median(field)
    nu = [auto_tau(p) - 0.5 for p in (medium, np.tile(medium, (2, 2, 2)))]
    assert lo < nu[0] + 0.5 < hi
    assert nu[1] == pytest.approx(nu[0] / 2, rel=1e-9)


def test_residual_progress_rises_on_a_log_scale_and_never_goes_back():
    from porestudio.physics.lbm.loop import PROGRESS_TOTAL, ResidualProgress

    seen = []
    bar = ResidualProgress(lambda d, t: seen.append((d, t)), tol=1e-6, max_steps=100_000)
    for steps, residual in [(100, 1.0), (200, 1e-2), (300, 1e-1), (400, 1e-4), (500, 2e-6)]:
        bar.update(steps, residual)
    bar.finish()
    done = [d for d, _ in seen]
    assert done[:5] == [1, 333, 333, 666, 949]  # log scale from 1 to 1e-6; 1e-1 steps back
    assert seen[-1] == (PROGRESS_TOTAL, PROGRESS_TOTAL)
    steps_only = ResidualProgress(None, tol=0.0, max_steps=1000)  # fixed-step runs: tol 0
    assert steps_only.update(250, 0.5) == 250
