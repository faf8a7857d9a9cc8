"""Morphology of voxel structures: porosity, percolation, islands, surface, wall thickness.

All functions take a boolean pore array ``(z, y, x)`` (True = pore). Per-axis results are
reported in ``(x, y, z)`` order. Connectivity is given as the number of neighbours:
6 (faces), 18 (faces + edges, the D3Q19 link set) or 26 (faces + edges + corners).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.structures.volume import Structure
from porestudio.units import array_axis

__all__ = [
    "floating_solid_islands",
    "is_extruded",
    "min_wall_thickness_vox",
    "percolates",
    "porosity",
    "remove_disconnected_pores",
    "remove_floating_solids",
    "specific_surface_area",
    "summary",
]


def _volume(pore: np.ndarray) -> np.ndarray:
    arr = np.asarray(pore)
    if arr.ndim != 3:
        raise InputError(f"expected a 3D (z, y, x) array, got shape {arr.shape}")
    if arr.dtype != np.bool_:
        raise InputError(f"expected a boolean pore array, got dtype {arr.dtype}")
    return arr


def _structure_element(connectivity: int) -> np.ndarray:
    from scipy import ndimage

    rank = {6: 1, 18: 2, 26: 3}.get(connectivity)
    if rank is None:
        raise InputError(f"connectivity must be 6, 18 or 26, got {connectivity!r}")
    return ndimage.generate_binary_structure(3, rank)


def _label(mask: np.ndarray, connectivity: int) -> tuple[np.ndarray, int]:
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=_structure_element(connectivity))
    return labels, int(n)


def _face_labels(labels: np.ndarray) -> np.ndarray:
    """Labels (> 0) of the components that touch at least one domain face."""
    faces = [labels[0], labels[-1], labels[:, 0], labels[:, -1], labels[:, :, 0], labels[:, :, -1]]
    found = np.unique(np.concatenate([f.ravel() for f in faces]))
    return found[found > 0]


def porosity(pore: np.ndarray) -> float:
    """Pore volume fraction (0..1) of a boolean pore array."""
    arr = np.asarray(pore, dtype=bool)
    return float(np.count_nonzero(arr)) / arr.size if arr.size else 0.0


def percolates(
    pore: np.ndarray, connectivity: int = 6, periodic: bool = False
) -> tuple[bool, bool, bool]:
    """Whether the pore space carries flow along each axis.

    Parameters
    ----------
    pore : ndarray of bool, shape (nz, ny, nx)
        True = pore.
    connectivity : {6, 18, 26}
        Neighbourhood of the pore voxels (18 matches the D3Q19 lattice links).
    periodic : bool
        False: one pore cluster connects the two faces normal to the axis (a sample between
        walls or reservoirs). True: the domain repeats along every axis, and a pore cluster
        winds around it along the axis: a path that leaves through one face re-enters at
        the opposite one, which is what a periodic flow needs (it may cross the other faces
        on its way, and a face-to-face cluster whose ends do not meet carries no periodic
        flow).

    Returns
    -------
    (bool, bool, bool)
        Percolation along x, y and z.

    Notes
    -----
    A structure extruded along an axis is labelled on one slice (any path projects onto
    the section with the same connectivity), so the paper's squares cost a 2D labelling.
    """
    arr = _volume(pore)
    for a in range(3):
        if arr.shape[a] > 1 and is_extruded(arr, a):
            arr = np.take(arr, [0], axis=a)
            break
    labels, n = _label(arr, connectivity)
    if periodic:
        winds = _windings(arr, labels, n, connectivity)
        return tuple(bool(winds[array_axis(name)]) for name in ("x", "y", "z"))  # type: ignore[return-value]
    result = []
    for name in ("x", "y", "z"):
        a = array_axis(name)
        first = np.unique(np.take(labels, 0, axis=a))
        last = np.unique(np.take(labels, -1, axis=a))
        common = np.intersect1d(first[first > 0], last[last > 0])
        result.append(bool(common.size))
    return result[0], result[1], result[2]


def _windings(arr: np.ndarray, labels: np.ndarray, n: int, connectivity: int) -> np.ndarray:
    """Per array axis, whether some cluster of ``labels`` winds around the periodic domain.

    The clusters of the bounded labelling are joined by the links that cross a face; each
    such link shifts its far end by one period. A union-find keeps every voxel's period
    offset from its root: a link between two voxels of one set whose offsets disagree
    closes a loop around the domain, along the axes where they differ.
    """
    parent = np.arange(n + 1)
    shift = np.zeros((n + 1, 3), dtype=np.int64)  # period offset of a label from its parent
    winds = np.zeros(3, dtype=bool)

    def find(u: int) -> tuple[int, np.ndarray]:
        total = np.zeros(3, dtype=np.int64)
        while parent[u] != u:
            total += shift[u]
            u = int(parent[u])
        return u, total

    for u, v, cross in _face_links(arr, labels, connectivity):
        (ru, du), (rv, dv) = find(u), find(v)
        if ru == rv:
            winds |= (du + cross - dv) != 0
        else:
            parent[rv], shift[rv] = ru, du + cross - dv
    return winds


def _face_links(arr: np.ndarray, labels: np.ndarray, connectivity: int):
    """Distinct (label u, label v, period shift of v) of the pore links that cross a face."""
    shape = np.array(arr.shape)
    element = _structure_element(connectivity)
    offsets = [np.array(o) - 1 for o in zip(*np.nonzero(element), strict=True)]
    grid = np.indices(arr.shape).reshape(3, -1).T
    pores = arr.reshape(-1)
    seen = set()
    for off in offsets:
        if not off.any():
            continue
        reach = grid + off
        crossing = ((reach < 0) | (reach >= shape)).any(axis=1) & pores
        src, far = grid[crossing], reach[crossing]
        cross = np.floor_divide(far, shape)
        far = far - cross * shape
        ok = arr[far[:, 0], far[:, 1], far[:, 2]]
        u = labels[src[ok, 0], src[ok, 1], src[ok, 2]]
        v = labels[far[ok, 0], far[ok, 1], far[ok, 2]]
        for row in np.unique(np.column_stack([u, v, cross[ok]]), axis=0):
            seen.add(tuple(int(x) for x in row))
    for row in sorted(seen):
        yield row[0], row[1], np.array(row[2:], dtype=np.int64)


def floating_solid_islands(pore: np.ndarray) -> int:
    """Number of solid components (face connectivity) touching none of the six faces."""
    labels, n = _label(~_volume(pore), 6)
    return n - int(_face_labels(labels).size)


def remove_floating_solids(pore: np.ndarray) -> np.ndarray:
    """Turn floating solid islands (see :func:`floating_solid_islands`) into pore.

    Returns
    -------
    ndarray of bool
        A new pore array; solid components touching a domain face are kept.
    """
    labels, _ = _label(~_volume(pore), 6)
    keep = np.isin(labels, _face_labels(labels))
    return ~keep


def remove_disconnected_pores(pore: np.ndarray, connectivity: int = 6) -> np.ndarray:
    """Fill closed pores: pore clusters touching none of the six faces become solid.

    Clusters touching at least one face (dead ends included) are kept, since flow
    through a face can reach them. ``connectivity`` is that of the pore voxels.

    Returns
    -------
    ndarray of bool
        A new pore array.
    """
    labels, _ = _label(_volume(pore), connectivity)
    return np.isin(labels, _face_labels(labels))


def interface_faces(pore: np.ndarray) -> int:
    """Number of voxel faces between a pore and a solid voxel (inside the domain)."""
    arr = _volume(pore)
    return sum(
        int(np.count_nonzero(np.diff(arr, axis=a)))
        for a in range(3)  # bool diff = xor
    )


def specific_surface_area(pore: np.ndarray, voxel_size_m: float | None = None) -> float:
    """Pore–solid interface area per total volume.

    Parameters
    ----------
    pore : ndarray of bool, shape (nz, ny, nx)
        True = pore. Faces on the domain boundary are not counted.
    voxel_size_m : float, optional
        Voxel edge [m].

    Returns
    -------
    float
        Interface faces / voxel count [1/voxel]; divided by the voxel size [1/m] when
        ``voxel_size_m`` is given.
    """
    arr = _volume(pore)
    value = interface_faces(arr) / arr.size
    return value / voxel_size_m if voxel_size_m else value


def is_extruded(pore: np.ndarray, axis: str | int) -> bool:
    """Whether every slice along ``axis`` is identical (a 2D section extruded).

    Parameters
    ----------
    pore : ndarray, shape (nz, ny, nx)
        Structure.
    axis : {"x", "y", "z"} or int
        Direction name, or an array axis index (0 = z, 1 = y, 2 = x).
    """
    arr = _volume(pore)
    a = array_axis(axis) if isinstance(axis, str) else int(axis)
    if a not in (0, 1, 2):
        raise InputError(f"axis must be x, y, z or 0..2, got {axis!r}")
    first = np.take(arr, [0], axis=a)
    return bool((arr == first).all())


def min_wall_thickness_vox(pore: np.ndarray, *, pad_with_pore: bool = True) -> float:
    """Thickness of the thinnest solid wall [voxels] (a documented estimate).

    From the Euclidean distance ``d`` of each solid voxel to the nearest pore voxel, walls
    are found as ridges of ``d`` along the x, y and z lines: a strict local maximum ``d``
    marks a wall ``2d − 1`` voxels thick, a maximum shared by two neighbours one ``2d``
    thick. The result is the minimum over all ridges. It is exact for axis-aligned walls
    of any thickness (e.g. between the squares of the paper's data set) and a close
    estimate for oblique or curved ones; convex corners of thick parts are not taken for
    thin walls, unlike a plain minimum of local thickness.

    Parameters
    ----------
    pore : ndarray of bool, shape (nz, ny, nx)
        True = pore.
    pad_with_pore : bool
        Count the outside of the domain as pore (the printed part's surroundings); if
        False, walls cut by the domain boundary are not measured.

    Returns
    -------
    float
        Minimum wall thickness; ``inf`` when no wall is bounded by pore, 0 without solid.
    """
    from scipy import ndimage

    solid = ~_volume(pore)
    if not solid.any():
        return 0.0
    if pad_with_pore:
        solid = np.pad(solid, 1, constant_values=False)
    if solid.all():
        return math.inf
    depth = ndimage.distance_transform_edt(solid)
    fill = 0.0 if pad_with_pore else math.inf  # beyond the boundary: pore, or unknown
    best = math.inf
    for axis in range(3):
        best = min(best, _ridge_minimum(depth, axis, fill))
    return best


def _ridge_minimum(depth: np.ndarray, axis: int, fill: float) -> float:
    """Smallest wall thickness from the ridges of ``depth`` along one array axis."""
    width = [(0, 0)] * 3
    width[axis] = (1, 2)
    d = np.pad(depth, width, constant_values=fill)
    n = depth.shape[axis]

    def cut(offset: int) -> np.ndarray:
        return np.take(d, np.arange(1 + offset, 1 + offset + n), axis=axis)

    mid, prev, nxt, nxt2 = cut(0), cut(-1), cut(1), cut(2)
    rises = (mid > prev) & (mid > 0)
    single = rises & (mid > nxt)
    double = rises & (mid == nxt) & (nxt > nxt2)
    out = math.inf
    if single.any():
        out = min(out, 2.0 * float(mid[single].min()) - 1.0)
    if double.any():
        out = min(out, 2.0 * float(mid[double].min()))
    return out


def summary(structure: Structure | np.ndarray, connectivity: int = 6) -> dict[str, Any]:
    """Key morphological numbers of a structure, JSON-ready.

    Returns
    -------
    dict
        ``shape`` (z, y, x), ``voxel_size_m``, ``porosity``, ``percolates_x/y/z``,
        ``percolation_connectivity``, ``floating_solid_islands``,
        ``specific_surface_per_voxel`` [1/voxel] and ``specific_surface_per_m`` [1/m or None].
    """
    if isinstance(structure, Structure):
        pore, dx = structure.pore, structure.voxel_size_m
    else:
        pore, dx = _volume(structure), None
    perc = percolates(pore, connectivity)
    per_voxel = specific_surface_area(pore)
    return {
        "shape": [int(n) for n in pore.shape],
        "voxel_size_m": dx,
        "porosity": porosity(pore),
        "percolates_x": perc[0],
        "percolates_y": perc[1],
        "percolates_z": perc[2],
        "percolation_connectivity": connectivity,
        "floating_solid_islands": floating_solid_islands(pore),
        "specific_surface_per_voxel": per_voxel,
        "specific_surface_per_m": per_voxel / dx if dx else None,
    }
