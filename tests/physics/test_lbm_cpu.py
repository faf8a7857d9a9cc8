"""The CPU LBM backend against exact solutions (plane Poiseuille, square duct) and an
independent dense textbook TRT (3D sphere cell, step for step)."""

import dataclasses
import itertools

import numpy as np
import pytest

from porestudio.errors import Cancelled, InputError, SolverError
from porestudio.physics.lbm import backend_cpu as lbm_cpu
from porestudio.physics.lbm.flow import FlowProblem

SQUARE_DUCT = 0.0351442537  # k of a square duct of side a, per duct area, / a²


def _channel(h: int, axis_len: int = 2) -> np.ndarray:
    """Plane channel of width h between one-voxel solid walls normal to y (flow along x)."""
    pore = np.zeros((1, h + 2, axis_len), bool)
    pore[:, 1:-1, :] = True
    return pore


def _k(result, problem: FlowProblem, axis: int = 0) -> float:
    return problem.viscosity * result.mean_velocity_xyz[axis] / problem.force


def _poiseuille_exact(h: int) -> float:
    """Superficial k of the discrete channel: nodal parabola summed at the h nodes."""
    return (h**3 / 12.0 + h / 24.0) / (h + 2)


@pytest.mark.parametrize("tau", [0.6, 1.0, 2.0, 3.0])
def test_trt_plane_poiseuille_is_exact_for_every_tau(tau):
    h = 8
    problem = FlowProblem(_channel(h), tau=tau, dtype="float64", tol=1e-11, check_every=50)
    result = lbm_cpu.run(problem)
    assert result.converged
    assert _k(result, problem) == pytest.approx(_poiseuille_exact(h), rel=1e-7)
    assert abs(result.mean_velocity_xyz[1]) < 1e-12
    assert result.fluid_cells == 2 * h and result.total_cells == 2 * (h + 2)


def test_bgk_depends_on_tau_and_matches_trt_at_its_magic_tau():
    h = 8
    exact = _poiseuille_exact(h)
    magic_tau = 0.5 + np.sqrt(3.0) / 4.0  # BGK has Λ = (τ − 1/2)² = 3/16 here
    ks = {}
    for tau in (magic_tau, 2.0):
        problem = FlowProblem(
            _channel(h), collision="bgk", tau=tau, dtype="float64", tol=1e-11, check_every=50
        )
        ks[tau] = _k(lbm_cpu.run(problem), problem)
    assert ks[magic_tau] == pytest.approx(exact, rel=1e-7)
    assert ks[2.0] / exact - 1.0 > 0.05  # BGK walls move with τ: k grows


def test_float32_default_is_accurate_to_1e4():
    h = 8
    problem = FlowProblem(_channel(h), tau=1.5, tol=1e-9)
    result = lbm_cpu.run(problem)
    assert _k(result, problem) == pytest.approx(_poiseuille_exact(h), rel=1e-4)


def test_square_duct_with_noslip_side_walls_within_one_percent():
    a = 10
    problem = FlowProblem(
        np.ones((1, a, a), bool), axis="z", side_bc="noslip", tau=2.0, tol=1e-8, check_every=50
    )
    result = lbm_cpu.run(problem)
    k = _k(result, problem, axis=2)
    assert result.converged
    assert k == pytest.approx(SQUARE_DUCT * a * a, rel=0.01)
    assert k > SQUARE_DUCT * a * a  # nodal (midpoint) sum overestimates slightly


def test_freeslip_side_walls_leave_a_wall_parallel_flow_untouched():
    h = 6
    pore = np.zeros((3, h + 2, 2), bool)
    pore[:, 1:-1, :] = True  # channel walls normal to y; z faces become free-slip walls
    ks = []
    for side in ("periodic", "freeslip"):
        problem = FlowProblem(pore, side_bc=side, tau=1.0, dtype="float64", tol=1e-11)
        result = lbm_cpu.run(problem)
        ks.append(_k(result, problem))
        if side == "freeslip":
            assert np.allclose(result.wall_force_xyz, 0.0, atol=1e-12)
    assert ks[1] == pytest.approx(ks[0], rel=1e-9)


@pytest.mark.parametrize("length", [8, 16, 64])
def test_zou_he_pressure_driven_channel_matches_force_driving(length):
    """Zou–He ends: the pressure sits on the end-cell centres, an end error < 0.01 voxel."""
    pore = _channel(8, axis_len=length)
    force = FlowProblem(pore, tau=1.0, dtype="float64", tol=1e-11)
    pressure = dataclasses.replace(force, driving="pressure", max_steps=50_000)
    k_force = _k(lbm_cpu.run(force), force)
    k_pressure = _k(lbm_cpu.run(pressure), pressure)
    assert abs(k_pressure / k_force - 1.0) < 0.01 / length


@pytest.mark.parametrize("length", [16, 64])
def test_anti_bounce_back_channel_approaches_force_driven_as_one_over_length(length):
    """Anti-bounce-back pressure ends: an end error of about 1.5 voxels of length."""
    pore = _channel(8, axis_len=length)
    force = FlowProblem(pore, tau=1.0, dtype="float64", tol=1e-10)
    pressure = dataclasses.replace(force, driving="pressure", pressure_bc="anti-bounce-back")
    k_force = _k(lbm_cpu.run(force), force)
    k_pressure = _k(lbm_cpu.run(pressure), pressure)
    assert 0.0 < k_pressure / k_force - 1.0 < 2.0 / length


