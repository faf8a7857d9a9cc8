import json

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.structures import Structure


def test_structure_holds_pore_convention_and_metadata():
    pore = np.zeros((4, 5, 6), dtype=bool)
    pore[:, 2, :] = True  # a channel along x
    s = Structure(pore, voxel_size_m=2e-6, provenance={"generator": "test", "seed": np.int64(3)})
    assert s.shape == (4, 5, 6)
    assert s.porosity == pytest.approx(1 / 5)
    assert not s.solid[0, 2, 0] and s.solid[0, 0, 0]
    assert json.loads(s.provenance_json()) == {"generator": "test", "seed": 3}
    assert s.replace(voxel_size_m=None).voxel_size_m is None


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((5, 5), bool), "must be 3D"),
        (np.zeros((0, 5, 5), bool), "must not be empty"),
        (np.zeros((3, 3, 3), np.uint8), "must be boolean"),
    ],
)
def test_bad_arrays_are_refused(array, message):
    with pytest.raises(InputError, match=message):
        Structure(array)


def test_voxel_size_is_checked():
    with pytest.raises(InputError):
        Structure(np.ones((2, 2, 2), bool), voxel_size_m=0.0)
