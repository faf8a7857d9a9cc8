"""Export: binary TIFF (round trip), closed manifold STL in mm, VTI for ParaView.

The STL checks do not trust the exporter: triangles are read back from the file with
numpy, vertices are merged by their exact float32 coordinates (as slicers do), and edge
use, orientation, pinched vertices, shells, Euler characteristic and winding numbers are
computed here from the triangle list.
"""

from __future__ import annotations

import json
import logging
import os

import numpy as np
import pytest
import pyvista as pv
import tifffile
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from skimage.measure import euler_number

from porestudio.errors import InputError, OutputError
from porestudio.structures import Structure, export
from porestudio.structures.ct import load_structure
from porestudio.structures.generators import grf, squares

DX = 5e-5  # 50 µm voxels
CT = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "ct")
BEREA = os.path.join(CT, "berea_openpnm", "berea_200_pore0_solid255.tif")
FIBERFORM = os.path.join(CT, "fiberform_puma", "100_fiberform.tif")
STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])


@pytest.fixture(scope="module")
def small_squares() -> Structure:
    return squares(2, size=24, depth=8, pore_size=4, n_pores=(6, 9), voxel_size_m=DX)


@pytest.fixture(scope="module")
def small_grf() -> Structure:
    return grf(4, shape=(20, 18, 16), porosity=0.45, correlation_length_vox=2.5, voxel_size_m=DX)


@pytest.fixture(scope="module")
def berea() -> Structure:
    """The first 100³ sub-volume of the Berea scan (what ``import-ct --subvolume 100``
    gives as sample 0)."""
    s = load_structure(BEREA)
    return s.replace(pore=np.ascontiguousarray(s.pore[:100, :100, :100]))


@pytest.fixture(scope="module")
def fiberform() -> Structure:
    """A 50³ crop of the FiberForm scan (Otsu), the one with the most edge contacts."""
    s = load_structure(FIBERFORM, voxel_size_m=1.3e-6)
    return s.replace(pore=np.ascontiguousarray(s.pore[:50, :50, 50:]))


# --- independent mesh checks -------------------------------------------------------


def _stl_triangles(path) -> np.ndarray:
    """(n, 3, 3) float32 triangle vertices of a binary STL, checking the header."""
    with open(path, "rb") as fh:
        head = fh.read(84)
        n = int(np.frombuffer(head[80:84], "<u4")[0])
        records = np.fromfile(fh, STL_RECORD)
    assert not head.startswith(b"solid") and len(records) == n, "binary STL"
    return records["vertices"]


def _merge_points(tri: np.ndarray) -> tuple[np.ndarray, int]:
    """Vertex indices (n_triangles, 3) of equal float32 coordinates, and their count."""
    bits = (tri.astype(np.float32) + np.float32(0)).reshape(-1, 3).view(np.uint32)  # -0 → 0
    order = np.lexsort(bits.T[::-1])
    new = np.ones(len(order), bool)
    new[1:] = np.any(bits[order[1:]] != bits[order[:-1]], axis=1)
    index = np.empty(len(order), np.int64)
    index[order] = np.cumsum(new) - 1
    return index.reshape(-1, 3), int(new.sum())


def _n_distinct(values: np.ndarray) -> int:
    return int(np.count_nonzero(np.diff(np.sort(values)))) + 1


