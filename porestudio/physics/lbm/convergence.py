"""The stopping rule every LBM backend shares.

After every ``check_every`` steps a backend hands over the superficial velocity
(x, y, z). The change since the previous check, largest over the three components and
relative to the component along the driving axis, is the check's residual; the run has
converged when ``WINDOW`` consecutive residuals are below ``tol``. Taking every component
makes the transverse velocities (the off-diagonal permeabilities of a periodic run)
converge to the same absolute level as the main one; the window keeps an oscillating
approach (pressure waves at small τ) from stopping at a turning point, where a single
difference can be momentarily small.
"""

from __future__ import annotations

import numpy as np

WINDOW: int = 3
"""Consecutive checks that must all be below the tolerance."""


class Convergence:
    """Residual bookkeeping of one run (see module docstring).

    Parameters
    ----------
    axis_xyz : int
        Driving axis as an (x, y, z) index.
    tol : float
        Tolerance on the relative change per check.
    """

    def __init__(self, axis_xyz: int, tol: float) -> None:
        self.axis = int(axis_xyz)
        self.tol = float(tol)
        self.previous = np.zeros(3)  # the fluid starts at rest
        self.recent: list[float] = []

    def update(self, mean_xyz: np.ndarray) -> float:
        """Record one check; returns the residual (largest of the last ``WINDOW``)."""
        mean = np.asarray(mean_xyz, dtype=np.float64)
        main = abs(float(mean[self.axis]))
        change = np.inf if main == 0.0 else float(np.abs(mean - self.previous).max()) / main
        self.previous = mean
        self.recent = [*self.recent[-(WINDOW - 1) :], change]
        return self.residual

    @property
    def residual(self) -> float:
        """Largest relative change over the last ``WINDOW`` checks (inf before any)."""
        return max(self.recent) if self.recent else float(np.inf)

    @property
    def converged(self) -> bool:
        """Whether ``WINDOW`` consecutive residuals are all below the tolerance."""
        return len(self.recent) == WINDOW and self.residual < self.tol
