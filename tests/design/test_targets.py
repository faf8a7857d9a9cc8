"""Design targets: validation, units, CSV batches with errors naming the line."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.design.targets import make_targets, model_columns, read_targets_csv
from porestudio.errors import InputError
from porestudio.units import MILLIDARCY_M2


def test_single_target_in_lattice_units():
    t = make_targets({"porosity": 0.3, "k": 1.2})
    assert t.names == ("porosity", "k") and len(t) == 1
    np.testing.assert_allclose(t.values, [[0.3, 1.2]])


def test_units_convert_with_the_voxel_size():
    dx = 1e-5
    t = make_targets({"porosity": 0.3, "k": 1.2e-10}, units="m2", voxel_size_m=dx)
    assert t.column("k")[0] == pytest.approx(1.2e-10 / dx**2)
    t = make_targets({"k": 50.0}, units="mD", voxel_size_m=dx)
    assert t.column("k")[0] == pytest.approx(50 * MILLIDARCY_M2 / dx**2)
    with pytest.raises(InputError, match="voxel size"):
        make_targets({"porosity": 0.3, "k": 1e-10}, units="m2")


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"porosity": 1.2, "k": 1.0}, "outside"),
        ({"porosity": 0.0, "k": 1.0}, "outside"),
        ({"porosity": 0.3, "k": -1.0}, "> 0"),
        ({"porosity": 0.3, "k": 0.0}, "> 0"),
        ({"porosity": 0.3, "k": np.inf}, "finite"),
        ({"porosity": 0.3, "k": 1.0, "kx": 1.0}, "either"),
        ({"phi": 0.3}, "unknown target"),
        ({}, "no target"),
    ],
)
def test_impossible_targets_are_clear_errors(values, match):
    with pytest.raises(InputError, match=match):
        make_targets(values)


def test_model_columns_2d_and_3d():
    t = make_targets({"porosity": [0.2, 0.3], "k": [1.0, 2.0]})
    names, vals = model_columns(t, ("porosity", "k_zz"), "z")
    assert names == ("porosity", "k_zz") and vals.shape == (2, 2)
    names, vals = model_columns(t, ("porosity", "k_xx", "k_yy", "k_zz"), None)
    assert names == ("porosity", "k_xx", "k_yy", "k_zz")
    np.testing.assert_allclose(vals[:, 1], vals[:, 3])
    t3 = make_targets({"porosity": 0.3, "kx": 1.0, "kz": 2.0})
    names, vals = model_columns(t3, ("porosity", "k_xx", "k_yy", "k_zz"), None)
    assert names == ("porosity", "k_xx", "k_zz")
    with pytest.raises(InputError, match="no output for k_xx"):
        model_columns(t3, ("porosity", "k_zz"), "z")


def test_csv_batch_in_row_order(tmp_path):
    f = tmp_path / "targets.csv"
    f.write_text("porosity,k\n0.2,0.5\n\n# a comment\n0.35,1.7\n")
    t = read_targets_csv(f)
    np.testing.assert_allclose(t.values, [[0.2, 0.5], [0.35, 1.7]])
    assert t.labels == ("targets.csv line 2", "targets.csv line 5")
    f.write_text("porosity,kx,ky,kz\n0.3,1,2,3\n")
    assert read_targets_csv(f).names == ("porosity", "kx", "ky", "kz")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("porosity,k\n0.2,0.5\n0.3,abc\n", "line 3: not a number"),
        ("porosity,k\n0.2,0.5\n1.3,1.0\n", "line 3: porosity 1.3 is outside"),
        ("porosity,k\n0.2,-0.5\n", "line 2: permeability k"),
        ("porosity,k\n0.2\n", "line 2: 1 values for the 2 columns"),
        ("porosity,perm\n0.2,1\n", "header: unknown target 'perm'"),
        ("0.2,0.5\n", "no header"),
        ("porosity,k\n", "no target rows"),
        ("", "empty"),
    ],
)
def test_csv_errors_name_the_line(tmp_path, text, match):
    f = tmp_path / "targets.csv"
    f.write_text(text)
    with pytest.raises(InputError, match=match):
        read_targets_csv(f)
