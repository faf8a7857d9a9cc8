"""Symmetry augmentation: rotated and mirrored samples with their transformed labels.

A symmetry of the cubic lattice is a signed permutation of the axes: new axis ``i`` is old
axis ``perm[i]``, mirrored when ``signs[i]`` is −1 (axes in (x, y, z) order). It maps a
structure to another valid structure whose permeability tensor is ``K' = P K Pᵀ``
(``P[i, perm[i]] = signs[i]``): ``K'[i, j] = signs[i] signs[j] K[perm[i], perm[j]]`` —
diagonal components are exchanged by axis swaps and never change sign, off-diagonal ones
flip under a mirror of one of their axes. Porosity never changes.

* A 2D model learns sections of z-extruded structures (porosity and k_zz): its symmetries
  keep z, i.e. the 8 rotations and mirrors of a square section (4 for a rectangle); the
  extruded solver's section border is the same wall on every side, so k_zz is unchanged
  (checked in ``tests/ml/test_augment.py``).
* A 3D model of cubes has all 48; of other boxes, those that keep the shape. A symmetry
  is used only when every component it maps a learned one onto is learned too.

With ``augment`` on in the training configuration every training sample is drawn in a
random one of these forms each time it is seen, its scaled targets transformed to match
(:func:`apply`); validation and test samples are never transformed.

A second, independent augmentation holds for labels computed with periodic boundaries
(``boundary_mode`` "periodic", the 3D default set): the solver sees the sample as a torus,
so a circular shift along any axis changes nothing in any tensor component. With
``periodic_shift`` on every training sample is also shifted by a random offset per axis
each time it is seen (:func:`draw_shifts`, :func:`shift`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from porestudio.ml import properties as P

__all__ = ["Symmetry", "apply", "draw_shifts", "shift", "symmetries"]

_NAMES = {pair: n for n in P.PERMEABILITY for pair in (P.tensor_index(n), P.tensor_index(n)[::-1])}
"""(row, col) -> component name, both orders (the tensor is symmetric)."""


@dataclass(frozen=True)
class Symmetry:
    """A signed axis permutation with its action on a model's property columns.

    Attributes
    ----------
    perm : tuple of int
        New (x, y, z) axis ``i`` is old axis ``perm[i]``.
    signs : tuple of int
        −1 where the new axis is mirrored.
    source : tuple of int
        Column ``j`` of the new targets is column ``source[j]`` of the old ones ...
    factor : tuple of float
        ... times ``factor[j]`` (physical units).
    """

    perm: tuple[int, int, int]
    signs: tuple[int, int, int]
    source: tuple[int, ...]
    factor: tuple[float, ...]

    @property
    def identity(self) -> bool:
        return self.perm == (0, 1, 2) and self.signs == (1, 1, 1)


def symmetries(dims: int, input_shape: tuple[int, ...], names: tuple[str, ...]) -> list[Symmetry]:
    """The symmetries usable for a model's inputs and properties (identity first).

    Parameters
    ----------
    dims : {2, 3}
        Spatial dimensions of the model's input.
    input_shape : tuple of int
        Spatial input shape (2D: (ny, nx); 3D: (nz, ny, nx)) [voxels].
    names : tuple of str
        Learned properties.
    """
    size_xyz = tuple(reversed(input_shape)) + ((1,) if dims == 2 else ())
    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            if dims == 2 and (perm[2] != 2 or signs[2] != 1):
                continue  # a 2D model's symmetries keep the extrusion axis
            if any(size_xyz[i] != size_xyz[perm[i]] for i in range(3)):
                continue
            sym = _on_columns(perm, signs, names)
            if sym is not None:
                out.append(sym)
    return out


def _on_columns(perm, signs, names) -> Symmetry | None:
    source, factor = [], []
    for name in names:
        if not P.is_permeability(name):
            source.append(names.index(name))
            factor.append(1.0)
            continue
        i, j = P.tensor_index(name)
        origin = _NAMES[(perm[i], perm[j])]
        if origin not in names:
            return None
        source.append(names.index(origin))
        factor.append(float(signs[i] * signs[j]))
    return Symmetry(tuple(perm), tuple(signs), tuple(source), tuple(factor))


def apply(x, y, codes: np.ndarray, syms: list[Symmetry], scaler):
    """A batch with each sample in the symmetric form its code names.

    Parameters
    ----------
    x : torch.Tensor (b, 1, *spatial)
        Inputs.
    y : torch.Tensor (b, p)
        Scaled targets (``scaler``'s columns).
    codes : ndarray of int (b,)
        Index into ``syms`` per sample.
    syms : list of Symmetry
        From :func:`symmetries`.
    scaler : TargetScaler
        Maps the targets to physical units and back around the transformation.

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        Transformed inputs (same shape and memory format) and scaled targets.
    """
    import torch

    codes = np.asarray(codes)
    if all(syms[int(c)].identity for c in np.unique(codes)):
        return x, y
    x_out, phys = x.clone(), scaler.inverse_t(y)
    new = phys.clone()
    for g in np.unique(codes):
        sym = syms[int(g)]
        if sym.identity:
            continue
        rows = torch.from_numpy(np.flatnonzero(codes == g)).to(x.device)
        x_out[rows] = _move(x[rows], sym)
        factor = torch.tensor(sym.factor, dtype=phys.dtype, device=phys.device)
        new[rows] = phys[rows][:, list(sym.source)] * factor
    return x_out, scaler.transform_t(new).to(y.dtype)


def apply_axes(aux, codes: np.ndarray, syms: list[Symmetry]):
    """Per-axis inputs (b, 3) in (x, y, z) order after each sample's symmetry ``codes``.

    Mirrors leave them; a permutation moves column ``perm[a]`` to ``a``.
    """
    from porestudio.ml.physics_inputs import permuted

    return permuted(aux, [syms[int(c)].perm for c in np.asarray(codes)])


def _move(x, sym: Symmetry):
    """Inputs (b, 1, *spatial) transformed by ``sym`` (xyz axis a is dim ``ndim - 1 - a``)."""
    import torch

    nd = x.dim()
    dim = [nd - 1 - a for a in range(3)]  # (x, y, z) -> tensor dim (z is 1 for 2D: unused)
    axis_of = {dim[a]: a for a in range(3) if dim[a] >= 2}
    order = [0, 1] + [dim[sym.perm[axis_of[d]]] for d in range(2, nd)]
    out = x.permute(*order)
    flips = [dim[a] for a in range(3) if sym.signs[a] == -1 and dim[a] >= 2]
    return torch.flip(out, dims=flips) if flips else out


def draw_shifts(rng: np.random.Generator, count: int, spatial: tuple[int, ...]) -> np.ndarray:
    """Random circular offsets (count, len(spatial)) [voxels], one row per sample."""
    return np.stack([rng.integers(0, n, count) for n in spatial], axis=1)


def shift(x, offsets: np.ndarray):
    """Inputs (b, 1, *spatial) circularly shifted, sample ``i`` by ``offsets[i]`` [voxels].

    Only for periodic labels (module docstring); keeps shape and memory format.
    """
    import torch

    dims = tuple(range(1, x.dim() - 1))
    out = torch.empty_like(x)
    for i, row in enumerate(np.asarray(offsets)):
        out[i] = torch.roll(x[i], tuple(int(o) for o in row), dims=dims)
    return out
