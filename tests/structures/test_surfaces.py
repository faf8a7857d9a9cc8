"""The studio's display surfaces are the surfaces export writes (one definition)."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.structures import _mesh
from porestudio.structures.generators import grf
from porestudio.structures.surfaces import smooth_surface, voxel_surface


@pytest.fixture(scope="module")
def solid() -> np.ndarray:
    return ~grf(3, shape=(18, 16, 14), porosity=0.5, correlation_length_vox=2.5).pore


def _triangles(surface) -> np.ndarray:
    faces = surface.faces
    if faces.shape[1] == 4:  # quads -> two triangles each
        faces = np.concatenate([faces[:, [0, 1, 2]], faces[:, [0, 2, 3]]])
    return surface.points[faces].astype(np.float64)


def _area(tri: np.ndarray) -> float:
    return float(
        np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1).sum() / 2
    )


def test_smooth_display_surface_is_the_exported_one(solid):
    shown = _triangles(smooth_surface(solid, max_triangles=None))
    exported = _mesh.smooth_faces(solid)
    vs = np.unique(np.round(shown.reshape(-1, 3), 3), axis=0)
    ve = np.unique(np.round(exported.reshape(-1, 3), 3), axis=0)
    assert vs.shape == ve.shape and np.allclose(vs, ve, atol=2e-3)  # the same edge crossings
    # flying edges and Lewiner's marching cubes may split an ambiguous cube differently
    assert len(shown) == pytest.approx(len(exported), rel=0.01)
    assert _mesh.signed_volume(shown) == pytest.approx(_mesh.signed_volume(exported), rel=1e-3)
    assert _area(shown) == pytest.approx(_area(exported), rel=5e-3)


def test_voxel_display_surface_is_the_exported_one(solid):
    shown = _triangles(voxel_surface(solid))
    exported = _mesh.voxel_faces(solid)
    assert _mesh.signed_volume(shown) == pytest.approx(solid.sum(), rel=1e-9)
    assert _mesh.signed_volume(exported) == pytest.approx(solid.sum(), rel=1e-5)
    assert _area(shown) == pytest.approx(_area(exported), rel=1e-4)


def test_thin_features_fall_back_to_the_plain_mask():
    thin = np.zeros((5, 5, 5), bool)
    thin[2, 2, 2] = True  # one voxel: the blurred field stays below 0.5
    assert len(_mesh.smooth_faces(thin)) > 0
    assert smooth_surface(thin).n_faces == len(_mesh.smooth_faces(thin))
