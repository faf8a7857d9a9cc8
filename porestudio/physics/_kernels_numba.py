"""Numba kernels of the CPU LBM backend (imported lazily by :mod:`.lbm_cpu`).

All kernels work on the sparse layout of :mod:`porestudio.physics.lattice`: populations
are deviations ``f - W`` stored as ``q * n + i``; ``src`` is the pull table.
"""

from __future__ import annotations

import numba
import numpy as np

from porestudio.physics.lattice import C, Q, W

_CX = C[:, 0].astype(np.float64)
_CY = C[:, 1].astype(np.float64)
_CZ = C[:, 2].astype(np.float64)
_W = W.astype(np.float64)


@numba.njit(inline="always", fastmath=True)
def _collide_pair(fout, n, i, p, a, c, cx, cy, cz, w, state):  # noqa: PLR0913
    """TRT collision + Guo forcing of the opposite pair (p, p + 1); writes both."""
    rho, ux, uy, uz, usq, uf, fx, fy, fz, omega_p, omega_m, gp, gm = state
    cu = cx * ux + cy * uy + cz * uz
    cf = cx * fx + cy * fy + cz * fz
    eqp = w * (rho - 1.0 + rho * (4.5 * cu * cu - 1.5 * usq))
    eqm = w * 3.0 * rho * cu
    dp = -omega_p * (0.5 * (a + c) - eqp) + gp * w * (9.0 * cu * cf - 3.0 * uf)
    dm = -omega_m * (0.5 * (a - c) - eqm) + gm * w * 3.0 * cf
    fout[p * n + i] = a + dp + dm
    fout[(p + 1) * n + i] = c + dp - dm


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def stream_collide(fin, fout, src, n, omega_p, omega_m, fx, fy, fz):  # noqa: PLR0913
    """One fused pull-stream + TRT/BGK collide step with a Guo body force.

    Unrolled over the 19 velocities of :data:`porestudio.physics.lattice.C` (the pair
    order (1,2)=±x, (3,4)=±y, (5,6)=±z, (7,8)=±(1,1,0), (9,10)=±(1,-1,0),
    (11,12)=±(1,0,1), (13,14)=±(1,0,-1), (15,16)=±(0,1,1), (17,18)=±(0,1,-1)).

    Parameters
    ----------
    fin, fout : ndarray (19 n + ghosts,)
        Post-collision deviations of the previous step / of this step.
    src : ndarray (19, n)
        Pull table.
    n : int
        Fluid cells.
    omega_p, omega_m : float
        Relaxation rates of the symmetric / antisymmetric moments (equal for BGK).
    fx, fy, fz : float
        Body-force density (lattice units).
    """
    gp = 1.0 - 0.5 * omega_p
    gm = 1.0 - 0.5 * omega_m
    w1 = 1.0 / 18.0
    w2 = 1.0 / 36.0
    for i in numba.prange(n):
        f0 = np.float64(fin[src[0, i]])
        f1 = np.float64(fin[src[1, i]])
        f2 = np.float64(fin[src[2, i]])
        f3 = np.float64(fin[src[3, i]])
        f4 = np.float64(fin[src[4, i]])
        f5 = np.float64(fin[src[5, i]])
        f6 = np.float64(fin[src[6, i]])
        f7 = np.float64(fin[src[7, i]])
        f8 = np.float64(fin[src[8, i]])
        f9 = np.float64(fin[src[9, i]])
        f10 = np.float64(fin[src[10, i]])
        f11 = np.float64(fin[src[11, i]])
        f12 = np.float64(fin[src[12, i]])
        f13 = np.float64(fin[src[13, i]])
        f14 = np.float64(fin[src[14, i]])
        f15 = np.float64(fin[src[15, i]])
        f16 = np.float64(fin[src[16, i]])
        f17 = np.float64(fin[src[17, i]])
        f18 = np.float64(fin[src[18, i]])
        rho = 1.0 + f0 + f1 + f2 + f3 + f4 + f5 + f6 + f7 + f8 + f9
        rho += f10 + f11 + f12 + f13 + f14 + f15 + f16 + f17 + f18
        mx = f1 - f2 + f7 - f8 + f9 - f10 + f11 - f12 + f13 - f14
        my = f3 - f4 + f7 - f8 - f9 + f10 + f15 - f16 + f17 - f18
        mz = f5 - f6 + f11 - f12 - f13 + f14 + f15 - f16 - f17 + f18
        inv = 1.0 / rho
        ux = (mx + 0.5 * fx) * inv
        uy = (my + 0.5 * fy) * inv
        uz = (mz + 0.5 * fz) * inv
        usq = ux * ux + uy * uy + uz * uz
        uf = ux * fx + uy * fy + uz * fz
        w0 = 1.0 / 3.0
        fout[i] = f0 - omega_p * (f0 - w0 * (rho - 1.0 - 1.5 * rho * usq)) - gp * 3.0 * w0 * uf
        s = (rho, ux, uy, uz, usq, uf, fx, fy, fz, omega_p, omega_m, gp, gm)
        _collide_pair(fout, n, i, 1, f1, f2, 1.0, 0.0, 0.0, w1, s)
        _collide_pair(fout, n, i, 3, f3, f4, 0.0, 1.0, 0.0, w1, s)
        _collide_pair(fout, n, i, 5, f5, f6, 0.0, 0.0, 1.0, w1, s)
        _collide_pair(fout, n, i, 7, f7, f8, 1.0, 1.0, 0.0, w2, s)
        _collide_pair(fout, n, i, 9, f9, f10, 1.0, -1.0, 0.0, w2, s)
        _collide_pair(fout, n, i, 11, f11, f12, 1.0, 0.0, 1.0, w2, s)
        _collide_pair(fout, n, i, 13, f13, f14, 1.0, 0.0, -1.0, w2, s)
        _collide_pair(fout, n, i, 15, f15, f16, 0.0, 1.0, 1.0, w2, s)
        _collide_pair(fout, n, i, 17, f17, f18, 0.0, 1.0, -1.0, w2, s)


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def velocity_sums(f, n, fx, fy, fz):
    """Sum over fluid cells of the velocity (x, y, z) and of the density deviation.

    ``f`` holds post-collision deviations, whose first moment is ``rho u + F/2``.
    Returns ``(sum ux, sum uy, sum uz, sum (rho - 1), max |u|)``.
    """
    sx = 0.0
    sy = 0.0
    sz = 0.0
    sr = 0.0
    umax = 0.0
    for i in numba.prange(n):
        rho = 1.0
        mx = 0.0
        my = 0.0
        mz = 0.0
        for q in range(Q):
            v = np.float64(f[q * n + i])
            rho += v
            mx += v * _CX[q]
            my += v * _CY[q]
            mz += v * _CZ[q]
        ux = (mx - 0.5 * fx) / rho
        uy = (my - 0.5 * fy) / rho
        uz = (mz - 0.5 * fz) / rho
        sx += ux
        sy += uy
        sz += uz
        sr += rho - 1.0
        umax = max(umax, abs(ux) + abs(uy) + abs(uz))
    return sx, sy, sz, sr, umax


@numba.njit(cache=True, nogil=True)
def fill_ghosts(f, n, ghost_q, ghost_cell, ghost_side, rho_in, rho_out):
    """Anti-bounce-back pressure ends: ``ghost = -f[opp q, cell] + 2 W_q (rho_side - 1)``."""
    base = Q * n
    for k in range(ghost_q.shape[0]):
        q = ghost_q[k]
        opp = q + 1 if q % 2 == 1 else q - 1
        rho = rho_in if ghost_side[k] == 0 else rho_out
        f[base + k] = -f[opp * n + ghost_cell[k]] + 2.0 * _W[q] * (rho - 1.0)
