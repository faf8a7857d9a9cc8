"""The sparse D3Q19 lattice: constants, the pull-streaming table and its boundary rules."""

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.physics.lbm.lattice import (
    OPEN_END,
    OPP,
    SOLID_BB,
    STREAM,
    WALL_BB,
    WALL_SPECULAR,
    C,
    Q,
    W,
    boundary_momentum,
    build_lattice,
    equilibrium_deviation,
    specular_wall_areas,
)

BCS = ("periodic", "noslip", "freeslip")


def _stream(lat, f):
    return f[lat.src.ravel()]


def _random_pore(seed, shape=(6, 7, 8), fraction=0.7):
    return np.random.default_rng(seed).random(shape) < fraction


def test_d3q19_constants_are_isotropic_and_paired():
    assert C.shape == (Q, 3) and Q == 19
    assert np.isclose(W.sum(), 1.0)
    assert np.allclose(W @ C, 0.0)
    second = np.einsum("q,qa,qb->ab", W, C, C)
    assert np.allclose(second, np.eye(3) / 3.0)
    assert np.array_equal(C[OPP], -C)
    assert np.array_equal(OPP[1::2], np.arange(2, Q, 2))
    assert len({tuple(c) for c in C}) == Q


@pytest.mark.parametrize("side_bc", BCS)
@pytest.mark.parametrize("axis", ["x", "y", "z"])
def test_streaming_is_a_permutation_so_mass_is_conserved(side_bc, axis):
    lat = build_lattice(_random_pore(1), axis, side_bc)
    flat = lat.src.ravel()
    assert np.array_equal(np.sort(flat), np.arange(Q * lat.n_fluid))
    f = np.random.default_rng(2).random(Q * lat.n_fluid)
    g = f
    for _ in range(25):
        g = _stream(lat, g)
    assert np.isclose(g.sum(), f.sum(), rtol=1e-13)


def test_periodic_streaming_is_a_shift_of_every_population():
    shape = (4, 5, 6)
    lat = build_lattice(np.ones(shape, bool), "x", "periodic")
    n = lat.n_fluid
    dense = np.random.default_rng(3).random((Q, *shape))
    out = _stream(lat, dense.reshape(Q, n).ravel()).reshape(Q, *shape)
    for q in range(Q):
        cx, cy, cz = C[q]
        assert np.array_equal(out[q], np.roll(dense[q], (cz, cy, cx), axis=(0, 1, 2)))


def test_solid_links_bounce_back_to_own_cell_in_opposite_direction():
    pore = np.zeros((3, 3, 3), bool)
    pore[1, 1, 1] = True
    lat = build_lattice(pore, "x", "periodic")
    assert lat.n_fluid == 1 and lat.index[1, 1, 1] == 0
    assert np.array_equal(lat.src[1:, 0], OPP[1:])
    assert np.all(lat.kind[1:, 0] == SOLID_BB) and lat.kind[0, 0] == STREAM
    f = np.arange(Q, dtype=float)
    assert np.array_equal(_stream(lat, _stream(lat, f)), f)


@pytest.mark.parametrize("side_bc", BCS)
def test_streaming_commutes_with_a_mirror_of_a_symmetric_structure(side_bc):
    pore = _random_pore(4, (5, 6, 7))
    pore = pore & pore[:, ::-1, :]  # symmetric under y -> -y
    lat = build_lattice(pore, "x", side_bc)
    mirror_q = np.array([int(np.flatnonzero((C[q] * [1, -1, 1] == C).all(1))[0]) for q in range(Q)])
    mirror_cell = lat.index[
        lat.coords[:, 0], pore.shape[1] - 1 - lat.coords[:, 1], lat.coords[:, 2]
    ]
    n = lat.n_fluid
    f = np.random.default_rng(5).random((Q, n))
    mirrored = f[mirror_q][:, mirror_cell]
    left = _stream(lat, mirrored.ravel()).reshape(Q, n)
    right = _stream(lat, f.ravel()).reshape(Q, n)[mirror_q][:, mirror_cell]
    assert np.array_equal(left, right)


