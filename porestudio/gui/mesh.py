"""Render meshes of a structure: pure numpy functions (run them in a worker thread).

The worker side (:func:`build_render_meshes`) uses numpy, scipy and scikit-image only —
never VTK, whose Python wrappers are not safe to use from two threads at once. The GUI
thread turns the finished arrays into VTK objects (:func:`to_polydata`,
:func:`slice_plane`: a few milliseconds) and hands them to the plotter.

World coordinates are ``(x, y, z)`` in micrometres when the voxel size is known, in voxels
otherwise; voxel ``(k, j, i)`` of a ``(z, y, x)`` array spans ``[i, i+1] x [j, j+1] x
[k, k+1]`` voxel edges.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

SurfaceMode = Literal["smooth", "voxel"]
Phase = Literal["solid", "pore"]

DEFAULT_MAX_TRIANGLES = 150_000
"""Triangle budget of the smooth surface: software OpenGL draws it in about 0.1 s."""


@dataclasses.dataclass(frozen=True)
class RenderScale:
    """Length scale of the world coordinates.

    Attributes
    ----------
    spacing : float
        World length of one voxel edge (µm, or 1 when the voxel size is unknown).
    unit : str
        ``"µm"`` or ``"voxel"``.
    """

    spacing: float
    unit: str


def render_scale(voxel_size_m: float | None) -> RenderScale:
    """World scale for a voxel size in metres (µm if known, voxels otherwise)."""
    if voxel_size_m is None:
        return RenderScale(1.0, "voxel")
    return RenderScale(float(voxel_size_m) * 1e6, "µm")


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


@dataclasses.dataclass(frozen=True, eq=False)
class RenderMeshes:
    """Everything a viewer needs to show one structure (built off the GUI thread).

    Attributes
    ----------
    surface : SurfaceArrays
        Closed surface of the shown phase (no faces when the phase is absent).
    pore : ndarray of bool, shape (nz, ny, nx)
        The structure (slice planes are cut from it on the GUI thread: they are tiny).
    scale : RenderScale
        Units of the coordinates.
    shape : tuple of int
        ``(nz, ny, nx)`` of the structure.
    mode, phase : str
        How the surface was built.
    """

    surface: SurfaceArrays
    pore: np.ndarray
    scale: RenderScale
    shape: tuple[int, int, int]
    mode: str
    phase: str


def build_render_meshes(
    pore: np.ndarray,
    voxel_size_m: float | None = None,
    *,
    mode: SurfaceMode = "smooth",
    phase: Phase = "solid",
    max_triangles: int | None = DEFAULT_MAX_TRIANGLES,
) -> RenderMeshes:
    """Build the surface of one phase of a structure (numpy only: safe in a worker).

    Parameters
    ----------
    pore : ndarray of bool, shape (nz, ny, nx)
        True = pore.
    voxel_size_m : float or None
        Voxel edge [m]; sets the world unit (µm) or voxels when None.
    mode : {"smooth", "voxel"}
        Marching-cubes isosurface of a lightly smoothed field, or the exact voxel faces.
    phase : {"solid", "pore"}
        Which phase's surface to show (closed at the domain faces).
    max_triangles : int, optional
        Triangle budget of the smooth surface (see :func:`smooth_surface`).

    Returns
    -------
    RenderMeshes
    """
    pore = np.asarray(pore, dtype=bool)
    scale = render_scale(voxel_size_m)
    phase_mask = ~pore if phase == "solid" else pore
    if mode == "voxel":
        surface = voxel_surface(phase_mask, scale.spacing)
    else:
        surface = smooth_surface(phase_mask, scale.spacing, max_triangles=max_triangles)
    return RenderMeshes(surface, pore, scale, tuple(pore.shape), mode, phase)


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
    nz, ny, nx = mask.shape
    padded = np.pad(mask, 1, constant_values=False)
    faces = np.concatenate([_axis_faces(padded, axis, (nz, ny, nx)) for axis in range(3)])
    if faces.size == 0:
        return _empty(4)
    used, inverse = np.unique(faces, return_inverse=True)
    k, rem = np.divmod(used, (ny + 1) * (nx + 1))
    j, i = np.divmod(rem, nx + 1)
    points = np.column_stack([i, j, k]).astype(np.float32) * np.float32(spacing)
    return SurfaceArrays(points, inverse.reshape(faces.shape).astype(np.int64))


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
    starts = np.argwhere(step == 1)  # C order: runs of one line, in order along the axis
    stops = np.argwhere(step == -1)
    lengths = (stops[:, -1] - starts[:, -1]).astype(np.int64)
    order = [0, 1]
    order.insert(axis, 2)  # undo moveaxis on the index columns
    return starts[:, order].astype(np.int64), lengths


def smooth_surface(
    mask: np.ndarray,
    spacing: float = 1.0,
    sigma: float = 0.6,
    max_triangles: int | None = None,
) -> SurfaceArrays:
    """Isosurface (marching cubes) of the Gaussian-smoothed phase indicator at 0.5.

    The field is padded with one layer of the other phase so the surface is closed at
    the domain faces; voxel centres sit at ``(i + 0.5) * spacing``.

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
    from scipy.ndimage import gaussian_filter
    from skimage.measure import marching_cubes

    if not mask.any():
        return _empty(3)
    field = np.pad(mask.astype(np.float32), 1, constant_values=0.0)
    if sigma > 0:
        field = gaussian_filter(field, sigma=sigma, mode="constant", cval=0.0, truncate=2.5)
    if field.max() <= 0.5:  # features thinner than the smoothing: fall back to no smoothing
        field = np.pad(mask.astype(np.float32), 1, constant_values=0.0)
    verts, faces, _, _ = marching_cubes(field, 0.5, allow_degenerate=True)
    points = (verts[:, ::-1] - 0.5) * spacing  # (z, y, x) indices -> (x, y, z) world
    faces = faces.astype(np.int64)  # skimage winds inward in (z, y, x); the swap flips it
    if max_triangles is not None and len(faces) > max_triangles:
        points, faces = _cluster(points, faces, spacing * np.sqrt(len(faces) / max_triangles))
    return SurfaceArrays(
        points.astype(np.float32), faces, _vertex_normals(points, faces).astype(np.float32)
    )


