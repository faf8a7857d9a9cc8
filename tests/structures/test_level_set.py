"""Grey-value level sets for sub-voxel walls."""

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.structures.level_set import grey_level_set


def test_level_set_is_positive_exactly_on_the_pore():
    grey = np.array([[[10.0, 100.0, 128.0, 200.0]]])
    pore = grey < 128
    phi = grey_level_set(grey, 128.0, pore)
    assert np.array_equal(phi > 0, pore)
    assert phi.tolist() == [[[118.0, 28.0, 0.0, -72.0]]]
    bright = grey_level_set(grey, 128.0, grey >= 128, invert=True)
    assert np.array_equal(bright > 0, grey >= 128) and bright[0, 0, 2] > 0


def test_voxels_changed_by_a_clean_up_stay_in_their_new_phase():
    grey = np.array([[[10.0, 200.0, 10.0]]])
    pore = np.array([[[True, True, False]]])  # an island filled in, a pore closed
    phi = grey_level_set(grey, 128.0, pore)
    assert np.array_equal(phi > 0, pore)


def test_bad_inputs():
    with pytest.raises(InputError, match="shape"):
        grey_level_set(np.zeros((2, 2, 2)), 1.0, np.zeros((2, 2, 3), bool))
    with pytest.raises(InputError, match="NaN"):
        grey_level_set(np.full((1, 1, 2), np.nan), 1.0, np.zeros((1, 1, 2), bool))
