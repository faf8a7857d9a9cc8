import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.units import (
    DARCY_M2,
    array_axis,
    check_voxel_size,
    permeability_from_lattice,
    unit_label,
    xyz_index,
)


def test_axis_conventions_map_names_to_zyx_memory_order():
    a = np.zeros((2, 3, 4))  # (z, y, x)
    assert a.shape[array_axis("x")] == 4
    assert a.shape[array_axis("y")] == 3
    assert a.shape[array_axis("z")] == 2
    assert [xyz_index(n) for n in "xyz"] == [0, 1, 2]


@pytest.mark.parametrize("bad", ["w", "X", ""])
def test_unknown_axis_is_a_clear_error(bad):
    with pytest.raises(InputError, match="unknown axis"):
        array_axis(bad)


def test_lattice_to_physical_units():
    k_lu = np.array([[2.0, 0.0], [0.0, 4.0]])
    k_m2 = permeability_from_lattice(k_lu, "m2", 5e-6)
    np.testing.assert_allclose(k_m2, k_lu * 25e-12)
    assert permeability_from_lattice(1.0, "D", 1e-6) == pytest.approx(1e-12 / DARCY_M2)
    assert permeability_from_lattice(1.0, "mD", 1e-6) == pytest.approx(1e-12 / DARCY_M2 * 1e3)
    assert permeability_from_lattice(3.0, "lu") == 3.0
    assert unit_label("lu") == "voxel²"


@pytest.mark.parametrize("bad", [0, -1e-6, float("nan"), float("inf"), 5.0])
def test_bad_voxel_sizes_are_refused(bad):
    with pytest.raises(InputError):
        check_voxel_size(bad)


def test_physical_unit_without_voxel_size_asks_for_it():
    with pytest.raises(InputError, match="voxel size is unknown"):
        permeability_from_lattice(1.0, "m2", None)
    with pytest.raises(InputError, match="unknown permeability unit"):
        permeability_from_lattice(1.0, "acre", 1e-6)
