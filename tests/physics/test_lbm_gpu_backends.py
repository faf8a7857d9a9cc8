"""GPU-side LBM backends: device selection, the eager torch backend (checked against the
numba CPU backend and the analytic Poiseuille flow), the Triton kernel under the Triton
interpreter (step for step against torch), and the real CUDA path (``-m gpu``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.physics.device import ENV_VAR, cuda_available, resolve_device, triton_available
from porestudio.physics.lbm import backend_torch as lbm_torch
from porestudio.physics.lbm import backend_triton as lbm_triton
from porestudio.physics.lbm.flow import FlowProblem

needs_cuda = pytest.mark.skipif(not cuda_available(), reason="needs a CUDA device")
needs_triton = pytest.mark.skipif(not triton_available(), reason="needs triton")


def _sphere_cell(n: int, radius_frac: float = 0.35) -> np.ndarray:
    z, y, x = np.mgrid[:n, :n, :n] + 0.5
    r2 = (x - n / 2) ** 2 + (y - n / 2) ** 2 + (z - n / 2) ** 2
    return r2 > (radius_frac * n) ** 2


def _slit(width: int, nx: int = 4, nz: int = 3) -> np.ndarray:
    """Fluid slit of ``width`` layers along y between two solid layers, flow along x."""
    pore = np.ones((nz, width + 2, nx), dtype=bool)
    pore[:, 0, :] = pore[:, -1, :] = False
    return pore


def _random_pore(shape: tuple[int, int, int], seed: int, porosity: float = 0.7) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < porosity


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


# --- device selection -------------------------------------------------------------------


def test_resolve_device_choices(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if cuda_available() else "cpu")
    with pytest.raises(InputError, match="unknown device"):
        resolve_device("tpu")


def test_environment_overrides_argument(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert resolve_device("cuda") == "cpu"
    monkeypatch.setenv(ENV_VAR, "gpu0")
    with pytest.raises(InputError, match=ENV_VAR):
        resolve_device("cpu")


@pytest.mark.skipif(cuda_available(), reason="this machine has CUDA")
def test_cuda_request_without_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(InputError, match="CUDA requested but not available"):
        resolve_device("cuda")
    with pytest.raises(InputError, match="CUDA requested but not available"):
        lbm_torch.run(FlowProblem(pore=_slit(4), device="cuda", max_steps=1))


# --- eager torch backend ------------------------------------------------------------------


def test_torch_slit_matches_poiseuille():
    """Plane Poiseuille flow: TRT with Λ = 3/16 and halfway walls gives the parabola
    u(y) = F y (H - y) / (2 ν) exactly at the cell centres y = 1/2 ... H - 1/2, whose
    mean is F (H²/6 + 1/12) / (2 ν); superficial velocity: times H / (H + 2)."""
    width, force, tau = 6, 1e-6, 0.8
    problem = FlowProblem(
        pore=_slit(width), force=force, tau=tau, dtype="float64", tol=1e-10, check_every=50
    )
    res = lbm_torch.run(problem)
    nu = (tau - 0.5) / 3.0
    expected = force * (width**2 / 6 + 1 / 12) / (2 * nu) * width / (width + 2)
    assert res.converged
    assert res.backend == "cpu-torch"
    assert res.mean_velocity_xyz[0] == pytest.approx(expected, rel=1e-8)
    assert abs(res.mean_velocity_xyz[1]) < 1e-12 * expected


def test_torch_matches_cpu_backend_with_free_slip_walls():
    from porestudio.physics.lbm import backend_cpu as lbm_cpu

    problem = FlowProblem(
        pore=_random_pore((9, 10, 11), 4, 0.75), axis="y", side_bc="freeslip", dtype="float64",
        tol=1e-9, check_every=50, force=1e-5,
    )  # fmt: skip
    ref = lbm_cpu.run(problem)
    got = lbm_torch.run(problem)
    assert ref.converged and got.converged
    assert got.steps == ref.steps
    assert _rel(got.mean_velocity_xyz, ref.mean_velocity_xyz) < 1e-6
    assert _rel(got.wall_force_xyz, ref.wall_force_xyz) < 1e-6
    assert np.abs(ref.wall_force_xyz).max() > 0.0


def test_torch_pressure_driving_matches_cpu_backend():
    from porestudio.physics.lbm import backend_cpu as lbm_cpu

    problem = FlowProblem(
        pore=_random_pore((6, 7, 8), 3), axis="z", side_bc="noslip", driving="pressure",
        dtype="float64", tol=0.0, max_steps=60, check_every=20, force=1e-4,
    )  # fmt: skip
    ref = lbm_cpu.run(problem)
    got = lbm_torch.run(problem)
    assert got.steps == ref.steps == 60
    assert _rel(got.mean_velocity_xyz, ref.mean_velocity_xyz) < 1e-9


def test_torch_level_set_walls_match_cpu_backend():
    from porestudio.physics.lbm import backend_cpu as lbm_cpu

    phi = np.random.default_rng(4).standard_normal((6, 7, 8)) + 0.6
    problem = FlowProblem(
        pore=phi > 0, level_set=phi, axis="y", side_bc="noslip", dtype="float64",
        tol=0.0, max_steps=60, check_every=20, force=1e-4,
    )  # fmt: skip
    ref = lbm_cpu.run(problem)
    got = lbm_torch.run(problem)
    assert _rel(got.mean_velocity_xyz, ref.mean_velocity_xyz) < 1e-9
    plain = lbm_cpu.run(dataclass_replace(problem, level_set=None))
    assert _rel(plain.mean_velocity_xyz, ref.mean_velocity_xyz) > 1e-3  # the walls moved


def test_triton_backend_without_cuda_uses_torch(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    res = lbm_triton.run(FlowProblem(pore=_slit(4), max_steps=20, check_every=10, tol=0.0))
    assert res.backend == "cpu-torch"
    assert res.steps == 20 and res.mean_velocity_xyz[0] > 0


def test_map_mode_refuses_pressure_driving():
    problem = FlowProblem(pore=_slit(4), driving="pressure")
    with pytest.raises(InputError, match="map neighbour mode"):
        lbm_triton.choose_neighbours(problem, "map")
    assert lbm_triton.choose_neighbours(problem, "auto") == "table"
    assert lbm_triton.choose_neighbours(FlowProblem(pore=_slit(4))) == "map"
    phi = np.where(_slit(4), 1.0, -1.0)
    assert lbm_triton.choose_neighbours(FlowProblem(pore=_slit(4), level_set=phi)) == "table"


# --- Triton kernel under the interpreter --------------------------------------------------

_INTERPRET_SCRIPT = r"""
import json, numpy as np
from porestudio.physics.lbm import backend_torch as lbm_torch, backend_triton as lbm_triton
from porestudio.physics.lbm.flow import FlowProblem
pore = np.random.default_rng(5).random((6, 7, 8)) < 0.7
cases = [("x", "freeslip", "force", "map"), ("y", "noslip", "force", "map"),
         ("z", "periodic", "force", "map"), ("x", "noslip", "pressure", "table")]
