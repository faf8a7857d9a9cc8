"""Default training configurations (stored, merged with overrides, in the model JSON).

Every number here is configuration, not code: ``train(..., config_overrides={...})``
replaces any of them (unknown keys are refused).
"""

from __future__ import annotations

import copy
from typing import Any

from porestudio.errors import InputError
from porestudio.ml._nn import merge

CNN_ARCH: dict[str, Any] = {
    "channels": [32, 64, 128, 256],
    "kernels": [3, 5, 5, 7],
    "dense": [64, 32],
    "padding": "zeros",  # or "circular" for periodic structures (ml/cnn.py)
    "physics_inputs": [],  # 3D: ["conductance"], a physics estimate of k (ml/physics_inputs.py)
}
PVAE_ARCH: dict[str, Any] = {
    "channels": [16, 32, 64, 64],
    "kernel": 4,  # of every stride-2 (transposed) convolution: 2, 3 or 4
    "latent_dim": None,  # None = 250 (2D) / 128 (3D), the paper's
    "regressor": [64, 32],
    "steepness": 10.0,  # a of SteepSigmoid(x) = sigmoid(a x), eq. 11
    "physics_inputs": [],  # 3D: ["conductance"], read by the μ/log σ² heads (ml/pvae.py)
}
DEFAULT_LATENT = {2: 250, 3: 128}

_COMMON: dict[str, Any] = {
    "batch_size": 32,
    "target_scaling": "log",  # "log" (log k, then min-max) or "minmax" (the paper's)
    "split_seed": None,  # None = the train seed
    "fractions": [0.8, 0.1, 0.1],
    "plateau": {"factor": 0.5, "patience": 3, "min_lr": 1e-6},
    "early_stopping": {"patience": 8, "min_delta": 0.0},
    "channels_last": True,  # measured faster on the CPU (docs/ml.md)
    "weight_decay": 0.0,
    "grad_clip": None,
    "augment": False,  # random label-preserving rotations/mirrors of training samples
    "periodic_shift": False,  # random circular shifts (labels with periodic boundaries only)
    "surrogate_labels": False,  # also train on CNN-labelled samples (never val/test)
    "pretrain_data": None,  # pVAE: a dataset whose samples join the VAE stages (ml/pretrain.py)
    # a model folder whose recorded test samples are this run's test part: a new
    # architecture is measured on the very samples an earlier model was (ml/finetune.keep_test)
    "test_like": None,
}

# stage: epochs, lr, which parts train, loss weights (recon, beta = KL, gamma = property MSE)
PVAE_STAGES: list[dict[str, Any]] = [
    {
        "name": "vae",
        "epochs": 30,
        "lr": 1e-3,
        "train": ["encoder", "decoder"],
        "recon": 1.0,
        "beta": 1.0,
        "gamma": 0.0,
    },
    {
        "name": "regressor",
        "epochs": 30,
        "lr": 3e-3,
        "train": ["regressor"],
        "recon": 0.0,
        "beta": 0.0,
        "gamma": 1.0,
    },
    {
        "name": "joint",
        "epochs": 30,
        "lr": 3e-4,
        "train": ["encoder", "decoder", "regressor"],
        "recon": 1.0,
        "beta": 1.0,
        "gamma": 1.0,
    },
    {
        "name": "transfer",
        "epochs": 30,
        "lr": 3e-4,
        "train": ["encoder", "regressor"],
        "recon": 1.0,
        "beta": 1.0,
        "gamma": 10.0,
    },
]
CNN_STAGES: list[dict[str, Any]] = [{"name": "cnn", "epochs": 100, "lr": 1e-3, "train": ["all"]}]


def default_config(kind: str, dims: int) -> dict[str, Any]:
    """The default training configuration of ``kind`` ("cnn" or "pvae") for 2D or 3D data."""
    cfg = copy.deepcopy(_COMMON)
    if kind == "cnn":
        cfg.update(arch=copy.deepcopy(CNN_ARCH), stages=copy.deepcopy(CNN_STAGES), batch_size=16)
    elif kind == "pvae":
        arch = copy.deepcopy(PVAE_ARCH)
        arch["latent_dim"] = DEFAULT_LATENT[dims]
        cfg.update(arch=arch, stages=copy.deepcopy(PVAE_STAGES))
    else:
        raise InputError(f"unknown model kind {kind!r}; use cnn or pvae")
    return cfg


def make_config(
    kind: str,
    dims: int,
    overrides: dict[str, Any] | None = None,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Defaults merged with ``overrides``; ``epochs`` sets every stage's epoch count.

    A stage in ``overrides["stages"]`` named like a default stage (``vae``, ``regressor``,
    ``joint``, ``transfer``, ``cnn``) takes that stage's settings for the keys it omits, so
    ``{"stages": [{"name": "transfer", "epochs": 5}]}`` is a complete schedule.
    """
    base = default_config(kind, dims)
    named = {st["name"]: st for st in base["stages"]}
    cfg = merge(base, overrides)
    cfg["stages"] = [{**named.get(st.get("name"), {}), **st} for st in cfg["stages"]]
    if epochs is not None:
        if int(epochs) < 1:
            raise InputError(f"epochs must be >= 1; got {epochs}")
        for stage in cfg["stages"]:
            stage["epochs"] = int(epochs)
    if batch_size is not None:
        cfg["batch_size"] = int(batch_size)
    if int(cfg["batch_size"]) < 1:
        raise InputError(f"batch size must be >= 1; got {cfg['batch_size']}")
    check_stages(kind, cfg["stages"])
    return cfg


def check_stages(kind: str, stages: list[dict[str, Any]]) -> None:
    """InputError for a malformed stage list."""
    if not stages:
        raise InputError("the training schedule has no stages")
    parts = {"all"} if kind == "cnn" else {"encoder", "decoder", "regressor"}
    for st in stages:
        for key in ("name", "epochs", "lr", "train"):
            if key not in st:
                raise InputError(f"stage {st.get('name', '?')!r} lacks {key!r}")
        if not set(st["train"]) <= parts or not st["train"]:
            raise InputError(f"stage {st['name']!r}: train must list some of {sorted(parts)}")
        if int(st["epochs"]) < 0 or not float(st["lr"]) > 0:
            raise InputError(f"stage {st['name']!r}: epochs >= 0 and lr > 0 required")
