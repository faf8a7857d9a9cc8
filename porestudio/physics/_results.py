"""Result records of :mod:`porestudio.physics.permeability` (re-exported there).

``RunInfo`` describes one directional computation; ``PermeabilityResult`` holds the
tensor in (x, y, z) order with NaN for entries that were not computed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from porestudio.physics.tensor import TensorSummary, summarize
from porestudio.units import DARCY_M2, permeability_from_lattice

SIDE_NAMES = {
    "noslip": "no-slip sides",
    "freeslip": "free-slip sides",
    "periodic": "periodic sides",
}
"""The boundary mode of a run in words."""


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """One directional computation of a permeability result.

    Attributes
    ----------
    axis : str
        Driving direction ("x", "y" or "z").
    side_bc : str
        "noslip", "freeslip" or "periodic" side faces.
    method : str
        "lbm", "stokes2d" or "none" (shortcut, nothing ran).
    steps, residual, converged, seconds, mflups, mlups, backend
        LBM run statistics (zero / empty for other methods).
    note : str
        Why a shortcut was taken, or how the run was reduced.
    """

    axis: str
    side_bc: str
    method: str
    steps: int = 0
    residual: float = 0.0
    converged: bool = True
    seconds: float = 0.0
    mflups: float = 0.0
    mlups: float = 0.0
    backend: str = ""
    note: str = ""

    @property
    def boundary(self) -> str:
        """The run's boundary mode in words (e.g. "no-slip sides")."""
        return SIDE_NAMES.get(self.side_bc, self.side_bc)

    def describe(self) -> str:
        """One line: axis, boundary mode, and what ran (or "skipped" and why)."""
        where = f"{self.axis} ({self.boundary})"
        if self.method == "none":
            return f"{where}: skipped ({self.note})"
        note = f" ({self.note})" if self.note else ""
        if self.method != "lbm":
            return f"{where}: {self.method}, {self.seconds:.2f} s{note}"
        state = "converged" if self.converged else "NOT converged"
        return (
            f"{where}: lbm {self.backend}, {self.steps} steps, {state} (residual "
            f"{self.residual:.1e}), {self.seconds:.2f} s, {self.mflups:.1f} MFLUPS{note}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {**dataclasses.asdict(self), "boundary": self.boundary}


@dataclasses.dataclass(frozen=True, eq=False)
class PermeabilityResult:
    """Permeability tensor, (x, y, z) order; NaN = not computed.

    Attributes
    ----------
    k_lu : ndarray (3, 3)
        Permeability in lattice units [voxel²].
    k_m2 : ndarray (3, 3) or None
        Permeability [m²] when the voxel size is known.
    porosity : float
        Pore fraction.
    method : str
        "lbm", "stokes2d", "lbm+stokes2d" or "none" (nothing had to run).
    mode : str
        "kuhn" or "periodic".
    tensor : bool
        Whether off-diagonals were computed.
    runs : tuple of RunInfo
        Every directional computation.
    notes : tuple of str
        Shortcuts taken (non-percolating axes, all-solid structure...).
    voxel_size_m : float or None
        Voxel edge [m].
    """

    k_lu: np.ndarray
    k_m2: np.ndarray | None
    porosity: float
    method: str
    mode: str
    tensor: bool
    runs: tuple[RunInfo, ...]
    notes: tuple[str, ...] = ()
    voxel_size_m: float | None = None

    @property
    def asymmetry(self) -> float:
        """‖K − Kᵀ‖ / ‖K‖ (Frobenius); NaN unless the full tensor was computed."""
        s = self.principal
        return float("nan") if s is None else s.asymmetry

    @property
    def principal(self) -> TensorSummary | None:
        """Asymmetry, principal values [voxel²] and directions; None without a full tensor."""
        return summarize(self.k_lu)

    @property
    def k_darcy(self) -> np.ndarray | None:
        """Permeability [darcy] when the voxel size is known."""
        return None if self.k_m2 is None else self.k_m2 / DARCY_M2

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN → None)."""
        return {
            "porosity": self.porosity,
            "method": self.method,
            "mode": self.mode,
            "tensor": self.tensor,
            "voxel_size_m": self.voxel_size_m,
            "k_lu": _jsonable(self.k_lu),
            "k_m2": None if self.k_m2 is None else _jsonable(self.k_m2),
            "k_darcy": None if self.k_darcy is None else _jsonable(self.k_darcy),
            "asymmetry": None if np.isnan(self.asymmetry) else self.asymmetry,
            "eigenvalues_lu": None if self.principal is None else self.principal.eigenvalues,
            "principal_directions": None if self.principal is None else self.principal.directions,
            "runs": [r.to_dict() for r in self.runs],
            "notes": list(self.notes),
        }


def build_result(
    k: np.ndarray,
    dx: float | None,
    porosity: float,
    mode: str,
    tensor: bool,
    runs: list[RunInfo],
    notes: list[str],
) -> PermeabilityResult:
    """Assemble a result; ``method`` joins the methods that ran, ``k_m2 = k · dx²``."""
    methods = sorted({r.method for r in runs if r.method != "none"})
    method = "+".join(methods) if methods else "none"
    k_m2 = None if dx is None else np.asarray(permeability_from_lattice(k, "m2", dx))
    return PermeabilityResult(
        k_lu=k, k_m2=k_m2, porosity=porosity, method=method, mode=mode, tensor=tensor,
        runs=tuple(runs), notes=tuple(notes), voxel_size_m=dx,
    )  # fmt: skip


def _jsonable(arr: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else float(v) for v in row] for row in np.asarray(arr)]
