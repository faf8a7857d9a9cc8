"""The training loop: staged schedule, validation, checkpoints, resume, NaN stop, DDP.

Each stage of ``cfg["stages"]`` trains the listed parts (pVAE: encoder, decoder,
regressor; CNN: all) with its own Adam optimizer, ReduceLROnPlateau on the validation
loss, early stopping, and keeps the best weights (by validation loss) which are restored
when the stage ends. After every epoch the checkpoint is written (rank 0) *before* the
progress callback runs, so a callback that raises Cancelled leaves a run that resumes at
the next epoch. A non-finite loss stops the run with SolverError; the checkpoint of the
last good epoch is kept.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from porestudio.errors import InputError, SolverError
from porestudio.ml import _checkpoint, _dist, augment
from porestudio.ml.pretrain import uses_pretrain
from porestudio.ml.pvae import kl_per_sample

log = logging.getLogger(__name__)

EventFn = Callable[[dict[str, Any]], None]


@dataclass
class TrainData:
    """Training and validation tensors: x uint8 (n, *spatial) 1 = pore, y scaled float32."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    names: tuple[str, ...]
    scaler: Any = None  # TargetScaler of y (needed by the augmentation)
    periodic: bool = False  # labels of periodic boundaries: training samples shifted at random
    x_extra: torch.Tensor | None = None  # unlabelled samples for the VAE stages (pretrain_data)
    a_train: torch.Tensor | None = None  # physics inputs (n, 3) of a network that takes them
    a_val: torch.Tensor | None = None

    def for_stage(self, stage: dict[str, Any]) -> TrainData:
        """The data of one stage: VAE stages also learn from ``x_extra`` (targets NaN, unused)."""
        if self.x_extra is None or not uses_pretrain(stage):
            return self
        y_extra = self.y_train.new_full((len(self.x_extra), self.y_train.shape[1]), math.nan)
        x = torch.cat([self.x_train, self.x_extra])
        return replace(self, x_train=x, y_train=torch.cat([self.y_train, y_extra]), x_extra=None)


@dataclass
class LoopResult:
    """What the loop did: per-epoch events, seconds spent (incl. earlier runs), resumed."""

    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    resumed: bool = False
    epochs_run: int = 0


@dataclass(frozen=True)
class LoopSettings:
    """Run settings that are not model configuration."""

    out: Path
    device: str
    seed: int
    identity: dict[str, Any]
    dist: _dist.Dist = _dist.Dist()
    progress: EventFn | None = None


def run(kind: str, module, cfg: dict[str, Any], data: TrainData, s: LoopSettings) -> LoopResult:
    """Train ``module`` in place through every stage; returns the history."""
    ckpt = _checkpoint.load(s.out)
    state = _initial_state(s.identity)
    result = LoopResult()
    best = None
    if ckpt is not None:
        _check_identity(ckpt["state"], s)
        module.load_state_dict(ckpt["model"])
        state = ckpt["state"]
        best = ckpt["best"]
        result.resumed = True
        log.info("resuming at stage %d epoch %d", state["stage"], state["epoch"] + 1)
    for si in range(state["stage"], len(cfg["stages"])):
        st = cfg["stages"][si]
        opt, sched = _stage_optim(kind, module, cfg, st)
        if ckpt is not None and state["epoch"] > 0:
            opt.load_state_dict(ckpt["optim"])
            if state.get("scheduler"):
                sched.load_state_dict(state["scheduler"])
        else:
            state.update(epoch=0, best_val=math.inf, bad=0, scheduler=None)
            best = None
        ckpt = None
        best = _run_stage(kind, module, cfg, data, s, si, opt, sched, state, best, result)
        if best is not None:
            module.load_state_dict(best)
        state.update(stage=si + 1, epoch=0, best_val=math.inf, bad=0, scheduler=None)
        if s.dist.main:
            _checkpoint.save(s.out, module, None, opt, state)
        _dist.barrier(s.dist)
    result.history = state["history"]
    result.seconds = state["seconds"]
    return result


def _initial_state(identity: dict[str, Any]) -> dict[str, Any]:
    return {
        "identity": identity,
        "stage": 0,
        "epoch": 0,
        "best_val": math.inf,
        "bad": 0,
        "scheduler": None,
        "history": [],
        "seconds": 0.0,
    }


def _check_identity(state: dict[str, Any], s: LoopSettings) -> None:
    if state.get("identity") != s.identity:
        raise InputError(
            f"the checkpoint in {s.out} belongs to another training (dataset, kind or "
            "configuration differ); train with --fresh to start over"
        )


def _stage_optim(kind: str, module, cfg: dict[str, Any], st: dict[str, Any]):
    if kind == "pvae":
        for name, params in module.parts().items():
            for p in params:
                p.requires_grad_(name in st["train"])
    else:
        for p in module.parameters():
            p.requires_grad_(True)
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=float(st["lr"]), weight_decay=float(cfg["weight_decay"]))
    pl = cfg["plateau"]
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, factor=float(pl["factor"]), patience=int(pl["patience"]), min_lr=float(pl["min_lr"])
    )
    return opt, sched


