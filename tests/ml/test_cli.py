"""``porestudio train | evaluate | predict | encode`` end to end, and their bad inputs."""

from __future__ import annotations

import hashlib
import json
import pickle

import h5py
import numpy as np
import pytest

from porestudio.cli import main
from porestudio.structures.dataset import DatasetWriter

TINY = json.dumps({"arch": {"channels": [4, 8, 8, 8], "latent_dim": 8}})


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def pvae_dir(squares_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "pvae"
    assert main(["train", "pvae", str(squares_set), "--out", str(out), "--epochs", "1",
                 "--config", TINY, "--json"]) == 0  # fmt: skip
    return out


def test_train_prints_epoch_lines_and_a_refusal_to_overwrite(pvae_dir, squares_set, capsys):
    assert (pvae_dir / "model.json").exists()
    rc = main(["train", "pvae", str(squares_set), "--out", str(pvae_dir), "--epochs", "1",
               "--config", TINY])  # fmt: skip
    assert rc == 2
    assert "already holds a trained model" in capsys.readouterr().err


def test_evaluate_json_uses_the_test_split(pvae_dir, squares_set, capsys):
    assert main(["evaluate", str(pvae_dir), str(squares_set), "--json", "--physics", "2"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["split"] == "test" and res["n"] == 24
    assert set(res["properties"]) == {"porosity", "k_zz"}
    assert 0 <= res["reconstruction"]["voxel_accuracy"] <= 1
    assert res["physics"]["n"] == 2 and len(res["physics"]["k_zz"]["solver_k"]) == 2


def test_predict_one_sample_and_encode_beside_the_dataset(pvae_dir, squares_set, capsys):
    before = _digest(squares_set)
    assert main(["predict", str(pvae_dir), f"{squares_set}:3", "--json"]) == 0
    pred = json.loads(capsys.readouterr().out)["predictions"]
    assert len(pred["k_zz"]) == 1 and pred["k_zz"][0] >= 0
    out = squares_set.parent / "mu.h5"
    assert main(["encode", str(pvae_dir), str(squares_set), "--out", str(out)]) == 0
    with h5py.File(out) as f:
        assert f["mu"].shape == (240, 8)
    assert main(["encode", str(pvae_dir), str(squares_set), "--out", str(out)]) == 2
    assert _digest(squares_set) == before


def test_bad_inputs_are_one_line_errors(pvae_dir, tmp_path, capsys):
    evil = tmp_path / "model.pt"
    evil.write_bytes(pickle.dumps([1, 2]))
    assert main(["predict", str(evil), "x.h5"]) == 2
    assert "pickle" in capsys.readouterr().err
    unlabelled = tmp_path / "raw.h5"
    with DatasetWriter(unlabelled, shape=(2, 20, 20), voxel_size_m=None) as w:
        w.append(np.zeros((3, 2, 20, 20), bool))
    assert main(["train", "cnn", str(unlabelled), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "no labelled samples" in err and err.count("\n") == 1
    wrong = tmp_path / "wrong.h5"
    with DatasetWriter(wrong, shape=(2, 21, 20), voxel_size_m=None) as w:
        w.append(np.zeros((3, 2, 21, 20), bool))
    assert main(["encode", str(pvae_dir), str(wrong), "--out", str(tmp_path / "z.h5")]) == 2
    assert "does not fit the model" in capsys.readouterr().err