def test_freeslip_wall_reflects_the_normal_component_only():
    lat = build_lattice(np.ones((4, 5, 6), bool), "x", "freeslip")
    q = int(np.flatnonzero((C == [0, 1, 1]).all(1))[0])
    q_mirror = int(np.flatnonzero((C == [0, -1, 1]).all(1))[0])
    i = lat.index[2, 0, 3]  # on the y = 0 wall, away from the z walls
    s = int(lat.src[q, i])
    assert s // lat.n_fluid == q_mirror
    assert s % lat.n_fluid == lat.index[1, 0, 3]  # z - 1, same y, same x
    assert lat.kind[q, i] == WALL_SPECULAR
    corner = lat.index[0, 0, 3]  # y = 0 and z = 0 walls: both components flip
    assert lat.src[q, corner] == OPP[q] * lat.n_fluid + corner
    assert (lat.kind == WALL_BB).sum() == 0


def test_noslip_wall_bounces_back_and_flow_axis_stays_periodic():
    lat = build_lattice(np.ones((4, 5, 6), bool), "y", "noslip")
    n = lat.n_fluid
    qx = int(np.flatnonzero((C == [1, 0, 0]).all(1))[0])
    qy = int(np.flatnonzero((C == [0, 1, 0]).all(1))[0])
    i = lat.index[2, 0, 0]
    assert lat.src[qx, i] == OPP[qx] * n + i and lat.kind[qx, i] == WALL_BB
    assert lat.src[qy, i] == qy * n + lat.index[2, 4, 0]  # wraps along the flow axis
    inner = lat.index[2, 2, 3]
    assert np.all(lat.kind[:, inner] == STREAM)


def test_pressure_ends_point_to_ghost_slots():
    shape = (3, 4, 5)
    lat = build_lattice(np.ones(shape, bool), "x", "periodic", "pressure")
    n = lat.n_fluid
    per_face = 3 * 4 * 5  # 5 directions with c_x = +1 (or -1) per face cell
    assert lat.n_ghost == 2 * per_face
    assert np.count_nonzero(lat.ghost_side == 0) == per_face
    assert (lat.src >= Q * n).sum() == lat.n_ghost == (lat.kind == OPEN_END).sum()
    assert lat.population_size == Q * n + lat.n_ghost
    inlet = lat.ghost_cell[lat.ghost_side == 0]
    assert np.all(lat.coords[inlet, 2] == 0)
    assert np.all(C[lat.ghost_q[lat.ghost_side == 0], 0] == 1)


def _ghosts(lat, f, rho_in, rho_out):
    rho = np.where(lat.ghost_side == 0, rho_in, rho_out)
    return (lat.ghost_coef * f[lat.ghost_idx]).sum(axis=1) + lat.ghost_rho * (rho - 1.0)


@pytest.mark.parametrize("axis", ["x", "y", "z"])
def test_zou_he_ghosts_rebuild_the_equilibrium_of_the_end_density(axis):
    """A uniform flow along the axis at the prescribed end density is a fixed point."""
    lat = build_lattice(np.ones((4, 5, 6), bool), axis, "periodic", "pressure")
    u = np.zeros(3)
    u["xyz".index(axis)] = 0.03
    rho = 1.002
    feq = equilibrium_deviation(rho, u)
    f = np.repeat(feq, lat.n_fluid)  # q * n + i layout: value of q for every cell
    f = np.concatenate([f, np.zeros(lat.n_ghost)])
    ghosts = _ghosts(lat, f, rho, rho)
    assert np.allclose(ghosts, feq[lat.ghost_q], rtol=0, atol=1e-15)
    # the rule enforces the density: a different end density changes every ghost
    assert not np.allclose(_ghosts(lat, f, rho + 1e-3, rho), ghosts, rtol=0, atol=1e-6)


