"""The CPU LBM backend against exact solutions (plane Poiseuille, square duct)."""

import numpy as np
import pytest

from porestudio.errors import Cancelled, InputError, SolverError
from porestudio.physics import lbm_cpu
from porestudio.physics.flow import FlowProblem

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


@pytest.mark.parametrize("length", [16, 64])
def test_pressure_driven_channel_approaches_force_driven_as_one_over_length(length):
    """Anti-bounce-back pressure ends: an end error of about 1.5 voxels of length."""
    h = 8
    pore = _channel(h, axis_len=length)
    force = FlowProblem(pore, tau=1.0, dtype="float64", tol=1e-10)
    pressure = FlowProblem(pore, tau=1.0, dtype="float64", tol=1e-10, driving="pressure")
    k_force = _k(lbm_cpu.run(force), force)
    k_pressure = _k(lbm_cpu.run(pressure), pressure)
    assert 0.0 < k_pressure / k_force - 1.0 < 2.0 / length


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
