"""The sparse D3Q19 lattice shared by every LBM backend (pure numpy, no numba).

Layout (the contract the CPU and GPU kernels consume)
-----------------------------------------------------
* **Velocities** ``C`` (19, 3) int, components ordered ``(x, y, z)``. Index 0 is the
  rest particle; ``1..18`` come in opposite pairs ``(1, 2), (3, 4), ..., (17, 18)``, so
  ``OPP[q] = q + 1`` for odd ``q`` and ``q - 1`` for even ``q > 0``. Weights ``W``: 1/3
  (rest), 1/18 (``q = 1..6``, axis neighbours), 1/36 (``q = 7..18``, edge diagonals).
* **Fluid cells only** (indirect addressing). ``index`` is a dense int32 map of the
  voxel array ``(nz, ny, nx)`` with the fluid number of each pore voxel and ``-1`` for
  solid; fluid numbers follow C order of the voxels. ``coords`` (n_fluid, 3) int32
  holds the ``(z, y, x)`` position of every fluid cell.
* **Populations** are one flat array, structure of arrays: population ``q`` of fluid
  cell ``i`` lives at ``q * n_fluid + i``. Pressure driving appends ``n_ghost`` ghost
  slots after the ``19 * n_fluid`` populations (see below).
* **Pull streaming** ``src`` (19, n_fluid), int32 (int64 when ``19 * n_fluid`` does not
  fit): the new pre-collision population ``q`` of cell ``i`` is the old post-collision
  value at flat index ``src[q, i]``. Every boundary condition is baked in:

  - periodic wrap: the source cell is the wrapped neighbour ``x - c_q``;
  - halfway bounce-back on a solid link: ``src = OPP[q] * n_fluid + i`` (own cell,
    opposite direction);
  - no-slip side wall (``side_bc="noslip"``): a source outside a face parallel to the
    flow is a bounce-back link, the wall lies halfway beyond the boundary cells;
  - free-slip side wall (``side_bc="freeslip"``): specular reflection at the halfway
    wall — the velocity component normal to that wall flips, tangential components are
    kept, the source cell keeps its own coordinate along the wall normal; if the
    reflected source is solid the link bounces back;
  - pressure ends (``driving="pressure"``): a source beyond the inlet/outlet face
    points to a ghost slot ``19 * n_fluid + k`` (``ghost_q``, ``ghost_cell``,
    ``ghost_side`` = 0 inlet / 1 outlet); before each step a backend fills
    ``ghost[k] = sum_m ghost_coef[k, m] f[ghost_idx[k, m]] + ghost_rho[k] (rho_side - 1)``,
    a linear stencil of the Zou–He rule (default) or of anti-bounce-back
    (:mod:`porestudio.physics.lbm.pressure_ends`).

  Without ghost slots ``src`` is a permutation of ``range(19 * n_fluid)``: streaming
  conserves mass exactly.
* ``kind`` (19, n_fluid) int8 classifies every link (:data:`STREAM`, :data:`SOLID_BB`,
  :data:`WALL_BB`, :data:`WALL_SPECULAR`, :data:`OPEN_END`); kernels do not need it,
  the momentum-exchange diagnostics do.
* Backends store **deviations** ``f_q - W[q]`` (better float32 accuracy); every rule
  above is linear and maps ``W`` onto itself, so it applies unchanged.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from porestudio.errors import InputError
from porestudio.physics.lbm.pressure_ends import PRESSURE_RULES, ghost_stencil
from porestudio.physics.lbm.subvoxel import check_level_set, wall_stencils
from porestudio.units import array_axis, xyz_index

C: np.ndarray = np.array(
    [
        (0, 0, 0),
        (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1),
        (1, 1, 0), (-1, -1, 0), (1, -1, 0), (-1, 1, 0),
        (1, 0, 1), (-1, 0, -1), (1, 0, -1), (-1, 0, 1),
        (0, 1, 1), (0, -1, -1), (0, 1, -1), (0, -1, 1),
    ],
    dtype=np.int64,
)  # fmt: skip
"""D3Q19 velocities (19, 3), components (x, y, z); opposite pairs (1,2), (3,4), ..."""

Q: int = 19
"""Number of discrete velocities."""

W: np.ndarray = np.array([1.0 / 3.0] + [1.0 / 18.0] * 6 + [1.0 / 36.0] * 12)
"""Lattice weights (19,)."""

OPP: np.ndarray = np.array([0] + [q + 1 if q % 2 else q - 1 for q in range(1, Q)], dtype=np.int64)
"""Index of the opposite velocity: ``C[OPP[q]] == -C[q]``."""

CS2: float = 1.0 / 3.0
"""Squared lattice speed of sound."""

STREAM, SOLID_BB, WALL_BB, WALL_SPECULAR, OPEN_END = 0, 1, 2, 3, 4
"""Link kinds stored in :attr:`SparseLattice.kind`."""

_SIDE_BCS = ("periodic", "noslip", "freeslip")
_DRIVINGS = ("force", "pressure")
_LOOKUP = np.full((3, 3, 3), -1, dtype=np.int64)
_LOOKUP[C[:, 0] + 1, C[:, 1] + 1, C[:, 2] + 1] = np.arange(Q)


@dataclasses.dataclass(frozen=True, eq=False)
class SparseLattice:
    """A fluid-only D3Q19 lattice with its pull-streaming table (see module docstring).

    Attributes
    ----------
    shape : tuple of int
        Voxel array shape ``(nz, ny, nx)``.
    axis : {"x", "y", "z"}
        Flow direction the boundary conditions were built for.
    side_bc : {"periodic", "noslip", "freeslip"}
        Boundary on the four faces parallel to ``axis``.
    driving : {"force", "pressure"}
        Periodic ends (force) or open inlet/outlet ends with ghost slots (pressure).
    index : ndarray of int32, shape (nz, ny, nx)
        Fluid number of each voxel, -1 for solid.
    coords : ndarray of int32, shape (n_fluid, 3)
        ``(z, y, x)`` of every fluid cell.
    src : ndarray of int32 or int64, shape (19, n_fluid)
        Flat pull-source index of every population.
    kind : ndarray of int8, shape (19, n_fluid)
        Link classification (STREAM, SOLID_BB, WALL_BB, WALL_SPECULAR, OPEN_END).
    ghost_q, ghost_cell, ghost_side : ndarray of int64, shape (n_ghost,)
        Direction, fluid cell and kind (0 = inlet at the low face, 1 = outlet, 2 =
        interpolated solid wall) of every ghost slot (empty without pressure ends or a
        level set).
    pressure_bc : {"zou-he", "anti-bounce-back"}
        Rule of the pressure ends.
    ghost_idx, ghost_coef : ndarray, shape (n_ghost, m)
        Linear stencil of every ghost slot (int64 flat indices, float64 coefficients).
    ghost_rho : ndarray of float64, shape (n_ghost,)
        Coefficient of ``rho_side - 1`` in every ghost slot.
    """

    shape: tuple[int, int, int]
    axis: str
    side_bc: str
    driving: str
    index: np.ndarray
    coords: np.ndarray
    src: np.ndarray
    kind: np.ndarray
    ghost_q: np.ndarray
    ghost_cell: np.ndarray
    ghost_side: np.ndarray
    pressure_bc: str = "zou-he"
    ghost_idx: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 1), np.int64))
    ghost_coef: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 1)))
    ghost_rho: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    @property
    def n_fluid(self) -> int:
        """Number of fluid cells."""
        return int(self.coords.shape[0])

    @property
    def n_ghost(self) -> int:
        """Number of ghost slots appended after the populations."""
        return int(self.ghost_q.shape[0])

    @property
    def n_total(self) -> int:
        """Number of voxels (fluid and solid)."""
        return int(np.prod(self.shape))

    @property
    def population_size(self) -> int:
        """Length of one population buffer: ``19 * n_fluid + n_ghost``."""
        return Q * self.n_fluid + self.n_ghost


def build_lattice(
    pore: np.ndarray,
    axis: str = "x",
    side_bc: str = "periodic",
    driving: str = "force",
    pressure_bc: str = "zou-he",
    level_set: np.ndarray | None = None,
) -> SparseLattice:
    """Build the sparse D3Q19 lattice and its pull-streaming table for one flow run.

    Parameters
    ----------
    pore : ndarray of bool, shape (nz, ny, nx)
        True = fluid.
    axis : {"x", "y", "z"}
        Flow direction; its two end faces are periodic (force) or open (pressure).
    side_bc : {"periodic", "noslip", "freeslip"}
        Boundary on the four faces parallel to ``axis``.
    driving : {"force", "pressure"}
        Periodic ends or pressure inlet/outlet ends.
    pressure_bc : {"zou-he", "anti-bounce-back"}
        Rule of the pressure ends (ignored for force driving).
    level_set : ndarray of float, shape (nz, ny, nx), optional
        Sub-voxel wall positions (> 0 exactly on the pore voxels): solid links then use
        interpolated bounce-back through ghost slots (:mod:`._subvoxel`).

    Returns
    -------
    SparseLattice
        Lattice in lattice units (voxel edge 1).
    """
    pore = np.asarray(pore)
    if pore.ndim != 3 or pore.dtype != np.bool_:
        raise InputError(f"pore must be a 3D boolean array; got {pore.dtype} {pore.shape}")
    if side_bc not in _SIDE_BCS:
        raise InputError(f"unknown side boundary {side_bc!r}; use periodic, noslip or freeslip")
    if driving not in _DRIVINGS:
        raise InputError(f"unknown driving {driving!r}; use force or pressure")
    if pressure_bc not in PRESSURE_RULES:
        raise InputError(f"unknown pressure rule {pressure_bc!r}; use zou-he or anti-bounce-back")
    flow = array_axis(axis)
    shape = tuple(int(s) for s in pore.shape)
    flat = np.flatnonzero(pore.ravel())
    n = flat.size
    if n == 0:
        raise InputError("the structure has no pore voxel: nothing can flow")
    index = np.full(shape, -1, dtype=np.int32)
    index.ravel()[flat] = np.arange(n, dtype=np.int32)
    coords = np.stack(np.unravel_index(flat, shape), axis=1).astype(np.int32)
    idx_dtype = np.int32 if 2 * Q * n < 2**31 - 1 else np.int64
    src = np.empty((Q, n), dtype=idx_dtype)
    kind = np.empty((Q, n), dtype=np.int8)
    ghosts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    n_ghost = 0
    for q in range(Q):
        s, k, gsel, gside = _sources_for(q, coords, index, flow, side_bc, driving)
        ghost_cells = np.flatnonzero(gsel)
        s[gsel] = Q * n + n_ghost + np.arange(ghost_cells.size)
        n_ghost += ghost_cells.size
        if ghost_cells.size:
            ghosts.append((np.full(ghost_cells.size, q), ghost_cells, gside[gsel]))
        src[q] = s
        kind[q] = k
    if ghosts:
        gq, gc, gs = (np.concatenate(parts).astype(np.int64) for parts in zip(*ghosts, strict=True))
    else:
        gq = gc = gs = np.zeros(0, dtype=np.int64)
    stencil = ghost_stencil(pressure_bc, C, W, src, gq, gc, gs, xyz_index(axis))
    tables = (gq, gc, gs, *stencil)
    if level_set is not None:
        phi = check_level_set(level_set, pore)
        tables = _wall_ghosts(phi, coords, src, kind, flow, side_bc, tables)
    return SparseLattice(
        shape, axis, side_bc, driving, index, coords, src, kind, *tables[:3], pressure_bc,
        *tables[3:],
    )  # fmt: skip


def lattice_for(problem) -> SparseLattice:
    """The lattice of a :class:`~porestudio.physics.lbm.flow.FlowProblem` (geometry, boundaries)."""
    return build_lattice(
        problem.pore, problem.axis, problem.side_bc, problem.driving, problem.pressure_bc,
        problem.level_set,
    )  # fmt: skip


def _wall_ghosts(phi, coords, src, kind, flow, side_bc, ghosts):  # noqa: PLR0913
    """Append interpolated bounce-back ghosts for the solid links; rewrites ``src``.

    Links whose solid voxel lies across a non-periodic face keep halfway bounce-back.
    """
    gq, gc, gs, idx, coef, rho = ghosts
    n = coords.shape[0]
    q, cell = np.nonzero(kind == SOLID_BB)
    raw = coords[cell].astype(np.int64) - C[q, ::-1]
    inside = np.ones(q.size, dtype=bool)
    for a in range(3):
        if a != flow and side_bc != "periodic":
            inside &= (raw[:, a] >= 0) & (raw[:, a] < phi.shape[a])
    q, cell = q[inside], cell[inside]
    w_idx, w_coef = wall_stencils(phi, C, OPP, coords, src, (q, cell), kind == STREAM)
    src[q, cell] = Q * n + gq.size + np.arange(q.size)
    width = max(idx.shape[1], w_idx.shape[1])
    pad = [(0, 0), (0, width - idx.shape[1])]
    w_pad = [(0, 0), (0, width - w_idx.shape[1])]
    return (
        np.concatenate([gq, q]),
        np.concatenate([gc, cell]),
        np.concatenate([gs, np.full(q.size, 2, dtype=np.int64)]),
        np.concatenate([np.pad(idx, pad), np.pad(w_idx, w_pad)]),
        np.concatenate([np.pad(coef, pad), np.pad(w_coef, w_pad)]),
        np.concatenate([rho, np.zeros(q.size)]),
    )


def _sources_for(
    q: int, coords: np.ndarray, index: np.ndarray, flow: int, side_bc: str, driving: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pull sources of direction ``q`` for every fluid cell: (src, kind, ghost mask, side)."""
    n = coords.shape[0]
    shape = index.shape
    cell = np.arange(n, dtype=np.int64)
    c_zyx = C[q, ::-1]
    source = coords.astype(np.int64) - c_zyx[None, :]
    comp = np.broadcast_to(c_zyx, (n, 3)).copy()  # source velocity, (z, y, x) components
    wall_bb = np.zeros(n, dtype=bool)
    specular = np.zeros(n, dtype=bool)
    open_end = np.zeros(n, dtype=bool)
    side = np.zeros(n, dtype=np.int64)
    for a in range(3):
        if c_zyx[a] == 0:
            continue
        out = (source[:, a] < 0) | (source[:, a] >= shape[a])
        if a == flow and driving == "pressure":
            open_end |= out
            side[out & (source[:, a] >= shape[a])] = 1
            source[out, a] = coords[out, a]
        elif a == flow or side_bc == "periodic":
            source[:, a] %= shape[a]
        elif side_bc == "noslip":
            wall_bb |= out
            source[out, a] = coords[out, a]
        else:  # free-slip: mirror the normal component, keep the tangential ones
            specular |= out
            source[out, a] = coords[out, a]
            comp[out, a] = -comp[out, a]
    open_end &= ~wall_bb
    target = index[source[:, 0], source[:, 1], source[:, 2]].astype(np.int64)
    solid_bb = (target < 0) & ~wall_bb & ~open_end
    bounce = wall_bb | solid_bb
    q_src = _LOOKUP[comp[:, 2] + 1, comp[:, 1] + 1, comp[:, 0] + 1]
    src = np.where(bounce, OPP[q] * n + cell, q_src * n + np.maximum(target, 0))
    kind = np.full(n, STREAM, dtype=np.int8)
    kind[specular] = WALL_SPECULAR
    kind[solid_bb] = SOLID_BB
    kind[wall_bb] = WALL_BB
    kind[open_end] = OPEN_END
    return src, kind, open_end, side


