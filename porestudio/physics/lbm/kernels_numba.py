"""Numba kernels of the CPU LBM backend (imported lazily by :mod:`.lbm_cpu`).

All kernels work on the sparse layout of :mod:`porestudio.physics.lbm.lattice`: populations
are deviations ``f - W`` stored as ``q * n + i``; ``src`` is the pull table.
"""

from __future__ import annotations

import numba
import numpy as np

from porestudio.physics.lbm.lattice import C, Q, W

_CX = C[:, 0].astype(np.float64)
_CY = C[:, 1].astype(np.float64)
_CZ = C[:, 2].astype(np.float64)
_W = W.astype(np.float64)


_JIT = {
    "fastmath": True,
    "cache": True,
    "nogil": True,
    "error_model": "numpy",
    "boundscheck": False,
}
"""numba options of the kernels: no bounds or division checks, fast (reassociating) math."""
_BLOCK = 2048
"""Fluid cells per work item of the parallel stream-collide loop."""


def kernel_params(dtype, omega_p, omega_m, fx, fy, fz) -> np.ndarray:  # noqa: PLR0913
    """Every constant of :func:`stream_collide`, as an array of the population dtype.

    Handing the constants over as an array of ``dtype`` keeps a float32 run in float32
    arithmetic (numba types Python float literals and scalars as float64).
    """
    gp = 1.0 - 0.5 * omega_p
    gm = 1.0 - 0.5 * omega_m
    return np.array(
        [omega_p, omega_m, fx, fy, fz, gp, gm, 0.5, 1.0, 1.5, 3.0, 4.5, 9.0,
         1.0 / 3.0, 1.0 / 18.0, 1.0 / 36.0],
        dtype=dtype,
    )  # fmt: skip


@numba.njit(inline="always", **_JIT)
def _pair(fout, n, i, p, a, c, cu, cf, hp, hm, k):  # noqa: PLR0913
    """TRT + Guo update of the opposite pair (p, p + 1); ``k`` = weight-scaled constants."""
    e, pw, gw, mw, hw = k
    dp = e + cu * (pw * cu + gw * cf) - hp * (a + c)
    dm = mw * cu + hw * cf - hm * (a - c)
    fout[p * n + i] = a + dp + dm
    fout[(p + 1) * n + i] = c + dp - dm


@numba.njit(parallel=True, **_JIT)
def stream_collide(fin, fout, src, n, par):  # noqa: PLR0915
    """One fused pull-stream + TRT/BGK collide step with a Guo body force.

    Unrolled over the 19 velocities of :data:`porestudio.physics.lbm.lattice.C` (the pair
    order (1,2)=±x, (3,4)=±y, (5,6)=±z, (7,8)=±(1,1,0), (9,10)=±(1,-1,0),
    (11,12)=±(1,0,1), (13,14)=±(1,0,-1), (15,16)=±(0,1,1), (17,18)=±(0,1,-1)).
    All arithmetic runs in the dtype of the populations.

    Parameters
    ----------
    fin, fout : ndarray (19 n + ghosts,)
        Post-collision deviations of the previous step / of this step.
    src : ndarray (19, n)
        Pull table.
    n : int
        Fluid cells.
    par : ndarray
        :func:`kernel_params` (relaxation rates, body force, constants) in the dtype of
        ``fin``.
    """
    omega_p, omega_m, fx, fy, fz, gp, gm, half, one, c15, c3, c45, c9, w0, w1, w2 = par
    hp = half * omega_p
    hm = half * omega_m
    for blk in numba.prange((n + _BLOCK - 1) // _BLOCK):  # contiguous blocks per thread
        for i in range(blk * _BLOCK, min(blk * _BLOCK + _BLOCK, n)):
            f0 = fin[i]  # the rest population never moves: src[0, i] == i
            f1 = fin[src[1, i]]
            f2 = fin[src[2, i]]
            f3 = fin[src[3, i]]
            f4 = fin[src[4, i]]
            f5 = fin[src[5, i]]
            f6 = fin[src[6, i]]
            f7 = fin[src[7, i]]
            f8 = fin[src[8, i]]
            f9 = fin[src[9, i]]
            f10 = fin[src[10, i]]
            f11 = fin[src[11, i]]
            f12 = fin[src[12, i]]
            f13 = fin[src[13, i]]
            f14 = fin[src[14, i]]
            f15 = fin[src[15, i]]
            f16 = fin[src[16, i]]
            f17 = fin[src[17, i]]
            f18 = fin[src[18, i]]
            drho = f0 + f1 + f2 + f3 + f4 + f5 + f6 + f7 + f8 + f9
            drho += f10 + f11 + f12 + f13 + f14 + f15 + f16 + f17 + f18
            mx = f1 - f2 + f7 - f8 + f9 - f10 + f11 - f12 + f13 - f14
            my = f3 - f4 + f7 - f8 - f9 + f10 + f15 - f16 + f17 - f18
            mz = f5 - f6 + f11 - f12 - f13 + f14 + f15 - f16 - f17 + f18
            rho = one + drho
            inv = one / rho
            ux = (mx + half * fx) * inv
            uy = (my + half * fy) * inv
            uz = (mz + half * fz) * inv
            usq = ux * ux + uy * uy + uz * uz
            uf = ux * fx + uy * fy + uz * fz
            # cu-independent part, and the cu / cf coefficients, before the weight
            e = omega_p * (drho - c15 * rho * usq) - c3 * gp * uf
            pc = c45 * omega_p * rho
            gc = c9 * gp
            mc = c3 * omega_m * rho
            hc = c3 * gm
            fout[i] = f0 - omega_p * f0 + w0 * e
            k1 = (w1 * e, w1 * pc, w1 * gc, w1 * mc, w1 * hc)
            k2 = (w2 * e, w2 * pc, w2 * gc, w2 * mc, w2 * hc)
            _pair(fout, n, i, 1, f1, f2, ux, fx, hp, hm, k1)
            _pair(fout, n, i, 3, f3, f4, uy, fy, hp, hm, k1)
            _pair(fout, n, i, 5, f5, f6, uz, fz, hp, hm, k1)
            _pair(fout, n, i, 7, f7, f8, ux + uy, fx + fy, hp, hm, k2)
            _pair(fout, n, i, 9, f9, f10, ux - uy, fx - fy, hp, hm, k2)
            _pair(fout, n, i, 11, f11, f12, ux + uz, fx + fz, hp, hm, k2)
            _pair(fout, n, i, 13, f13, f14, ux - uz, fx - fz, hp, hm, k2)
            _pair(fout, n, i, 15, f15, f16, uy + uz, fy + fz, hp, hm, k2)
            _pair(fout, n, i, 17, f17, f18, uy - uz, fy - fz, hp, hm, k2)


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
def fill_ghosts(f, n, idx, coef, rho_coef, side, rho_in, rho_out):  # noqa: PLR0913
    """Pressure-end ghost slots from their linear stencils (:mod:`.._pressure_ends`).

    ``ghost[k] = sum_m coef[k, m] f[idx[k, m]] + rho_coef[k] (rho_side - 1)``; the
    stencils read populations only, never ghost slots.
    """
    base = Q * n
    for k in range(idx.shape[0]):
        acc = (rho_in if side[k] == 0 else rho_out) - 1.0
        acc *= rho_coef[k]
        for m in range(idx.shape[1]):
            acc += coef[k, m] * f[idx[k, m]]
        f[base + k] = acc
