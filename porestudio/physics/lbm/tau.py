"""The automatic TRT relaxation time: the τ expected to converge fastest.

With TRT (Λ fixed) the permeability does not depend on τ, only the number of steps to
the steady state does. Two transients set it (lattice units, voxel edge 1):

* viscous relaxation inside the pores, time ``≈ k / (φ ν)`` (pore size² ∝ k/φ);
* pressure diffusion across the sample: the density field that makes the flow
  divergence-free spreads with diffusivity ``c_s² k / ν`` (Darcy), time ``≈ L² ν / (c_s² k)``.

The first shrinks, the second grows with ν; they balance at ``ν ∝ c_s k / (L √φ)``.
``k`` is not known before the run, so the Kozeny–Carman estimate ``k ≈ φ³ / (5 S²)``
stands in (``S`` the fluid–solid voxel faces per voxel; within a factor 0.75–1.3 of the
LBM k for Berea sandstone and sphere packs). The constant was fitted on a 100³ Berea crop
(steps to a converged k_xx: τ 0.53: 6,800; 0.56: 9,200; 0.6: 11,600; 0.77 (earlier
rule): 17,600; τ 1: 24,900) and keeps the fast large τ of open media (sphere cells: τ 6,
the upper clamp). ``L`` is the longest edge of the sample.
"""

from __future__ import annotations

import numpy as np

TAU_RANGE_TRT: tuple[float, float] = (0.51, 6.0)
"""Range of the automatic TRT τ (k does not depend on it; only the step count does)."""
BALANCE: float = 5.0
"""ν = BALANCE · k_KC / (L √φ): the fitted constant of the two-transient balance."""


def kozeny_carman(pore: np.ndarray) -> float:
    """Kozeny–Carman permeability estimate ``φ³ / (5 S²)`` [voxel²].

    Parameters
    ----------
    pore : ndarray of bool (nz, ny, nx)
        True = pore; faces wrap periodically.

    Returns
    -------
    float
        The estimate; ``inf`` when there is no fluid–solid face.
    """
    faces = sum(int(np.count_nonzero(pore != np.roll(pore, 1, axis=a))) for a in range(3))
    if faces == 0:
        return float("inf")
    phi = float(pore.mean())
    surface = faces / pore.size
    return phi**3 / (5.0 * surface * surface)


def auto_tau(pore: np.ndarray) -> float:
    """TRT relaxation time expected to converge fastest (module docstring).

    Parameters
    ----------
    pore : ndarray of bool (nz, ny, nx)
        True = pore.

    Returns
    -------
    float
        τ (lattice units), clamped to :data:`TAU_RANGE_TRT`.
    """
    lo, hi = TAU_RANGE_TRT
    phi = float(pore.mean())
    k = kozeny_carman(pore)
    if phi == 0.0 or not np.isfinite(k):
        return hi
    nu = BALANCE * k / (max(pore.shape) * np.sqrt(phi))
    return float(np.clip(0.5 + 3.0 * nu, lo, hi))
