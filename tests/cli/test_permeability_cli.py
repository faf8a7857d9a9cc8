"""``porestudio permeability`` on real TIFF stacks and HDF5 datasets."""

import json

import numpy as np
import pytest
import tifffile

from porestudio.cli import main
from porestudio.structures.dataset import DatasetWriter

SQUARE_DUCT = 0.0351442537


def _duct(a: int = 6, depth: int = 3) -> np.ndarray:
    pore = np.zeros((depth, a + 2, a + 2), bool)
    pore[:, 1:-1, 1:-1] = True
    return pore


@pytest.fixture
def duct_tif(tmp_path):
    path = tmp_path / "duct.tif"
    tifffile.imwrite(path, np.where(_duct(), 0, 255).astype(np.uint8), photometric="minisblack")
    return path


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "set.h5"
    with DatasetWriter(path, shape=(3, 8, 8), voxel_size_m=5e-6) as writer:
        pores = np.stack([_duct(), np.zeros((3, 8, 8), bool)])
        writer.append(pores)
    return path


def test_json_of_a_tiff_duct_is_the_exact_series(duct_tif, capsys):
    assert main(["permeability", str(duct_tif), "--axis", "z", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    exact = SQUARE_DUCT * 6**4 / 8**2
    assert data["k_lu"][2][2] == pytest.approx(exact, rel=1e-3)
    assert data["method"] == "stokes2d" and data["k_m2"] is None
    assert data["shape_zyx"] == [3, 8, 8] and data["source"] == "duct.tif"


def test_table_with_voxel_size_shows_m2_and_md(duct_tif, capsys):
    args = ["permeability", str(duct_tif), "--voxel-size", "1e-5", "--method", "lbm"]
    assert main([*args, "--tol", "1e-5"]) == 0
    out = capsys.readouterr().out
    assert "k [m²]" in out and "k [mD]" in out and "k_zz" in out
    assert "k_xx" in out and "skipped (not percolating" in out
    assert "converged" in out and "MFLUPS" in out


def test_dataset_sample_by_index_uses_its_voxel_size(dataset, capsys):
    assert main(["permeability", f"{dataset}:0", "--axis", "z", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["voxel_size_m"] == 5e-6
    assert data["k_m2"][2][2] == pytest.approx(data["k_lu"][2][2] * 25e-12)
    assert data["source"] == "set.h5:0"
    assert main(["permeability", f"{dataset}:1", "--json"]) == 0
    solid = json.loads(capsys.readouterr().out)
    assert solid["k_lu"][0][0] == 0.0 and "all solid" in solid["notes"][0]


@pytest.mark.parametrize(
    ("suffix", "message"),
    [(":7", "out of range"), ("", "holds 2 samples")],
)
def test_dataset_errors_are_one_line(dataset, capsys, suffix, message):
    assert main(["permeability", f"{dataset}{suffix}"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_file_and_all_pore_volume(tmp_path, capsys):
    assert main(["permeability", str(tmp_path / "nope.tif")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    path = tmp_path / "open.tif"
    tifffile.imwrite(path, np.zeros((4, 4, 4), np.uint8), photometric="minisblack")
    assert main(["permeability", str(path)]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_index_on_a_tiff_is_refused(duct_tif, capsys):
    assert main(["permeability", f"{duct_tif}:0"]) == 2
    assert "not an HDF5 dataset" in capsys.readouterr().err


def _partial_volume_channel(ny=14, y0=1.3, y1=12.1, nx=4, nz=2):
    """Grey image of a plane channel: 255 × the solid fraction of every voxel."""
    lo, hi = np.arange(ny), np.arange(ny) + 1.0
    fluid = np.clip(np.minimum(hi, y1) - np.maximum(lo, y0), 0, 1)
    grey = np.broadcast_to((255 * (1 - fluid))[None, :, None], (nz, ny, nx))
    return np.ascontiguousarray(grey).astype(np.uint8), (y1 - y0) ** 3 / 12 / ny


def test_subvoxel_walls_from_grey_values_beat_the_staircase(tmp_path, capsys):
    grey, exact = _partial_volume_channel()
    path = tmp_path / "channel.tif"
    tifffile.imwrite(path, grey, photometric="minisblack")
    ks = []
    for extra in ([], ["--subvoxel"]):
        args = ["permeability", str(path), "--axis", "x", "--mode", "periodic", "--json",
                "--threshold", "127.5"]  # fmt: skip
        assert main([*args, "--method", "lbm", "--tol", "1e-8", *extra]) == 0
        ks.append(json.loads(capsys.readouterr().out)["k_lu"][0][0])
    stair, sub = (abs(k / exact - 1) for k in ks)
    assert sub < 0.03 < stair  # measured: staircase +6.1 %, grey walls +1.8 %


def test_subvoxel_refuses_binary_inputs(duct_tif, dataset, capsys):
    assert main(["permeability", str(duct_tif), "--subvoxel"]) != 0
    assert "binary" in capsys.readouterr().err
    assert main(["permeability", f"{dataset}:0", "--subvoxel"]) != 0
    assert "grey-scale" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["permeability", "label"])
def test_both_solver_commands_declare_the_same_flags_with_help(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    for flag in ("--mode", "--method", "--collision", "--device", "--tol", "--max-steps",
                 "--tau", "--dtype"):  # fmt: skip
        assert flag in out
    assert "solver options" in out and "cuda:N" in out and "(default: trt)" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--tol", "2"], "tol must be between 0 and 1"), (["--device", "tpu"], "unknown device"),
     (["--tau", "0.4"], "tau must be larger than 0.5")],
)  # fmt: skip
def test_one_rule_per_option_in_both_commands(dataset, capsys, extra, message):
    for command in (["permeability", f"{dataset}:0"], ["label", str(dataset)]):
        assert main([*command, *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_a_full_tensor_is_explained(tmp_path, capsys):
    rng = np.random.default_rng(3)
    pore = rng.random((8, 8, 8)) < 0.75
    path = tmp_path / "noise.tif"
    tifffile.imwrite(path, np.where(pore, 0, 255).astype(np.uint8), photometric="minisblack")
    assert main(["permeability", str(path), "--tensor", "--tol", "1e-4"]) == 0
    out = capsys.readouterr().out
    assert "asymmetry ‖K−Kᵀ‖/‖K‖ =" in out and "principal values [voxel²]:" in out
    assert out.count("principal direction") == 3
    assert "run x (no-slip sides)" in out and "run x (free-slip sides)" in out
    assert main(["permeability", str(path), "--tensor", "--tol", "1e-4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    values = data["eigenvalues_lu"]
    assert len(values) == 3 and values == sorted(values, reverse=True)
    assert np.allclose(np.linalg.norm(data["principal_directions"], axis=1), 1)
