"""Sub-voxel walls (central linear interpolated bounce-back) against exact solutions."""

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.physics.lbm import backend_cpu as lbm_cpu
from porestudio.physics.lbm.flow import FlowProblem
from porestudio.physics.lbm.lattice import Q, build_lattice
from porestudio.physics.permeability import permeability

ZICK_HOMSY_C = 0.216  # solid fraction of a simple-cubic array, a table entry:
ZICK_HOMSY_K = 7.442  # dimensionless drag K (Zick & Homsy 1982, table 2)


def _slit(ny: int, y0: float, y1: float, nx: int = 2) -> np.ndarray:
    """Level set of a plane channel between walls at y0 and y1 (voxel centres at i + 1/2)."""
    yc = np.arange(ny) + 0.5
    phi = np.minimum(yc - y0, y1 - yc)
    return np.broadcast_to(phi[None, :, None], (1, ny, nx)).copy()


def _k(phi, tau, use_level_set=True):
    pore = phi > 0
    problem = FlowProblem(
        pore, tau=tau, dtype="float64", tol=1e-10, force=1e-6,
        level_set=phi if use_level_set else None,
    )  # fmt: skip
    return problem.viscosity * lbm_cpu.run(problem).mean_velocity_xyz[0] / problem.force


@pytest.mark.parametrize(("ny", "y0", "y1"), [(14, 1.3, 12.1), (14, 0.8, 12.9)])
def test_channel_with_walls_between_voxel_centres(ny, y0, y1):
    """Poiseuille flow, k = h³/12 per channel period: the staircase is 2-6 % off."""
    phi = _slit(ny, y0, y1)
    exact = (y1 - y0) ** 3 / 12 / ny
    k_cli = _k(phi, 1.0)
    assert k_cli == pytest.approx(exact, rel=0.006)  # measured +0.47 % and -0.05 %
    assert abs(_k(phi, 1.0, use_level_set=False) / exact - 1) > 0.02
    assert _k(phi, 3.0) == pytest.approx(k_cli, rel=1e-8)  # TRT + CLI: τ-free


def test_sphere_cell_matches_zick_homsy_where_the_staircase_does_not():
    n = 32
    radius = n * (3 * ZICK_HOMSY_C / (4 * np.pi)) ** (1 / 3)
    x = np.arange(n) + 0.5 - n / 2
    z, y, xx = np.meshgrid(x, x, x, indexing="ij")
    phi = np.sqrt(xx * xx + y * y + z * z) - radius
    exact = n**3 / (6 * np.pi * radius * ZICK_HOMSY_K)
    sub = permeability(phi > 0, axes="x", mode="periodic", level_set=phi).k_lu[0, 0]
    stair = permeability(phi > 0, axes="x", mode="periodic").k_lu[0, 0]
    assert sub == pytest.approx(exact, rel=0.006)
    assert abs(stair / exact - 1) > 0.015


def test_wall_links_become_ghost_slots_with_halfway_weights_at_t_one_half():
    phi = _slit(6, 1.0, 5.0)  # walls exactly halfway between voxel centres
    pore = phi > 0
    lat = build_lattice(pore, "x", "periodic", "force", level_set=phi)
    plain = build_lattice(pore, "x", "periodic", "force")
    n = lat.n_fluid
    walls = lat.ghost_side == 2
    bounced = (plain.src // n != np.arange(Q)[:, None]).sum()  # halfway bounce-back links
    assert walls.sum() == (lat.src >= Q * n).sum() == bounced
    assert np.allclose(lat.ghost_coef[walls, 1:], 0.0)  # kappa = 0: halfway bounce-back
    k_sub, k_plain = (
        FlowProblem(pore, tau=1.0, dtype="float64", tol=1e-10, level_set=ls) for ls in (phi, None)
    )
    assert lbm_cpu.run(k_sub).mean_velocity_xyz[0] == pytest.approx(
        lbm_cpu.run(k_plain).mean_velocity_xyz[0], rel=1e-9
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [(lambda p: p[:, :, :1], "shape"), (lambda p: np.where(p > 0, np.nan, p), "NaN"),
     (lambda p: -p, "pore voxels")],
)  # fmt: skip
def test_bad_level_sets_are_input_errors(change, match):
    phi = _slit(8, 1.2, 6.7)
    with pytest.raises(InputError, match=match):
        build_lattice(phi > 0, "x", "periodic", "force", level_set=change(phi))
    with pytest.raises(InputError, match=match):
        permeability(phi > 0, axes="x", level_set=change(phi))


def test_sub_voxel_walls_combine_with_pressure_ends_and_walled_sides():
    """Zou–He ends read halfway-bounce-back values, never a wall ghost; walled sides keep
    halfway bounce-back across the domain faces: both run and agree with periodic forcing."""
    phi = _slit(14, 1.3, 12.1, nx=48)
    pore = phi > 0
    force = FlowProblem(pore, tau=1.0, dtype="float64", tol=1e-9, level_set=phi, force=1e-6)
    k_force = _k_of(force)
    pressure = FlowProblem(
        pore, tau=1.0, dtype="float64", tol=1e-9, level_set=phi, force=1e-6,
        driving="pressure", max_steps=100_000,
    )  # fmt: skip
    assert _k_of(pressure) == pytest.approx(k_force, rel=2e-3)
    z, y, x = np.mgrid[:12, :12, :12] + 0.5 - 6
    ball = np.sqrt(x * x + y * y + z * z) - 3.7
    kuhn = permeability(ball > 0, tensor=True, mode="kuhn", level_set=ball).k_lu
    periodic = permeability(ball > 0, axes="x", mode="periodic", level_set=ball).k_lu[0, 0]
    assert np.isfinite(kuhn).all() and 0 < kuhn[0, 0] < periodic  # no-slip sides slow it


def _k_of(problem):
    return problem.viscosity * lbm_cpu.run(problem).mean_velocity_xyz[0] / problem.force
