"""The permeability driver: modes, shortcuts, symmetries and exact references."""

import json

import numpy as np
import pytest
from scipy import ndimage

from porestudio.errors import InputError
from porestudio.physics._kuhn import kuhn_off_diagonals
from porestudio.physics.lbm import backend_cpu as lbm_cpu
from porestudio.physics.lbm.flow import FlowProblem
from porestudio.physics.permeability import permeability, trivial_permeability
from porestudio.structures.volume import Structure

SQUARE_DUCT = 0.0351442537


def _duct(a: int = 8, depth: int = 3) -> np.ndarray:
    """A square duct of side ``a`` along z inside a one-voxel solid frame."""
    pore = np.zeros((depth, a + 2, a + 2), bool)
    pore[:, 1:-1, 1:-1] = True
    return pore


def _blobs(seed: int, n: int = 12, porosity: float = 0.6) -> np.ndarray:
    """A small random, periodic, percolating pore space (smoothed noise threshold)."""
    noise = np.random.default_rng(seed).standard_normal((n, n, n))
    smooth = ndimage.gaussian_filter(noise, 1.5, mode="wrap")
    return smooth < np.quantile(smooth, porosity)


def _inclined_plates(n: int = 48, period: int = 8, mirror: bool = False) -> np.ndarray:
    """Perforated solid plates along (1, 1, 0), two voxels thick (no diagonal leak), one
    voxel deep in z: the periodic tensor has k_xy = k_yx > 0. ``mirror`` reflects the left
    half onto the right half (a mirror plane normal to x: k_xy = 0)."""
    y, x = np.mgrid[0:n, 0:n]
    u, v = x % period, y % period
    solid = ((u - v) % period <= 1) & (u >= 2)
    if mirror:
        solid = np.concatenate([solid[:, : n // 2], solid[:, : n // 2][:, ::-1]], axis=1)
    return ~solid[None]


def test_all_pore_is_rejected_and_all_solid_is_zero():
    with pytest.raises(InputError, match="unbounded"):
        permeability(np.ones((4, 4, 4), bool))
    result = permeability(np.zeros((4, 4, 4), bool), tensor=True)
    assert np.array_equal(result.k_lu, np.zeros((3, 3)))
    assert result.runs == () and "all solid" in result.notes[0]


def test_trivial_permeability_is_the_scorers_rule():
    assert trivial_permeability(np.zeros((4, 4, 4), bool)) == 0.0
    assert np.isnan(trivial_permeability(np.ones((4, 4, 4), bool)))
    assert trivial_permeability(_duct()) is None  # needs a run


def test_non_percolating_axes_are_zero_without_a_run():
    result = permeability(_duct(), method="lbm")
    assert result.k_lu[0, 0] == 0.0 and result.k_lu[1, 1] == 0.0
    assert [r.method for r in result.runs] == ["none", "none", "lbm"]
    assert any("normal to x" in note for note in result.notes)
    assert np.isnan(result.k_lu[0, 1])  # off-diagonals not computed without tensor


def test_duct_lbm_and_exact_stokes2d_agree_with_the_series():
    a = 8
    exact = SQUARE_DUCT * a * a * a * a / (a + 2) ** 2
    lbm = permeability(_duct(a), axes="z", method="lbm")
    auto = permeability(_duct(a), axes="z")
    assert auto.method == "stokes2d" and lbm.method == "lbm"
    assert auto.k_lu[2, 2] == pytest.approx(exact, rel=1e-3)
    assert lbm.k_lu[2, 2] == pytest.approx(exact, rel=0.015)
    assert lbm.runs[0].converged and lbm.runs[0].steps > 0
    assert np.isnan(lbm.k_lu[0, 0])  # only the requested axis


def test_tensor_of_a_rotated_structure_is_the_permuted_tensor():
    pore = _blobs(1)
    k = permeability(pore, tensor=True, mode="periodic", tol=1e-7).k_lu
    rotated = np.ascontiguousarray(np.rot90(pore, axes=(1, 2)))  # a 90° turn about z
    k_rot = permeability(rotated, tensor=True, mode="periodic", tol=1e-7).k_lu
    # rot90 over (y, x) arrays: new[y, x] = old[x, n-1-y], so new x = old y, new y = -old x
    rot = np.array([[0, 1, 0], [-1, 0, 0], [0, 0, 1]])
    assert np.allclose(k_rot, rot @ k @ rot.T, rtol=2e-3, atol=2e-3 * np.abs(k).max())
    assert np.all(np.diag(k) > 0)


def test_mirror_symmetric_structure_has_zero_off_diagonals():
    half = _blobs(2, n=12)[:, :, :6]
    pore = np.concatenate([half, half[:, :, ::-1]], axis=2)  # mirror in x
    result = permeability(pore, tensor=True, mode="periodic", tol=1e-7)
    k = result.k_lu
    scale = np.abs(np.diag(k)).max()
    assert abs(k[0, 1]) < 1e-4 * scale and abs(k[0, 2]) < 1e-4 * scale
    assert abs(k[1, 0]) < 1e-4 * scale and abs(k[2, 0]) < 1e-4 * scale
    assert result.asymmetry < 0.05


def test_kuhn_tensor_has_free_slip_runs_and_noslip_diagonal_below_periodic():
    pore = _blobs(3, n=12, porosity=0.65)
    kuhn = permeability(pore, tensor=True, mode="kuhn", tol=1e-6)
    periodic = permeability(pore, axes="all", mode="periodic", tol=1e-6)
    assert [r.side_bc for r in kuhn.runs] == ["noslip"] * 3 + ["freeslip"] * 3
    assert np.isfinite(kuhn.k_lu).all()
    assert np.all(np.diag(kuhn.k_lu) < np.diag(periodic.k_lu))  # wall drag
    assert kuhn.asymmetry < 0.5


def test_extruded_structure_runs_transverse_flow_on_a_one_voxel_slab():
    section = _blobs(1, n=12)[0]
    pore = np.repeat(section[None], 5, axis=0)
    result = permeability(pore, axes="x", mode="periodic", method="lbm")
    thin = permeability(section[None].copy(), axes="x", mode="periodic", method="lbm")
    assert "slab" in result.runs[0].note
    assert result.k_lu[0, 0] == pytest.approx(thin.k_lu[0, 0], rel=1e-6)


def test_units_voxel_size_and_json():
    structure = Structure(_duct(6), voxel_size_m=2e-6)
    result = permeability(structure, axes="z")
    assert result.k_m2[2, 2] == pytest.approx(result.k_lu[2, 2] * 4e-12)
    assert result.k_darcy[2, 2] == pytest.approx(result.k_m2[2, 2] / 9.869233e-13)
    override = permeability(structure, axes="z", voxel_size_m=1e-6)
    assert override.k_m2[2, 2] == pytest.approx(result.k_m2[2, 2] / 4)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["k_lu"][0][0] is None and data["k_lu"][2][2] > 0
    assert data["runs"][0]["method"] == "stokes2d" and data["voxel_size_m"] == 2e-6
    assert permeability(_duct(6), axes="z").k_m2 is None


def test_progress_reaches_the_total():
    calls = []
    permeability(_duct(6), axes="z", method="lbm", progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1] == 1000
    assert all(b[0] >= a[0] for a, b in zip(calls, calls[1:], strict=False))


def test_progress_rises_during_a_run():
    """Inside one LBM run the bar moves (residual on a log scale), not only at its end."""
    calls = []
    result = permeability(
        _blobs(3), axes="x", method="lbm", mode="periodic",
        progress=lambda d, t: calls.append(d),
    )  # fmt: skip
    assert result.runs[0].steps >= 500  # several checks: a run worth watching
    during = [d for d in calls[:-1] if 0 < d < 1000]
    assert len(set(during)) >= 3 and max(during) >= 300  # moved, and far, before the end
    assert calls == sorted(calls) and calls[-1] == 1000


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"mode": "free"}, "mode"), ({"method": "fem"}, "method"), ({"axes": "w"}, "axis"),
     ({"tol": 0.0}, "tol"), ({"device": "tpu"}, "device"), ({"tau": 0.4}, "tau")],
)  # fmt: skip
def test_bad_arguments_are_input_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        permeability(_duct(4), **kwargs)


