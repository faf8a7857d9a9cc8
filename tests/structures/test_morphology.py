"""Morphology against hand-made structures with known answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from porestudio.errors import InputError
from porestudio.structures import Structure
from porestudio.structures import morphology as m
from porestudio.structures.generators import squares


def channel_x() -> np.ndarray:
    """A straight pore channel along x through solid."""
    pore = np.zeros((5, 6, 7), dtype=bool)
    pore[2, 3, :] = True
    return pore


def test_porosity():
    assert m.porosity(channel_x()) == pytest.approx(7 / (5 * 6 * 7))
    assert m.porosity(np.ones((2, 2, 2), bool)) == 1.0


def test_straight_channel_percolates_only_along_its_axis():
    assert m.percolates(channel_x()) == (True, False, False)
    pore = np.zeros((8, 5, 5), dtype=bool)
    pore[:, 1, 2] = True
    assert m.percolates(pore) == (False, False, True)
    pore = np.zeros((5, 8, 5), dtype=bool)
    pore[2, :, 2] = True
    assert m.percolates(pore) == (False, True, False)


def test_percolation_needs_one_cluster_touching_both_faces():
    pore = np.zeros((3, 3, 8), dtype=bool)
    pore[1, 1, :4] = True  # from x = 0 ...
    pore[1, 1, 5:] = True  # ... and to x = 7, but broken in the middle
    assert m.percolates(pore) == (False, False, False)


def test_edge_connected_staircase_depends_on_connectivity():
    pore = np.zeros((3, 6, 6), dtype=bool)
    for i in range(6):
        pore[1, i, i] = True  # diagonal: neighbours share only an edge
    assert m.percolates(pore, connectivity=6) == (False, False, False)
    assert m.percolates(pore, connectivity=18) == (True, True, False)
    with pytest.raises(InputError, match="connectivity"):
        m.percolates(pore, connectivity=8)


def test_floating_cube_is_one_island_and_is_removed():
    pore = np.ones((9, 9, 9), dtype=bool)
    pore[3:6, 3:6, 3:6] = False  # floating cube
    pore[:, :, 0] = False  # a wall on the x = 0 face: attached, not an island
    assert m.floating_solid_islands(pore) == 1
    cleaned = m.remove_floating_solids(pore)
    assert cleaned[3:6, 3:6, 3:6].all()
    assert not cleaned[:, :, 0].any()
    assert m.floating_solid_islands(cleaned) == 0
    assert pore[4, 4, 4] == np.False_, "input not modified"


def test_edge_touching_solids_are_separate_islands():
    pore = np.ones((6, 6, 6), dtype=bool)
    pore[2, 2, 2] = False
    pore[3, 3, 2] = False  # touches the first only along an edge
    assert m.floating_solid_islands(pore) == 2


def test_remove_disconnected_pores_keeps_face_connected_clusters():
    pore = np.zeros((7, 7, 7), dtype=bool)
    pore[3, 3, 3] = True  # closed pore
    pore[1, 1, :3] = True  # dead end open at x = 0
    out = m.remove_disconnected_pores(pore)
    assert not out[3, 3, 3]
    assert out[1, 1, :3].all()
    assert out.sum() == 3


def test_specific_surface_area_of_one_pore_voxel():
    pore = np.zeros((3, 3, 3), dtype=bool)
    pore[1, 1, 1] = True
    assert m.interface_faces(pore) == 6
    assert m.specific_surface_area(pore) == pytest.approx(6 / 27)
    assert m.specific_surface_area(pore, voxel_size_m=1e-6) == pytest.approx(6 / 27 / 1e-6)
    # a pore face on the domain boundary is not an interface
    pore = np.zeros((3, 3, 3), dtype=bool)
    pore[0, 1, 1] = True
    assert m.interface_faces(pore) == 5


def test_specific_surface_of_squares_is_the_pore_perimeter():
    s = squares(3, size=40, depth=6, pore_size=5, n_pores=(1, 1), voxel_size_m=1e-5)
    col = np.flatnonzero(s.pore[0].any(axis=0))
    row = np.flatnonzero(s.pore[0].any(axis=1))
    inner_edges = 4 * 5 - 5 * ((col[0] == 0) + (col[-1] == 39) + (row[0] == 0) + (row[-1] == 39))
    assert m.interface_faces(s.pore) == inner_edges * 6


def test_is_extruded():
    pore = channel_x()
    assert m.is_extruded(pore, "x") and m.is_extruded(pore, 2)
    assert not m.is_extruded(pore, "y") and not m.is_extruded(pore, "z")
    with pytest.raises(InputError):
        m.is_extruded(pore, "w")
    with pytest.raises(InputError):
        m.is_extruded(pore, 3)


@pytest.mark.parametrize("thickness", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_min_wall_thickness_of_a_wall(thickness, axis):
    pore = np.ones((14, 14, 14), dtype=bool)
    sl = [slice(None)] * 3
    sl[axis] = slice(4, 4 + thickness)
    pore[tuple(sl)] = False
    assert m.min_wall_thickness_vox(pore) == thickness
    assert m.min_wall_thickness_vox(pore, pad_with_pore=False) == thickness


def test_min_wall_thickness_finds_the_thinnest_and_ignores_corners():
    pore = np.ones((20, 20, 20), dtype=bool)
    pore[2:9, 2:9, 2:9] = False  # a 7-voxel cube (its corners are not thin walls)
    assert m.min_wall_thickness_vox(pore) == 7
    pore[12:14, :, :] = False  # plus a 2-voxel plate
    assert m.min_wall_thickness_vox(pore) == 2
    assert m.min_wall_thickness_vox(np.ones((3, 3, 3), bool)) == 0.0
    assert m.min_wall_thickness_vox(np.zeros((3, 3, 3), bool), pad_with_pore=False) == math.inf
    assert m.min_wall_thickness_vox(np.zeros((4, 4, 4), bool)) == 4.0


def test_summary_is_json_ready():
    s = squares(1, size=30, depth=4, pore_size=3, n_pores=(5, 5), voxel_size_m=2e-6)
    out = m.summary(s)
    json.dumps(out)
    assert out["porosity"] == pytest.approx(45 / 900)
    assert out["percolates_z"] is True
    assert out["shape"] == [4, 30, 30] and out["voxel_size_m"] == 2e-6
    assert out["specific_surface_per_m"] == pytest.approx(out["specific_surface_per_voxel"] / 2e-6)
    assert out["floating_solid_islands"] == 0
    bare = m.summary(s.pore)
    assert bare["voxel_size_m"] is None and bare["specific_surface_per_m"] is None


def test_bad_arrays_are_refused():
    with pytest.raises(InputError, match="3D"):
        m.percolates(np.ones((4, 4), bool))
    with pytest.raises(InputError, match="boolean"):
        m.floating_solid_islands(np.ones((4, 4, 4), np.uint8))


@settings(max_examples=40, deadline=None)
@given(arrays(np.bool_, st.tuples(*[st.integers(1, 7)] * 3)))
def test_cleaning_properties(pore):
    assert m.porosity(pore) + m.porosity(~pore) == pytest.approx(1.0)
    cleaned = m.remove_floating_solids(pore)
    assert m.floating_solid_islands(cleaned) == 0
    assert np.all(cleaned[pore]), "only solid turns into pore"
    np.testing.assert_array_equal(m.remove_floating_solids(cleaned), cleaned)
    closed = m.remove_disconnected_pores(pore)
    assert not np.any(closed & ~pore), "only pore turns into solid"
    np.testing.assert_array_equal(m.remove_disconnected_pores(closed), closed)
    assert m.percolates(closed) == m.percolates(pore)
    s = m.summary(Structure(pore))
    assert s["porosity"] == m.porosity(pore)


@pytest.mark.parametrize("connectivity", [6, 18, 26])
def test_extruded_structures_are_labelled_on_one_slice_with_the_same_answer(connectivity):
    from scipy import ndimage

    rank = {6: 1, 18: 2, 26: 3}[connectivity]
    rng = np.random.default_rng(connectivity)
    for trial in range(12):
        section = rng.random((9, 9)) < 0.5
        axis = trial % 3
        pore = np.repeat(np.expand_dims(section, axis), 4, axis=axis)
        labels, _ = ndimage.label(pore, ndimage.generate_binary_structure(3, rank))
        full = []
        for a in (2, 1, 0):  # x, y, z
            first, last = np.take(labels, 0, axis=a), np.take(labels, -1, axis=a)
            common = np.intersect1d(first[first > 0], last[last > 0])
            full.append(bool(common.size))
        assert m.percolates(pore, connectivity) == tuple(full)


def _wrapping_zigzag() -> np.ndarray:
    """A path that winds once around x and crosses the y faces twice, in a plane of z."""
    q = np.zeros((8, 8, 8), bool)
    q[4, 0, 0:4] = True  # A: y = 0, x 0..3
    q[4, 7, 3:8] = True  # B: y = 7, x 3..7; meets A across the y faces at x = 3
    q[4, 7, 0] = True  # leaves B through the x faces; meets A across the y faces at x = 0
    return q


def test_a_path_around_the_periodic_domain_percolates_only_when_periodic():
    q = _wrapping_zigzag()
    assert m.percolates(q, 6) == (False, False, False)
    assert m.percolates(q, 6, periodic=True) == (True, False, False)
    # the same voxels seen along z (array axes (z, y, x) -> (x, y, z)) wind around z
    assert m.percolates(np.ascontiguousarray(np.swapaxes(q, 0, 2)), 6, periodic=True) == (
        False, False, True,
    )  # fmt: skip


def test_a_face_to_face_cluster_whose_ends_do_not_meet_carries_no_periodic_flow():
    r = np.zeros((8, 8, 8), bool)
    r[4, 0, 0:4] = True
    r[4, 0:5, 3] = True
    r[4, 4, 3:8] = True  # enters at y = 0, leaves at y = 4
    assert m.percolates(r, 6) == (True, False, False)
    assert m.percolates(r, 6, periodic=True) == (False, False, False)
    r[4, 4, 0] = True  # now its exit meets a pore across the x faces, but not the cluster
    assert m.percolates(r, 6, periodic=True) == (False, False, False)


def test_periodic_percolation_follows_edge_links_and_shifts():
    # a diagonal staircase along x: voxels meet at edges only (18-, not 6-connected)
    s = np.zeros((6, 6, 6), bool)
    for x in range(6):
        s[2, x % 6, x] = True  # y = x: the last voxel (y 5, x 5) meets the first across both faces
    assert m.percolates(s, 6, periodic=True) == (False, False, False)
    assert m.percolates(s, 18, periodic=True) == (True, True, False)
    shifted = np.roll(s, (1, 2, 3), axis=(0, 1, 2))
    assert m.percolates(shifted, 18, periodic=True) == (True, True, False)
    assert m.percolates(shifted, 18) == (False, False, False)
