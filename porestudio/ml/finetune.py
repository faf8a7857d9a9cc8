"""Starting a training run from a trained model (``train --init MODEL``).

A fine-tune continues an existing model on the same kind of data: its architecture, target
scaling, fitted scaler, split seed and test samples are kept (so the regressor's outputs
mean the same and the held-out samples stay held out, also on a dataset that has gained
labels since: :func:`held_out_parts`), only the stages of the new configuration run. The
model file written at the end records where it started (``training.init_from``) and the
time already spent on it, so the reported training time stays honest.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.ml import modelfile
from porestudio.ml.data import DataSpec
from porestudio.ml.scaling import TargetScaler

log = logging.getLogger(__name__)

__all__ = [
    "InitModel",
    "gains_physics_inputs",
    "widen_state",
    "held_out_parts",
    "keep_test",
    "adopt",
    "init_overrides",
    "read_init",
    "record",
]


@dataclass(frozen=True)
class InitModel:
    """A model to start from: its folder, JSON config and weights (CPU tensors)."""

    path: Path
    config: dict[str, Any]
    state: dict[str, Any]

    @property
    def spec(self) -> DataSpec:
        return DataSpec.from_json(self.config.get("data", {}))


def read_init(path: str | os.PathLike, kind: str) -> InitModel:
    """Read the model to start from (never unpickles); refuse another model kind.

    Parameters
    ----------
    path : path
        Model folder (model.json + model.safetensors).
    kind : {"cnn", "pvae"}
        Kind being trained.
    """
    folder = modelfile.model_dir(path)
    config = modelfile.read_model_config(folder)
    if config["kind"] != kind:
        raise InputError(f"{folder.name} is a {config['kind']} model; it cannot start a {kind}")
    return InitModel(folder, config, modelfile.read_weights(folder, config))


def init_overrides(base: InitModel, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """``overrides`` with the starting model's architecture, scaling and split seed."""
    out = dict(overrides or {})
    training = base.config.get("training", {})
    if gains_physics_inputs(base, out.get("arch")):
        gained = list(out["arch"]["physics_inputs"])
        out["arch"] = {**base.config["arch"], "physics_inputs": gained}
        base = InitModel(base.path, {**base.config, "arch": out["arch"]}, base.state)
    for key, value in (
        ("arch", base.config.get("arch")),
        ("split_seed", training.get("split_seed")),
        ("target_scaling", training.get("config", {}).get("target_scaling")),
    ):
        if key in out and value is not None and out[key] != value:
            raise InputError(f"--init keeps the starting model's {key}; do not override it")
        if value is not None:
            out[key] = value
    fractions = training.get("config", {}).get("fractions")
    if fractions is not None:
        out.setdefault("fractions", fractions)
    return out


def gains_physics_inputs(base: InitModel, arch: dict[str, Any] | None) -> bool:
    """Whether ``arch`` (complete or only the keys it changes) is the starting pVAE's
    architecture plus physics inputs it lacks.

    Such a continuation is allowed: the μ and log σ² heads gain zero-weighted columns for
    the inputs (:func:`widen_state`), so the continued model starts as the starting one.
    """
    old = base.config.get("arch") or {}
    if base.config.get("kind") != "pvae" or not arch or old.get("physics_inputs"):
        return False
    others = {k: v for k, v in arch.items() if k != "physics_inputs"}
    return bool(arch.get("physics_inputs")) and all(old.get(k) == v for k, v in others.items())


def widen_state(state: dict[str, Any], module) -> dict[str, Any]:
    """A starting pVAE's weights fitted to ``module``, which reads physics inputs: zero
    columns for them in the μ/log σ² heads, ``module``'s standardisation buffers."""
    import torch

    out = dict(state)
    own = module.state_dict()
    for key in ("fc_mu.weight", "fc_logvar.weight"):
        w = out[key]
        extra = own[key].shape[1] - w.shape[1]
        if extra > 0:
            out[key] = torch.cat([w, w.new_zeros(w.shape[0], extra)], dim=1)
    for key in ("aux_mean", "aux_std"):
        out.setdefault(key, own[key].detach().clone())
    return out


def adopt(prep, base: InitModel):
    """The prepared run with the starting model's scaler, after checking the data fits it."""
    spec = base.spec
    if (spec.dims, spec.sample_shape_zyx, spec.properties) != (
        prep.spec.dims,
        prep.spec.sample_shape_zyx,
        prep.spec.properties,
    ):
        raise InputError(
            f"{base.path.name} was trained on {spec.dims}D {spec.sample_shape_zyx} samples "
            f"with {', '.join(spec.properties)}; this dataset has {prep.spec.dims}D "
            f"{prep.spec.sample_shape_zyx} with {', '.join(prep.spec.properties)}"
        )
    scaler = TargetScaler.from_json(base.config.get("scaler", {}))
    return replace(prep, scaler=scaler, parts=held_out_parts(prep.idx, prep.parts, base))


def held_out_parts(idx, parts: dict[str, np.ndarray], base: InitModel) -> dict[str, np.ndarray]:
    """The split with the starting model's test samples as the test part.

    The seed split is by position among the labelled samples, so on a dataset that has
    gained labels since (a campaign went on) the same seed draws another split and would
    train on the starting model's test samples. Its recorded ``test_indices`` (dataset
    indices) stay the test part; a seed-test sample that was not among them joins the
    training part. On the unchanged dataset the split is the starting model's.

    Parameters
    ----------
    idx : ndarray of int (n,)
        Dataset index of each loaded sample.
    parts : dict
        ``{"train", "val", "test"}`` -> positions into ``idx`` (the seed split).
    base : InitModel
        The starting model.
    """
    return keep_test(idx, parts, base.config, base.path.name)


def keep_test(idx, parts: dict[str, np.ndarray], config: dict[str, Any], name: str):
    """The split with the test samples recorded in a model's ``config`` as the test part
    (:func:`held_out_parts`; ``name`` names the model in the log)."""
    test_ids = config.get("training", {}).get("test_indices")
    if test_ids is None:
        return parts
    test = np.flatnonzero(np.isin(idx, np.asarray(test_ids, dtype=np.int64)))
    moved = np.setdiff1d(parts["test"], test)
    if len(moved) or len(test) != len(parts["test"]):
        log.info("dataset changed since %s: its %d test samples stay held out, %d samples "
                 "of the seed's test part join training", name, len(test),
                 len(moved))  # fmt: skip
    return {
        "train": np.union1d(np.setdiff1d(parts["train"], test), moved),
        "val": np.setdiff1d(parts["val"], test),
        "test": test,
    }


def record(base: InitModel) -> dict[str, Any]:
    """What the new model file says about its starting point."""
    training = base.config.get("training", {})
    earlier = training.get("init_from", {})
    return {
        "model": str(base.path),
        "weights_sha256": base.config.get("weights_sha256"),
        "dataset_fingerprint": training.get("dataset_fingerprint"),
        "epochs_per_stage": training.get("epochs_per_stage"),
        "seconds": float(training.get("seconds", 0.0)) + float(earlier.get("seconds", 0.0)),
        "device": training.get("device"),
    }