def test_stokes2d_needs_an_extruded_structure_and_a_boolean_array():
    with pytest.raises(InputError, match="extruded"):
        permeability(_blobs(5, n=8), axes="x", method="stokes2d")
    with pytest.raises(InputError, match="boolean"):
        permeability(np.ones((3, 3, 3), dtype=np.uint8))


@pytest.mark.parametrize("mirror", [False, True])
def test_kuhn_off_diagonals_of_inclined_plates_match_the_periodic_tensor(mirror):
    """Free-slip runs + wall pressure give K_slip = nu U G^-1 (module _kuhn); for plates
    inclined at 45 deg, 6 periods wide, each off-diagonal is within 15 % of the periodic
    tensor's and their mean within 6 % (the wall layers add an O(period / width) error);
    a mirror-symmetric structure gives zero."""
    pore = _inclined_plates(mirror=mirror)
    periodic = permeability(pore, tensor=True, mode="periodic", tol=1e-7).k_lu
    tau, force = 1.0, 1e-6
    slip = {
        a: lbm_cpu.run(FlowProblem(pore, axis=a, side_bc="freeslip", tau=tau, force=force))
        for a in "xy"
    }
    k = np.full((3, 3), np.nan)
    assert kuhn_off_diagonals(k, slip, pore, (tau - 0.5) / 3.0, force) == []
    assert np.all(k[[0, 1, 2, 2], [2, 2, 0, 1]] == 0.0)  # no z run: zero by symmetry
    ref = periodic[0, 1]
    if mirror:
        assert abs(ref) < 1e-6 * periodic[0, 0]
        assert abs(k[0, 1]) < 1e-4 * periodic[0, 0] and abs(k[1, 0]) < 1e-4 * periodic[0, 0]
        return
    assert ref > 0.5 * periodic[0, 0]  # strongly non-diagonal
    assert k[0, 1] == pytest.approx(ref, rel=0.15) and k[1, 0] == pytest.approx(ref, rel=0.15)
    assert (k[0, 1] + k[1, 0]) / 2 == pytest.approx(ref, rel=0.06)


