from __future__ import annotations

import numpy as np
import pytest

from porestudio.errors import Cancelled, SolverError
from porestudio.ml import _checkpoint, api
from porestudio.ml.model import LoadedModel

TINY_PVAE = {"arch": {"channels": [8, 16, 16, 16], "latent_dim": 16}}


def test_pvae_trains_and_beats_the_mean_baseline(squares_set, tmp_path):
    events = []
    r = api.train(
        "pvae", squares_set, tmp_path / "p", progress=events.append,
        config_overrides={**TINY_PVAE, "stages": [
            {"name": "vae", "epochs": 3, "lr": 2e-3, "train": ["encoder", "decoder"],
             "recon": 1.0, "beta": 1.0, "gamma": 0.0},
            {"name": "joint", "epochs": 8, "lr": 2e-3,
             "train": ["encoder", "decoder", "regressor"], "recon": 1.0, "beta": 1.0,
             "gamma": 5.0},
        ]},
    )  # fmt: skip
    test = r.metrics["held_out"]["test"]
    assert test["porosity"]["r2"] > 0.3 and test["k_zz"]["r2"] > 0.3
    assert {"stage", "epoch", "epochs", "lr", "train_recon", "val_kl", "val_prop"} <= set(
        events[-1]
    )
    m = api.load(r.directory)
    assert isinstance(m, LoadedModel) and m.latent_dim == 16
    assert not _checkpoint.path_in(r.directory).exists()
    mu = m.encode(np.ones((2, 2, 20, 20), bool))
    prob = m.decode(mu)
    assert prob.shape == (2, 20, 20)
    assert m.to_pores(prob).shape == (2, 2, 20, 20)


def test_cancelled_training_resumes_at_the_next_epoch(squares_set, tmp_path):
    seen = []

    def stop_at_2(ev):
        seen.append((ev["stage"], ev["epoch"]))
        if ev["epoch"] == 2:
            raise Cancelled("stop")

    kw = dict(epochs=3, config_overrides={"arch": {"channels": [4, 8, 8, 8]}})
    with pytest.raises(Cancelled):
        api.train("cnn", squares_set, tmp_path / "c", progress=stop_at_2, **kw)
    assert _checkpoint.path_in(tmp_path / "c").exists()
    import json

    progress = json.loads((tmp_path / "c" / "progress.json").read_text())
    assert progress["epoch"] == 2 and len(progress["history"]) == 2
    r = api.train(
        "cnn",
        squares_set,
        tmp_path / "c",
        progress=lambda ev: seen.append((ev["stage"], ev["epoch"])),
        **kw,
    )
    assert r.resumed and seen == [("cnn", 1), ("cnn", 2), ("cnn", 3)]
    assert len(r.history) == 3


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(squares_set, tmp_path):
    cfg = {**TINY_PVAE, "stages": [
        {"name": "vae", "epochs": 1, "lr": 1e-3, "train": ["encoder", "decoder"],
         "recon": 1.0, "beta": 1.0, "gamma": 0.0},
        {"name": "joint", "epochs": 3, "lr": 1e9, "train": ["encoder", "decoder", "regressor"],
         "recon": 1.0, "beta": 1.0, "gamma": 1.0},
    ]}  # fmt: skip
    with pytest.raises(SolverError, match="diverged"):
        api.train("pvae", squares_set, tmp_path / "n", config_overrides=cfg)
    ck = _checkpoint.load(tmp_path / "n")
    assert ck is not None and ck["state"]["stage"] >= 1
    assert all(bool(v.isfinite().all()) for v in ck["model"].values())


def test_deterministic_runs_give_identical_weights(squares_set, tmp_path):
    import json

    kw = dict(epochs=2, deterministic=True, config_overrides={"arch": {"channels": [4, 8, 8, 8]}})
    a = api.train("cnn", squares_set, tmp_path / "a", **kw)
    b = api.train("cnn", squares_set, tmp_path / "b", **kw)
    sha = [json.loads((r.directory / "model.json").read_text())["weights_sha256"] for r in (a, b)]
    assert sha[0] == sha[1]
    import torch

    assert not torch.are_deterministic_algorithms_enabled()


def test_a_killed_training_resumes_at_the_next_epoch(squares_set, tmp_path):
    import os
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent(f"""
        import os, signal
        from porestudio.ml.api import train
        def die(ev):
            if ev["epoch"] == 2:
                os.kill(os.getpid(), signal.SIGKILL)
        train("cnn", {str(squares_set)!r}, {str(tmp_path / "k")!r}, epochs=3, progress=die,
              config_overrides={{"arch": {{"channels": [4, 8, 8, 8]}}}})
    """)
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, timeout=120)
    assert proc.returncode == -9
    seen = []
    r = api.train("cnn", squares_set, tmp_path / "k", epochs=3, progress=seen.append,
                  config_overrides={"arch": {"channels": [4, 8, 8, 8]}})  # fmt: skip
    assert r.resumed and [ev["epoch"] for ev in seen] == [3]
    assert [ev["epoch"] for ev in r.history] == [1, 2, 3]


def test_latent_gradients_reach_z_through_a_frozen_model(squares_set, tmp_path):
    import torch

    r = api.train("pvae", squares_set, tmp_path / "g", epochs=1, config_overrides=TINY_PVAE)
    m = api.load(r.directory)
    z = torch.zeros(2, m.latent_dim, requires_grad=True)
    (m.regress_t(z).sum() + m.decode_t(z).mean()).backward()
    assert z.grad is not None and float(z.grad.abs().sum()) > 0
    assert all(p.grad is None for p in m.module.parameters())
    phys = m.scaler.inverse_t(m.regress_t(z))
    assert phys.shape == (2, 2) and phys.requires_grad
    mu, logvar = m.encode_stats(np.ones((3, 2, 20, 20), bool))
    assert mu.shape == logvar.shape == (3, 16) and mu.dtype == np.float32