def _run_stage(kind, module, cfg, data, s, si, opt, sched, state, best, result):
    st = cfg["stages"][si]
    es = cfg["early_stopping"]
    data = data.for_stage(st)
    net = _dist.wrap(module, s.dist, s.device)
    for epoch in range(state["epoch"], int(st["epochs"])):
        if state["bad"] >= int(es["patience"]):
            break
        t0 = time.perf_counter()
        torch.manual_seed(s.seed * 7919 + si * 1009 + epoch)
        train = _train_epoch(kind, net, opt, cfg, st, data, s, si, epoch)
        t_train = time.perf_counter() - t0
        val, r2 = _validate(kind, module, cfg, st, data, s)
        val["loss"] = _dist.mean([val["loss"]], s.dist)[0]  # one decision on every rank
        sched.step(val["loss"])
        improved = val["loss"] < state["best_val"] - float(es["min_delta"])
        if improved:
            state["best_val"] = val["loss"]
            best = {k: v.detach().clone() for k, v in module.state_dict().items()}
            state["bad"] = 0
        else:
            state["bad"] += 1
        dt = time.perf_counter() - t0
        event = _event(st, si, len(cfg["stages"]), epoch, opt, train, val, r2, dt, t_train, data, s)
        event["improved"] = bool(improved)
        state["history"].append(event)
        state.update(epoch=epoch + 1, seconds=state["seconds"] + dt, scheduler=sched.state_dict())
        result.epochs_run += 1
        if s.dist.main:
            _checkpoint.save(s.out, module, best, opt, state)
        _dist.barrier(s.dist)
        if s.progress is not None and s.dist.main:
            s.progress(dict(event))
    return best


def _event(st, si, n_stages, epoch, opt, train, val, r2, dt, t_train, data, s) -> dict[str, Any]:
    n = len(data.x_train)
    event: dict[str, Any] = {
        "event": "epoch",
        "stage": st["name"],
        "stage_index": si,
        "stages": n_stages,
        "epoch": epoch + 1,
        "epochs": int(st["epochs"]),
        "lr": float(opt.param_groups[0]["lr"]),
        "loss": train["loss"],
        "val_loss": val["loss"],
        "seconds": dt,
        "samples": n,
        "samples_per_s": n / t_train if t_train > 0 else float("nan"),
    }
    event.update({f"train_{k}": v for k, v in train.items() if k != "loss"})
    event.update({f"val_{k}": v for k, v in val.items() if k != "loss"})
    event.update({f"val_r2_{k}": v for k, v in r2.items()})
    return event


def batch_x(x: torch.Tensor, idx: torch.Tensor, device: str, channels_last: bool) -> torch.Tensor:
    """Float32 inputs (b, 1, *spatial) on ``device`` from the uint8 store."""
    xb = x[idx].to(device, non_blocking=True).unsqueeze(1).float()
    if channels_last:
        fmt = torch.channels_last if xb.dim() == 4 else torch.channels_last_3d
        xb = xb.contiguous(memory_format=fmt)
    return xb


def loss_terms(kind: str, net, xb, yb, st: dict[str, Any], with_pred: bool = False, ab=None):
    """(total loss tensor, dict of detached term tensors) of one batch.

    With ``with_pred`` a third item: the scaled property predictions (None when the stage
    does not run the regressor). ``ab``: the batch's physics inputs (networks that take them).
    """
    if kind == "cnn":
        out = net(xb) if ab is None else net(xb, ab)
        mse = F.mse_loss(out.float(), yb)
        return (mse, {"loss": mse.detach()}, out) if with_pred else (mse, {"loss": mse.detach()})
    w_rec, beta, gamma = (float(st.get(k, 0.0)) for k in ("recon", "beta", "gamma"))
    logits, mu, logvar, pred = net(xb, decoder=w_rec > 0, regressor=gamma > 0, aux=ab)
    zero = xb.new_zeros(())
    recon = F.binary_cross_entropy_with_logits(logits.float(), xb) if logits is not None else zero
    nvox = xb[0].numel()
    kl = kl_per_sample(mu.float(), logvar.float()).mean() / nvox
    prop = F.mse_loss(pred.float(), yb) if pred is not None else zero
    total = w_rec * recon + beta * kl + gamma * prop
    terms = {
        "loss": total.detach(),
        "recon": recon.detach(),
        "kl": kl.detach(),
        "prop": prop.detach(),
    }
    return (total, terms, pred) if with_pred else (total, terms)


