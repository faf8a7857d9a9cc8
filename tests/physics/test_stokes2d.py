"""The exact extruded-Stokes solver against closed-form duct and channel solutions."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.physics import stokes2d
from porestudio.physics.stokes2d import (
    extruded_permeability,
    extruded_permeability_batch,
    rectangular_duct_flux,
)


def _rel(value: float, exact: float) -> float:
    return abs(value / exact - 1.0)


def test_series_constant_of_the_square_duct():
    assert rectangular_duct_flux(1.0) == pytest.approx(0.03514425, rel=1e-6)
    # the series is symmetric in its arguments and scales with the fourth power
    assert rectangular_duct_flux(3.0, 7.0) == pytest.approx(rectangular_duct_flux(7.0, 3.0))
    assert rectangular_duct_flux(10.0) == pytest.approx(1e4 * rectangular_duct_flux(1.0))


def test_square_duct_filling_the_section():
    k = extruded_permeability(np.ones((10, 10), bool))
    assert k == pytest.approx(0.0351443 * 100, rel=5e-4)


@pytest.mark.parametrize(
    ("refine", "low", "high"),
    [(1, 0.036, 0.040), (4, 0.0020, 0.0028), (8, 0.0005, 0.0007)],
)
def test_unextrapolated_error_is_second_order(refine, low, high):
    exact = rectangular_duct_flux(10) / 100
    k = extruded_permeability(np.ones((10, 10), bool), refine=refine, richardson=False)
    error = k / exact - 1.0
    assert low < error < high  # overestimates, shrinking 16x per 4x refinement


def test_richardson_beats_single_levels():
    exact = rectangular_duct_flux(10) / 100
    sq = np.ones((10, 10), bool)
    rich = _rel(extruded_permeability(sq, refine=4), exact)
    plain = _rel(extruded_permeability(sq, refine=4, richardson=False), exact)
    assert rich < 5e-5 < plain


@pytest.mark.parametrize(("rows", "cols"), [(5, 20), (3, 12), (8, 13)])
def test_rectangular_duct_inside_a_larger_section(rows, cols):
    section = np.zeros((rows + 6, cols + 4), bool)
    section[2 : 2 + rows, 1 : 1 + cols] = True
    exact = rectangular_duct_flux(rows, cols) / section.size
    assert _rel(extruded_permeability(section), exact) < 1e-3


def test_plane_channel_periodic_is_exact():
    section = np.zeros((20, 30), bool)
    section[3:9, :] = True  # a slit of height 6 spanning the periodic width
    exact = 6**2 / 12 * (6 / 20)
    assert extruded_permeability(section, side="periodic") == pytest.approx(exact, rel=1e-10)


def test_plane_channel_with_walls_is_a_wide_duct():
    section = np.zeros((20, 60), bool)
    section[3:9, :] = True
    exact = rectangular_duct_flux(6, 60) / section.size
    assert _rel(extruded_permeability(section, side="wall"), exact) < 1e-3
    assert extruded_permeability(section, side="wall") < 6**2 / 12 * (6 / 20)


def test_components_add_and_diagonal_contacts_do_not_connect():
    one = np.zeros((30, 30), bool)
    one[2:12, 2:12] = True
    two = one.copy()
    two[12:22, 12:22] = True  # touches the first square only at a corner
    assert extruded_permeability(two) == pytest.approx(2 * extruded_permeability(one), rel=1e-12)
    merged = one.copy()
    merged[2:12, 12:22] = True  # shares an edge: a 10x20 duct, more than two squares
    assert extruded_permeability(merged) > 2.5 * extruded_permeability(one)
    exact = rectangular_duct_flux(10, 20) / merged.size
    assert _rel(extruded_permeability(merged), exact) < 1e-3


def test_l_shape_converges_to_the_reference():
    section = np.zeros((20, 20), bool)
    section[:10, :] = True
    section[:, :10] = True
    reference = extruded_permeability(section, refine=24)
    assert _rel(extruded_permeability(section, refine=4), reference) < 2e-3
    errors = [
        _rel(extruded_permeability(section, refine=r, richardson=False), reference)
        for r in (2, 4, 8)
    ]
    assert errors[0] > errors[1] > errors[2]


def test_periodic_square_across_the_border_equals_the_interior_square():
    inner = np.zeros((20, 20), bool)
    inner[5:15, 5:15] = True
    wrapped = np.roll(inner, (10, 10), axis=(0, 1))  # split into four corner pieces
    assert extruded_permeability(wrapped, side="periodic") == pytest.approx(
        extruded_permeability(inner, side="periodic"), rel=1e-9
    )
    # with walls the four corner pieces are four small ducts, far less permeable
    assert extruded_permeability(wrapped, side="wall") < 0.3 * extruded_permeability(inner)


def test_batch_matches_single_and_reports_progress():
    rng = np.random.default_rng(3)
    sections = rng.random((5, 16, 16)) < 0.6
    calls = []
    batch = extruded_permeability_batch(sections, progress=lambda d, t: calls.append((d, t)))
    single = [extruded_permeability(s) for s in sections]
    np.testing.assert_allclose(batch, single, rtol=1e-12)
    assert calls[-1] == (5, 5)
    assert extruded_permeability(np.zeros((7, 7), bool)) == 0.0


def test_cache_returns_the_same_value_after_clearing():
    section = np.zeros((14, 14), bool)
    section[2:12, 2:12] = True
    first = extruded_permeability(section)
    stokes2d.clear_cache()
    assert extruded_permeability(section) == first


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"section": np.ones((3, 3, 3), bool)}, "2D"),
        ({"section": np.full((3, 3), 0.5)}, "boolean"),
        ({"section": np.ones((3, 3), bool), "refine": 0}, "positive integer"),
        ({"section": np.ones((3, 3), bool), "refine": 1}, "Richardson"),
        ({"section": np.ones((3, 3), bool), "side": "open"}, "wall"),
        ({"section": np.ones((3, 3), bool), "side": "periodic"}, "unbounded"),
    ],
)
def test_bad_inputs_raise_one_clear_error(kwargs, message):
    section = kwargs.pop("section")
    with pytest.raises(InputError, match=message):
        extruded_permeability(section, **kwargs)


def test_integer_zero_one_sections_are_accepted():
    section = np.zeros((12, 12), np.uint8)
    section[1:11, 1:11] = 1
    assert extruded_permeability(section) == pytest.approx(
        extruded_permeability(section.astype(bool))
    )


def test_rotated_and_mirrored_sections_have_the_same_permeability():
    section = np.zeros((16, 22), bool)
    section[2:8, 1:15] = True
    section[2:14, 10:15] = True  # an L-shaped merged pore
    k = extruded_permeability(section)
    stokes2d.clear_cache()
    for variant in (section.T, section[::-1], section[:, ::-1], np.rot90(section)):
        assert extruded_permeability(np.ascontiguousarray(variant)) == pytest.approx(k, rel=1e-9)
    other = section.copy()
    other[13, 10:15] = False  # one row shorter: a different shape, a different value
    assert extruded_permeability(other) < k * (1 - 1e-3)
