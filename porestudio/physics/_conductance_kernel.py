"""Numba kernel of :mod:`porestudio.physics.conductance`: block Jacobi-preconditioned CG.

One pass over the CSR matrix per iteration for all right-hand sides, the vector updates
fused into a second pass: the numpy form of the same iteration made ~10 temporary arrays
per step and spent most of its time allocating and re-reading them.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def block_pcg(indptr, indices, data, rhs, dinv, rtol, maxiter):  # noqa: PLR0913
    """Solve ``A x = rhs`` column by column (A symmetric positive semi-definite, CSR).

    Parameters
    ----------
    indptr, indices, data : ndarray
        The CSR arrays of A (m × m).
    rhs : ndarray (m, k)
        Right-hand sides.
    dinv : ndarray (m,)
        Inverse diagonal of A (the Jacobi preconditioner).
    rtol : float
        Stop when every residual is below ``rtol`` times its right-hand side's norm.
    maxiter : int
        Iteration limit.

    Returns
    -------
    (x, iterations) : (ndarray (m, k), int)
        ``iterations == maxiter`` when it stopped at the limit.
    """
    m, k = rhs.shape
    x = np.zeros((m, k))
    r = rhs.copy()
    d = np.empty((m, k))
    q = np.empty((m, k))
    rz = np.zeros(k)
    goal = np.zeros(k)
    rr = np.zeros(k)
    for i in range(m):
        for c in range(k):
            z = dinv[i] * r[i, c]
            d[i, c] = z
            rz[c] += r[i, c] * z
            goal[c] += rhs[i, c] * rhs[i, c]
    for c in range(k):
        goal[c] = rtol * rtol * goal[c]
        rr[c] = goal[c] / (rtol * rtol)
    for it in range(maxiter):
        done = True
        for c in range(k):
            if rr[c] > goal[c]:
                done = False
        if done:
            return x, it
        pq = np.zeros(k)
        for i in range(m):
            for c in range(k):
                q[i, c] = 0.0
            for jj in range(indptr[i], indptr[i + 1]):
                a = data[jj]
                j = indices[jj]
                for c in range(k):
                    q[i, c] += a * d[j, c]
            for c in range(k):
                pq[c] += d[i, c] * q[i, c]
        alpha = np.zeros(k)
        for c in range(k):
            if pq[c] > 0:
                alpha[c] = rz[c] / pq[c]
        rz_new = np.zeros(k)
        rr[:] = 0.0
        for i in range(m):
            for c in range(k):
                x[i, c] += alpha[c] * d[i, c]
                r[i, c] -= alpha[c] * q[i, c]
                rz_new[c] += r[i, c] * dinv[i] * r[i, c]
                rr[c] += r[i, c] * r[i, c]
        beta = np.zeros(k)
        for c in range(k):
            if rz[c] > 0:
                beta[c] = rz_new[c] / rz[c]
            rz[c] = rz_new[c]
        for i in range(m):
            for c in range(k):
                d[i, c] = dinv[i] * r[i, c] + beta[c] * d[i, c]
    return x, maxiter