def _autocast(device: str):
    import contextlib

    if device == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _train_epoch(kind, net, opt, cfg, st, data, s: LoopSettings, si: int, epoch: int):
    net.train()
    order = _dist.shard(len(data.x_train), s.dist, s.seed + 31 * si, epoch)
    bs = int(cfg["batch_size"])
    # NaN check per step on the CPU, every 50 on a GPU (it syncs); under DDP only at the
    # epoch end, after the ranks have agreed on the mean (a rank must not leave alone)
    check_every = 0 if s.dist.active else (1 if s.device == "cpu" else 50)
    sums: dict[str, torch.Tensor] = {}
    count = 0
    syms = _symmetries(cfg, data)
    spatial = tuple(data.x_train.shape[1:])
    rng = np.random.default_rng([s.seed, si, epoch, s.dist.rank])  # same draws on resume
    try:
        for step, a in enumerate(range(0, len(order), bs)):
            idx = order[a : a + bs]
            codes = None if syms is None else rng.integers(0, len(syms), len(idx))
            shifts = augment.draw_shifts(rng, len(idx), spatial) if data.periodic else None
            terms = _step(kind, net, opt, cfg, st, data, idx, s.device, (codes, syms, shifts))
            if check_every and step % check_every == 0 and not torch.isfinite(terms["loss"]):
                _diverged(st, epoch, float(terms["loss"]), s)
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + v.float() * len(idx)
            count += len(idx)
    except torch.cuda.OutOfMemoryError:
        raise _oom(bs) from None
    except RuntimeError as exc:
        if "out of memory" in str(exc).lower() or "can't allocate memory" in str(exc).lower():
            raise _oom(bs) from None
        raise
    except MemoryError:
        raise _oom(bs) from None
    keys = sorted(sums)
    values = _dist.mean([float(sums[k]) / max(count, 1) for k in keys], s.dist)
    out = dict(zip(keys, values, strict=True))
    if not all(math.isfinite(v) for v in out.values()):
        _diverged(st, epoch, out.get("loss"), s)
    return out


def _symmetries(cfg: dict[str, Any], data: TrainData) -> list | None:
    """Symmetries to draw from (``augment`` on and more than the identity), else None."""
    if not cfg.get("augment") or data.scaler is None:
        return None
    shape = tuple(data.x_train.shape[1:])
    syms = augment.symmetries(len(shape), shape, data.names)
    return syms if len(syms) > 1 else None


def _step(kind, net, opt, cfg, st, data: TrainData, idx, device: str, aug=(None, None, None)):
    """One optimizer step on the samples ``idx``, augmented by ``aug`` = (codes, syms,
    shifts): the symmetric forms ``codes`` of ``syms`` and circular ``shifts``, each when
    given; returns the detached loss terms."""
    codes, syms, shifts = aug
    xb = batch_x(data.x_train, idx, device, bool(cfg["channels_last"]))
    yb = data.y_train[idx].to(device)
    ab = None if data.a_train is None else data.a_train[idx].to(device)
    if codes is not None:
        xb, yb = augment.apply(xb, yb, codes, syms, data.scaler)
        ab = None if ab is None else augment.apply_axes(ab, codes, syms)
    if shifts is not None:
        xb = augment.shift(xb, shifts)  # the physics inputs do not change
    with _autocast(device):
        total, terms = loss_terms(kind, net, xb, yb, st, ab=ab)
    opt.zero_grad(set_to_none=True)
    total.backward()
    if cfg.get("grad_clip"):
        params = [p for g in opt.param_groups for p in g["params"]]
        torch.nn.utils.clip_grad_norm_(params, float(cfg["grad_clip"]))
    opt.step()
    return terms


def _diverged(st, epoch: int, loss, s: LoopSettings) -> None:
    raise SolverError(
        f"training diverged: the {st['name']} loss became {loss} in epoch {epoch + 1}; the "
        f"last good checkpoint is kept in {s.out}; lower the learning rate (stages[].lr) "
        "and resume"
    )


def _oom(bs: int) -> InputError:
    return InputError(f"out of memory with batch size {bs}; try a smaller --batch-size")


def _validate(kind, module, cfg, st, data, s: LoopSettings):
    """Mean validation terms (z = μ) and R² per property in scaled space."""
    module.eval()
    bs = 4 * int(cfg["batch_size"])
    cl = bool(cfg["channels_last"])
    sums: dict[str, float] = {}
    preds = []
    n = len(data.x_val)
    with torch.no_grad():
        for a in range(0, n, bs):
            idx = torch.arange(a, min(n, a + bs))
            xb = batch_x(data.x_val, idx, s.device, cl)
            yb = data.y_val[idx].to(s.device)
            ab = None if data.a_val is None else data.a_val[idx].to(s.device)
            with _autocast(s.device):
                _, terms, p = loss_terms(kind, module, xb, yb, st, with_pred=True, ab=ab)
            if p is not None:
                preds.append(p.float().cpu())
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v) * len(idx)
    val = {k: v / max(n, 1) for k, v in sums.items()}
    r2 = {}
    if preds:
        p = torch.cat(preds)
        y = data.y_val.float()
        for j, name in enumerate(data.names):
            ss_tot = float(((y[:, j] - y[:, j].mean()) ** 2).sum())
            ss_res = float(((y[:, j] - p[:, j]) ** 2).sum())
            r2[name] = 1 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return val, r2
