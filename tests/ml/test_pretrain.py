"""The VAE stages learn from unlabelled structures too (``pretrain_data`` / ``--pretrain``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from porestudio.cli import main
from porestudio.errors import InputError
from porestudio.ml import api
from porestudio.structures.dataset import DatasetWriter
from porestudio.structures.generators import squares_batch

SMALL = {
    "arch": {"channels": [4, 8, 8, 8], "latent_dim": 8},
    "stages": [
        {"name": "vae", "epochs": 1, "lr": 1e-3, "train": ["encoder", "decoder"],
         "recon": 1.0, "beta": 1.0, "gamma": 0.0},
        {"name": "joint", "epochs": 1, "lr": 1e-3, "train": ["encoder", "decoder", "regressor"],
         "recon": 1.0, "beta": 1.0, "gamma": 1.0},
    ],
}  # fmt: skip


def _unlabelled(path, count: int, size: int = 20, depth: int = 2, seed: int = 11):
    """Extruded squares sections like the labelled set's, without any label."""
    sections = squares_batch(count, seed, size=size, depth=depth, pore_size=4, n_pores=(3, 10))
    pores = np.broadcast_to(sections[:, None], (count, depth, size, size))
    with DatasetWriter(path, shape=(depth, size, size), voxel_size_m=None) as w:
        w.append(pores)
    return path


def test_the_vae_stage_learns_from_unlabelled_samples_and_nothing_else_does(squares_set,
                                                                            tmp_path):  # fmt: skip
    more = _unlabelled(tmp_path / "more.h5", 60)
    r = api.train("pvae", squares_set, tmp_path / "m", seed=1, deterministic=True,
                  config_overrides={**SMALL, "pretrain_data": str(more)})  # fmt: skip
    plain = api.train("pvae", squares_set, tmp_path / "p", seed=1, deterministic=True,
                      config_overrides=SMALL)  # fmt: skip
    n_train = r.config["training"]["split_sizes"]["train"]
    seen = {ev["stage"]: ev["samples"] for ev in r.history}
    assert seen == {"vae": n_train + 60, "joint": n_train}
    seen_plain = {ev["stage"]: ev["samples"] for ev in plain.history}
    assert seen_plain == {"vae": n_train, "joint": n_train}
    record = r.config["training"]["pretrain"]
    assert record["n"] == 60 and record["dataset"] == str(more)
    assert r.config["training"]["split_sizes"] == plain.config["training"]["split_sizes"]
    a = (tmp_path / "m" / "model.safetensors").read_bytes()
    assert a != (tmp_path / "p" / "model.safetensors").read_bytes()


def test_unusable_pretraining_data_is_refused(squares_set, grf3d_set, tmp_path):
    more = _unlabelled(tmp_path / "more.h5", 4)
    cases = [
        ("cnn", {"pretrain_data": str(more)}, "for the pVAE"),
        ("pvae", {**SMALL, "pretrain_data": str(grf3d_set)}, "does not fit"),
        ("pvae", {"arch": SMALL["arch"], "stages": SMALL["stages"][1:],
                  "pretrain_data": str(more)}, "no stage can use it"),
    ]  # fmt: skip
    for kind, cfg, message in cases:
        with pytest.raises(InputError, match=message):
            api.train(kind, squares_set, tmp_path / kind, config_overrides=cfg)
        assert not (tmp_path / kind / "model.safetensors").exists()


def test_train_pretrain_option_on_the_command_line(squares_set, tmp_path, capsys):
    more = _unlabelled(tmp_path / "more.h5", 8)
    out = tmp_path / "cli"
    assert main(["train", "pvae", str(squares_set), "--out", str(out), "--config",
                 json.dumps(SMALL), "--pretrain", str(more), "--json"]) == 0  # fmt: skip
    cfg = json.loads((out / "model.json").read_text())
    assert cfg["training"]["pretrain"]["n"] == 8
    capsys.readouterr()
    rc = main(["train", "pvae", str(squares_set), "--out", str(tmp_path / "bad"),
               "--pretrain", str(tmp_path / "missing.h5")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "missing.h5" in err


def test_a_resumed_run_refuses_changed_unlabelled_samples(squares_set, tmp_path):
    from porestudio.errors import Cancelled

    more = _unlabelled(tmp_path / "more.h5", 6)
    cfg = {**SMALL, "pretrain_data": str(more)}

    def stop(ev):
        raise Cancelled("stop")

    with pytest.raises(Cancelled):
        api.train("pvae", squares_set, tmp_path / "m", config_overrides=cfg, progress=stop)
    more.unlink()
    _unlabelled(more, 6, seed=12)  # same path, other structures
    with pytest.raises(InputError, match="belongs to another training"):
        api.train("pvae", squares_set, tmp_path / "m", config_overrides=cfg)
