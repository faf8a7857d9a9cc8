"""Pressure inlet / outlet rules as linear ghost-slot stencils (pure numpy).

A pressure-driven lattice (:func:`porestudio.physics.lbm.lattice.build_lattice` with
``driving="pressure"``) points every population that would stream in from beyond an end
face to a ghost slot. Before each step a backend fills ghost ``k`` as a fixed linear
combination of the previous step's post-collision deviations plus a density term::

    ghost[k] = sum_m coef[k, m] * f[idx[k, m]] + rho_coef[k] * (rho_side[k] - 1)

so every backend (numba, torch, Triton's table mode) runs one generic gather-and-sum,
whichever rule built the stencil. Deviations ``f - W`` are stored; both rules below map
the weights onto themselves, so they hold unchanged for deviations.

Rules
-----
``"zou-he"`` (default; Zou & He 1997, D3Q19 form of Hecht & Harting 2010)
    The density of the end layer is prescribed, the tangential velocity there is zero.
    With ``s = +1`` at the inlet (low face) and ``-1`` at the outlet, the populations
    arriving from outside have ``s c_n = +1``. After streaming, the known ones give the
    normal momentum ``j = rho - sum_{c_n = 0} f - 2 sum_{s c_n = -1} f`` (``j = s rho u_n``)
    and the unknowns follow as ``f_q = f_opp(q) + j/3`` (axis velocity) and
    ``f_q = f_opp(q) + j/6 - c_t N_t`` (diagonals with transverse component ``c_t``),
    ``N_t = 1/2 sum_{c_n = 0} f c_t``. Every post-streaming value is the old
    post-collision value at its pull source ``src[q, cell]``: the rule is linear in the
    previous buffer. The prescribed pressure sits on the end-layer cell centres, so the
    pressure drop acts over ``L - 1`` voxels.
``"anti-bounce-back"``
    ``ghost = -f[opp q, cell] + 2 W_q (rho_side - 1)``: the pressure sits on the end
    faces, half a voxel beyond the end cells (drop over ``L`` voxels). Simpler, with a
    wall-like error of about one voxel of length per end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.units import xyz_index

PRESSURE_RULES: tuple[str, ...] = ("zou-he", "anti-bounce-back")
"""Names of the pressure-end rules."""


def pressure_length(rule: str, length: int) -> int:
    """Voxels over which the pressure drop of a run of ``length`` voxels acts."""
    return length - 1 if rule == "zou-he" else length


def ghost_stencil(  # noqa: PLR0913
    rule: str,
    c: np.ndarray,
    w: np.ndarray,
    src: np.ndarray,
    ghost_q: np.ndarray,
    ghost_cell: np.ndarray,
    ghost_side: np.ndarray,
    flow_xyz: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear stencil of every ghost slot for a pressure-end rule.

    Parameters
    ----------
    rule : {"zou-he", "anti-bounce-back"}
        Pressure-end rule.
    c, w : ndarray
        Lattice velocities (19, 3) ordered (x, y, z) and weights (19,).
    src : ndarray (19, n_fluid)
        Pull table whose ghost entries are ``19 n_fluid + k``.
    ghost_q, ghost_cell, ghost_side : ndarray (n_ghost,)
        Direction, fluid cell and end (0 inlet / 1 outlet) of every ghost slot.
    flow_xyz : int
        Flow axis as an (x, y, z) index.

    Returns
    -------
    idx : ndarray of int64, shape (n_ghost, m)
        Flat population indices read by each ghost.
    coef : ndarray of float64, shape (n_ghost, m)
        Their coefficients (0 on padding).
    rho_coef : ndarray of float64, shape (n_ghost,)
        Coefficient of ``rho_side - 1``.
    """
    if rule not in PRESSURE_RULES:
        raise InputError(f"unknown pressure rule {rule!r}; use zou-he or anti-bounce-back")
    n = src.shape[1]
    q = np.asarray(ghost_q, dtype=np.int64)
    cell = np.asarray(ghost_cell, dtype=np.int64)
    opp = _opposites(c)
    if rule == "anti-bounce-back":
        idx = (opp[q] * n + cell)[:, None]
        return idx, -np.ones(idx.shape), 2.0 * w[q]
    return _zou_he(c, src, q, cell, np.asarray(ghost_side), flow_xyz, opp)


def _opposites(c: np.ndarray) -> np.ndarray:
    match = (c[:, None, :] == -c[None, :, :]).all(axis=2)
    return np.argmax(match, axis=1).astype(np.int64)


def _zou_he(c, src, q, cell, side, flow_xyz, opp):  # noqa: PLR0913
    """Zou–He stencils: one row per ghost over the 19 post-streaming values of its cell."""
    n_q, n = src.shape
    cn = c[:, flow_xyz]
    s = np.where(side == 0, 1, -1)  # inlet: unknowns move along +axis
    parallel = cn == 0
    # coefficient of each post-streaming value v_p of the cell in j = rho - 1 - sum a_p v_p
    back = cn[None, :] * s[:, None] == -1
    a = parallel[None, :] + 2.0 * back
    coef = np.zeros((q.size, n_q))
    coef[np.arange(q.size), opp[q]] = 1.0
    share = np.where(np.abs(c[q]).sum(axis=1) == 1, 1.0 / 3.0, 1.0 / 6.0)
    coef -= share[:, None] * a
    for t in range(3):  # transverse correction -c_t N_t, N_t = 1/2 sum_{c_n=0} v_p c_pt
        if t != flow_xyz:
            coef -= 0.5 * c[q, t][:, None] * (parallel * c[:, t])[None, :]
    idx = src[:, cell].T.astype(np.int64)
    if (idx[coef != 0.0] >= n_q * n).any():
        raise InputError("pressure driving needs at least two voxels along the flow axis")
    order = np.argsort(coef == 0.0, axis=1, kind="stable")  # non-zero terms first
    coef = np.take_along_axis(coef, order, axis=1)
    idx = np.take_along_axis(idx, order, axis=1)
    m = int((coef != 0.0).sum(axis=1).max(initial=0))
    idx[coef == 0.0] = 0  # padding reads a valid population with weight 0
    return np.ascontiguousarray(idx[:, :m]), np.ascontiguousarray(coef[:, :m]), share


def driving_terms(problem: Any, shape: tuple[int, int, int]) -> tuple[np.ndarray, float, float]:
    """Body force (x, y, z) and the inlet/outlet densities of a flow problem.

    Pressure driving prescribes ``Δp = force · L_p`` (:func:`pressure_length`), i.e.
    ``Δρ = 3 Δp`` split evenly about 1.

    Returns
    -------
    force : ndarray (3,)
        Guo body-force density, lattice units (zero for pressure driving).
    rho_in, rho_out : float
        Densities at the pressure ends (1 for force driving).
    """
    force = np.zeros(3)
    ax = xyz_index(problem.axis)
    if problem.driving == "force":
        force[ax] = problem.force
        return force, 1.0, 1.0
    length = pressure_length(problem.pressure_bc, shape[::-1][ax])
    return force, 1.0 + 1.5 * problem.force * length, 1.0 - 1.5 * problem.force * length