def test_zou_he_cancels_the_transverse_momentum_at_the_ends():
    lat = build_lattice(np.ones((3, 4, 5), bool), "x", "periodic", "pressure")
    rng = np.random.default_rng(3)
    f = np.concatenate([rng.normal(0, 1e-3, Q * lat.n_fluid), np.zeros(lat.n_ghost)])
    f[Q * lat.n_fluid :] = _ghosts(lat, f, 1.01, 0.99)
    post = f[lat.src.ravel()].reshape(Q, lat.n_fluid)  # after streaming
    ends = np.unique(lat.ghost_cell)
    rho = 1.0 + post[:, ends].sum(axis=0)
    for a in (1, 2):  # y and z momentum of every end cell vanish
        assert np.allclose((C[:, a, None] * post[:, ends]).sum(axis=0), 0.0, atol=1e-15)
    inlet = lat.coords[ends, 2] == 0
    assert np.allclose(rho[inlet], 1.01) and np.allclose(rho[~inlet], 0.99)


def test_pressure_rules_are_checked():
    with pytest.raises(InputError, match="pressure rule"):
        build_lattice(np.ones((2, 2, 2), bool), "x", "periodic", "pressure", "zou")
    with pytest.raises(InputError, match="two voxels"):
        build_lattice(np.ones((2, 2, 1), bool), "x", "periodic", "pressure")


def test_wall_momentum_exchange_equals_the_pressure_difference():
    shape = (4, 6, 5)
    lat = build_lattice(np.ones(shape, bool), "x", "freeslip")
    n = lat.n_fluid
    rho = np.ones(n)
    rho[lat.coords[:, 1] == shape[1] - 1] = 1.3
    rho[lat.coords[:, 1] == 0] = 1.1
    f = (W[:, None] * (rho[None, :] - 1.0)).ravel()  # equilibrium at rest, deviations
    force = boundary_momentum(lat, f, (WALL_SPECULAR, WALL_BB))
    layer = shape[0] * shape[2]
    assert np.allclose(force, [0.0, -(1.3 - 1.1) / 3.0 * layer, 0.0], atol=1e-12)


@pytest.mark.parametrize("axis", ["x", "y", "z"])
def test_specular_wall_areas_weigh_the_wall_pressure_of_the_momentum_exchange(axis):
    """Rest state: W = (A_lo - A_hi)/3; a pressure ramp along one wall normal adds -A_hi dp."""
    pore = _random_pore(11, shape=(5, 6, 7), fraction=0.6)
    lat = build_lattice(pore, axis, "freeslip")
    low, high = specular_wall_areas(pore, axis)
    flow = "xyz".index(axis)
    assert low[flow] == high[flow] == 0.0
    rest = boundary_momentum(lat, np.zeros(lat.population_size), (WALL_SPECULAR, WALL_BB))
    assert np.allclose(rest, (low - high) / 3.0, atol=1e-12)
    for i in (i for i in range(3) if i != flow):
        a = 2 - i
        face = np.count_nonzero(pore.take(0, axis=a)), np.count_nonzero(pore.take(-1, axis=a))
        assert 0.0 < low[i] < face[0] and 0.0 < high[i] < face[1]  # solid-hit links drop out
        slope = 1e-3
        rho = 1.0 + 3.0 * slope * lat.coords[:, a]  # p = rho / 3 rises along a
        f = (W[:, None] * (rho[None, :] - 1.0)).ravel()
        force = boundary_momentum(lat, f, (WALL_SPECULAR, WALL_BB))
        dynamic = force[i] - rest[i]
        assert dynamic == pytest.approx(-high[i] * slope * (pore.shape[a] - 1), rel=1e-9)


def test_bad_inputs_are_rejected():
    with pytest.raises(InputError, match="side boundary"):
        build_lattice(np.ones((2, 2, 2), bool), "x", "sticky")
    with pytest.raises(InputError, match="no pore voxel"):
        build_lattice(np.zeros((2, 2, 2), bool))
    with pytest.raises(InputError, match="axis"):
        build_lattice(np.ones((2, 2, 2), bool), "w")
    with pytest.raises(InputError, match="boolean"):
        build_lattice(np.ones((2, 2, 2)))
