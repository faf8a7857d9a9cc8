"""An independent dense D3Q19 TRT, the reference of the sparse kernel in validate_lbm.py."""

from __future__ import annotations

import numpy as np


def dense_trt_k(pore: np.ndarray, tau: float, steps: int) -> float:
    """k_xx of a textbook dense D3Q19 TRT (Λ = 3/16, Guo force, halfway bounce-back by
    ``np.roll``), written independently of porestudio's lattice tables; float64."""
    import itertools

    vel = [(0, 0, 0)] + [
        v for v in itertools.product((-1, 0, 1), repeat=3) if 0 < np.abs(v).sum() < 3
    ]
    c = np.array(vel, dtype=float)
    w = np.array([1 / 3] + [1 / 18 if np.abs(v).sum() == 1 else 1 / 36 for v in vel[1:]])
    opp = np.array([vel.index(tuple(-np.array(v))) for v in vel])
    om_p = 1 / tau
    om_m = 1 / (0.5 + (3 / 16) / (tau - 0.5))
    force = 2e-5 * (tau - 0.5) / 3
    solid = ~pore
    wq = w[:, None, None, None]
    f = np.tile(wq, (1, *pore.shape))
    shifted = [np.roll(solid, (int(v[2]), int(v[1]), int(v[0])), axis=(0, 1, 2)) for v in c]
    for _ in range(steps):
        rho = f.sum(0)
        ux = ((f * c[:, 0, None, None, None]).sum(0) + 0.5 * force) / rho
        uy = (f * c[:, 1, None, None, None]).sum(0) / rho
        uz = (f * c[:, 2, None, None, None]).sum(0) / rho
        cu = c[:, 0, None, None, None] * ux + c[:, 1, None, None, None] * uy
        cu = cu + c[:, 2, None, None, None] * uz
        feq = wq * rho * (1 + 3 * cu + 4.5 * cu**2 - 1.5 * (ux**2 + uy**2 + uz**2))
        cf = c[:, 0, None, None, None] * force
        src = wq * (3 * (cf - ux * force) + 9 * cu * cf)
        sym = lambda a: 0.5 * (a + a[opp])  # noqa: E731
        post = f - om_p * (sym(f) - sym(feq)) - om_m * (f - sym(f) - feq + sym(feq))
        post += (1 - om_p / 2) * sym(src) + (1 - om_m / 2) * (src - sym(src))
        for q, v in enumerate(c):
            f[q] = np.roll(post[q], (int(v[2]), int(v[1]), int(v[0])), axis=(0, 1, 2))
            f[q][shifted[q]] = post[opp[q]][shifted[q]]
        f[:, solid] = w[:, None]
    ux = ((f * c[:, 0, None, None, None]).sum(0) + 0.5 * force) / f.sum(0)
    return (tau - 0.5) / 3 * ux[pore].sum() / pore.size / force
