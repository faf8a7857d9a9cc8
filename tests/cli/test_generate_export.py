"""``porestudio generate`` and ``porestudio export`` end to end (real HDF5, TIFF, STL, VTI)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
import tifffile

from porestudio.cli import main
from porestudio.structures import Structure, export
from porestudio.structures.dataset import open_dataset
from porestudio.structures.generators import grf, squares
from porestudio.structures.morphology import is_extruded

BEREA = Path(__file__).parents[2] / "resources" / "ct" / "berea_openpnm"
BEREA = BEREA / "berea_200_pore0_solid255.tif"
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


def _edge_uses(path) -> np.ndarray:
    """How many triangles use each edge of an STL, vertices merged by float32 coordinates."""
    record = np.dtype([("n", "<f4", (3,)), ("v", "<f4", (3, 3)), ("a", "<u2")])
    tri = np.fromfile(path, record, offset=84)["v"].reshape(-1, 3)
    _, vertex = np.unique(tri.view(np.dtype((np.void, 12))), return_inverse=True)
    faces = vertex.reshape(-1, 3).astype(np.int64)
    a, b = faces.ravel(), faces[:, [1, 2, 0]].ravel()
    key = np.minimum(a, b) * (faces.max() + 1) + np.maximum(a, b)
    return np.unique(key, return_counts=True)[1]


def test_export_of_real_berea_subvolume_is_closed_and_manifold(tmp_path, capsys):
    h5 = tmp_path / "berea.h5"
    args = ["import-ct", str(BEREA), "--out", str(h5), "--subvolume", "100", "--stride", "100"]
    assert main(args) == 0
    for skin in (0, 2):
        stl = tmp_path / f"b{skin}.stl"
        assert main(["export", str(h5), "--stl", str(stl), "--skin", str(skin)]) == 0
        mesh = pv.read(stl)
        assert mesh.n_open_edges == 0 and mesh.is_manifold  # counts non-manifold edges too
        assert np.all(_edge_uses(stl) == 2), "every edge in exactly two triangles"
        side = (100 + 2 * skin) * 5.345e-3
        assert np.allclose(mesh.bounds, [0, side, 0, side, 0, 0.5345], atol=1e-5)


def _with_island() -> Structure:
    pore = np.ones((6, 7, 8), bool)
    pore[:, :, 0] = False  # a wall on the x = 0 face: kept
    pore[3, 3, 4] = pore[3, 4, 4] = False  # a loose two-voxel island
    return Structure(pore, 1e-4)


def test_export_remove_islands(tmp_path, capsys, caplog):
    src = export.write_tiff(_with_island(), tmp_path / "in.tif")
    out_tif, out_stl = tmp_path / "out.tif", tmp_path / "out.stl"
    with caplog.at_level(logging.WARNING):
        assert main(["export", str(src), "--stl", str(out_stl)]) == 0
    assert "1 floating solid island" in caplog.text and "--remove-islands" in caplog.text
    assert pv.read(out_stl).volume == pytest.approx((6 * 7 + 2) * 0.1**3, rel=1e-5)
    caplog.clear()
    args = ["export", str(src), "--stl", str(out_stl), "--tiff", str(out_tif), "--overwrite"]
    assert main([*args, "--remove-islands"]) == 0
    assert "removed 1 floating solid island(s) (2 voxels)" in capsys.readouterr().out
    assert "island" not in caplog.text
    wall = np.zeros((6, 7, 8), bool)
    wall[:, :, 0] = True
    np.testing.assert_array_equal(tifffile.imread(out_tif) == 255, wall)
    assert pv.read(out_stl).volume == pytest.approx(6 * 7 * 0.1**3, rel=1e-5)
    clean = ["export", str(out_tif), "--vti", str(tmp_path / "c.vti"), "--remove-islands"]
    assert main(clean) == 0
    assert "no floating solid island" in capsys.readouterr().out


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
        (
            lambda d, h5: ["export", str(d / "missing.h5"), "--vti", str(d / "o.vti")],
            "no such file or folder",
        ),
        (
            lambda d, h5: ["export", str(h5), "--index", "300", "--vti", str(d / "o.vti")],
            "sample 300 is out of range",
        ),
        (
            lambda d, h5: ["export", f"{h5}:-301", "--vti", str(d / "o.vti")],
            "sample -301 is out of range",
        ),
        (lambda d, h5: ["export", f"{h5}:abc", "--vti", str(d / "o.vti")], "not a sample index"),
        (
            lambda d, h5: ["export", f"{h5}:1", "--index", "2", "--vti", str(d / "o.vti")],
            "different samples",
        ),
        (lambda d, h5: ["export", str(h5), "--stl", str(d / "o.obj")], "must end in .stl"),
        (lambda d, h5: ["export", str(h5), "--tiff", str(d / "o.png")], "must end in .tif"),
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
