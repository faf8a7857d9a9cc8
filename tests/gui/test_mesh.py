"""Render meshes: closed, outward, at the right place and scale; slices through voxel centres."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.gui.mesh import (
    build_render_meshes,
    flat_shaded,
    flat_voxel_surface,
    isosurface,
    render_scale,
    slice_plane,
    smooth_surface,
    to_polydata,
    voxel_surface,
)


def _triangles(faces: np.ndarray) -> np.ndarray:
    if faces.shape[1] == 4:
        return np.concatenate([faces[:, [0, 1, 2]], faces[:, [0, 2, 3]]])
    return faces


def _signed_volume(surface) -> float:
    """Divergence theorem: positive for a closed surface with outward orientation."""
    p = surface.points.astype(float)
    t = _triangles(surface.faces)
    return float(np.einsum("ij,ij->i", p[t[:, 0]], np.cross(p[t[:, 1]], p[t[:, 2]])).sum() / 6)


def _edge_counts(faces: np.ndarray) -> np.ndarray:
    k = faces.shape[1]
    edges = np.stack([faces, np.roll(faces, -1, axis=1)], axis=2).reshape(-1, 2)
    edges.sort(axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert k in (3, 4)
    return counts


@pytest.mark.parametrize("seed", range(6))
def test_voxel_surface_encloses_exactly_the_voxels(seed):
    mask = np.random.default_rng(seed).random((5, 6, 7)) < 0.5
    surface = voxel_surface(mask, spacing=0.5)
    assert _signed_volume(surface) == pytest.approx(mask.sum() * 0.125)


def test_voxel_surface_of_one_voxel_is_a_closed_unit_cube():
    mask = np.zeros((3, 4, 5), dtype=bool)
    mask[1, 2, 3] = True  # z=1, y=2, x=3
    surface = voxel_surface(mask)
    assert surface.n_faces == 6
    assert np.all(_edge_counts(surface.faces) == 2)  # closed: every edge shared by two faces
    assert surface.points.min(axis=0).tolist() == [3, 2, 1]  # (x, y, z) of the lower corner
    assert surface.points.max(axis=0).tolist() == [4, 3, 2]


def test_runs_of_faces_are_merged():
    mask = np.ones((1, 1, 10), dtype=bool)  # a 10-voxel bar along x
    surface = voxel_surface(mask)
    assert surface.n_faces == 6  # four long sides merged into one quad each, two ends
    assert _signed_volume(surface) == pytest.approx(10.0)


@pytest.mark.parametrize("seed", range(3))
def test_flat_voxel_surface_is_the_merged_surface_with_outward_face_normals(seed):
    mask = np.random.default_rng(seed).random((6, 7, 8)) < 0.5
    shared = voxel_surface(mask, spacing=0.5)
    flat = flat_voxel_surface(mask, spacing=0.5)
    assert np.array_equal(flat.points.reshape(-1, 4, 3), shared.points[shared.faces])
    assert _signed_volume(flat) == pytest.approx(mask.sum() * 0.125)
    assert np.allclose(np.abs(flat.normals).sum(axis=1), 1.0)  # unit, axis-aligned
    assert np.allclose(flat_shaded(shared).normals, flat.normals)
    cube = np.zeros((3, 3, 3), dtype=bool)
    cube[1, 1, 1] = True
    one = flat_voxel_surface(cube)
    centres = one.points.reshape(6, 4, 3).mean(axis=1)
    assert np.all(((centres - 1.5) * one.normals[::4]).sum(axis=1) > 0)  # outward


def test_isosurface_is_in_xyz_index_coordinates_and_wound_outward():
    field = np.zeros((5, 6, 9), dtype=np.float32)  # (z, y, x)
    field[2, 3, 6] = 1.0
    points, faces = isosurface(field, 0.5)
    assert np.allclose(points.mean(axis=0), [6, 3, 2], atol=1e-5)  # x, y, z of the peak
    p = points.astype(float)
    volume = np.einsum("ij,ij->i", p[faces[:, 0]], np.cross(p[faces[:, 1]], p[faces[:, 2]]))
    assert volume.sum() > 0  # counter-clockwise seen from outside
    empty_points, empty_faces = isosurface(np.zeros((3, 3, 3), np.float32), 0.5)
    assert empty_points.shape == (0, 3) and empty_faces.shape == (0, 3)


def test_smooth_surface_is_closed_outward_and_near_the_voxel_volume():
    z, y, x = np.mgrid[:20, :24, :30]
    ball = (x - 12) ** 2 + (y - 11) ** 2 + (z - 9) ** 2 < 36
    surface = smooth_surface(ball, spacing=2.0)
    assert _signed_volume(surface) == pytest.approx(ball.sum() * 8.0, rel=0.1)
    centre = np.array([12.5, 11.5, 9.5]) * 2.0  # voxel centres sit at (i + 0.5) spacing
    outward = ((surface.points - centre) * surface.normals).sum(axis=1)
    assert np.mean(outward > 0) > 0.99
    assert np.allclose(surface.points.mean(axis=0), centre, atol=0.2)


def test_smooth_surface_respects_the_triangle_budget():
    rng = np.random.default_rng(0)
    mask = rng.random((30, 30, 30)) < 0.5
    full = smooth_surface(mask)
    small = smooth_surface(mask, max_triangles=full.n_faces // 4)
    assert small.n_faces <= full.n_faces // 4 * 1.3
    assert small.n_faces > 0
    assert np.isfinite(small.normals).all()


def test_phases_and_units():
    pore = np.zeros((4, 4, 4), dtype=bool)
    pore[1:3, 1:3, 1:3] = True
    solid = build_render_meshes(pore, 2e-6, mode="voxel", phase="solid")
    pores = build_render_meshes(pore, 2e-6, mode="voxel", phase="pore")
    assert solid.scale == render_scale(2e-6) and solid.scale.unit == "µm"
    assert _signed_volume(solid.surface) == pytest.approx((64 - 8) * 8.0)  # 2 µm voxels
    assert _signed_volume(pores.surface) == pytest.approx(8 * 8.0)
    unknown = build_render_meshes(pore, None, mode="smooth")
    assert unknown.scale.unit == "voxel" and unknown.scale.spacing == 1.0


def test_absent_phase_gives_an_empty_surface():
    all_pore = np.ones((5, 5, 5), dtype=bool)
    for mode in ("smooth", "voxel"):
        meshes = build_render_meshes(all_pore, None, mode=mode, phase="solid")
        assert meshes.surface.n_faces == 0
        assert to_polydata(meshes.surface).n_cells == 0


def test_polydata_carries_the_arrays():
    mask = np.zeros((3, 3, 3), dtype=bool)
    mask[1, 1, 1] = True
    poly = to_polydata(smooth_surface(mask, sigma=0))
    assert poly.n_cells > 0 and "Normals" in poly.point_data


@pytest.mark.parametrize("axis", ["x", "y", "z"])
def test_slice_plane_passes_through_voxel_centres(axis):
    pore = np.zeros((4, 5, 6), dtype=bool)
    pore[1, 2, 3] = True  # z, y, x
    index = {"x": 3, "y": 2, "z": 1}[axis]
    plane = slice_plane(pore, axis, index, spacing=2.0)
    values = np.asarray(plane.cell_data["pore"])
    assert values.sum() == 1
    centre = np.asarray(plane.cell_centers().points)[values == 1][0]
    assert centre.tolist() == [7.0, 5.0, 3.0]  # (x, y, z) = (index + 0.5) * spacing
