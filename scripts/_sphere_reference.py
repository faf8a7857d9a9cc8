"""Simple-cubic sphere cells and their Zick & Homsy (1982) reference permeability.

Used by ``validate_lbm.py`` and ``gpu_bench.py``. Drag K of Zick & Homsy (table 2) at the
table points; between them the Sangani & Acrivos (1982) series times the interpolated
Zick–Homsy / series ratio (``sc_drag``); k = L³ / (6π a K).
"""

from __future__ import annotations

import numpy as np

ZICK_HOMSY_SC = {0.027: 2.008, 0.064: 2.810, 0.125: 4.292, 0.216: 7.442, 0.343: 15.4, 0.45: 28.1}


def sphere_cell(n: int, c: float) -> np.ndarray:
    """Sphere of solid fraction ``c`` centred on the cell centre (a voxel corner for even
    ``n``); a voxel is solid when its centre lies inside the sphere (distance ≤ radius)."""
    a = n * (3 * c / (4 * np.pi)) ** (1 / 3)
    x = np.arange(n) + 0.5 - n / 2
    z, y, xx = np.meshgrid(x, x, x, indexing="ij")
    return (xx * xx + y * y + z * z) > a * a


def sangani_acrivos(c: float) -> float:
    """Dilute series of the SC drag, K = 1 / (1 − 1.7601 c^⅓ + c − 1.5593 c² + ...)."""
    s = c ** (1 / 3)
    return 1 / (1 - 1.7601 * s + c - 1.5593 * c**2 + 3.9799 * c ** (8 / 3) - 3.0734 * c ** (10 / 3))


def sc_drag(c_nominal: float, c_voxel: float) -> float:
    """Reference drag K at the voxel solid fraction.

    ``K_series(c_voxel) · r(c_nominal)`` with ``r`` = Zick–Homsy / series: the table ratio
    at table points; between 0.125 and 0.343 ``ln r = ln r(0.216) (c / 0.216)^β`` through
    the 0.216 and 0.343 entries (it reproduces the 0.125 entry to 0.01 %). The series
    carries the small step from the nominal to the voxel fraction.
    """
    if c_nominal in ZICK_HOMSY_SC:
        ratio = ZICK_HOMSY_SC[c_nominal] / sangani_acrivos(c_nominal)
    else:
        r1 = np.log(ZICK_HOMSY_SC[0.216] / sangani_acrivos(0.216))
        r2 = np.log(ZICK_HOMSY_SC[0.343] / sangani_acrivos(0.343))
        beta = np.log(r2 / r1) / np.log(0.343 / 0.216)
        ratio = float(np.exp(r1 * (c_nominal / 0.216) ** beta))
    return sangani_acrivos(c_voxel) * ratio


def k_sphere_reference(n: int, c_nominal: float, c_voxel: float) -> float:
    """k = L³ / (6π a K) with the radius of the sphere of the voxel volume."""
    a = n * (3 * c_voxel / (4 * np.pi)) ** (1 / 3)
    return n**3 / (6 * np.pi * a * sc_drag(c_nominal, c_voxel))


def sphere_level_set(n: int, c: float) -> np.ndarray:
    """Signed distance to the sphere of :func:`sphere_cell` (> 0 in the fluid), voxels."""
    a = n * (3 * c / (4 * np.pi)) ** (1 / 3)
    x = np.arange(n) + 0.5 - n / 2
    z, y, xx = np.meshgrid(x, x, x, indexing="ij")
    return np.sqrt(xx * xx + y * y + z * z) - a
