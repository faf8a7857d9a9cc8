"""Level sets for sub-voxel walls (``permeability(..., level_set=phi)``).

A level set ``phi`` is sampled at the voxel centres, > 0 exactly on the pore voxels and
<= 0 in the solid; the LBM places each fluid–solid wall where ``phi`` crosses zero along
the link (linear interpolation). A signed distance gives exact walls for analytic
shapes; for a CT image the grey values themselves carry the partial-volume position of
the surface, so ``threshold - grey`` (pores dark) is the natural level set.
"""

from __future__ import annotations

import numpy as np

from porestudio.errors import InputError


def grey_level_set(
    grey: np.ndarray, threshold: float, pore: np.ndarray, invert: bool = False
) -> np.ndarray:
    """Level set of a grey-scale image, consistent with a given pore mask.

    Parameters
    ----------
    grey : ndarray (nz, ny, nx)
        Grey values the pore mask was thresholded from.
    threshold : float
        The binarisation threshold (pore = grey < threshold, or >= with ``invert``).
    pore : ndarray of bool (nz, ny, nx)
        The pore mask used for the flow (True = pore); voxels that a clean-up step
        changed get a level set just inside their phase.
    invert : bool
        Pores are bright.

    Returns
    -------
    ndarray of float64
        ``threshold - grey`` (``grey - threshold`` with ``invert``), > 0 exactly on
        ``pore`` [grey units].
    """
    g = np.asarray(grey, dtype=np.float64)
    pore = np.asarray(pore, dtype=bool)
    if g.shape != pore.shape:
        raise InputError(f"grey image {g.shape} and pore mask {pore.shape} differ in shape")
    if not np.isfinite(g).all():
        raise InputError("the grey image has NaN or infinite values")
    phi = g - threshold if invert else threshold - g
    eps = 1e-6 * max(float(np.ptp(g)), 1.0)
    return np.where(pore, np.maximum(phi, eps), np.minimum(phi, 0.0))
