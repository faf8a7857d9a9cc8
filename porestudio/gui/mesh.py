"""Render meshes of a structure: arrays built in a worker, VTK objects on the GUI thread.

The worker side (:func:`build_render_meshes`) lives Qt-free in
:mod:`porestudio.gui.model.render` and returns plain numpy arrays. The GUI thread turns the
finished arrays into VTK objects (:func:`to_polydata`, :func:`slice_plane`: a few
milliseconds) and hands them to the plotter.
"""

from __future__ import annotations

import numpy as np

from porestudio.gui.model.render import (
    DEFAULT_MAX_TRIANGLES,
    RenderMeshes,
    RenderScale,
    build_render_meshes,
    render_scale,
)
from porestudio.structures.surfaces import (
    SurfaceArrays,
    flat_shaded,
    flat_voxel_surface,
    isosurface,
    smooth_surface,
    voxel_surface,
)

__all__ = [
    "DEFAULT_MAX_TRIANGLES",
    "RenderMeshes",
    "RenderScale",
    "SurfaceArrays",
    "build_render_meshes",
    "flat_shaded",
    "flat_voxel_surface",
    "isosurface",
    "render_scale",
    "slice_plane",
    "smooth_surface",
    "to_polydata",
    "voxel_surface",
]


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