def test_zou_he_porous_sample_agrees_with_periodic_force_driving():
    """Repeated cells: the open ends only disturb the end cells (anti-bounce-back: +2.6 %)."""
    rng = np.random.default_rng(5)
    cell = rng.random((6, 6, 6)) < 0.75
    pore = np.tile(cell, (1, 1, 8))  # 48 voxels along x
    force = FlowProblem(pore, tau=0.8, dtype="float64", tol=1e-9, side_bc="noslip")
    pressure = dataclasses.replace(force, driving="pressure", max_steps=100_000)
    k_force = _k(lbm_cpu.run(force), force)
    k_pressure = _k(lbm_cpu.run(pressure), pressure)
    assert k_pressure == pytest.approx(k_force, rel=0.01)  # measured +0.56 %


def test_progress_is_reported_and_cancel_propagates():
    calls = []

    def progress(done, total):
        calls.append((done, total))
        if done >= 200:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        lbm_cpu.run(FlowProblem(_channel(6), tol=1e-14, max_steps=1000), progress)
    assert calls == [(100, 1000), (200, 1000)]


def test_step_limit_reports_not_converged():
    problem = FlowProblem(_channel(20), tau=0.6, tol=1e-12, max_steps=150, check_every=100)
    result = lbm_cpu.run(problem)
    assert not result.converged and result.steps == 150 and result.residual > 1e-12
    assert result.backend == "cpu-numba" and result.mflups > 0


def test_instability_raises_solver_error():
    problem = FlowProblem(_channel(20), tau=0.51, force=0.05, max_steps=5000, check_every=10)
    with pytest.raises(SolverError, match="unstable"):
        lbm_cpu.run(problem)


@pytest.mark.parametrize(
    ("changes", "match"),
    [({"tau": 0.5}, "tau"), ({"collision": "mrt"}, "collision"), ({"force": 0.0}, "force"),
     ({"dtype": "float16"}, "dtype"), ({"max_steps": 0}, "max_steps")],
)  # fmt: skip
def test_bad_problems_are_input_errors(changes, match):
    with pytest.raises(InputError, match=match):
        lbm_cpu.run(FlowProblem(_channel(4), **changes))


def _dense_trt_mean_u(pore, tau, force, steps):
    """Mean x velocity of a dense D3Q19 TRT (Λ = 3/16, Guo force, halfway bounce-back via
    np.roll), written without porestudio's tables: an independent reference."""
    vel = [(0, 0, 0)] + [
        v for v in itertools.product((-1, 0, 1), repeat=3) if 0 < np.abs(v).sum() < 3
    ]
    c = np.array(vel, dtype=float)
    w = np.array([1 / 3] + [1 / 18 if np.abs(v).sum() == 1 else 1 / 36 for v in vel[1:]])
    opp = np.array([vel.index(tuple(-np.array(v))) for v in vel])
    om_p, om_m = 1 / tau, 1 / (0.5 + (3 / 16) / (tau - 0.5))
    wq, cx = w[:, None, None, None], [c[:, a, None, None, None] for a in range(3)]
    f = np.tile(wq, (1, *pore.shape))
    roll = lambda a, v: np.roll(a, (int(v[2]), int(v[1]), int(v[0])), axis=(0, 1, 2))  # noqa: E731
    blocked = [roll(~pore, v) for v in c]
    for _ in range(steps):
        rho = f.sum(0)
        u = [((f * cx[a]).sum(0) + (0.5 * force if a == 0 else 0.0)) / rho for a in range(3)]
        cu = cx[0] * u[0] + cx[1] * u[1] + cx[2] * u[2]
        feq = wq * rho * (1 + 3 * cu + 4.5 * cu**2 - 1.5 * (u[0] ** 2 + u[1] ** 2 + u[2] ** 2))
        src = wq * (3 * (cx[0] * force - u[0] * force) + 9 * cu * cx[0] * force)
        sym = lambda a: 0.5 * (a + a[opp])  # noqa: E731
        post = f - om_p * (sym(f) - sym(feq)) - om_m * (f - sym(f) - feq + sym(feq))
        post += (1 - om_p / 2) * sym(src) + (1 - om_m / 2) * (src - sym(src))
        for q, v in enumerate(c):
            f[q] = roll(post[q], v)
            f[q][blocked[q]] = post[opp[q]][blocked[q]]
        f[:, ~pore] = w[:, None]
    ux = ((f * cx[0]).sum(0) + 0.5 * force) / f.sum(0)
    return ux[pore].sum() / pore.size


def test_sparse_kernel_matches_a_dense_textbook_trt_on_a_sphere_cell():
    n = 10
    x = np.arange(n) + 0.5 - n / 2
    z, y, xx = np.meshgrid(x, x, x, indexing="ij")
    pore = xx * xx + y * y + z * z > 3.4**2  # diagonal links graze the staircase
    tau, force, steps = 0.9, 1e-4, 40
    problem = FlowProblem(
        pore, tau=tau, force=force, dtype="float64", max_steps=steps, check_every=steps, tol=1e-30
    )
    result = lbm_cpu.run(problem)
    assert result.steps == steps
    # a backend step is stream + collide and reports the velocity of its last collision;
    # the dense loop collides first (the first stream of the rest state is a no-op)
    expected = _dense_trt_mean_u(pore, tau, force, steps - 1)
    assert result.mean_velocity_xyz[0] == pytest.approx(expected, rel=1e-10)
    assert abs(result.mean_velocity_xyz[1]) < 1e-12 * expected