def _topology(tri: np.ndarray) -> dict:
    """Edge use, orientation, pinched vertices and shells of a triangle soup."""
    faces, n = _merge_points(tri)
    start, end = faces.ravel(), faces[:, [1, 2, 0]].ravel()
    undirected = np.minimum(start, end) * n + np.maximum(start, end)
    edge_id, uses = np.unique(undirected, return_inverse=True, return_counts=True)[1:]
    result = {
        "euler": n - len(uses) + len(faces),
        "edge_uses": np.bincount(uses),  # [0, open edges, manifold edges, 3-uses, ...]
        "oriented": _n_distinct(start * n + end) == len(start),
    }
    if not (np.all(uses == 2) and result["oriented"]):
        return result
    twin = np.argsort(edge_id, kind="stable").reshape(-1, 2)  # half-edge pairs
    h, g = twin[:, 0], twin[:, 1]
    nxt = lambda e: 3 * (e // 3) + (e % 3 + 1) % 3  # noqa: E731 corner at the edge's end
    rows = np.concatenate([h, nxt(h)])  # corners of one vertex joined across the edge
    cols = np.concatenate([nxt(g), g])
    corners = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(3 * len(faces),) * 2)
    fan = connected_components(corners, directed=False)[1]
    fans_per_vertex = _n_distinct(start * (fan.max() + 1) + fan)
    result["pinched"] = fans_per_vertex - n
    adjacency = coo_matrix((np.ones(len(h)), (h // 3, g // 3)), shape=(len(faces),) * 2)
    shell = connected_components(adjacency, directed=False)[1]
    t = tri.astype(np.float64)
    cell = np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])) / 6.0
    result["shell_volumes"] = np.bincount(shell, weights=cell)
    return result


def _assert_closed_manifold(topo: dict) -> None:
    uses = topo["edge_uses"]
    assert len(uses) == 3 and uses[1] == 0, f"open/non-manifold edges: {uses.tolist()}"
    assert topo["oriented"], "inconsistent orientation"
    assert topo["pinched"] == 0, "pinched vertices"
    assert topo["euler"] % 2 == 0


def _corner_pinches_of_pore(solid: np.ndarray) -> int:
    """2×2×2 blocks whose only two empty voxels sit at opposite corners."""
    p = np.pad(solid, 1).astype(np.int8)
    nz, ny, nx = p.shape
    offsets = [(z, y, x) for z in (0, 1) for y in (0, 1) for x in (0, 1)]
    block = [p[z : nz - 1 + z, y : ny - 1 + y, x : nx - 1 + x] for z, y, x in offsets]
    count = sum(block)
    pinched = [(count == 6) & (block[i] == 0) & (block[7 - i] == 0) for i in range(4)]
    return int(sum(np.count_nonzero(m) for m in pinched))


def _assert_topology_of_solid(topo: dict, solid: np.ndarray) -> None:
    """Euler characteristic and shells match the face-connected solid (module doc)."""
    padded = np.pad(solid, 1)
    expected = 2 * (euler_number(padded, connectivity=1) + _corner_pinches_of_pore(solid))
    assert topo["euler"] == expected
    n_solid = ndimage.label(padded, ndimage.generate_binary_structure(3, 1))[1]
    n_pore = ndimage.label(~padded, ndimage.generate_binary_structure(3, 2))[1]
    volumes = topo["shell_volumes"]
    assert np.count_nonzero(volumes > 0) == n_solid, "one outer shell per solid component"
    assert np.count_nonzero(volumes < 0) == n_pore - 1, "one shell per enclosed cavity"


