"""The same train entry point under torchrun with 2 CPU processes (gloo, DDP)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.ddp
def test_torchrun_two_processes_train_one_model(squares_set, tmp_path):
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(f"""
        from porestudio.ml.api import train
        cfg = {{"arch": {{"channels": [4, 8, 8, 8], "latent_dim": 8}}, "stages": [
            {{"name": "vae", "epochs": 1, "lr": 1e-3, "train": ["encoder", "decoder"],
              "recon": 1.0, "beta": 1.0, "gamma": 0.0}},
            {{"name": "joint", "epochs": 1, "lr": 1e-3,
              "train": ["encoder", "decoder", "regressor"], "recon": 1.0, "beta": 1.0,
              "gamma": 1.0}}]}}
        train("pvae", {str(squares_set)!r}, {str(tmp_path / "m")!r}, device="cpu",
              config_overrides=cfg)
    """)
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           "--nproc-per-node", "2", str(script)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = json.loads((tmp_path / "m" / "model.json").read_text())
    assert config["training"]["world_size"] == 2
    assert [ev["stage"] for ev in config["training"]["history"]] == ["vae", "joint"]
    assert not (tmp_path / "m" / "checkpoint.safetensors").exists()
