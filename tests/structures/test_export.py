"""Export: binary TIFF (round trip), closed STL in mm, VTI for ParaView."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import pyvista as pv
import tifffile

from porestudio.errors import InputError, OutputError
from porestudio.structures import Structure, export
from porestudio.structures.generators import grf, squares

DX = 5e-5  # 50 µm voxels


@pytest.fixture(scope="module")
def small_squares() -> Structure:
    return squares(2, size=24, depth=8, pore_size=4, n_pores=(6, 9), voxel_size_m=DX)


@pytest.fixture(scope="module")
def small_grf() -> Structure:
    return grf(4, shape=(20, 18, 16), porosity=0.45, correlation_length_vox=2.5, voxel_size_m=DX)


def test_tiff_encoding_and_metadata(tmp_path, small_grf):
    out = export.write_tiff(small_grf, tmp_path / "s.tif")
    with tifffile.TiffFile(out) as tif:
        data = tif.asarray()
        meta = tif.imagej_metadata
        assert len(tif.pages) == small_grf.shape[0]
    assert data.dtype == np.uint8 and data.shape == small_grf.shape
    assert set(np.unique(data)) == {0, 255}
    np.testing.assert_array_equal(data == 0, small_grf.pore)  # pore = 0, solid = 255
    assert meta["unit"] == "um" and meta["spacing"] == pytest.approx(50.0)
    assert json.loads(meta["Info"]) == json.loads(small_grf.provenance_json())


def test_tiff_round_trip_through_ct_import(tmp_path, small_squares, small_grf):
    from porestudio.structures.ct import load_structure

    for s in (small_squares, small_grf, small_grf.replace(voxel_size_m=None)):
        path = export.write_tiff(s, tmp_path / "rt.tif")
        back = load_structure(path)
        np.testing.assert_array_equal(back.pore, s.pore)
        if s.voxel_size_m is None:
            assert back.voxel_size_m is None
        else:
            assert back.voxel_size_m == pytest.approx(s.voxel_size_m, rel=1e-6)


def _read_stl(path) -> pv.PolyData:
    with open(path, "rb") as fh:
        head = fh.read(84)
    n = int(np.frombuffer(head[80:84], "<u4")[0])
    assert os.path.getsize(path) == 84 + 50 * n, "binary STL"
    assert not head.startswith(b"solid")
    return pv.read(path).clean()


def test_stl_is_closed_and_in_millimetres(tmp_path, small_squares):
    mesh = _read_stl(export.write_stl(small_squares, tmp_path / "p.stl"))
    nz, ny, nx = small_squares.shape
    mm = DX * 1e3
    assert mesh.n_open_edges == 0
    assert np.allclose(mesh.bounds, [0, nx * mm, 0, ny * mm, 0, nz * mm], atol=1e-6)
    solid_volume = np.count_nonzero(small_squares.solid) * mm**3
    assert mesh.volume == pytest.approx(solid_volume, rel=1e-6)
    normals = mesh.compute_normals(
        cell_normals=True, point_normals=False, auto_orient_normals=False
    )
    outer = normals.cell_centers().points[:, 0] < 1e-9  # faces on the x = 0 side
    assert np.all(normals.cell_data["Normals"][outer, 0] < -0.99), "normals point outward"


def test_stl_skin_frames_the_side_faces(tmp_path, small_squares):
    mesh = _read_stl(export.write_stl(small_squares, tmp_path / "skin.stl", skin_vox=2))
    nz, ny, nx = small_squares.shape
    mm = DX * 1e3
    assert mesh.n_open_edges == 0
    assert np.allclose(mesh.bounds, [0, (nx + 4) * mm, 0, (ny + 4) * mm, 0, nz * mm], atol=1e-6)
    frame = ((nx + 4) * (ny + 4) - nx * ny) * nz
    expected = (np.count_nonzero(small_squares.solid) + frame) * mm**3
    assert mesh.volume == pytest.approx(expected, rel=1e-6)


def test_stl_smooth_is_closed_with_close_volume(tmp_path, small_grf):
    mesh = _read_stl(export.write_stl(small_grf, tmp_path / "smooth.stl", smooth=True))
    assert mesh.n_open_edges == 0
    solid_volume = np.count_nonzero(small_grf.solid) * (DX * 1e3) ** 3
    assert mesh.volume == pytest.approx(solid_volume, rel=0.08)
    nz, ny, nx = small_grf.shape
    hi = np.array([nx, ny, nz]) * DX * 1e3
    assert np.all(np.array(mesh.bounds[1::2]) <= hi + 1e-6)
    assert np.all(np.array(mesh.bounds[0::2]) >= -1e-6)


def test_stl_needs_voxel_size_and_solid(tmp_path, small_squares):
    target = tmp_path / "none.stl"
    with pytest.raises(InputError, match="voxel size"):
        export.write_stl(small_squares.replace(voxel_size_m=None), target)
    with pytest.raises(InputError, match="no solid"):
        export.write_stl(Structure(np.ones((3, 3, 3), bool), DX), target)
    with pytest.raises(InputError, match="skin"):
        export.write_stl(small_squares, target, skin_vox=-1)
    assert not target.exists()
    assert not list(tmp_path.iterdir()), "no temporary file left behind"


def test_vti_cells_spacing_and_provenance(tmp_path, small_grf):
    path = export.write_vti(small_grf, tmp_path / "s.vti")
    grid = pv.read(path)
    nz, ny, nx = small_grf.shape
    assert grid.dimensions == (nx + 1, ny + 1, nz + 1)
    assert np.allclose(grid.spacing, (DX, DX, DX))
    pore = np.asarray(grid.cell_data["pore"])
    assert pore.dtype == np.uint8
    np.testing.assert_array_equal(pore.reshape(nz, ny, nx), small_grf.pore.astype(np.uint8))
    assert json.loads(str(grid.field_data["provenance"][0]))["generator"] == "grf"
    assert str(grid.field_data["units"][0]) == "m"


def test_output_equal_to_input_is_refused_and_file_kept(tmp_path, small_grf):
    src = tmp_path / "in.tif"
    src.write_bytes(b"original")
    for write in (export.write_tiff, export.write_stl, export.write_vti):
        with pytest.raises(OutputError, match="same file"):
            write(small_grf, src, inputs=(src,))
    assert src.read_bytes() == b"original"


def test_unwritable_target(tmp_path, small_grf):
    with pytest.raises(OutputError, match="does not exist"):
        export.write_tiff(small_grf, tmp_path / "missing" / "s.tif")
    with pytest.raises(OutputError, match="directory"):
        export.write_vti(small_grf, tmp_path)
