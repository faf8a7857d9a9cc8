"""Kuhn-mode off-diagonal permeabilities from free-slip runs (used by ``permeability``).

Method
------
A run driven along ``j`` by the body force ``F e_j`` between free-slip (specular) side
walls cannot carry a net transverse flux: its transverse superficial velocities vanish.
Instead the walls hold a transverse mean pressure gradient ``∇P``. Darcy's law of the
homogenised medium, ``ν ⟨u⟩ = K (F e_j − ∇P)``, links the three runs:
``ν U = K G`` with ``U[:, j] = ⟨u⟩_j`` and ``G[:, j] = F e_j − ∇P_j``, so
``K_slip = ν U G⁻¹``.

``∇P`` comes from the wall momentum exchange ``W`` (``FlowResult.wall_force_xyz``,
:func:`porestudio.physics.lbm.lattice.boundary_momentum` over the specular links). For the
walls normal to axis ``i``, ``W_i = A_lo p_lo − A_hi p_hi``, where ``A`` is the
pressure-weighted fluid area of each wall
(:func:`porestudio.physics.lbm.lattice.specular_wall_areas`: faces whose reflected link
lands on solid carry no fluid pressure) and ``p`` the mean pressure of its wall layer.
The rest-state part ``(A_lo − A_hi) / 3`` is subtracted exactly, leaving the dynamic
part; with a linear mean pressure ``p = p̄ + ∂_i P (x_i − x̄_i)`` about the fluid
centroid ``x̄_i``, ``∂_i P = −W_dyn,i / (A_lo (x̄_i − 0) + A_hi (n_i − 1 − x̄_i))``.
(Dividing ``W`` by the fluid cell count instead mixes the hydrostatic pressure 1/3
acting on unequal wall areas into ``∇P`` and is wrong by orders of magnitude.)

Accuracy: the wall layers perturb the flow over about one pore, so ``K_slip`` tends to
the periodic tensor as (pore size / sample width); its off-diagonals come out slightly
non-symmetric, and the mean of ``k_ij`` and ``k_ji`` is the better estimate. Inclined
perforated plates, periodic k_xy = 0.512: 6 periods wide k_xy / k_yx = −4.7 / +12.4 %
(mean +3.8 %), 12 periods wide −2.3 / +6.0 % (mean +1.9 %). For random media the wall
layer is about a correlation length thick; the asymmetry ‖K − Kᵀ‖/‖K‖ of the result
indicates the size of this error (scripts/validate_lbm.py, docs/validation_lbm.md).
"""

from __future__ import annotations

import numpy as np

from porestudio.physics.lbm.flow import FlowResult
from porestudio.physics.lbm.lattice import specular_wall_areas
from porestudio.units import AXES_XYZ, array_axis, xyz_index


def kuhn_off_diagonals(
    k: np.ndarray, slip: dict[str, FlowResult], pore: np.ndarray, nu: float, force: float
) -> list[str]:
    """Write the off-diagonals of ``k`` from the free-slip runs (in place).

    Parameters
    ----------
    k : ndarray (3, 3)
        Tensor whose off-diagonal entries are set (diagonal untouched).
    slip : dict
        Free-slip FlowResult per driving axis name; axes without one (not percolating,
        or extruded: zero by symmetry) get zero off-diagonals.
    pore : ndarray of bool (nz, ny, nx)
        The structure the runs were made on.
    nu, force : float
        Viscosity and body force of the runs (lattice units).

    Returns
    -------
    list of str
        Notes (e.g. a backend that reported no wall force).
    """
    off = ~np.eye(3, dtype=bool)
    k[off] = 0.0
    done = [xyz_index(a) for a in AXES_XYZ if a in slip]
    if len(done) < 2:
        return []
    u = np.zeros((3, 3))
    g = np.zeros((3, 3))
    for a, flow in slip.items():
        if flow.wall_force_xyz is None:
            k[off] = np.nan
            return [f"backend {flow.backend} reports no wall force: Kuhn off-diagonals unknown"]
        j = xyz_index(a)
        u[:, j] = nu * np.asarray(flow.mean_velocity_xyz)
        g[:, j] = wall_driving(pore, a, np.asarray(flow.wall_force_xyz))
        g[j, j] = force
    sel = np.ix_(done, done)
    k_slip = u[sel] @ np.linalg.inv(g[sel])
    for r, i in enumerate(done):
        for c, j in enumerate(done):
            if i != j:
                k[i, j] = k_slip[r, c]
    return []


def wall_driving(pore: np.ndarray, axis: str, wall_force_xyz: np.ndarray) -> np.ndarray:
    """Transverse driving ``−∇P`` (x, y, z) that free-slip walls hold in a run along ``axis``.

    Parameters
    ----------
    pore : ndarray of bool (nz, ny, nx)
        Structure of the run.
    axis : {"x", "y", "z"}
        Driving direction (its entry of the result is 0).
    wall_force_xyz : ndarray (3,)
        Side-wall momentum exchange per step (``FlowResult.wall_force_xyz``).

    Returns
    -------
    ndarray (3,)
        Minus the mean pressure gradient along each wall normal, lattice units
        (force per fluid volume, comparable with the body force).
    """
    low, high = specular_wall_areas(pore, axis)
    drive = np.zeros(3)
    for name in AXES_XYZ:
        if name == axis:
            continue
        i, a = xyz_index(name), array_axis(name)
        n = pore.shape[a]
        centre = _fluid_centroid(pore, a)
        lever = low[i] * centre + high[i] * (n - 1 - centre)
        dynamic = wall_force_xyz[i] - (low[i] - high[i]) / 3.0
        drive[i] = dynamic / lever if lever > 0 else 0.0
    return drive


def _fluid_centroid(pore: np.ndarray, a: int) -> float:
    """Mean coordinate of the fluid voxels along array axis ``a``."""
    other = tuple(d for d in range(3) if d != a)
    counts = np.count_nonzero(pore, axis=other)
    return float(np.arange(pore.shape[a]) @ counts / max(counts.sum(), 1))
