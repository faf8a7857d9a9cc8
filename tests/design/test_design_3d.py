"""The 3D design space: targets φ, kx, ky, kz on a real tiny 3D pVAE, verified by the LBM."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.design.inverse import DesignOptions, design
from porestudio.physics.permeability import permeability
from porestudio.structures import morphology
from porestudio.structures.dataset import DatasetWriter
from porestudio.structures.generators import grf

N = 8
COUNT = 36
FAST = DesignOptions(k_init=8, keep=2, pool=2, raw=1, screen_steps=5, steps=3, n_verify=2)
TINY_3D = {
    "arch": {"channels": [4, 8, 8, 8], "latent_dim": 8},
    "stages": [{"name": "joint", "epochs": 3, "lr": 2e-3,
                "train": ["encoder", "decoder", "regressor"], "recon": 1.0, "beta": 1.0,
                "gamma": 5.0}],
}  # fmt: skip


@pytest.fixture(scope="module")
def model_3d(tmp_path_factory):
    from porestudio.ml import api

    folder = tmp_path_factory.mktemp("d3")
    pores = np.stack([
        grf(7, shape=N, porosity=0.45 + 0.1 * (i % 3) / 2, correlation_length_vox=(1.5, 2, 2.5),
            periodic=True, index=i).pore
        for i in range(COUNT)
    ])  # fmt: skip
    k = np.full((COUNT, 3, 3), np.nan)
    for i, p in enumerate(pores):
        k[i][np.diag_indices(3)] = np.diag(permeability(p, mode="periodic", tol=1e-4).k_lu)
    data = folder / "grf.h5"
    with DatasetWriter(data, shape=(N, N, N), voxel_size_m=None) as w:
        w.append(pores, properties={"permeability_lu": k,
                                    "label_status": np.ones(COUNT, np.int8)})  # fmt: skip
        w.set_property_attrs("permeability_lu", {"unit": "voxel^2", "boundary_mode": "periodic"})
    api.train("pvae", data, folder / "m", device="cpu", seed=0, config_overrides=TINY_3D)
    return api.load(folder / "m"), data, folder / "m"


@pytest.fixture(scope="module")
def cnn_3d(model_3d):
    """A tiny 3D CNN surrogate on the same cubes (it reads k off a structure, where the tiny
    pVAE's regressor, 3 epochs old, barely does)."""
    from porestudio.ml import api

    _, data, folder = model_3d
    arch = {"channels": [4, 8, 8, 8], "kernels": [3, 3, 3, 3]}
    api.train("cnn", data, folder.parent / "c", epochs=40, seed=1,
              config_overrides={"arch": arch})  # fmt: skip
    return api.load(folder.parent / "c")


@pytest.mark.slow
def test_3d_design_percolates_and_matches_the_lbm(model_3d):
    model, data, _ = model_3d
    assert model.spec.dims == 3 and "k_xx" in model.spec.properties
    r = design(model, {"porosity": 0.5, "kx": 0.2, "ky": 0.3, "kz": 0.4}, candidates=1,
               data=data, options=FAST)[0]  # fmt: skip
    assert r.names == ("porosity", "k_xx", "k_yy", "k_zz")
    best = r.candidates[0]
    assert best.pore.shape == (N, N, N)
    assert best.percolates and all(morphology.percolates(best.pore, 6))
    assert morphology.floating_solid_islands(best.pore) == 0
    direct = permeability(best.pore, mode="periodic")
    for j, name in enumerate(("k_xx", "k_yy", "k_zz")):
        assert best.verified[name] == pytest.approx(direct.k_lu[j, j], rel=1e-9)
    assert best.verified["porosity"] == pytest.approx(best.pore.mean())
    assert r.baseline.source == "training"


@pytest.mark.slow
def test_3d_design_from_the_cli(model_3d, tmp_path, capsys):
    from porestudio.cli import main
    from porestudio.structures.dataset import open_dataset

    _, data, folder = model_3d
    out = tmp_path / "d3.h5"
    args = ["design", str(folder), "--porosity", "0.5", "--kx", "0.2", "--ky", "0.3", "--kz",
            "0.4", "--data", str(data), "--k-init", "6", "--steps", "2", "--candidates", "1",
            "--start", f"{data}:0", "--polish-steps", "1", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    assert "k_xx" in capsys.readouterr().out
    with open_dataset(out) as ds:
        p = ds.properties(["verified_k_xx", "verified_k_yy", "verified_k_zz", "rank"])
        assert np.isfinite(p["verified_k_zz"]).all() and (p["rank"] >= 1).any()


@pytest.mark.slow
def test_bench_script_on_a_3d_model(model_3d, tmp_path):
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("bench_design",
                                                  root / "scripts" / "bench_design.py")  # fmt: skip
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    model, data, folder = model_3d
    test = model.config["training"]["test_indices"]
    assert test
    md = tmp_path / "bench.md"
    assert bench.main(["--model", str(folder), "--data", str(data), "--count", "2",
                       "--k-init", "6", "--screen-steps", "3", "--n-verify", "2",
                       "--candidates", "1", "--out", str(md)]) == 0  # fmt: skip
    text = md.read_text()
    assert "held-out targets" in text and "2 targets" in text
    for col in ("median err k_xx", "median err k_yy", "median err k_zz", "median abs Δφ"):
        assert col in text
    assert "| all | physics |" in text and "uniform" not in text
    # two parallel halves of 4 targets, pooled: the same 4 targets, each designed once
    common = ["--model", str(folder), "--data", str(data), "--count", "4", "--k-init", "6",
              "--screen-steps", "3", "--n-verify", "2", "--candidates", "1"]  # fmt: skip
    for i in (1, 2):
        assert bench.main([*common, "--part", f"{i}/2", "--save", str(tmp_path / f"p{i}.npz"),
                           "--out", str(tmp_path / f"p{i}.md")]) == 0  # fmt: skip
    merge = _script(root, "merge_bench_design")
    out = tmp_path / "pooled.md"
    assert merge.main([str(tmp_path / "p1.npz"), str(tmp_path / "p2.npz"), "--out", str(out)]) == 0
    halves = [bench.load_result(tmp_path / f"p{i}.npz") for i in (1, 2)]
    from porestudio.design.inverse import resolve_reference

    ref = resolve_reference(model, data)
    whole, _ = bench.heldout_targets(model, ref, 4, 0)  # as many as the test split has
    assert len(whole) >= 2 and all(h["n"] >= 1 for h in halves)
    cols = [list(model.spec.properties).index(n) for n in halves[0]["names"]]
    pooled = np.concatenate([h["target"] for h in halves])
    np.testing.assert_allclose(pooled, whole[:, cols])
    assert f"({len(whole)} targets," in out.read_text() and "| all | physics |" in out.read_text()
    # --exclude: the first half's targets are not drawn again (a fresh set)
    rest, _ = bench.heldout_targets(model, ref, 4, 0, exclude=halves[0]["target"])
    assert len(rest) == len(whole) - halves[0]["n"]
    assert not np.isclose(rest[:, None, cols], halves[0]["target"][None]).all(-1).any()


def _script(root, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, root / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_3d_model_gets_the_3d_design_defaults_and_its_physics_tolerance(model_3d):
    import dataclasses

    from porestudio.design.inverse import DEFAULTS_3D, options_for

    model, data, _ = model_3d
    opts = options_for(model, physics_device="cpu")
    assert {k: getattr(opts, k) for k in DEFAULTS_3D} == DEFAULTS_3D
    loose = dataclasses.replace(FAST, physics_tol=1e-3)
    best = design(model, {"porosity": 0.5, "kx": 0.2}, candidates=1, data=data,
                  options=loose)[0].candidates[0]  # fmt: skip
    direct = permeability(best.pore, mode="periodic", tol=1e-3, axes=("x",))
    assert best.verified["k_xx"] == pytest.approx(direct.k_lu[0, 0], rel=1e-9)


def test_a_verification_past_its_step_limit_is_left_unverified_not_waited_for(model_3d):
    import dataclasses

    model, data, _ = model_3d
    capped = dataclasses.replace(FAST, physics_max_steps=10)  # no run converges in 10 steps
    r = design(model, {"porosity": 0.5, "kx": 0.2}, candidates=1, data=data,
               options=capped)[0]  # fmt: skip
    best = r.candidates[0]
    assert best.pore.shape == (N, N, N)
    assert np.isnan(best.verified["k_xx"])  # not verified rather than a wrong number


@pytest.mark.slow
def test_the_physics_polish_never_worsens_the_best_design_and_keeps_the_porosity(model_3d, cnn_3d):
    import dataclasses

    model, data, _ = model_3d
    # far more k than the decoded designs carry at this porosity: every target misses, and
    # the variants at a higher porosity promise a lower error (support check off)
    target = {"porosity": 0.5, "kx": 1.0, "ky": 1.0, "kz": 1.0}
    base = dataclasses.replace(FAST, verify_tol=1e-6, support_radius=10.0, retry_steps=0)
    plain = design(model, target, candidates=1, data=data, options=base,
                   surrogate=cnn_3d)[0].candidates[0]  # fmt: skip
    stats: dict = {}
    polished = dataclasses.replace(base, polish_steps=2, polish_max_dphi=0.1)
    r = design(model, target, candidates=1, data=data, options=polished, stats=stats,
               surrogate=cnn_3d)[0]  # fmt: skip
    best = r.candidates[0]
    assert stats["polish_runs"] >= 1
    assert stats["physics_runs"] == stats["polish_runs"] + 2  # n_verify 2, then the polish
    assert best.error <= plain.error + 1e-12
    if not np.array_equal(best.pore, plain.pore):  # a polished structure won: checked by physics
        assert abs(best.porosity - 0.5) <= 0.1 + 1 / N**3
        direct = permeability(best.pore, mode="periodic")
        assert best.verified["k_xx"] == pytest.approx(direct.k_lu[0, 0], rel=1e-9)
        assert best.percolates and morphology.floating_solid_islands(best.pore) == 0


@pytest.fixture(scope="module")
def pvae_phys(model_3d, tmp_path_factory):
    """The tiny pVAE fine-tuned with the physics input (it carries a calibrated estimate)."""
    from porestudio.ml import api

    _, data, folder = model_3d
    out = tmp_path_factory.mktemp("phys") / "p"
    over = {"arch": {"physics_inputs": ["conductance"]},
            "stages": [{"name": "joint", "epochs": 1, "gamma": 5.0}]}  # fmt: skip
    api.train("pvae", data, out, seed=0, init=folder, config_overrides=over)
    return api.load(out), out


def test_a_pvae_whose_encoder_reads_physics_inputs_designs_in_3d(model_3d, pvae_phys, tmp_path):
    from porestudio.design.latent import encode_dataset
    from porestudio.ml import api

    _, data, folder = model_3d
    model = pvae_phys[0]
    assert model.physics_inputs
    latent = encode_dataset(model, data)
    np.testing.assert_allclose(latent.mu[:3], model.encode(latent_pores(data, 3)), atol=1e-5)
    # a latent file of the starting model (same size, same properties) is refused for it
    from porestudio.cli import main
    from porestudio.design.reference import build_reference
    from porestudio.errors import InputError

    other = tmp_path / "base_latent.h5"
    assert main(["latent", str(folder), str(data), "--out", str(other)]) == 0
    with pytest.raises(InputError, match="another model"):
        build_reference(model, data, latent=other)
    assert len(build_reference(api.load(folder), data, latent=other)) == len(latent)
    r = design(model, {"porosity": 0.5, "kx": 0.2, "ky": 0.3, "kz": 0.4}, candidates=1,
               data=data, options=FAST)[0]  # fmt: skip
    best = r.candidates[0]
    assert best.percolates and best.pore.shape == (N, N, N)
    direct = permeability(best.pore, mode="periodic")
    assert best.verified["k_zz"] == pytest.approx(direct.k_lu[2, 2], rel=1e-9)


def test_3d_candidates_are_scored_by_the_calibrated_estimate_or_the_network(model_3d, pvae_phys):
    import dataclasses

    from porestudio.errors import InputError

    plain, data, _ = model_3d
    phys = pvae_phys[0]
    target = {"porosity": 0.5, "kx": 0.2, "ky": 0.3, "kz": 0.4}
    for scorer in ("auto", "estimate", "network"):
        opts = dataclasses.replace(FAST, scorer=scorer)
        best = design(phys, target, candidates=1, data=data, options=opts,
                      verify=None)[0].candidates[0]  # fmt: skip
        est = phys.estimate(best.pore[None])
        net = phys.predict(best.pore[None])
        want = net if scorer == "network" else est
        for name in ("k_xx", "k_yy", "k_zz"):
            assert best.predicted[name] == pytest.approx(float(want[name][0]), rel=1e-6)
        assert best.predicted["porosity"] == pytest.approx(best.porosity)
    # a model without the physics input has no estimate: auto uses its network, estimate fails
    assert plain.estimate(best.pore[None]) is None
    with pytest.raises(InputError, match="scorer 'estimate' needs"):
        design(plain, target, candidates=1, data=data, verify=None,
               options=dataclasses.replace(FAST, scorer="estimate"))  # fmt: skip
    with pytest.raises(InputError, match="unknown scorer"):
        design(plain, target, data=data, options=dataclasses.replace(FAST, scorer="cnn"))


def test_the_scorer_check_script_compares_network_and_estimate_with_the_lbm(model_3d, pvae_phys,
                                                                             tmp_path):  # fmt: skip
    from pathlib import Path

    check = _script(Path(__file__).resolve().parents[2], "check_scorers_3d")
    _, data, _ = model_3d
    model, folder = pvae_phys[0], str(pvae_phys[1])
    common = ["--model", folder, "--cnn", folder, "--data", str(data), "--count", "2"]
    for i in (1, 2):
        assert check.main([*common, "--part", f"{i}/2", "--save", str(tmp_path / f"{i}.npz")]) == 0
    out = tmp_path / "check.md"
    assert check.main(["--merge", str(tmp_path / "1.npz"), str(tmp_path / "2.npz"),
                       "--out", str(out)]) == 0  # fmt: skip
    parts = [np.load(tmp_path / f"{i}.npz") for i in (1, 2)]
    cubes = np.random.default_rng(5).choice(model.config["training"]["test_indices"], 2, False)
    assert set(np.concatenate([p["index"] for p in parts]).tolist()) == set(cubes.tolist())
    lbm = np.concatenate([p["lbm"] for p in parts])
    est = np.concatenate([p["estimate"] for p in parts])
    assert np.isfinite(lbm).all() and (est >= 0).all()
    assert "| all (" in out.read_text() and "| estimate |" in out.read_text()


def test_the_search_before_physics_adds_variants_that_score_closer(model_3d, pvae_phys):
    import dataclasses

    _, data, _ = model_3d
    phys = pvae_phys[0]
    # strongly anisotropic: the decoded structures miss it, their smoothed variants less so
    target = {"porosity": 0.5, "kx": 0.02, "ky": 0.05, "kz": 0.3}
    runs = {}
    for n in (0, 2):
        stats: dict = {}
        opts = dataclasses.replace(FAST, search_candidates=n, steps=0)
        r = design(phys, target, candidates=1, data=data, options=opts, verify=None, stats=stats)
        runs[n] = (r[0].candidates[0], stats)
    (plain, s0), (found, s2) = runs[0], runs[2]
    assert s2["scored"] > s0["scored"] + 8  # at least the grid of one candidate
    assert found.error <= plain.error + 1e-12  # its pool holds every plain candidate and more
    est = phys.estimate(found.pore[None])
    assert found.predicted["k_zz"] == pytest.approx(float(est["k_zz"][0]), rel=1e-6)
    assert found.percolates and morphology.floating_solid_islands(found.pore) == 0


def latent_pores(data, n: int) -> np.ndarray:
    from porestudio.structures.dataset import open_dataset

    with open_dataset(data) as ds:
        return ds.pores(0, n)


def test_a_3d_path_carries_the_surrogates_calibrated_estimate_beside_its_network(
    model_3d, pvae_phys
):
    from porestudio.design.interpolate import path as interpolate
    from porestudio.ml.physics_inputs import compute

    model = model_3d[0]
    phys = pvae_phys[0]  # a model with physics inputs and a calibrated estimate
    z = model.encode(latent_pores(model_3d[1], 2))
    got = interpolate(model, z[0], z[1], steps=4, surrogate=phys)
    names = {f"estimate_k_{a}{a}" for a in "xyz"}
    assert names <= set(got.properties) and "cnn_k_xx" in got.properties
    est = phys.estimate(got.pores)
    for a in "xyz":
        np.testing.assert_allclose(got.properties[f"estimate_k_{a}{a}"], est[f"k_{a}{a}"])
    # the network's columns read the same physics inputs it would compute itself
    pred = phys.predict(got.pores, physics=compute(got.pores))
    np.testing.assert_allclose(got.properties["cnn_k_zz"], pred["k_zz"], rtol=1e-5)
    # a surrogate without an estimate adds none
    plain = interpolate(model, z[0], z[1], steps=4, surrogate=model)
    assert not any(k.startswith("estimate_") for k in plain.properties)


def test_a_path_surrogate_of_another_cube_size_is_refused_before_its_physics_inputs(
    pvae_phys, monkeypatch
):
    from porestudio.design.interpolate import surrogate_columns
    from porestudio.errors import InputError
    from porestudio.ml import physics_inputs

    def never(*_a, **_k):
        raise AssertionError("physics inputs computed for a surrogate that refuses the shape")

    monkeypatch.setattr(physics_inputs, "compute", never)
    phys = pvae_phys[0]
    n = phys.spec.sample_shape_zyx[0] + 8
    with pytest.raises(InputError, match="learned"):
        surrogate_columns(phys, np.random.default_rng(0).random((3, n, n, n)) < 0.5)
