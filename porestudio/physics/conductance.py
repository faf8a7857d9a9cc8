"""A fast permeability estimate: periodic Darcy flow through a local-conductance network.

Every pore voxel conducts like a channel as wide as its distance to the solid: local
conductance ``d²`` [voxel²], ``d`` the periodic Euclidean distance transform; a face between
two pore voxels takes the harmonic mean of theirs, solid conducts nothing (six neighbours,
periodic along every axis). Solving ``∇·(c ∇p) = 0`` with a unit mean pressure gradient
along each axis in turn gives an effective conductivity per axis — an estimate of the
diagonal of the periodic permeability tensor up to a scale the surrogate learns.

It is a *feature*, not a label: on the 3D design space (1,569 labelled 48³ GRF and CT
cubes) the log of the estimate follows the log of the LBM's ``k_ii`` with R² 0.978 / 0.975
/ 0.998 (x / y / z, cubes where both are positive; docs/ml.md). Where they disagree on zero
flow (3–4 % of the cubes per axis) the estimate is mostly a small positive residue of the
iterative solve on a cluster that does not wind around the cube (1e-6 to 1e-4, below the
``log(k + 1e-4)`` the CNN reads), and in 2–4 cubes per axis the LBM's 18-neighbour lattice
flows through voxel edges where six neighbours do not. A 48³ cube costs a median 0.75 s
(0.37–1.3 s) on one core (block conjugate gradients with a Jacobi preconditioner on the
pore voxels, a numba kernel; 250–600 iterations; docs/bench_conductance.md), against
~3–13 s for the LBM diagonal.
The 3D CNN surrogate reads it as a physics input (``arch.physics_inputs``).
"""

from __future__ import annotations

import logging

import numpy as np

from porestudio.errors import InputError

log = logging.getLogger(__name__)

FLOOR: float = 1e-6
"""Estimates below this [voxel²] are reported as 0. An axis along which no pore cluster
winds around the periodic cube carries no flux in exact arithmetic; the iterative solve
leaves a residue there, mostly below this floor but up to ~1e-4 on large non-winding
clusters (a known imprecision; deciding those axes with ``morphology.percolates(...,
periodic=True)`` would make them exact)."""
_RTOL = 1e-6
_MAXITER = 4000


def _periodic_edt(pores: np.ndarray) -> np.ndarray:
    """Distance [voxels] of each pore voxel to the nearest solid voxel, periodic."""
    from scipy import ndimage

    pad = [(n // 2 + 1,) * 2 for n in pores.shape]  # every solid voxel's nearest image
    wrapped = np.pad(pores, pad, mode="wrap")
    inner = tuple(slice(p[0], p[0] + n) for p, n in zip(pad, pores.shape, strict=True))
    return ndimage.distance_transform_edt(wrapped)[inner]


def _faces(cond: np.ndarray) -> list[np.ndarray]:
    """Face conductances per array axis: face ``i`` joins voxel ``i`` and ``i + 1`` (wrapped)."""
    out = []
    for ax in range(cond.ndim):
        nxt = np.roll(cond, -1, axis=ax)
        both = (cond > 0) & (nxt > 0)
        out.append(np.where(both, 2 * cond * nxt / np.where(both, cond + nxt, 1.0), 0.0))
    return out


def _laplacian(faces: list[np.ndarray], keep: np.ndarray, shape: tuple[int, ...]):
    """The conductance-weighted periodic Laplacian restricted to the voxels ``keep``."""
    import scipy.sparse as sp

    n = int(np.prod(shape))
    where = np.full(n, -1)
    where[keep] = np.arange(len(keep))
    idx = np.arange(n).reshape(shape)
    rows, cols, vals = [], [], []
    for ax, g in enumerate(faces):
        i, j, w = idx.ravel(), np.roll(idx, -1, axis=ax).ravel(), g.ravel()
        on = w > 0
        i, j, w = where[i[on]], where[j[on]], w[on]
        rows += [i, j, i, j]
        cols += [j, i, i, j]
        vals += [-w, -w, w, w]
    m = len(keep)
    lap = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(m, m))  # fmt: skip
    # a tiny shift makes the floating clusters' constant mode solvable (their flux is 0)
    return lap + sp.identity(m) * (1e-9 * float(lap.diagonal().mean() or 1.0))


def conductance_permeability(pores: np.ndarray) -> np.ndarray:
    """Diagonal permeability estimate of a periodic structure [voxel²], (x, y, z) order.

    Parameters
    ----------
    pores : ndarray of bool (nz, ny, nx)
        True = pore; treated as periodic along every axis.

    Returns
    -------
    ndarray of float (3,)
        ``(k_xx, k_yy, k_zz)`` estimates [voxel²]; 0 along an axis no pore cluster spans
        (below :data:`FLOOR`). Scale and exponent differ from the LBM's: a feature for the
        surrogate, not a label (module docstring).
    """
    p = np.asarray(pores).astype(bool)
    if p.ndim != 3:
        raise InputError(f"pores must be (nz, ny, nx); got shape {p.shape}")
    if not p.any():
        return np.zeros(3)
    d = _periodic_edt(p)
    faces = _faces(np.where(p, d * d, 0.0))
    keep = np.flatnonzero(p.ravel())
    lap = _laplacian(faces, keep, p.shape)
    rhs = np.stack([(np.roll(g, 1, axis=ax) - g).ravel()[keep] for ax, g in enumerate(faces)], 1)
    sol = _block_pcg(lap, rhs, 1.0 / lap.diagonal())
    k_zyx = np.zeros(3)
    for ax, g in enumerate(faces):
        pressure = np.zeros(p.size)
        pressure[keep] = sol[:, ax]
        pressure = pressure.reshape(p.shape)
        k_zyx[ax] = float((g * (pressure - np.roll(pressure, -1, axis=ax) + 1.0)).mean())
    k_zyx[k_zyx < FLOOR] = 0.0
    return k_zyx[::-1].copy()


def _block_pcg(lap, rhs: np.ndarray, dinv: np.ndarray) -> np.ndarray:
    """Jacobi-preconditioned conjugate gradients on the columns of ``rhs`` at once (numba
    kernel, :mod:`porestudio.physics._conductance_kernel`)."""
    from porestudio.physics._conductance_kernel import block_pcg

    lap = lap.tocsr()
    x, iterations = block_pcg(lap.indptr, lap.indices, lap.data, np.ascontiguousarray(rhs),
                              np.ascontiguousarray(dinv), _RTOL, _MAXITER)  # fmt: skip
    if iterations >= _MAXITER:
        log.warning("conductance estimate: CG stopped after %d steps", _MAXITER)
    return x


def conductance_batch(pores: np.ndarray, progress=None) -> np.ndarray:
    """:func:`conductance_permeability` of each structure of (n, nz, ny, nx) → (n, 3)."""
    a = np.asarray(pores)
    out = np.zeros((len(a), 3))
    for i, one in enumerate(a):
        out[i] = conductance_permeability(one)
        if progress is not None:
            progress(i + 1, len(a))
    return out
