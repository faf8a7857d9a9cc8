"""Generators: the paper's squares (section 4.1), Gaussian random fields, spheres."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from porestudio.errors import InputError
from porestudio.structures import generators as gen
from porestudio.structures.morphology import floating_solid_islands, is_extruded


@st.composite
def square_params(draw):
    pore_size = draw(st.integers(1, 8))
    size = draw(st.integers(pore_size, 60))
    capacity = (size // pore_size) ** 2  # a safe (well below jamming) maximum
    high = draw(st.integers(1, max(1, capacity // 3)))
    low = draw(st.integers(1, high))
    return {"size": size, "pore_size": pore_size, "n_pores": (low, high)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=square_params(), seed=st.integers(0, 2**32), count=st.integers(1, 12))
def test_squares_invariants(params, seed, count):
    size, p = params["size"], params["pore_size"]
    low, high = params["n_pores"]
    n, corners = gen.squares_positions(count, seed, **params)
    images = gen.squares_batch(count, seed, **params)
    assert images.shape == (count, size, size) and images.dtype == bool
    assert np.all((n >= low) & (n <= high))
    for i in range(count):
        c = corners[i, : n[i]]
        assert np.all(corners[i, n[i] :] == -1)
        assert np.all((c >= 0) & (c <= size - p)), "every pore fully inside the image"
        gap = np.abs(c[:, None, :] - c[None, :, :])
        overlap = (gap < p).all(axis=2) & ~np.eye(len(c), dtype=bool)
        assert not overlap.any(), "pores never share a pixel"
        # counting check: non-overlap <=> pore area is exactly n * p^2
        assert images[i].sum() == n[i] * p * p
    again = gen.squares_batch(count, seed, **params)
    assert np.array_equal(images, again), "same seed, same structures"


def test_squares_single_matches_batch_and_is_extruded():
    batch = gen.squares_batch(6, 42, start=10)
    s = gen.squares(42, index=13, voxel_size_m=2e-6)
    assert s.shape == (100, 100, 100)
    assert s.voxel_size_m == 2e-6
    assert np.array_equal(s.pore[0], batch[3])
    assert is_extruded(s.pore, "z") and not is_extruded(s.pore, "x")
    assert s.provenance == {
        "generator": "squares",
        "params": {"size": 100, "depth": 100, "pore_size": 10, "n_pores": [10, 40]},
        "seed": 42,
        "index": 13,
    }
    assert not np.array_equal(gen.squares(42, index=14).pore, s.pore)
    assert not np.array_equal(gen.squares(43, index=13).pore, s.pore)


def test_squares_depth_and_pore_geometry():
    s = gen.squares(5, size=30, depth=7, pore_size=4, n_pores=(3, 3))
    assert s.shape == (7, 30, 30)
    assert s.porosity == pytest.approx(3 * 16 / 900)
    from scipy import ndimage

    # touching squares merge, so each component's area is a multiple of 16
    labels, k = ndimage.label(s.pore[0])
    areas = np.bincount(labels.ravel())[1:]
    assert k >= 1 and np.all(areas % 16 == 0)


def test_squares_statistics_match_paper_table():
    """Paper data set: porosity mean 0.248, std 0.089, min 0.1, max 0.4 (n = 10..40)."""
    n, _ = gen.squares_positions(3000, 2024)
    porosity = gen.squares_batch(3000, 2024).mean(axis=(1, 2))
    assert np.allclose(porosity, n * 100 / 10_000)
    assert porosity.min() == pytest.approx(0.10) and porosity.max() == pytest.approx(0.40)
    assert porosity.mean() == pytest.approx(0.25, abs=0.006)
    assert porosity.std() == pytest.approx(0.0894, abs=0.004)
    counts = np.bincount(n, minlength=41)[10:41]
    assert np.all(counts > 0), "every count 10..40 inclusive occurs"


def test_squares_too_dense_fails_clearly():
    with pytest.raises(InputError, match="do not fit"):
        gen.squares(0, size=20, pore_size=10, n_pores=(5, 5))
    # four 10x10 pores tile a 20x20 image only at the exact corners: the layout jams
    with pytest.raises(InputError, match="jammed"):
        gen.squares_batch(3, 0, size=20, pore_size=10, n_pores=(4, 4), max_attempts=2000)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": 0, "size": 0}, "size"),
        ({"seed": 0, "pore_size": 200}, "larger than the image"),
        ({"seed": 0, "n_pores": (5, 2)}, "smaller than its minimum"),
        ({"seed": 0, "voxel_size_m": -1.0}, "voxel size"),
    ],
)
def test_squares_bad_parameters(kwargs, match):
    with pytest.raises(InputError, match=match):
        gen.squares(**kwargs)


def test_squares_batch_rejects_bad_count():
    with pytest.raises(InputError, match="count"):
        gen.squares_batch(0, 1)


@pytest.mark.parametrize("porosity", [0.07, 0.35, 0.5, 0.83])
@pytest.mark.parametrize("periodic", [False, True])
def test_grf_hits_porosity(porosity, periodic):
    s = gen.grf(3, shape=(40, 36, 32), porosity=porosity, periodic=periodic)
    assert s.shape == (40, 36, 32)
    assert abs(s.porosity - porosity) < 0.01
    assert abs(s.porosity - porosity) <= 1.0 / s.pore.size + 1e-12  # to one voxel in fact


def _mismatch(pore: np.ndarray, axis: int, lag: int) -> float:
    a = np.take(pore, np.arange(pore.shape[axis] - lag), axis=axis)
    b = np.take(pore, np.arange(lag, pore.shape[axis]), axis=axis)
    return float(np.mean(a != b))


def test_grf_anisotropy_follows_correlation_lengths():
    s = gen.grf(7, shape=(64, 64, 64), porosity=0.5, correlation_length_vox=(2.0, 2.0, 8.0))
    # larger correlation along x (array axis 2): neighbours at lag 3 agree more often
    along_x, along_z = _mismatch(s.pore, 2, 3), _mismatch(s.pore, 0, 3)
    assert along_x < 0.6 * along_z
    iso = gen.grf(7, shape=(64, 64, 64), porosity=0.5, correlation_length_vox=4.0)
    ratios = [_mismatch(iso.pore, a, 3) for a in range(3)]
    assert max(ratios) < 1.25 * min(ratios)


def test_grf_periodic_wraps_and_non_periodic_does_not():
    kw = {"shape": (48, 48, 48), "porosity": 0.5, "correlation_length_vox": 5.0}
    per = gen.grf(11, periodic=True, **kw).pore
    free = gen.grf(11, periodic=False, **kw).pore
    interior = _mismatch(per, 0, 1)
    assert np.mean(per[0] != per[-1]) < 2.5 * interior  # wrap-around neighbours correlated
    assert np.mean(free[0] != free[-1]) > 0.35  # opposite faces independent (~0.5)


def test_grf_reproducible_and_provenance():
    a = gen.grf(5, shape=20, porosity=0.3, index=2)
    b = gen.grf(5, shape=20, porosity=0.3, index=2)
    assert np.array_equal(a.pore, b.pore)
    assert not np.array_equal(a.pore, gen.grf(5, shape=20, porosity=0.3, index=3).pore)
    assert a.provenance["generator"] == "grf" and a.provenance["index"] == 2
    assert a.provenance["params"]["correlation_length_vox"] == [5.0, 5.0, 5.0]


@pytest.mark.parametrize("porosity", [0.0, 1.0, -0.2, 1.5, float("nan")])
def test_porosity_outside_open_interval_is_refused(porosity):
    with pytest.raises(InputError, match="porosity"):
        gen.grf(0, shape=10, porosity=porosity)
    with pytest.raises(InputError, match="porosity"):
        gen.spheres(0, shape=10, porosity=porosity)


def test_grf_rejects_bad_shapes_and_lengths():
    with pytest.raises(InputError, match="shape"):
        gen.grf(0, shape=(10, 10))
    with pytest.raises(InputError, match="correlation_length"):
        gen.grf(0, shape=10, correlation_length_vox=-1.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"porosity": 0.5},
        {"porosity": 0.2, "radius_vox": 3.5},
        {"porosity": 0.75, "overlapping": False},
        {"porosity": 0.3, "phase": "pore"},
        {"porosity": 0.6, "periodic": True},
    ],
)
def test_spheres_hit_porosity(kwargs):
    s = gen.spheres(9, shape=(40, 40, 40), radius_vox=kwargs.pop("radius_vox", 5.0), **kwargs)
    assert abs(s.porosity - kwargs["porosity"]) < 0.01
    assert s.provenance["generator"] == "spheres" and s.provenance["n_spheres"] > 0


def test_spheres_are_round_and_non_overlapping_when_packed():
    s = gen.spheres(1, shape=(40, 40, 40), porosity=0.85, radius_vox=4.0, overlapping=False)
    from scipy import ndimage

    labels, k = ndimage.label(s.solid)
    assert k <= s.provenance["n_spheres"]
    inner = np.setdiff1d(
        np.arange(1, k + 1),
        np.unique(
            np.concatenate(
                [
                    labels[0],
                    labels[-1],
                    labels[:, 0],
                    labels[:, -1],
                    labels[:, :, 0],
                    labels[:, :, -1],
                ],
                axis=None,
            )
        ),
    )
    sizes = np.bincount(labels.ravel())[inner]
    ball = 4.0 / 3.0 * np.pi * 4.0**3
    # grains inside the box are separate whole balls (a few may touch, one may be partial)
    assert len(inner) >= 5
    assert np.mean(np.abs(sizes - ball) < 0.15 * ball) >= 0.8
    assert floating_solid_islands(s.pore) == len(inner)


def test_spheres_reproducible_and_jam_is_reported():
    a = gen.spheres(4, shape=24, porosity=0.5, radius_vox=3.0)
    assert np.array_equal(a.pore, gen.spheres(4, shape=24, porosity=0.5, radius_vox=3.0).pore)
    with pytest.raises(InputError, match="jammed"):
        gen.spheres(4, shape=16, porosity=0.3, radius_vox=3.0, overlapping=False)
    with pytest.raises(InputError, match="radius"):
        gen.spheres(4, shape=16, radius_vox=0.2)
    with pytest.raises(InputError, match="phase"):
        gen.spheres(4, shape=16, phase="liquid")


def test_generator_registry():
    assert set(gen.GENERATORS) == {"squares", "grf", "spheres"}
    for name, fn in gen.GENERATORS.items():
        kwargs = (
            {"size": 20, "depth": 5, "pore_size": 4, "n_pores": (2, 5)}
            if name == "squares"
            else {"shape": 12}
        )
        s = fn(1, index=0, voxel_size_m=1e-6, **kwargs)
        assert s.provenance["generator"] == name and s.voxel_size_m == 1e-6


def test_generate_dataset_is_batch_independent_and_cancellable(tmp_path):
    from porestudio.errors import Cancelled
    from porestudio.structures.dataset import open_dataset

    params = {"size": 20, "depth": 3, "pore_size": 4, "n_pores": (2, 6)}
    a = gen.generate_dataset(tmp_path / "a.h5", "squares", 25, 8, batch=7, **params)
    b = gen.generate_dataset(tmp_path / "b.h5", "squares", 25, 8, voxel_size_m=1e-6, **params)
    with open_dataset(a) as da, open_dataset(b) as db:
        np.testing.assert_array_equal(da.pores(0, 25), db.pores(0, 25))
        assert da.voxel_size_m is None and db.voxel_size_m == pytest.approx(1e-6)
        np.testing.assert_allclose(
            da.properties(["porosity"])["porosity"], da.pores(0, 25).mean(axis=(1, 2, 3))
        )

    def cancel(done: int, total: int) -> None:
        if done >= 7:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        gen.generate_dataset(tmp_path / "c.h5", "grf", 20, 1, batch=7, progress=cancel, shape=8)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "a.h5",
        "b.h5",
    ]
    with pytest.raises(InputError, match="unknown generator"):
        gen.generate_dataset(tmp_path / "d.h5", "cubes", 2, 1)
