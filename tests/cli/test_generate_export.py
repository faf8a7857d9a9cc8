"""``porestudio generate`` and ``porestudio export`` end to end (real HDF5, TIFF, STL, VTI)."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
import tifffile

from porestudio.cli import main
from porestudio.structures.dataset import open_dataset
from porestudio.structures.generators import grf, squares
from porestudio.structures.morphology import is_extruded

SQUARES = ["--size", "30", "--depth", "6", "--pore-size", "5", "--n-pores", "3", "8"]


@pytest.fixture(scope="module")
def squares_h5(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "sq.h5"
    args = ["generate", "squares", "--count", "300", "--seed", "9", "--out", str(out)]
    assert main([*args, *SQUARES, "--voxel-size", "1e-4"]) == 0
    return out


def test_generate_squares_streams_a_dataset(squares_h5, capsys):
    with open_dataset(squares_h5) as ds:
        assert len(ds) == 300 and ds.shape == (6, 30, 30)
        assert ds.voxel_size_m == pytest.approx(1e-4)
        porosity = ds.properties(["porosity"])["porosity"]
        for i in (0, 137, 299):
            s = ds.structure(i)
            ref = squares(9, size=30, depth=6, pore_size=5, n_pores=(3, 8), index=i)
            np.testing.assert_array_equal(s.pore, ref.pore)
            assert ds.provenance(i)["index"] == i and ds.provenance(i)["seed"] == 9
            assert porosity[i] == pytest.approx(ref.porosity)
            assert is_extruded(s.pore, "z")
    assert np.all(np.isin(np.rint(porosity * 900 / 25), np.arange(3, 9)))


@pytest.mark.parametrize(
    "extra",
    [
        ["grf", "--shape", "12", "14", "16", "--porosity", "0.3", "--correlation-length", "3"],
        ["spheres", "--shape", "16", "--porosity", "0.7", "--radius", "3", "--packed"],
    ],
)
def test_generate_3d_families(tmp_path, extra, capsys):
    out = tmp_path / "set.h5"
    args = ["generate", *extra, "--count", "3", "--seed", "4", "--out", str(out), "--json"]
    assert main(args) == 0
    assert '"count": 3' in capsys.readouterr().out
    with open_dataset(out) as ds:
        assert len(ds) == 3
        porosity = ds.properties(["porosity"])["porosity"]
        target = float(extra[extra.index("--porosity") + 1])
        assert np.all(np.abs(porosity - target) < 0.01)
        assert ds.provenance(2)["generator"] == extra[0]
    if extra[0] == "grf":
        ref = grf(4, shape=(12, 14, 16), porosity=0.3, correlation_length_vox=3.0, index=1)
        with open_dataset(out) as ds:
            np.testing.assert_array_equal(ds.pore(1), ref.pore)


@pytest.mark.parametrize(
    "args, message",
    [
        (["squares", "--count", "0"], "count"),
        (["grf", "--count", "2", "--porosity", "1.2", "--shape", "8"], "porosity"),
        (["grf", "--count", "2", "--porosity", "0", "--shape", "8"], "porosity"),
        (["grf", "--count", "1", "--shape", "8", "8"], "shape"),
        (["squares", "--count", "1", "--seed", "-3"], "seed"),
        (["squares", "--count", "1", "--pore-size", "60"], "do not fit"),
        (["spheres", "--count", "1", "--shape", "8", "--voxel-size", "-1"], "voxel size"),
    ],
)
def test_generate_bad_input_is_one_line(tmp_path, capsys, args, message):
    out = tmp_path / "x.h5"
    assert main(["generate", *args[:1], "--out", str(out), *args[1:]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("porestudio: error:") and message in err and "\n" not in err
    assert not out.exists()


def test_generate_unwritable_output(tmp_path, capsys):
    out = tmp_path / "no" / "x.h5"
    assert main(["generate", "squares", "--count", "1", "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_export_from_dataset(tmp_path, squares_h5, capsys):
    stl, tif, vti = tmp_path / "a.stl", tmp_path / "a.tif", tmp_path / "a.vti"
    args = ["export", str(squares_h5), "--index", "5", "--stl", str(stl), "--tiff", str(tif)]
    assert main([*args, "--vti", str(vti), "--skin", "1"]) == 0
    ref = squares(9, size=30, depth=6, pore_size=5, n_pores=(3, 8), index=5).pore
    np.testing.assert_array_equal(tifffile.imread(tif) == 0, ref)
    mesh = pv.read(stl).clean()
    assert mesh.n_open_edges == 0
    assert np.allclose(mesh.bounds[1::2], [3.2, 3.2, 0.6], atol=1e-5)  # (30 + 2) × 0.1 mm
    grid = pv.read(vti)
    assert np.allclose(grid.spacing, 1e-4)


def test_export_from_tiff_with_voxel_size(tmp_path, squares_h5):
    tif = tmp_path / "in.tif"
    assert main(["export", str(squares_h5), "--index", "2", "--tiff", str(tif)]) == 0
    stl = tmp_path / "out.stl"
    assert main(["export", str(tif), "--stl", str(stl), "--voxel-size", "2e-5"]) == 0
    mesh = pv.read(stl).clean()
    assert np.allclose(mesh.bounds[1::2], [0.6, 0.6, 0.12], atol=1e-6)


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda d, h5: ["export", str(d / "missing.h5"), "--vti", str(d / "o.vti")], "not exist"),
        (lambda d, h5: ["export", str(h5), "--index", "300", "--vti", str(d / "o.vti")], "index"),
        (lambda d, h5: ["export", str(h5), "--index", "-1", "--vti", str(d / "o.vti")], "index"),
        (lambda d, h5: ["export", str(h5)], "nothing to export"),
        (lambda d, h5: ["export", str(h5), "--tiff", str(h5)], "same file"),
        (lambda d, h5: ["export", str(h5), "--stl", str(d / "no" / "o.stl")], "does not exist"),
        (lambda d, h5: ["export", str(h5), "--stl", str(d / "o.stl"), "--skin", "-2"], "skin"),
        (lambda d, h5: ["export", str(h5), "--vti", str(d / "o"), "--tiff", str(d / "o")], "same"),
    ],
)
def test_export_bad_input_is_one_line(tmp_path, squares_h5, capsys, make_args, message):
    before = squares_h5.read_bytes()
    assert main(make_args(tmp_path, squares_h5)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("porestudio: error:") and message in err and "\n" not in err
    assert squares_h5.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("o")]


def test_export_stl_without_voxel_size(tmp_path, capsys):
    h5 = tmp_path / "nv.h5"
    assert main(["generate", "grf", "--count", "1", "--shape", "8", "--out", str(h5)]) == 0
    assert main(["export", str(h5), "--stl", str(tmp_path / "o.stl")]) == 2
    assert "--voxel-size" in capsys.readouterr().err
    assert not (tmp_path / "o.stl").exists()


def test_export_of_foreign_or_2d_files_fails_cleanly(tmp_path, capsys):
    import h5py

    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff at all")
    flat = tmp_path / "flat.tif"
    tifffile.imwrite(flat, np.where(np.eye(12, dtype=bool), 0, 255).astype(np.uint8))
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as fh:
        fh["x"] = np.arange(3)
    for src, message in ((bad, ""), (flat, "2D"), (foreign, "not a porestudio dataset")):
        assert main(["export", str(src), "--vti", str(tmp_path / "o.vti")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("porestudio: error:") and message in err and "\n" not in err
    assert not (tmp_path / "o.vti").exists()


def test_help_texts(capsys):
    for cmd in (["generate"], ["generate", "squares"], ["generate", "grf"], ["export"]):
        with pytest.raises(SystemExit) as exc:
            main([*cmd, "--help"])
        assert exc.value.code == 0
    assert "--voxel-size" in capsys.readouterr().out
