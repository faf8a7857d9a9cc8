"""Units and axis conventions of porestudio — the one place they are defined.

Arrays are ``(z, y, x)``; reported vectors and tensors are ``(x, y, z)``.
Permeability is carried in lattice units (voxel², i.e. in units of the voxel edge squared)
and converted to m² with the voxel size, or to millidarcy.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from porestudio.errors import InputError

AXES_XYZ: tuple[str, str, str] = ("x", "y", "z")
"""Names of the reported axes, in reporting order."""

Axis = Literal["x", "y", "z"]
PermeabilityUnit = Literal["lu", "m2", "mD", "D"]

DARCY_M2: float = 9.869233e-13
"""One darcy in m²."""
MILLIDARCY_M2: float = DARCY_M2 * 1e-3
"""One millidarcy in m²."""

_UNIT_LABELS: dict[str, str] = {"lu": "voxel²", "m2": "m²", "mD": "mD", "D": "D"}


def array_axis(axis: str) -> int:
    """Index of the array axis (in ``(z, y, x)`` memory order) for a direction name.

    Parameters
    ----------
    axis : {"x", "y", "z"}
        Direction name.

    Returns
    -------
    int
        2 for x, 1 for y, 0 for z.
    """
    try:
        return {"x": 2, "y": 1, "z": 0}[axis]
    except KeyError:
        raise InputError(f"unknown axis {axis!r}; use x, y or z") from None


def xyz_index(axis: str) -> int:
    """Position of a direction in reported ``(x, y, z)`` vectors (0, 1 or 2)."""
    try:
        return AXES_XYZ.index(axis)
    except ValueError:
        raise InputError(f"unknown axis {axis!r}; use x, y or z") from None


def check_voxel_size(voxel_size_m: float | None, *, required: bool = False) -> float | None:
    """Validate a voxel size in metres.

    Parameters
    ----------
    voxel_size_m : float or None
        Edge length of one voxel [m].
    required : bool
        If True, ``None`` is an error (a physical unit was asked for).

    Returns
    -------
    float or None
        The voxel size as a float.
    """
    if voxel_size_m is None:
        if required:
            raise InputError("the voxel size is unknown: give it with --voxel-size (metres)")
        return None
    value = float(voxel_size_m)
    if not np.isfinite(value) or value <= 0.0:
        raise InputError(f"voxel size must be a positive number of metres, got {voxel_size_m!r}")
    if value > 1e-1:
        raise InputError(
            f"voxel size {value} m is larger than 10 cm; give it in metres (e.g. 5e-6)"
        )
    return value


def permeability_from_lattice(
    k_lu: np.ndarray | float, unit: str, voxel_size_m: float | None = None
) -> np.ndarray | float:
    """Convert a permeability from lattice units (voxel²) to ``unit``.

    Parameters
    ----------
    k_lu : array_like or float
        Permeability in lattice units [voxel²].
    unit : {"lu", "m2", "mD", "D"}
        Target unit.
    voxel_size_m : float, optional
        Voxel edge [m]; required for every unit but ``"lu"``.

    Returns
    -------
    ndarray or float
        Permeability in the requested unit.
    """
    if unit == "lu":
        return k_lu
    dx = check_voxel_size(voxel_size_m, required=True)
    k_m2 = np.asarray(k_lu, dtype=float) * dx * dx
    if unit == "m2":
        pass
    elif unit == "mD":
        k_m2 = k_m2 / MILLIDARCY_M2
    elif unit == "D":
        k_m2 = k_m2 / DARCY_M2
    else:
        raise InputError(f"unknown permeability unit {unit!r}; use lu, m2, mD or D")
    return float(k_m2) if np.ndim(k_m2) == 0 else k_m2


def unit_label(unit: str) -> str:
    """Human-readable label of a permeability unit (``"lu"`` → ``"voxel²"``)."""
    return _UNIT_LABELS.get(unit, unit)
