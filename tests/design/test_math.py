"""Latent-space math against known answers: slerp/lerp, PCA, KDE, correlations."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.design.interpolate import lerp, slerp
from porestudio.design.latent import correlations, default_grid, kde_per_dim, pca
from porestudio.errors import InputError


def test_slerp_orthogonal_unit_codes_stay_on_the_circle():
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    t = np.linspace(0, 1, 11)
    z = slerp(a, b, t)
    assert z.shape == (11, 3)
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(z[0], a, atol=1e-12)
    np.testing.assert_allclose(z[-1], b, atol=1e-12)
    np.testing.assert_allclose(slerp(a, b, 0.5), (a + b) / np.sqrt(2), atol=1e-12)
    # constant angular speed: equal angles between neighbours
    angles = np.arccos(np.clip(np.sum(z[1:] * z[:-1], axis=1), -1, 1))
    np.testing.assert_allclose(angles, np.pi / 20, atol=1e-9)


def test_slerp_keeps_a_common_norm_and_endpoints():
    rng = np.random.default_rng(3)
    a = rng.normal(size=16)
    b = rng.normal(size=16)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    z = slerp(a, b, np.linspace(0, 1, 7))
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), np.linalg.norm(a), rtol=1e-10)
    np.testing.assert_allclose(z[0], a, atol=1e-12)
    np.testing.assert_allclose(z[-1], b, atol=1e-12)


def test_parallel_and_identical_codes_fall_back_to_lerp():
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(slerp(a, 2 * a, 0.5), lerp(a, 2 * a, 0.5))
    constant = slerp(a, a, np.linspace(0, 1, 5))
    np.testing.assert_allclose(constant, np.tile(a, (5, 1)))
    np.testing.assert_allclose(slerp(a, -a, 0.25), 0.5 * a)  # anti-parallel: straight line
    np.testing.assert_allclose(slerp(np.zeros(3), a, 0.5), a / 2)


def test_lerp_and_bad_codes():
    np.testing.assert_allclose(lerp([0, 0], [2, 4], [0.0, 0.5, 1.0]), [[0, 0], [1, 2], [2, 4]])
    with pytest.raises(InputError):
        slerp([1, 2], [1, 2, 3], 0.5)
    with pytest.raises(InputError):
        lerp([np.nan, 1], [1, 2], 0.5)


def test_pca_recovers_a_known_anisotropic_gaussian():
    rng = np.random.default_rng(0)
    axes = np.linalg.qr(rng.normal(size=(5, 5)))[0]  # orthonormal columns
    sd = np.array([5.0, 3.0, 1.0, 0.5, 0.1])
    x = (rng.normal(size=(20000, 5)) * sd) @ axes.T + 7.0
    r = pca(x, n_components=3)
    assert r.components.shape == (3, 5) and r.scores.shape == (20000, 3)
    expected = sd**2 / np.sum(sd**2)
    np.testing.assert_allclose(r.explained_variance_ratio, expected[:3], rtol=0.03)
    for i in range(3):  # each axis found up to sign
        assert abs(r.components[i] @ axes[:, i]) > 0.999
    np.testing.assert_allclose(r.mean, 7.0, atol=0.1)
    np.testing.assert_allclose(r.transform(x[:5]), r.scores[:5])
    assert pca(x[:, :2], n_components=10).components.shape == (2, 2)
    with pytest.raises(InputError):
        pca(x[:1])


def test_kde_integrates_to_one_and_matches_the_exact_kde():
    from scipy import stats

    rng = np.random.default_rng(1)
    x = np.stack([rng.normal(0, 1, 3000), rng.normal(2, 0.3, 3000)], axis=1)
    grid = default_grid(x, 400)
    dens = kde_per_dim(x, grid)
    assert dens.shape == (2, 400)
    step = grid[1] - grid[0]
    np.testing.assert_allclose(dens.sum(axis=1) * step, 1.0, atol=1e-3)
    exact = stats.gaussian_kde(x[:, 1], bw_method="scott")
    # same bandwidth rule up to the 1.06 factor: compare with an explicit one
    h = 1.06 * x[:, 1].std(ddof=1) * len(x) ** -0.2
    exact = stats.gaussian_kde(x[:, 1], bw_method=h / x[:, 1].std(ddof=1))
    ref = exact(grid)
    assert np.abs(dens[1] - ref).max() < 0.02 * ref.max()


def test_kde_bad_grid():
    with pytest.raises(InputError):
        kde_per_dim(np.zeros((5, 2)), np.array([0.0, 1.0, 3.0, 3.5]))


def test_correlations_known_values():
    rng = np.random.default_rng(2)
    s = rng.normal(size=(5000, 2))
    props = np.stack([2 * s[:, 0] + 1, -s[:, 1] + 0.01 * rng.normal(size=5000)], axis=1)
    props[3, 0] = np.nan  # rows with NaN are left out
    c = correlations(s, props)
    assert c.shape == (4, 4)
    np.testing.assert_allclose(np.diag(c), 1.0)
    assert c[0, 2] == pytest.approx(1.0, abs=1e-9)
    assert c[1, 3] == pytest.approx(-1.0, abs=1e-3)
    assert abs(c[0, 1]) < 0.05
    const = correlations(s, np.ones((5000, 1)))
    assert np.isnan(const[0, 2])
