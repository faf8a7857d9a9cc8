"""Render meshes of a structure as plain arrays (worker side of the viewers; no Qt, no VTK).

:func:`build_render_meshes` returns numpy arrays (surfaces from
:mod:`porestudio.structures.surfaces`, the same surface export writes); the GUI thread turns
them into VTK objects (:mod:`porestudio.gui.mesh`).

World coordinates are ``(x, y, z)`` in micrometres when the voxel size is known, in voxels
otherwise; voxel ``(k, j, i)`` of a ``(z, y, x)`` array spans ``[i, i+1] x [j, j+1] x
[k, k+1]`` voxel edges.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from porestudio.structures.surfaces import (
    SurfaceArrays,
    draft_surface,
    flat_voxel_surface,
    smooth_surface,
)

SurfaceMode = Literal["smooth", "voxel"]
Phase = Literal["solid", "pore"]

DEFAULT_MAX_TRIANGLES = 150_000
"""Triangle budget of the smooth surface: software OpenGL draws it in about 0.1 s."""

DRAFT_STRIDE = 3
"""Grid step [voxels] of the draft surface shown while a slider moves (about 10x fewer
triangles than the full surface of a 100³ structure)."""


SETTLE_MS = 200
"""After a draft frame, the full surface is built once no new request came for this long."""


@dataclasses.dataclass(frozen=True)
class ScrubPolicy:
    """How a viewer keeps up with a slider (the benchmark compares it with :data:`LEGACY`).

    Attributes
    ----------
    draft : bool
        Draft surfaces while the slider moves, the full one when it rests.
    one_paint : bool
        Draw a new structure once, in the widget's paint, instead of rendering it before
        the paint as well.
    ahead : int
        Path steps meshed in the background in the direction the slider moves.
    """

    draft: bool = True
    one_paint: bool = True
    ahead: int = 3


LEGACY = ScrubPolicy(draft=False, one_paint=False, ahead=0)
"""The viewer before draft frames, single paints and meshing ahead (for benchmarks)."""


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
    draft : bool
        A cheap preview surface (:func:`draft_surface`), replaced by the full one when
        the slider that asked for it rests.
    """

    surface: SurfaceArrays
    pore: np.ndarray
    scale: RenderScale
    shape: tuple[int, int, int]
    mode: str
    phase: str
    draft: bool = False


def build_render_meshes(
    pore: np.ndarray,
    voxel_size_m: float | None = None,
    *,
    mode: SurfaceMode = "smooth",
    phase: Phase = "solid",
    max_triangles: int | None = DEFAULT_MAX_TRIANGLES,
    draft: bool = False,
) -> RenderMeshes:
    """Build the surface of one phase of a structure (arrays only: safe in a worker).

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
    draft : bool
        A preview of the smooth surface on every :data:`DRAFT_STRIDE`-th grid point
        (about 10x fewer triangles, 2-3x faster to build); the voxel mode ignores it.

    Returns
    -------
    RenderMeshes
    """
    pore = np.asarray(pore, dtype=bool)
    scale = render_scale(voxel_size_m)
    phase_mask = ~pore if phase == "solid" else pore
    draft = draft and mode != "voxel"
    if mode == "voxel":
        surface = flat_voxel_surface(phase_mask, scale.spacing)
    elif draft:
        surface = draft_surface(phase_mask, scale.spacing, DRAFT_STRIDE)
    else:
        surface = smooth_surface(phase_mask, scale.spacing, max_triangles=max_triangles)
    return RenderMeshes(surface, pore, scale, tuple(pore.shape), mode, phase, draft)
