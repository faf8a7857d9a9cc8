"""Symmetry augmentation: rotations and mirror images that leave the labels unchanged.

A 2D model learns sections of structures extruded along z, labelled with porosity and
k_zz. Rotating a section by 90° or mirroring it leaves both unchanged (the extruded
solver's section border is the same no-slip wall on all four sides), so a square section
has the 8 symmetries of the square (dihedral group D4) and a rectangular one the 4 that
keep its shape. A 3D model's porosity and diagonal k_xx, k_yy, k_zz are unchanged by
mirroring along any axis (8 combinations); off-diagonal components change sign under a
mirror, so a model that learns them is not augmented. Axis swaps would exchange k_xx and
k_yy and are not used.

With ``augment`` on in the training configuration every training sample is drawn in a
random one of its symmetric forms each time it is seen (:func:`apply`); validation and
test samples are never transformed.
"""

from __future__ import annotations

import numpy as np

from porestudio.ml.properties import OFF_DIAGONAL

__all__ = ["apply", "symmetries"]


def symmetries(dims: int, input_shape: tuple[int, ...], names: tuple[str, ...]) -> np.ndarray:
    """Codes of the label-preserving symmetries of a model's inputs (0 = identity).

    Parameters
    ----------
    dims : {2, 3}
        Spatial dimensions of the model's input.
    input_shape : tuple of int
        Spatial input shape (2D: (ny, nx); 3D: (nz, ny, nx)) [voxels].
    names : tuple of str
        Learned properties.

    Returns
    -------
    ndarray of int
        2D: codes ``g`` = rotation by ``g % 4`` quarter turns, then a mirror when ``g >= 4``
        (only half turns when the section is not square); 3D: bit masks of the mirrored
        axes (z = 1, y = 2, x = 4); just ``[0]`` when nothing may be applied.
    """
    if dims == 2:
        square = input_shape[0] == input_shape[1]
        return np.arange(8) if square else np.array([0, 2, 4, 6])
    if any(n in OFF_DIAGONAL for n in names):
        return np.array([0])
    return np.arange(8)


def apply(x, codes: np.ndarray):
    """Each sample of a batch in the symmetric form its code names.

    Parameters
    ----------
    x : torch.Tensor (b, 1, *spatial)
        The batch.
    codes : ndarray of int (b,)
        One code of :func:`symmetries` per sample.

    Returns
    -------
    torch.Tensor
        Same shape and memory format as ``x``.
    """
    import torch

    codes = np.asarray(codes)
    if not codes.any():
        return x
    out = x.clone()
    spatial = x.dim() - 2
    for g in np.unique(codes):
        if g == 0:
            continue
        rows = torch.from_numpy(np.flatnonzero(codes == g)).to(x.device)
        out[rows] = _transform(x[rows], int(g), spatial)
    return out


def _transform(x, g: int, spatial: int):
    import torch

    if spatial == 2:
        y = torch.rot90(x, g % 4, dims=(2, 3))
        return torch.flip(y, dims=(3,)) if g >= 4 else y
    axes = tuple(2 + a for a in range(3) if g >> a & 1)
    return torch.flip(x, dims=axes)
