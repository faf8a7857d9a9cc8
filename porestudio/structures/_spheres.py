"""Random sphere structures (overlapping Boolean model or non-overlapping random packing).

Spheres with uniformly random real-valued centres are added one after the other; a voxel
belongs to a sphere when its centre ``(i + ½)`` lies within ``radius_vox`` of the sphere's
centre. Spheres are added until the sphere phase reaches its target volume fraction; the
last sphere is grown only partly (its voxels nearest to its centre first) so the porosity
is hit to one voxel. Non-overlapping spheres are drawn by random sequential addition
(a candidate closer than ``2 × radius_vox`` to an earlier centre is rejected); this jams
near a sphere fraction of 0.38, so lower porosities are refused after bounded attempts.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from porestudio.errors import InputError
from porestudio.structures._params import check_int, check_porosity, check_seed, check_shape
from porestudio.structures.volume import Structure
from porestudio.units import check_voxel_size

_MAX_MISSES = 20_000
"""Consecutive rejected candidates after which a non-overlapping packing counts as jammed."""


def spheres(
    seed: int,
    *,
    shape: tuple[int, int, int] | int = (100, 100, 100),
    porosity: float = 0.5,
    radius_vox: float = 8.0,
    overlapping: bool = True,
    phase: Literal["solid", "pore"] = "solid",
    periodic: bool = False,
    voxel_size_m: float | None = None,
    index: int = 0,
) -> Structure:
    """Random spheres of one phase in a matrix of the other, at an exact porosity.

    Parameters
    ----------
    seed : int
        Non-negative seed; centres come from ``default_rng([seed, index])``.
    shape : (nz, ny, nx) or int
        Volume shape [voxels].
    porosity : float
        Pore volume fraction in (0, 1); hit to within one voxel.
    radius_vox : float
        Sphere radius [voxels], at least 0.5.
    overlapping : bool
        True: centres independent (Boolean model). False: non-overlapping random packing.
    phase : {"solid", "pore"}
        "solid": solid grains in pore space (bead pack); "pore": spherical pores in a
        solid matrix (foam / Swiss cheese).
    periodic : bool
        True: spheres wrap around the faces (the structure tiles periodically). False:
        centres are drawn in the domain grown by one radius, so faces are not depleted.
    voxel_size_m : float, optional
        Voxel edge [m].
    index : int
        Sample index within the seed's sequence.

    Returns
    -------
    Structure
        Provenance: generator ``"spheres"``, parameters, number of spheres, seed, index.
    """
    seed = check_seed(seed)
    index = check_int(index, "index", minimum=0)
    dims = check_shape(shape)
    porosity = check_porosity(porosity)
    radius = float(radius_vox)
    if not np.isfinite(radius) or radius < 0.5:
        raise InputError(f"radius_vox must be at least 0.5 voxel, got {radius_vox!r}")
    if periodic and 2.0 * radius + 1.0 > min(dims):
        raise InputError(f"radius_vox {radius} is too large for a periodic volume of shape {dims}")
    if phase not in ("solid", "pore"):
        raise InputError(f"phase must be 'solid' or 'pore', got {phase!r}")
    voxel_size_m = check_voxel_size(voxel_size_m)
    fraction = 1.0 - porosity if phase == "solid" else porosity
    target = int(round(fraction * np.prod(dims)))
    packer = _Packer(dims, radius, periodic, overlapping, np.random.default_rng([seed, index]))
    covered, n_spheres = packer.fill(target)
    pore = ~covered if phase == "solid" else covered
    provenance = {
        "generator": "spheres",
        "params": {
            "shape": list(dims),
            "porosity": porosity,
            "radius_vox": radius,
            "overlapping": bool(overlapping),
            "phase": phase,
            "periodic": bool(periodic),
        },
        "n_spheres": n_spheres,
        "seed": seed,
        "index": index,
    }
    return Structure(pore, voxel_size_m, provenance)


class _Packer:
    """Adds spheres to a boolean volume until a voxel count is reached."""

    def __init__(
        self,
        dims: tuple[int, int, int],
        radius: float,
        periodic: bool,
        overlapping: bool,
        rng: np.random.Generator,
    ) -> None:
        self.dims = np.array(dims)
        self.radius = radius
        self.periodic = periodic
        self.overlapping = overlapping
        self.rng = rng
        self.covered = np.zeros(dims, dtype=bool)
        self.centres = np.empty((64, 3))
        self.n = 0

    def fill(self, target: int) -> tuple[np.ndarray, int]:
        """Add spheres until ``target`` voxels are covered; returns (mask, sphere count)."""
        count = 0
        misses = 0
        while count < target:
            centre = self._draw()
            if not self.overlapping and self._clashes(centre):
                misses += 1
                if misses > _MAX_MISSES:
                    raise InputError(
                        "non-overlapping spheres jammed before reaching the porosity; "
                        "use overlapping spheres, a higher sphere-phase porosity or a "
                        "smaller radius"
                    )
                continue
            misses = 0
            self._keep(centre)
            count += self._paint(centre, target - count)
        return self.covered, self.n

    def _keep(self, centre: np.ndarray) -> None:
        if self.n == len(self.centres):
            self.centres = np.concatenate([self.centres, np.empty_like(self.centres)])
        self.centres[self.n] = centre
        self.n += 1

    def _draw(self) -> np.ndarray:
        if self.periodic:
            return self.rng.uniform(0.0, 1.0, 3) * self.dims
        return self.rng.uniform(-self.radius, self.dims + self.radius)

    def _clashes(self, centre: np.ndarray) -> bool:
        if not self.n:
            return False
        delta = np.abs(self.centres[: self.n] - centre)
        if self.periodic:
            delta = np.minimum(delta, self.dims - delta)
        return bool((np.einsum("ij,ij->i", delta, delta) < (2.0 * self.radius) ** 2).any())

    def _paint(self, centre: np.ndarray, budget: int) -> int:
        """Cover the sphere's voxels (at most ``budget`` new ones); returns how many."""
        axes, dist2 = [], 0.0
        for a in range(3):
            lo = int(np.floor(centre[a] - self.radius - 0.5))
            hi = int(np.ceil(centre[a] + self.radius - 0.5))
            idx = np.arange(lo, hi + 1)
            d = idx + 0.5 - centre[a]
            if self.periodic:
                idx = idx % self.dims[a]
            else:
                keep = (idx >= 0) & (idx < self.dims[a])
                idx, d = idx[keep], d[keep]
            axes.append(idx)
            shape = [1, 1, 1]
            shape[a] = d.size
            dist2 = dist2 + (d**2).reshape(shape)
        box = np.ix_(*axes)
        new = (dist2 <= self.radius**2) & ~self.covered[box]
        n_new = int(np.count_nonzero(new))
        if n_new > budget:
            flat = np.flatnonzero(new)
            order = np.argsort(np.broadcast_to(dist2, new.shape).ravel()[flat], kind="stable")
            new = np.zeros(new.size, dtype=bool)
            new[flat[order[:budget]]] = True
            new = new.reshape(dist2.shape)
            n_new = budget
        sub = self.covered[box]
        sub |= new
        self.covered[box] = sub
        return n_new
