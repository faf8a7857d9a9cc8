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


def test_draft_surface_is_a_closed_coarse_preview_of_the_smooth_one():
    from porestudio.structures.surfaces import draft_surface

    mask = ~grf(4, shape=(40, 40, 40), porosity=0.5, correlation_length_vox=5.0).pore
    full = smooth_surface(mask)
    draft = draft_surface(mask, spacing=2.0, stride=3)
    assert 0 < draft.n_faces < full.n_faces / 4
    pts = draft.points / 2.0
    assert pts.min() >= -1e-6 and pts.max() <= 40 + 1e-6  # inside the domain
    # closed and outward: the divergence theorem gives a positive volume near the solid's
    tri = _triangles(draft) / 2.0
    volume = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6
    assert volume == pytest.approx(mask.sum(), rel=0.1)
    edges = np.sort(np.concatenate([draft.faces[:, [0, 1]], draft.faces[:, [1, 2]],
                                    draft.faces[:, [2, 0]]]), axis=1)  # fmt: skip
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert (counts == 2).all()  # every edge shared by two triangles: watertight
    assert np.allclose(np.linalg.norm(draft.normals, axis=1), 1, atol=1e-4)
    assert draft_surface(np.zeros((5, 5, 5), bool)).n_faces == 0
    with pytest.raises(ValueError):
        draft_surface(mask, stride=0)