def equilibrium_deviation(rho: float, u_xyz: np.ndarray) -> np.ndarray:
    """Second-order equilibrium minus weights, ``f_eq - W`` (19,), for one state.

    Parameters
    ----------
    rho : float
        Density (lattice units, 1 at rest).
    u_xyz : array_like, shape (3,)
        Velocity (x, y, z), lattice units.
    """
    u = np.asarray(u_xyz, dtype=float)
    cu = C @ u
    return W * (rho * (1.0 + 3.0 * cu + 4.5 * cu * cu - 1.5 * u @ u) - 1.0)


def boundary_momentum(
    lattice: SparseLattice, f_post: np.ndarray, kinds: tuple[int, ...]
) -> np.ndarray:
    """Momentum the boundary links of the given kinds give the fluid in one step.

    Momentum exchange: a population ``f*`` pulled through a reflecting link turns from
    velocity ``C[q_src]`` into ``C[q]`` and hands the fluid ``f* (C[q] - C[q_src])``.

    Parameters
    ----------
    lattice : SparseLattice
        The lattice the populations live on.
    f_post : ndarray, shape (population_size,)
        Post-collision populations as deviations ``f - W`` (the buffer a pull step reads).
    kinds : tuple of int
        Link kinds to sum (e.g. ``(WALL_SPECULAR, WALL_BB)``).

    Returns
    -------
    ndarray, shape (3,)
        Force on the fluid (x, y, z) per time step, lattice units.
    """
    n = lattice.n_fluid
    total = np.zeros(3)
    f = np.asarray(f_post, dtype=np.float64)
    for q in range(1, Q):
        sel = np.isin(lattice.kind[q], kinds)
        if not sel.any():
            continue
        s = lattice.src[q, sel].astype(np.int64)
        q_src = s // n
        values = f[s] + W[q_src]
        total += (values[:, None] * (C[q][None, :] - C[q_src])).sum(axis=0)
    return total