def _cluster(points: np.ndarray, faces: np.ndarray, cell: float):
    """Vertex clustering on a grid of ``cell``: merge vertices, drop collapsed triangles."""
    key = np.floor(points / cell).astype(np.int64)
    key -= key.min(axis=0)
    span = key.max(axis=0) + 1
    flat = (key[:, 0] * span[1] + key[:, 1]) * span[2] + key[:, 2]
    _, inverse = np.unique(flat, return_inverse=True)
    counts = np.bincount(inverse)
    merged = np.stack([np.bincount(inverse, points[:, d]) for d in range(3)], axis=1)
    merged /= counts[:, None]
    new_faces = inverse[faces]
    a, b, c = new_faces.T
    keep = (a != b) & (b != c) & (a != c)
    return merged, new_faces[keep]


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


# --- GUI-thread side (VTK) ------------------------------------------------------------------
def to_polydata(surface: SurfaceArrays):
    """A :class:`pyvista.PolyData` of the arrays (call on the GUI thread; milliseconds)."""
    import pyvista as pv

    if surface.n_faces == 0:
        return pv.PolyData()
    poly = pv.PolyData.from_regular_faces(surface.points, surface.faces)
    if surface.normals is not None:
        poly.point_data["Normals"] = surface.normals
        poly.point_data.active_normals_name = "Normals"
    return poly


def slice_plane(pore: np.ndarray, axis: str, index: int, spacing: float = 1.0):
    """A one-voxel slice of the structure as a flat image through the voxel centres.

    Parameters
    ----------
    pore : ndarray of bool, shape (nz, ny, nx)
        True = pore.
    axis : {"x", "y", "z"}
        Normal of the plane.
    index : int
        Voxel index along ``axis`` (clipped to the valid range).
    spacing : float
        World length of one voxel edge.

    Returns
    -------
    pyvista.ImageData
        Flat grid with cell data ``"pore"`` (uint8, 1 = pore).
    """
    import pyvista as pv

    nz, ny, nx = pore.shape
    dims = {"x": (1, ny + 1, nz + 1), "y": (nx + 1, 1, nz + 1), "z": (nx + 1, ny + 1, 1)}[axis]
    n = {"x": nx, "y": ny, "z": nz}[axis]
    index = int(np.clip(index, 0, n - 1))
    origin = [0.0, 0.0, 0.0]
    origin["xyz".index(axis)] = (index + 0.5) * spacing
    cells = {"x": pore[:, :, index], "y": pore[:, index, :], "z": pore[index]}[axis]
    plane = pv.ImageData(dimensions=dims, spacing=(spacing,) * 3, origin=origin)
    plane.cell_data["pore"] = np.ascontiguousarray(cells, dtype=np.uint8).ravel()
    plane.cell_data.active_scalars_name = "pore"
    return plane
