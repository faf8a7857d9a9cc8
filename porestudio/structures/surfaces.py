"""Display surfaces of a voxel phase as plain arrays (what the studio's viewers draw).

Voxel-exact surfaces (merged coplanar faces) and smooth isosurfaces of the field export
contours (:func:`porestudio.structures._mesh.smooth_field`: VTK flying edges, vertex
clustering to a triangle budget), so the studio shows what it exports. Everything returns
numpy arrays. The one VTK filter used runs on a private image behind a lock and is
converted to numpy before it returns: it is 5x faster than scikit-image's marching cubes
and, unlike it, does not hold the GIL, so the GUI stays responsive while a mesh is built.

Coordinates are ``(x, y, z)`` in world units (``spacing`` per voxel edge); voxel
``(k, j, i)`` of a ``(z, y, x)`` array spans ``[i, i+1] x [j, j+1] x [k, k+1]`` edges.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np

from porestudio.structures._mesh import SMOOTH_PAD, SMOOTH_SIGMA_VOX, smooth_field

_VTK_LOCK = threading.Lock()
"""One worker-side VTK pipeline at a time (the GUI thread only touches its own objects)."""


@dataclasses.dataclass(frozen=True, eq=False)
class SurfaceArrays:
    """A polygon surface as plain arrays.

    Attributes
    ----------
    points : ndarray of float32, shape (n, 3)
        Vertex coordinates (x, y, z), world units.
    faces : ndarray of int64, shape (m, 3) or (m, 4)
        Triangles or quads, counter-clockwise seen from outside the phase.
    normals : ndarray of float32, shape (n, 3) or None
        Unit vertex normals pointing out of the phase (smooth surfaces only).
    """

    points: np.ndarray
    faces: np.ndarray
    normals: np.ndarray | None = None

    @property
    def n_faces(self) -> int:
        """Number of polygons."""
        return int(self.faces.shape[0])


def voxel_surface(mask: np.ndarray, spacing: float = 1.0) -> SurfaceArrays:
    """Exact voxel faces bounding the True voxels of ``mask`` (closed at the domain faces).

    Coplanar faces are merged into rectangles (runs along one in-plane axis, then equal
    runs in consecutive lines), which cuts the quad count — and the software-rendering
    time — by a factor of 3-10. The merged quads may meet in T-junctions (harmless for
    display; the exported STL is built elsewhere, watertight).

    Parameters
    ----------
    mask : ndarray of bool, shape (nz, ny, nx)
        Voxels of the phase to show.
    spacing : float
        World length of one voxel edge.

    Returns
    -------
    SurfaceArrays
        Quads, counter-clockwise seen from outside (outward normals).
    """
    faces = _voxel_quads(mask)
    if faces.size == 0:
        return _empty(4)
    used, inverse = np.unique(faces, return_inverse=True)
    points = _lattice_points(used, mask.shape, spacing)
    return SurfaceArrays(points, inverse.reshape(faces.shape).astype(np.int64))


def _voxel_quads(mask: np.ndarray) -> np.ndarray:
    """Merged boundary quads (m, 4) of ``mask`` as ids of lattice points (corners)."""
    nz, ny, nx = mask.shape
    padded = np.pad(mask, 1, constant_values=False)
    return np.concatenate([_axis_faces(padded, axis, (nz, ny, nx)) for axis in range(3)])


def _lattice_points(ids: np.ndarray, shape: tuple[int, ...], spacing: float) -> np.ndarray:
    """``(x, y, z)`` world coordinates (float32, ``ids.shape + (3,)``) of lattice point ids."""
    nz, ny, nx = shape
    k, rem = np.divmod(ids, (ny + 1) * (nx + 1))
    j, i = np.divmod(rem, nx + 1)
    return np.stack([i, j, k], axis=-1).astype(np.float32) * np.float32(spacing)


def flat_voxel_surface(mask: np.ndarray, spacing: float = 1.0) -> SurfaceArrays:
    """:func:`voxel_surface` in the form :func:`flat_shaded` gives, built directly.

    Skips merging the shared corners (a sort of all corner ids) that rendering does not need.
    """
    faces = _voxel_quads(mask)
    if faces.size == 0:
        return _empty(4)
    return _with_face_normals(_lattice_points(faces, mask.shape, spacing))


def flat_shaded(surface: SurfaceArrays) -> SurfaceArrays:
    """The same polygons with their own corners and face normals as vertex normals.

    VTK uploads a mesh that has vertex normals several times faster than one without
    (it derives normals on the GUI thread otherwise), so voxel surfaces are handed over
    in this form (4 corners per quad, about 10 MB for a 100³ random structure).
    """
    if surface.n_faces == 0:
        return surface
    return _with_face_normals(surface.points[surface.faces])


def _with_face_normals(corners: np.ndarray) -> SurfaceArrays:
    """Polygons from their corners (m, k, 3), each corner carrying its face's normal."""
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, -1] - corners[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    m, k = corners.shape[:2]
    return SurfaceArrays(
        corners.reshape(-1, 3),
        np.arange(m * k, dtype=np.int64).reshape(m, k),
        np.repeat(normals.astype(np.float32), k, axis=0),
    )


def _empty(corners: int) -> SurfaceArrays:
    return SurfaceArrays(np.zeros((0, 3), np.float32), np.zeros((0, corners), np.int64))


def _axis_faces(padded: np.ndarray, axis: int, shape: tuple[int, int, int]) -> np.ndarray:
    """Quads (m, 4) of lattice-point ids on faces normal to array ``axis``."""
    nz, ny, nx = shape
    lo = [slice(1, -1)] * 3
    hi = [slice(1, -1)] * 3
    lo[axis] = slice(0, -1)
    hi[axis] = slice(1, None)
    a = padded[tuple(lo)]
    b = padded[tuple(hi)]
    strides = np.array([(ny + 1) * (nx + 1), nx + 1, 1], dtype=np.int64)
    # the two in-plane axes in right-handed order so (u, v, axis) is a positive frame
    u, v = {0: (2, 1), 1: (0, 2), 2: (1, 0)}[axis]
    du, dv = strides[u], strides[v]
    out = []
    for faces, sign in ((a & ~b, 1), (~a & b, -1)):  # +1: phase below, normal points +axis
        starts, lengths = _runs(faces, u)
        starts, lengths, heights = _stack_runs(starts, lengths, axis, u, v)
        base = starts @ strides  # face index along axis == lattice plane index
        far_u = lengths * du
        far_v = heights * dv
        if sign == 1:
            quad = np.stack([base, base + far_u, base + far_u + far_v, base + far_v], axis=1)
        else:
            quad = np.stack([base, base + far_v, base + far_u + far_v, base + far_u], axis=1)
        out.append(quad)
    return np.concatenate(out, axis=0)


def _stack_runs(starts: np.ndarray, lengths: np.ndarray, axis: int, u: int, v: int):
    """Merge equal runs (same plane, start and length) in consecutive ``v`` lines.

    Returns the first run of each stack, its length along ``u`` and its height along ``v``.
    """
    if len(starts) == 0:
        return starts, lengths, lengths.copy()
    size = int(max(starts.max(), lengths.max())) + 2
    key = ((starts[:, axis] * size + starts[:, u]) * size + lengths) * size + starts[:, v]
    order = np.argsort(key)
    s, n = starts[order], lengths[order]
    same = (
        (s[1:, axis] == s[:-1, axis])
        & (s[1:, u] == s[:-1, u])
        & (n[1:] == n[:-1])
        & (s[1:, v] == s[:-1, v] + 1)
    )
    first = np.flatnonzero(np.concatenate([[True], ~same]))
    heights = np.diff(np.append(first, len(s)))
    return s[first], n[first], heights.astype(np.int64)


def _runs(mask: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Start indices (m, 3) and lengths (m,) of runs of True along ``axis`` of a 3D mask."""
    moved = np.moveaxis(mask, axis, -1)
    edge = np.zeros(moved.shape[:-1] + (1,), dtype=bool)
    padded = np.concatenate([edge, moved, edge], axis=-1)
    step = np.diff(padded.view(np.int8), axis=-1)
    starts = _flat_argwhere(step == 1)  # C order: runs of one line, in order along the axis
    stops = _flat_argwhere(step == -1)
    lengths = stops[:, -1] - starts[:, -1]
    order = [0, 1]
    order.insert(axis, 2)  # undo moveaxis on the index columns
    return starts[:, order], lengths


def _flat_argwhere(mask: np.ndarray) -> np.ndarray:
    """``np.argwhere`` of a C-contiguous 3D mask (int64), via flat indices: 3x faster."""
    flat = np.flatnonzero(mask)
    _, b, c = mask.shape
    i, rest = np.divmod(flat, b * c)
    j, k = np.divmod(rest, c)
    return np.stack([i, j, k], axis=1)


def smooth_surface(
    mask: np.ndarray,
    spacing: float = 1.0,
    sigma: float = SMOOTH_SIGMA_VOX,
    max_triangles: int | None = None,
) -> SurfaceArrays:
    """The smooth surface that export writes (:func:`_mesh.smooth_field` at 0.5), for display.

    Contoured with VTK flying edges (GIL released, so the studio stays responsive) on the
    very field :func:`porestudio.structures.export.write_stl` contours with marching cubes:
    the vertices are the same edge crossings. Only above ``max_triangles`` is the display
    copy simplified (vertex clustering).

    Parameters
    ----------
    mask : ndarray of bool, shape (nz, ny, nx)
        Voxels of the phase to show.
    spacing : float
        World length of one voxel edge.
    sigma : float
        Gaussian smoothing [voxels]; 0 gives the plain marching-cubes surface.
    max_triangles : int, optional
        Above this count the surface is simplified by vertex clustering (fast, keeps thin
        features roughly) so that software OpenGL still draws it quickly.

    Returns
    -------
    SurfaceArrays
        Triangles with outward vertex normals.
    """
    if not mask.any():
        return _empty(3)
    points, faces = isosurface(smooth_field(mask, sigma), 0.5)
    points += 0.5 - SMOOTH_PAD  # padded-field index -> voxel-edge coordinates [voxels]
    if max_triangles is not None and len(faces) > max_triangles:
        points, faces = _cluster(points, faces, np.sqrt(len(faces) / max_triangles))
    normals = _vertex_normals(points, faces).astype(np.float32)
    return SurfaceArrays((points * spacing).astype(np.float32), faces, normals)


def draft_surface(mask: np.ndarray, spacing: float = 1.0, stride: int = 3) -> SurfaceArrays:
    """A cheap preview of :func:`smooth_surface`: the 0.5-contour of the phase fraction in
    blocks of ``stride``³ voxels (about ``stride**2`` times fewer triangles; 4x faster).

    Meant for frames that are replaced a moment later (a slider being dragged). One empty
    block pads every side, so the surface is closed; features thinner than about
    ``stride / 2`` voxels may vanish from the preview.

    Parameters
    ----------
    mask : ndarray of bool, shape (nz, ny, nx)
        Voxels of the phase to show.
    spacing : float
        World length of one voxel edge.
    stride : int
        Block edge [voxels].

    Returns
    -------
    SurfaceArrays
        Triangles with outward vertex normals.
    """
    if stride < 1:
        raise ValueError(f"stride must be at least 1, not {stride}")
    if not mask.any():
        return _empty(3)
    n = np.asarray(mask.shape)
    blocks = -(-n // stride) + 2  # one empty block before and (at least) one after
    counts = np.zeros(tuple(blocks * stride), dtype=np.uint8)
    counts[stride : stride + n[0], stride : stride + n[1], stride : stride + n[2]] = mask
    a, b, c = blocks
    field = counts.reshape(a, stride, b, stride, c, stride).sum(axis=(1, 3, 5), dtype=np.float32)
    points, faces = isosurface(field * np.float32(1.0 / stride**3), 0.5)
    if len(faces) == 0:
        return _empty(3)
    points = points * np.float32(stride) - np.float32(stride / 2)  # block centres, voxel edges
    normals = _vertex_normals(points, faces).astype(np.float32)
    return SurfaceArrays((points * spacing).astype(np.float32), faces, normals)


def isosurface(field: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Triangulated isosurface of a 3D ``(z, y, x)`` field (flying edges; GIL released).

    Parameters
    ----------
    field : ndarray of float32, shape (nz, ny, nx)
        Scalar field on the grid points ``(i, j, k)``.
    level : float
        Iso-value.

    Returns
    -------
    points : ndarray of float32, shape (m, 3)
        ``(x, y, z)`` index coordinates.
    faces : ndarray of int64, shape (t, 3)
        Triangles, counter-clockwise seen from the low side of the field (outward when the
        field is an indicator of the enclosed phase).
    """
    from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
    from vtkmodules.vtkCommonDataModel import vtkImageData
    from vtkmodules.vtkFiltersCore import vtkFlyingEdges3D

    data = np.ascontiguousarray(field, dtype=np.float32)
    with _VTK_LOCK:
        image = vtkImageData()
        image.SetDimensions(data.shape[2], data.shape[1], data.shape[0])  # x varies fastest
        image.GetPointData().SetScalars(numpy_to_vtk(data.ravel(), deep=False))
        contour = vtkFlyingEdges3D()
        contour.SetInputData(image)
        contour.SetValue(0, level)
        contour.ComputeNormalsOff()
        contour.ComputeGradientsOff()
        contour.ComputeScalarsOff()
        contour.Update()
        out = contour.GetOutput()
        if out.GetNumberOfCells() == 0:
            return np.zeros((0, 3), np.float32), np.zeros((0, 3), dtype=np.int64)
        points = vtk_to_numpy(out.GetPoints().GetData()).astype(np.float32)  # a copy
        faces = vtk_to_numpy(out.GetPolys().GetConnectivityArray()).astype(np.int64)
    return points, faces.reshape(-1, 3)


def _cluster(points: np.ndarray, faces: np.ndarray, cell: float):
    """Vertex clustering on a grid of ``cell``: merge vertices, drop collapsed triangles.

    The occupied cells are numbered through a dense lookup table (no sort), so this is
    linear in the number of vertices.
    """
    key = np.floor(points.T * np.float32(1.0 / cell)).astype(np.int32)  # (3, m): fast rows
    key -= key.min(axis=1, keepdims=True)
    span = key.max(axis=1).astype(np.int64) + 1
    flat = (key[0] * span[1] + key[1]) * span[2] + key[2]
    occupied = np.zeros(int(np.prod(span)), dtype=bool)
    occupied[flat] = True
    number = (np.cumsum(occupied, dtype=np.int32) - 1).astype(np.int32)
    inverse = number[flat]
    counts = np.bincount(inverse)
    merged = np.stack([np.bincount(inverse, points[:, d]) for d in range(3)], axis=1)
    merged /= counts[:, None]
    new_faces = inverse[faces]
    a, b, c = new_faces.T
    keep = (a != b) & (b != c) & (a != c)
    return merged.astype(np.float32), new_faces[keep].astype(np.int64)


def _vertex_normals(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals of a triangle mesh."""
    p0, p1, p2 = (points[faces[:, i]] for i in range(3))
    face_n = np.cross(p1 - p0, p2 - p0)
    normals = np.zeros_like(points, dtype=np.float64)
    flat = faces.ravel()
    for d in range(3):
        normals[:, d] = np.bincount(flat, np.repeat(face_n[:, d], 3), minlength=len(points))
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return normals / np.where(length > 0, length, 1.0)