def specular_wall_areas(pore: np.ndarray, axis: str) -> tuple[np.ndarray, np.ndarray]:
    """Pressure-weighted fluid area of the free-slip side walls of a run along ``axis``.

    A free-slip (specular) link that reflects into a fluid cell hands the fluid
    ``2 f`` of wall-normal momentum; with ``f = W_q rho`` at rest that is ``6 W_q p``
    (``p = rho / 3``). Summing ``6 W_q`` over the WALL_SPECULAR links of a wall layer
    gives the area on which the wall pressure acts in
    :func:`boundary_momentum`: 1 per fully fluid face cell, less where the reflected
    source is solid (those links are SOLID_BB). Consistent with :func:`build_lattice`
    (force driving, ``side_bc="freeslip"``) without building the lattice.

    Parameters
    ----------
    pore : ndarray of bool, shape (nz, ny, nx)
        True = fluid.
    axis : {"x", "y", "z"}
        Flow direction (its faces are periodic, not walls).

    Returns
    -------
    area_low, area_high : ndarray, shape (3,)
        Area of the wall at the low / high face normal to x, y, z (voxel faces;
        0 for the flow axis).
    """
    pore = np.asarray(pore, dtype=bool)
    flow = array_axis(axis)
    shape = pore.shape
    low, high = np.zeros(3), np.zeros(3)
    for q in range(1, Q):
        c = C[q, ::-1]
        for a in range(3):
            if a == flow or c[a] == 0:
                continue
            layer = 0 if c[a] > 0 else shape[a] - 1
            count = _specular_links(pore, c, a, layer, flow)
            target = low if c[a] > 0 else high
            target[2 - a] += 6.0 * W[q] * count
    return low, high


def _specular_links(pore: np.ndarray, c: np.ndarray, a: int, layer: int, flow: int) -> int:
    """Fluid cells of wall layer ``layer`` (normal ``a``) whose link ``c`` reflects into fluid."""
    shape = pore.shape
    grid = list(np.indices(tuple(1 if d == a else shape[d] for d in range(3))))
    grid[a] = np.full_like(grid[a], layer)
    src = []
    for d in range(3):
        s = grid[d] - c[d]
        if d == flow:
            s %= shape[d]
        elif d != a:
            s = np.where((s < 0) | (s >= shape[d]), grid[d], s)
        else:
            s = grid[d]
        src.append(s)
    own = pore[grid[0], grid[1], grid[2]]
    return int(np.count_nonzero(own & pore[src[0], src[1], src[2]]))