out = {}
for axis, side, driving, mode in cases:
    p = FlowProblem(pore=pore, axis=axis, side_bc=side, driving=driving, dtype="float64",
                    force=1e-4)
    errs = []
    for steps in (1, 3):
        ref = lbm_torch.simulate(p, steps)
        got = lbm_triton.simulate(p, steps, neighbours=mode, block=512)
        errs.append(float(np.abs(got - ref).max() / np.abs(ref).max()))
    out[f"{axis}-{side}-{driving}-{mode}"] = max(errs)
phi = np.random.default_rng(6).standard_normal((6, 7, 8)) + 0.6
p = FlowProblem(pore=phi > 0, level_set=phi, axis="z", dtype="float64", force=1e-4)
ref = lbm_torch.simulate(p, 3)
got = lbm_triton.simulate(p, 3, neighbours="table", block=512)
out["level-set-table"] = float(np.abs(got - ref).max() / np.abs(ref).max())
p = FlowProblem(pore=pore, axis="y", side_bc="freeslip", dtype="float64", tol=0.0,
                max_steps=6, check_every=3, force=1e-4)
a = lbm_triton.run(p, block=512)
b = lbm_torch.run(p)
out["run"] = [a.backend, a.steps, a.mean_velocity_xyz.tolist(), b.mean_velocity_xyz.tolist(),
              a.wall_force_xyz.tolist(), b.wall_force_xyz.tolist()]
