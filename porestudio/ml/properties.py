"""Property names the models learn, their units, and where they live in a dataset.

Permeability components are in lattice units (voxel²) and named ``k_<row><col>`` with rows
and columns in (x, y, z) order, as the stored tensor ``permeability_lu[:, i, j]``.
"""

from __future__ import annotations

import numpy as np

from porestudio.errors import InputError

POROSITY = "porosity"
DIAGONAL = ("k_xx", "k_yy", "k_zz")
OFF_DIAGONAL = ("k_xy", "k_xz", "k_yz")
PERMEABILITY = DIAGONAL + OFF_DIAGONAL
ALL = (POROSITY, *PERMEABILITY)

UNITS: dict[str, str] = {POROSITY: "1", **{k: "voxel^2" for k in PERMEABILITY}}
"""Unit of each property (``"1"`` = dimensionless, ``"voxel^2"`` = lattice units)."""

_XYZ = {"x": 0, "y": 1, "z": 2}


def check_name(name: str) -> str:
    """``name`` if it is a known property, else InputError."""
    if name not in UNITS:
        raise InputError(f"unknown property {name!r}; use one of {', '.join(ALL)}")
    return name


def is_permeability(name: str) -> bool:
    """Whether ``name`` is a permeability component."""
    return name in PERMEABILITY


def is_diagonal(name: str) -> bool:
    """Whether ``name`` is a diagonal permeability component (positive when percolating)."""
    return name in DIAGONAL


def tensor_index(name: str) -> tuple[int, int]:
    """(row, col) of a permeability component in the (x, y, z) tensor."""
    check_name(name)
    if not is_permeability(name):
        raise InputError(f"{name!r} is not a permeability component")
    return _XYZ[name[2]], _XYZ[name[3]]


def from_dataset_arrays(
    names: tuple[str, ...], porosity: np.ndarray, k_lu: np.ndarray | None
) -> np.ndarray:
    """Stack the named properties as columns ``(n, len(names))`` float64.

    Parameters
    ----------
    names : tuple of str
        Property names.
    porosity : ndarray (n,)
        Stored porosity [1].
    k_lu : ndarray (n, 3, 3) or None
        Stored permeability tensor [voxel²], (x, y, z) order; NaN = not computed.
    """
    cols = []
    for name in names:
        if name == POROSITY:
            cols.append(np.asarray(porosity, dtype=np.float64))
            continue
        if k_lu is None:
            raise InputError(f"the dataset has no permeability labels for {name}")
        r, c = tensor_index(name)
        cols.append(np.asarray(k_lu[:, r, c], dtype=np.float64))
    return np.stack(cols, axis=1) if cols else np.zeros((len(porosity), 0))


def symmetric_tensor(values: dict[str, np.ndarray]) -> np.ndarray | None:
    """(n, 3, 3) permeability tensors from predicted components (NaN where not predicted).

    Off-diagonals are mirrored, so the tensor is symmetric by construction. None when no
    permeability component is present.
    """
    comps = [k for k in PERMEABILITY if k in values]
    if not comps:
        return None
    n = len(np.asarray(values[comps[0]]))
    out = np.full((n, 3, 3), np.nan)
    for name in comps:
        r, c = tensor_index(name)
        out[:, r, c] = out[:, c, r] = np.asarray(values[name], dtype=np.float64)
    return out
