"""Printable design candidates: no floating solid, pore space that carries the flow.

A decoded, binarised structure is cleaned before it is scored, so that what is scored is
what would be printed:

* **3D**: pore clusters (face connectivity) that do not connect the two faces normal to
  any flow axis are filled (they carry no flow); then solid pieces touching none of the six
  faces (:func:`porestudio.structures.morphology.remove_floating_solids`) become pore.
* **2D extruded** (a section extruded along the flow axis): every pore pixel is a channel
  along the extrusion, so only the solid is cleaned: solid pieces of the section
  (4-connected) touching none of its four edges would be free-standing pillars and become
  pore.

The result says whether the pore space percolates along each flow axis; a candidate that
does not is reported as such (``percolates`` False), never silently scored.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from porestudio.errors import InputError
from porestudio.structures import morphology
from porestudio.units import array_axis

__all__ = ["Cleaned", "clean_batch", "clean_section", "clean_volume"]


@dataclasses.dataclass(frozen=True, eq=False)
class Cleaned:
    """A cleaned structure.

    Attributes
    ----------
    pore : ndarray of bool
        The cleaned pore array (same shape as the input; True = pore).
    percolates : bool
        The pore space connects the two faces normal to every flow axis.
    solid_islands_removed : int
        Floating solid pieces turned into pore.
    pore_voxels_filled : int
        Pore voxels of non-spanning clusters turned into solid.
    """

    pore: np.ndarray
    percolates: bool
    solid_islands_removed: int
    pore_voxels_filled: int


def clean_section(section: np.ndarray) -> Cleaned:
    """Clean the 2D section of an extruded structure (flow along the extrusion).

    Parameters
    ----------
    section : ndarray of bool (rows, cols)
        True = pore.

    Returns
    -------
    Cleaned
        ``percolates`` is True when any pore is left (every pore pixel is a channel).
    """
    from scipy import ndimage

    sec = np.asarray(section)
    if sec.ndim != 2 or sec.dtype != np.bool_:
        raise InputError(f"expected a 2D boolean section; got {sec.dtype} {sec.shape}")
    labels, n = ndimage.label(~sec)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    anchored = np.unique(border[border > 0])
    keep_solid = np.isin(labels, anchored)
    out = ~keep_solid
    return Cleaned(out, bool(out.any()), int(n - anchored.size), 0)


def clean_volume(pore: np.ndarray, flow_axes: tuple[str, ...] = ("x", "y", "z")) -> Cleaned:
    """Clean a 3D structure for flow along ``flow_axes``.

    Parameters
    ----------
    pore : ndarray of bool (nz, ny, nx)
        True = pore.
    flow_axes : tuple of {"x", "y", "z"}
        Axes the design must carry flow along.

    Returns
    -------
    Cleaned
        ``percolates``: the cleaned pore space connects the end faces of every flow axis.
    """
    from scipy import ndimage

    arr = np.asarray(pore)
    if arr.ndim != 3 or arr.dtype != np.bool_:
        raise InputError(f"expected a 3D boolean array; got {arr.dtype} {arr.shape}")
    if not flow_axes:
        raise InputError("give at least one flow axis")
    labels, _ = ndimage.label(arr)
    spanning: list[np.ndarray] = []
    for axis in flow_axes:
        a = array_axis(axis)
        first = np.unique(np.take(labels, 0, axis=a))
        last = np.unique(np.take(labels, -1, axis=a))
        spanning.append(np.intersect1d(first[first > 0], last[last > 0]))
    keep = np.isin(labels, np.unique(np.concatenate(spanning)))
    filled = int(np.count_nonzero(arr & ~keep))
    islands = morphology.floating_solid_islands(keep)
    out = morphology.remove_floating_solids(keep) if islands else keep
    perc = morphology.percolates(out, 6)
    ok = all(perc[("x", "y", "z").index(a)] for a in flow_axes)
    return Cleaned(out, ok, int(islands), filled)


def clean_batch(
    pores: np.ndarray, section_axis: str | None, flow_axes: tuple[str, ...] = ("x", "y", "z")
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clean many structures (dataset shape).

    Parameters
    ----------
    pores : ndarray of bool (n, nz, ny, nx)
        Binarised structures.
    section_axis : str or None
        Extrusion axis of a 2D model's structures (cleaned through their section), None
        for 3D.
    flow_axes : tuple of str
        Flow axes of 3D structures.

    Returns
    -------
    (ndarray of bool (n, nz, ny, nx), ndarray of bool (n,), ndarray of int (n,))
        Cleaned structures, whether each percolates, solid islands removed per structure.
    """
    out = np.empty_like(pores)
    perc = np.zeros(len(pores), dtype=bool)
    islands = np.zeros(len(pores), dtype=np.int64)
    for i, p in enumerate(pores):
        if section_axis is not None:
            a = array_axis(section_axis)
            c = clean_section(np.take(p, 0, axis=a))
            out[i] = np.expand_dims(c.pore, a)
        else:
            c = clean_volume(p, flow_axes)
            out[i] = c.pore
        perc[i], islands[i] = c.percolates, c.solid_islands_removed
    return out, perc, islands
