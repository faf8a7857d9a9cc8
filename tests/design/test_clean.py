"""Cleaning design candidates: floating solid removed, non-percolating reported."""

from __future__ import annotations

import numpy as np

from porestudio.design.clean import clean_batch, clean_section, clean_volume
from porestudio.structures import morphology


def test_section_island_becomes_pore():
    sec = np.zeros((20, 20), bool)
    sec[2:18, 2:18] = True  # a big pore touching no edge
    sec[8:11, 8:11] = False  # a solid pillar floating in it
    c = clean_section(sec)
    assert c.solid_islands_removed == 1 and c.percolates
    assert c.pore[8:11, 8:11].all()
    np.testing.assert_array_equal(c.pore[~sec & ~c.pore], False)  # nothing else changed
    assert np.count_nonzero(c.pore) == np.count_nonzero(sec) + 9


def test_all_solid_section_does_not_percolate():
    c = clean_section(np.zeros((8, 8), bool))
    assert not c.percolates and c.solid_islands_removed == 0


def test_volume_island_removed_and_channel_kept():
    pore = np.zeros((12, 12, 12), bool)
    pore[:, 3:9, 3:9] = True  # channel along z
    pore[5:7, 5:7, 5:7] = False  # a solid cube floating inside
    c = clean_volume(pore, ("z",))
    assert c.percolates and c.solid_islands_removed == 1
    assert morphology.floating_solid_islands(c.pore) == 0
    assert c.pore[5:7, 5:7, 5:7].all()


def test_blocked_channel_is_reported_and_dead_pores_filled():
    pore = np.zeros((12, 12, 12), bool)
    pore[:, 4:8, 4:8] = True  # channel along z ...
    pore[6, :, :] = False  # ... blocked by a wall
    c = clean_volume(pore, ("z",))
    assert not c.percolates
    assert not c.pore.any()  # neither half connects the two z faces: filled
    assert c.pore_voxels_filled == np.count_nonzero(pore)


def test_batch_of_extruded_structures():
    sec = np.zeros((10, 10), bool)
    sec[1:9, 1:9] = True
    sec[4:6, 4:6] = False
    pores = np.broadcast_to(sec, (2, 4, 10, 10)).copy()
    out, perc, islands = clean_batch(pores, "z")
    assert out.shape == pores.shape and perc.all()
    np.testing.assert_array_equal(islands, [1, 1])
    assert out[:, :, 4:6, 4:6].all()
    assert all(morphology.is_extruded(p, "z") for p in out)


def test_a_volume_left_without_solid_is_no_design():
    from porestudio.design._candidates import binarise_variants

    # thin solid specks inside an open cube: all are floating islands, cleaning removes them
    prob = np.ones((12, 12, 12))
    prob[4, 4, 4] = prob[7, 8, 6] = 0.0
    [(pore, usable)] = binarise_variants(prob, float("nan"), ("x", "y", "z"), dims=3)
    assert pore.all() and clean_volume(prob > 0.5).percolates
    assert not usable  # flows, but nothing is left to print
    prob[:, :, 0] = 0.0  # a wall touching the box: solid stays, the pore space still flows
    [(pore, usable)] = binarise_variants(prob, float("nan"), ("y", "z"), dims=3)
    assert not pore.all() and usable
