"""Triangle surfaces of the solid phase of a voxel volume, and binary STL encoding.

Coordinates are ``(x, y, z)`` in voxel units with voxel ``(k, j, i)`` (array order
``z, y, x``) spanning ``[i, i+1] × [j, j+1] × [k, k+1]``.
"""

from __future__ import annotations

import numpy as np

# The two in-plane unit steps (b, c) of a face normal to x, y, z with b × c = +normal.
_IN_PLANE = {0: (1, 2), 1: (2, 0), 2: (0, 1)}

STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])


def voxel_faces(solid: np.ndarray) -> np.ndarray:
    """Voxel-exact triangulated boundary of the solid, outward-facing.

    Parameters
    ----------
    solid : ndarray of bool, shape (nz, ny, nx)
        Solid mask; the outside of the array counts as empty, so the surface is closed.

    Returns
    -------
    ndarray of float64, shape (n_triangles, 3, 3)
        Triangle vertices ``(x, y, z)`` in voxel units, counter-clockwise seen from
        outside the solid (right-hand normal points out).
    """
    padded = np.pad(solid, 1, constant_values=False)
    triangles = []
    for xyz in range(3):
        array_axis = 2 - xyz
        lo = np.take(padded, np.arange(padded.shape[array_axis] - 1), axis=array_axis)
        hi = np.take(padded, np.arange(1, padded.shape[array_axis]), axis=array_axis)
        for sign, mask in ((+1, lo & ~hi), (-1, hi & ~lo)):
            idx = np.argwhere(mask)[:, ::-1].astype(np.float64) - 1.0  # (x, y, z) of lo
            idx[:, xyz] += 1.0  # the face lies between lo and hi
            triangles.append(_quads(idx, xyz, sign))
    if not triangles:
        return np.zeros((0, 3, 3))
    return np.concatenate(triangles)


def _quads(origin: np.ndarray, normal_axis: int, sign: int) -> np.ndarray:
    """Two triangles per unit square face at ``origin`` with normal ``sign × e_axis``."""
    b, c = _IN_PLANE[normal_axis]
    eb = np.zeros(3)
    eb[b] = 1.0
    ec = np.zeros(3)
    ec[c] = 1.0
    corners = np.stack([np.zeros(3), eb, eb + ec, ec])  # counter-clockwise about +normal
    if sign < 0:
        corners = corners[::-1]
    quad = origin[:, None, :] + corners[None]
    return np.concatenate([quad[:, [0, 1, 2]], quad[:, [0, 2, 3]]])


def smooth_faces(solid: np.ndarray, sigma: float = 0.6) -> np.ndarray:
    """Smoothed closed surface of the solid by marching cubes (outward-facing).

    The solid mask (padded by two empty voxels) is blurred with a Gaussian of ``sigma``
    voxels and contoured at 0.5, which keeps flat walls in place.
    """
    from scipy import ndimage
    from skimage import measure

    pad = 2
    field = np.pad(solid.astype(np.float32), pad, constant_values=0.0)
    if sigma > 0:
        field = ndimage.gaussian_filter(field, sigma, mode="constant")
    if field.max() <= 0.5:
        return np.zeros((0, 3, 3))
    verts, faces, _, _ = measure.marching_cubes(field, level=0.5, allow_degenerate=False)
    verts = verts[:, ::-1] - pad + 0.5  # (z, y, x) voxel-centre indices → (x, y, z) edges
    triangles = verts[faces]
    if signed_volume(triangles) < 0:
        triangles = triangles[:, ::-1]
    return triangles


def signed_volume(triangles: np.ndarray) -> float:
    """Volume enclosed by a closed triangle surface (positive if normals point out)."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def stl_bytes_header(n_triangles: int, text: str) -> bytes:
    """The 84-byte binary STL header (80 bytes of text, then the triangle count)."""
    head = text.encode("ascii", "replace")[:80].ljust(80, b" ")
    if head.startswith(b"solid"):  # would look like an ASCII STL to some readers
        head = b"porestudio " + head[:69]
    return head + np.uint32(n_triangles).tobytes()


def stl_records(triangles: np.ndarray) -> np.ndarray:
    """Binary STL records (normal, three vertices, attribute) of ``triangles``."""
    records = np.zeros(len(triangles), dtype=STL_RECORD)
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    records["normal"] = normals / np.where(length > 0, length, 1.0)
    records["vertices"] = triangles
    return records
