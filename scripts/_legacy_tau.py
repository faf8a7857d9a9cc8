"""The automatic τ porestudio used before the viscous/pressure balance (for side-by-side runs)."""

from __future__ import annotations

import numpy as np


def legacy_tau(pore: np.ndarray) -> float:
    """The automatic τ of porestudio before 2026-11-27 (ν = 0.075 φ d², τ in [0.6, 6])."""
    from scipy import ndimage

    pad = np.pad(pore, 1, mode="wrap")
    depth = ndimage.distance_transform_edt(pad)[1:-1, 1:-1, 1:-1][pore]
    nu = 0.075 * float(pore.mean()) * float(depth.mean()) ** 2
    return float(np.clip(0.5 + 3.0 * nu, 0.6, 6.0))