def _winding(tri: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Generalised winding number of a closed surface at ``points`` (solid angles)."""
    out = np.empty(len(points))
    for s in range(0, len(points), 256):
        a, b, c = (tri[None, :, k] - points[s : s + 256, None] for k in range(3))
        la, lb, lc = (np.linalg.norm(v, axis=-1) for v in (a, b, c))
        dot = lambda u, v: np.einsum("ijk,ijk->ij", u, v)  # noqa: E731
        den = la * lb * lc + dot(a, b) * lc + dot(b, c) * la + dot(c, a) * lb
        out[s : s + 256] = np.arctan2(dot(a, np.cross(b, c)), den).sum(1) / (2 * np.pi)
    return out


def _assert_no_self_intersection(tri: np.ndarray, solid: np.ndarray) -> None:
    """Winding 1 in solid voxel centres, 0 in empty ones, and 0 or 1 (never 2 or -1)
    right next to every grid vertex, closer than the split distance and farther."""
    nz, ny, nx = solid.shape
    centres = np.argwhere(np.ones_like(solid))[:, ::-1] + 0.5
    np.testing.assert_allclose(_winding(tri, centres), solid.ravel(), atol=1e-6)
    grid = np.argwhere(np.ones((nz + 1, ny + 1, nx + 1), bool))[:, ::-1].astype(float)
    dirs = np.random.default_rng(0).normal(size=(8, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    scale = np.array([3e-4, 2e-3])[None, None, :, None]
    near = (grid[:, None, None] + dirs[None, :, None] * scale).reshape(-1, 3)
    w = _winding(tri, near)
    assert np.all(np.minimum(np.abs(w), np.abs(w - 1)) < 1e-6), np.unique(np.round(w, 3))


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
        path = export.write_tiff(s, tmp_path / "rt.tif", overwrite=True)
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


def _write_and_check(tmp_path, structure: Structure, name: str, **kwargs):
    """Write an STL, check it is closed and manifold; triangles in voxel units + topology."""
    path = export.write_stl(structure, tmp_path / name, **kwargs)
    tri = _stl_triangles(path)
    topo = _topology(tri)
    _assert_closed_manifold(topo)
    mesh = pv.read(path)
    assert mesh.n_open_edges == 0 and mesh.is_manifold  # VTK counts non-manifold edges too
    mm = structure.voxel_size_m * 1e3
    topo["volume_vox"] = topo["shell_volumes"].sum() / mm**3
    return tri.astype(np.float64) / mm, topo


def _edge_only_contacts(solid: np.ndarray) -> int:
    """Grid edges around which solid and empty voxels alternate (solid, empty, solid, empty)."""
    count = 0
    for axis in range(3):
        p = np.moveaxis(np.pad(solid, 1), axis, 0)
        a, b, c, d = p[:, :-1, :-1], p[:, 1:, :-1], p[:, :-1, 1:], p[:, 1:, 1:]
        count += int(np.count_nonzero((a & d & ~b & ~c) | (b & c & ~a & ~d)))
    return count


def _checkerboard(n: int) -> np.ndarray:
    return np.indices((n, n, n)).sum(0) % 2 == 0


def _pair(shape, first, second) -> np.ndarray:
    solid = np.zeros(shape, bool)
    solid[first] = solid[second] = True
    return solid


WORST_CASES = {
    "edge-only": _pair((1, 2, 2), (0, 0, 0), (0, 1, 1)),
    "corner-only": _pair((2, 2, 2), (0, 0, 0), (1, 1, 1)),
    "empty-corner-only": ~_pair((2, 2, 2), (0, 0, 0), (1, 1, 1)),
    "checkerboard": _checkerboard(4),
    "checkerboard-inverse": ~_checkerboard(4),
    "random": np.random.default_rng(3).random((4, 5, 6)) < 0.5,
}


@pytest.mark.parametrize("name", list(WORST_CASES))
def test_stl_worst_cases_are_closed_manifold_solids(tmp_path, name):
    solid = WORST_CASES[name]
    assert _edge_only_contacts(solid) or name.endswith("corner-only")
    tri, topo = _write_and_check(tmp_path, Structure(~solid, DX), "w.stl")
    _assert_topology_of_solid(topo, solid)
    _assert_no_self_intersection(tri, solid)
    assert topo["volume_vox"] == pytest.approx(np.count_nonzero(solid), rel=3e-3)
    lattice = np.abs(2 * tri - np.rint(2 * tri)).max()
    assert lattice < 3e-3, "every point lies within 1/1000 voxel of a voxel corner or centre"
    assert np.allclose(tri.min(axis=(0, 1)), 0, atol=1e-5)
    assert np.allclose(tri.max(axis=(0, 1)), solid.shape[::-1], atol=1e-5)


def test_every_2x2x2_configuration_gives_a_closed_manifold_solid():
    from porestudio.structures import _mesh

    for config in range(1, 256):
        solid = ((config >> np.arange(8)) & 1).astype(bool).reshape(2, 2, 2)
        tri = _mesh.voxel_faces(solid)
        topo = _topology(tri.astype(np.float32))
        _assert_closed_manifold(topo)
        _assert_topology_of_solid(topo, solid)
        _assert_no_self_intersection(tri, solid)


def test_stl_of_real_berea_is_closed_manifold_and_exact(tmp_path, berea):
    solid = berea.solid
    assert _edge_only_contacts(solid) > 50, "the plain voxel surface would be non-manifold"
    tri, topo = _write_and_check(tmp_path, berea, "berea.stl")
    _assert_topology_of_solid(topo, solid)
    assert topo["volume_vox"] == pytest.approx(np.count_nonzero(solid), rel=1e-6)
    assert np.allclose(tri.min(axis=(0, 1)), 0, atol=1e-4)
    assert np.allclose(tri.max(axis=(0, 1)), (100, 100, 100), atol=1e-4)


def test_stl_of_real_berea_with_skin_is_closed_on_all_faces(tmp_path, berea):
    framed = np.pad(berea.solid[:40, :40, :40], ((0, 0), (2, 2), (2, 2)), constant_values=True)
    crop = berea.replace(pore=np.ascontiguousarray(berea.pore[:40, :40, :40]))
    tri, topo = _write_and_check(tmp_path, crop, "skin.stl", skin_vox=2)
    _assert_topology_of_solid(topo, framed)
    assert topo["volume_vox"] == pytest.approx(np.count_nonzero(framed), rel=1e-6)
    assert np.allclose(tri.max(axis=(0, 1)), (44, 44, 40), atol=1e-4)
    for axis in range(3):  # triangles on both end planes of every axis: closed all round
        for plane in (0.0, tri.max(axis=(0, 1))[axis]):
            assert np.any(np.all(np.abs(tri[:, :, axis] - plane) < 1e-4, axis=1))


def test_stl_of_real_fiberform_voxel_and_smooth(tmp_path, fiberform):
    solid = fiberform.solid
    assert _edge_only_contacts(solid) > 0
    tri, topo = _write_and_check(tmp_path, fiberform, "ff.stl")
    _assert_topology_of_solid(topo, solid)
    assert topo["volume_vox"] == pytest.approx(np.count_nonzero(solid), rel=1e-6)
    assert np.allclose(tri.max(axis=(0, 1)), (50, 50, 50), atol=1e-4)
    tri, topo = _write_and_check(tmp_path, fiberform, "ffs.stl", smooth=True)
    assert topo["volume_vox"] == pytest.approx(np.count_nonzero(solid), rel=0.03)
    assert tri.min() >= -1e-4 and np.all(tri.max(axis=(0, 1)) <= 50 + 1e-4)


def test_stl_smooth_of_real_berea_is_closed_manifold(tmp_path, berea):
    crop = berea.replace(pore=np.ascontiguousarray(berea.pore[:40, :40, :40]))
    tri, topo = _write_and_check(tmp_path, crop, "bs.stl", smooth=True, skin_vox=1)
    framed = np.pad(crop.solid, ((0, 0), (1, 1), (1, 1)), constant_values=True)
    assert topo["volume_vox"] == pytest.approx(np.count_nonzero(framed), rel=0.03)
    assert np.allclose(tri.max(axis=(0, 1)), (42, 42, 40), atol=1e-3)


def test_stl_warns_about_floating_islands(tmp_path, caplog):
    pore = np.ones((7, 7, 7), bool)
    pore[0] = False  # a slab on a face: kept
    pore[3, 3, 3] = False  # a loose voxel
    with caplog.at_level(logging.WARNING, logger="porestudio"):
        export.write_stl(Structure(pore, DX), tmp_path / "i.stl")
    assert "1 floating solid island" in caplog.text and "--remove-islands" in caplog.text


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
