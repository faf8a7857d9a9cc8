"""Glue of :func:`porestudio.ml.api.train`: data, split, scaling, the loop, the model file."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.ml import _checkpoint, _dist, estimate, finetune, modelfile, physics_inputs
from porestudio.ml.config import make_config
from porestudio.ml.data import (
    DataSpec,
    boundary_mode,
    dataset_fingerprint,
    labelled_indices,
    load_arrays,
    spec_for_dataset,
    split_indices,
)
from porestudio.ml.metrics import regression_metrics
from porestudio.ml.pretrain import load_pretrain
from porestudio.ml.scaling import TargetScaler

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """Everything derived from the dataset before training."""

    spec: DataSpec
    cfg: dict[str, Any]
    idx: np.ndarray
    parts: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    scaler: TargetScaler
    fingerprint: str
    x_extra: np.ndarray | None = None  # samples of pretrain_data (VAE stages only)
    extra: dict[str, Any] | None = None  # their record in the model file
    aux: np.ndarray | None = None  # physics inputs (n, 3) of a network that takes them


def run_training(
    kind: str,
    path: Path,
    out: Path,
    *,
    epochs: int | None,
    device: str,
    batch_size: int | None,
    seed: int,
    progress,
    overrides: dict[str, Any] | None,
    deterministic: bool,
    init: finetune.InitModel | None = None,
):
    """Train and write the model (see :func:`porestudio.ml.api.train`)."""
    import torch

    was_deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        return _run(kind, path, out, epochs, device, batch_size, seed, progress, overrides,
                    deterministic, init)  # fmt: skip
    finally:
        torch.use_deterministic_algorithms(was_deterministic)


def _run(kind, path, out, epochs, device, batch_size, seed, progress, overrides, deterministic,
         init):  # fmt: skip
    from porestudio.ml import engine
    from porestudio.ml.api import TrainResult

    dev, dist = _setup(device, deterministic, seed)
    base = init
    if base is not None:
        overrides = finetune.init_overrides(base, overrides)
    prep = prepare(kind, path, overrides, epochs, batch_size, seed)
    if base is not None:
        prep = finetune.adopt(prep, base)
    if physics_inputs.count(prep.spec.dims, prep.cfg["arch"], kind):
        prep.aux = physics_inputs.cached(prep.x, prep.idx, prep.fingerprint, out)
    module = _new_module(kind, prep, seed, dev, None if base is None else base.state)
    identity = {"kind": kind, "fingerprint": prep.fingerprint, "config": prep.cfg, "seed": seed,
                "init": None if base is None else base.config.get("weights_sha256"),
                # a resumed run must see the same unlabelled samples, not just the same path
                **({} if prep.extra is None else
                   {"pretrain": prep.extra["dataset_fingerprint"]})}  # fmt: skip
    settings = engine.LoopSettings(out, dev, int(seed), identity, dist, progress)
    loop = engine.run(kind, module, prep.cfg, _train_data(prep, dev), settings)
    module.eval()
    metrics = {
        name: regression_metrics(
            prep.spec.properties,
            prep.y[prep.parts[name]],
            _predict_physical(
                kind,
                module,
                prep.x[prep.parts[name]],
                dev,
                prep.scaler,
                None if prep.aux is None else prep.aux[prep.parts[name]],
            ),
        )
        for name in ("val", "test")
    }
    config = {
        "kind": kind,
        "arch": prep.cfg["arch"],
        "data": prep.spec.to_json(),
        "scaler": prep.scaler.to_json(),
        "training": _training_record(prep, seed, path, loop, dev, dist, base),
        "metrics": {"held_out": metrics},
        **_physics_fit(prep),
    }
    if dist.main:
        modelfile.save_model(out, module, config, overwrite=True)
        _checkpoint.remove(out)
    _dist.barrier(dist)
    return TrainResult(
        out, config, config["metrics"], loop.seconds, loop.epochs_run, loop.resumed, loop.history
    )


def _physics_fit(prep) -> dict[str, Any]:
    """``{"physics_fit": ...}``: the power law of the conductance estimate (ml/estimate.py)
    fitted on the training and validation samples of a 3D model that reads it; else {}."""
    k = None if prep.aux is None else estimate.diagonal_labels(prep.spec.properties, prep.y)
    if k is None:
        return {}
    fit = np.concatenate([prep.parts["train"], prep.parts["val"]])
    try:
        return {estimate.KEY: estimate.fit_power_law(prep.aux[fit], k[fit]).to_json()}
    except InputError as exc:  # the trained model must not be lost to its optional fit
        log.warning("no calibrated estimate stored with the model: %s", exc)
        return {}


def _setup(device: str, deterministic: bool, seed: int) -> tuple[str, _dist.Dist]:
    import torch

    from porestudio.physics.device import resolve_device

    dev = resolve_device(device)
    dist = _dist.setup(dev)
    if dev == "cuda" and dist.active:
        torch.cuda.set_device(_dist.local_cuda_index())
    _determinism(deterministic, seed)
    return dev, dist


def prepare(kind, path: Path, overrides, epochs, batch_size, seed: int) -> Prepared:
    """Spec, merged config, split, in-memory samples and the scaler fitted on the train part."""
    spec = spec_for_dataset(path)
    cfg = make_config(kind, spec.dims, overrides, epochs=epochs, batch_size=batch_size)
    cfg["split_seed"] = int(seed if cfg["split_seed"] is None else cfg["split_seed"])
    if cfg["periodic_shift"] and boundary_mode(path) != "periodic":
        raise InputError(
            f"periodic_shift needs labels computed with periodic boundaries; those of "
            f"{Path(path).name} had walls (label it with --mode periodic, or turn it off)"
        )
    idx = labelled_indices(path, spec)
    parts = split_indices(len(idx), cfg["split_seed"], tuple(cfg["fractions"]))
    if cfg["test_like"]:
        folder = modelfile.model_dir(cfg["test_like"])
        parts = finetune.keep_test(idx, parts, modelfile.read_model_config(folder), folder.name)
    if cfg["surrogate_labels"]:  # the bottom-up route: surrogate rows join the train part
        extra = labelled_indices(path, spec, "surrogate")
        parts = {
            **parts,
            "train": np.concatenate([parts["train"], len(idx) + np.arange(len(extra))]),
        }
        idx = np.concatenate([idx, extra])
        log.info("%d surrogate-labelled samples join the training part", len(extra))
    t0 = time.perf_counter()
    x, y = load_arrays(path, spec, idx, surrogate=bool(cfg["surrogate_labels"]))
    log.info("loaded %d samples in %.1f s", len(idx), time.perf_counter() - t0)
    scaler = TargetScaler.fit(spec.properties, y[parts["train"]], cfg["target_scaling"])
    prep = Prepared(spec, cfg, idx, parts, x, y, scaler, dataset_fingerprint(path))
    if cfg["pretrain_data"]:
        if physics_inputs.count(spec.dims, cfg["arch"], kind):
            raise InputError(
                "pretrain_data cannot join a model with physics_inputs (the "
                "unlabelled samples have no estimates); drop one of them"
            )
        prep.x_extra, prep.extra = load_pretrain(kind, cfg["pretrain_data"], spec, cfg["stages"])
    return prep


def _new_module(kind: str, prep: Prepared, seed: int, dev: str, state=None):
    """A fresh module (seeded), or one holding ``state`` (the weights of ``--init``)."""
    import torch

    from porestudio.ml.model import build_module

    torch.manual_seed(seed)
    module = build_module(kind, prep.spec, prep.cfg["arch"])
    if prep.aux is not None and (state is None or "aux_mean" not in state):
        # standardise the physics inputs like the training samples
        module.set_aux_stats(prep.aux[prep.parts["train"]])
    if state is not None:
        if prep.aux is not None and "aux_mean" not in state:  # a pVAE gains the inputs
            state = finetune.widen_state(state, module)
        module.load_state_dict(state, strict=True)
    module = module.to(dev)
    if prep.cfg["channels_last"]:
        fmt = torch.channels_last if prep.spec.dims == 2 else torch.channels_last_3d
        module = module.to(memory_format=fmt)
    return module


def _train_data(prep: Prepared, dev: str):
    import torch

    from porestudio.ml.engine import TrainData

    ys = prep.scaler.transform(prep.y).astype(np.float32)
    tr, va = prep.parts["train"], prep.parts["val"]
    return TrainData(
        x_train=torch.from_numpy(prep.x[tr]).to(dev),
        y_train=torch.from_numpy(ys[tr]).to(dev),
        x_val=torch.from_numpy(prep.x[va]).to(dev),
        y_val=torch.from_numpy(ys[va]),
        names=prep.spec.properties,
        scaler=prep.scaler,
        periodic=bool(prep.cfg["periodic_shift"]),
        x_extra=None if prep.x_extra is None else torch.from_numpy(prep.x_extra).to(dev),
        a_train=None if prep.aux is None else torch.from_numpy(prep.aux[tr]).float().to(dev),
        a_val=None if prep.aux is None else torch.from_numpy(prep.aux[va]).float(),
    )


def _training_record(prep: Prepared, seed, path, loop, dev, dist, base) -> dict[str, Any]:
    import torch

    cfg, parts, idx = prep.cfg, prep.parts, prep.idx
    last = {}
    for ev in loop.history:
        last.setdefault(ev["stage"], 0)
        last[ev["stage"]] += 1
    rates = [ev["samples_per_s"] for ev in loop.history if np.isfinite(ev["samples_per_s"])]
    return {
        "config": cfg,
        "seed": int(seed),
        "split_seed": cfg["split_seed"],
        "split_sizes": {k: int(len(v)) for k, v in parts.items()},
        "test_indices": [int(i) for i in idx[parts["test"]]],
        "dataset": str(path),
        "dataset_fingerprint": prep.fingerprint,
        "epochs_per_stage": last,
        "seconds": float(loop.seconds),
        "samples_per_s_median": float(np.median(rates)) if rates else None,
        "device": dev,
        "device_name": torch.cuda.get_device_name() if dev == "cuda" else _cpu_name(),
        "threads": torch.get_num_threads(),
        "world_size": dist.world,
        "torch_version": torch.__version__,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "history": loop.history,
        **({} if base is None else {"init_from": finetune.record(base)}),
        **({} if prep.extra is None else {"pretrain": prep.extra}),
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "cpu"


def _predict_physical(kind, module, x: np.ndarray, dev: str, scaler: TargetScaler,
                      aux: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Physical predictions of a trained module on uint8 inputs (and physics inputs)."""
    import torch

    outs = []
    with torch.no_grad():
        for a in range(0, len(x), 256):
            xb = torch.from_numpy(x[a : a + 256]).to(dev).unsqueeze(1).float()
            ab = None if aux is None else torch.from_numpy(aux[a : a + 256]).float().to(dev)
            if kind != "cnn":
                p = module.regress(module.encode(xb, ab)[0])
            else:
                p = module(xb) if ab is None else module(xb, ab)
            outs.append(p.float().cpu().numpy())
    if not outs:
        return np.zeros((0, len(scaler.names)))
    return scaler.inverse(np.concatenate(outs))


def _determinism(deterministic: bool, seed: int) -> None:
    import os
    import random

    import torch

    if seed < 0:
        raise InputError(f"seed must be >= 0; got {seed}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if deterministic:
        # cuBLAS needs a fixed workspace for reproducible matmuls; ops without a
        # deterministic kernel warn instead of failing the run
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