def test_kuhn_mode_off_diagonals_vanish_for_a_mirror_symmetric_structure():
    half = _blobs(4, n=12, porosity=0.65)[:, :, :6]
    pore = np.concatenate([half, half[:, :, ::-1]], axis=2)  # mirror plane normal to x
    k = permeability(pore, tensor=True, mode="kuhn").k_lu
    scale = np.diag(k).max()
    assert np.all(np.diag(k) > 0)
    for i, j in ((0, 1), (1, 0), (0, 2), (2, 0)):
        assert abs(k[i, j]) < 1e-3 * scale


def test_auto_device_is_resolved_before_the_backend_sees_it(monkeypatch):
    """'auto' must reach the solver as a concrete device (cpu here: no CUDA in CI)."""
    import numpy as _np

    from porestudio.physics import device as _device
    from porestudio.physics.permeability import permeability as _perm

    monkeypatch.delenv(_device.ENV_VAR, raising=False)
    pore = _np.zeros((1, 8, 4), bool)
    pore[:, 2:6, :] = True  # a slit along x
    res = _perm(pore, axes="x", method="lbm", device="auto", tol=1e-7)
    expected = "cuda" if _device.cuda_available() else "cpu"
    assert res.runs[0].backend.startswith(expected)
    assert res.k_lu[0, 0] > 0


def _winding_channel() -> np.ndarray:
    """A 3-voxel channel that winds once around x through the y faces; it connects no two
    opposite faces inside the cube."""
    q = np.zeros((12, 12, 12), bool)
    q[5:8, 0:3, 0:7] = True  # A: y 0..2, x 0..6
    q[5:8, 9:12, 4:12] = True  # B: y 9..11, x 4..11; meets A across the y faces
    q[5:8, 9:12, 0:2] = True  # C: meets B across the x faces and A across the y faces
    return q


def test_a_channel_around_the_periodic_domain_flows_in_periodic_mode_only():
    q = _winding_channel()
    periodic = permeability(q, mode="periodic", axes="x")
    assert periodic.k_lu[0, 0] > 1e-3
    assert periodic.runs[0].method != "none"
    # the same channel between walls: no path from face to face, no run, k = 0
    walled = permeability(q, mode="kuhn", axes="x")
    assert walled.k_lu[0, 0] == 0.0
    assert any("connects the two faces normal to x" in n for n in walled.notes)