print("RESULT" + json.dumps(out))
"""


@needs_triton
def test_triton_kernel_matches_torch_step_for_step_in_interpreter():
    env = dict(os.environ, TRITON_INTERPRET="1", PORESTUDIO_DEVICE="")
    proc = subprocess.run(
        [sys.executable, "-c", _INTERPRET_SCRIPT],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    out = json.loads(line[len("RESULT") :])
    backend, steps, ua, ub, wa, wb = out.pop("run")
    for case, err in out.items():
        assert err < 1e-10, case
    assert backend == "cpu-interpret-triton-map" and steps == 6
    assert _rel(ua, ub) < 1e-10
    assert _rel(wa, wb) < 1e-10 and np.abs(wb).max() > 0


# --- real CUDA path -------------------------------------------------------------------------


@pytest.mark.gpu
@needs_cuda
def test_resolve_device_finds_cuda(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cuda") == "cuda"


@pytest.mark.gpu
@needs_cuda
@needs_triton
@pytest.mark.parametrize(
    ("axis", "side", "driving", "mode"),
    [("x", "periodic", "force", "map"), ("y", "freeslip", "force", "map"),
     ("z", "noslip", "force", "map"), ("x", "freeslip", "pressure", "table"),
     ("y", "periodic", "force", "table")],
)  # fmt: skip
def test_cuda_triton_matches_torch_step_for_step(axis, side, driving, mode):
    pore = _random_pore((20, 24, 28), 7)
    base = dict(pore=pore, axis=axis, side_bc=side, driving=driving, force=1e-4)
    ref = lbm_torch.simulate(FlowProblem(**base, dtype="float64", device="cuda"), 40)
    got32 = lbm_triton.simulate(FlowProblem(**base, dtype="float32", device="cuda"), 40,
                                neighbours=mode)  # fmt: skip
    got64 = lbm_triton.simulate(FlowProblem(**base, dtype="float64", device="cuda"), 40,
                                neighbours=mode)  # fmt: skip
    assert _rel(got64, ref) < 1e-10
    assert _rel(got32, ref) < 1e-5  # float32 storage and arithmetic


@pytest.mark.gpu
@needs_cuda
@needs_triton
def test_cuda_triton_level_set_walls_match_torch():
    phi = np.random.default_rng(8).standard_normal((20, 24, 28)) + 0.6
    base = dict(pore=phi > 0, level_set=phi, axis="x", force=1e-4)
    ref = lbm_torch.simulate(FlowProblem(**base, dtype="float64", device="cuda"), 40)
    got = lbm_triton.simulate(FlowProblem(**base, dtype="float64", device="cuda"), 40)
    assert _rel(got, ref) < 1e-10


@pytest.mark.gpu
@needs_cuda
@needs_triton
def test_cuda_triton_converges_like_cpu_backend():
    """float32 on the GPU against float64 numba, converged: velocities (transverse ones
    ~1e-12 included) and wall force agree to float32 accuracy."""
    from porestudio.physics.lbm import backend_cpu as lbm_cpu

    problem = FlowProblem(
        pore=_random_pore((16, 16, 16), 11, 0.8), axis="x", side_bc="freeslip",
        tol=1e-7, check_every=50,
    )  # fmt: skip
    ref = lbm_cpu.run(dataclass_replace(problem, dtype="float64"))
    got = lbm_triton.run(dataclass_replace(problem, device="cuda"))
    eager = lbm_triton.run(dataclass_replace(problem, device="cuda"), graphs=False)
    assert got.backend == "cuda-triton-map" and got.converged and ref.converged
    assert _rel(got.mean_velocity_xyz, ref.mean_velocity_xyz) < 1e-5
    assert _rel(got.wall_force_xyz, ref.wall_force_xyz) < 1e-5
    assert eager.steps == got.steps
    assert _rel(eager.mean_velocity_xyz[:1], got.mean_velocity_xyz[:1]) < 1e-6


@pytest.mark.gpu
@needs_cuda
def test_cuda_torch_backend_matches_cpu_torch():
    problem = FlowProblem(pore=_random_pore((12, 10, 14), 9), axis="z", dtype="float64",
                          tol=0.0, max_steps=30, check_every=10)  # fmt: skip
    a = lbm_torch.run(problem)
    b = lbm_torch.run(dataclass_replace(problem, device="cuda"))
    assert b.backend == "cuda-torch"
    assert _rel(b.mean_velocity_xyz, a.mean_velocity_xyz) < 1e-10


def dataclass_replace(problem: FlowProblem, **changes) -> FlowProblem:
    import dataclasses

    return dataclasses.replace(problem, **changes)
