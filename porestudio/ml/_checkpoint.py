"""Resumable training checkpoints: one safetensors file per run folder, written atomically.

``DIR/checkpoint.safetensors`` holds the current weights (``model.*``), the best weights of
the current stage (``best.*``), the optimizer tensors (``optim.<param>.<name>``) and, in its
metadata, the JSON state (stage, next epoch, best validation loss, scheduler, history,
the rest of the optimizer state). One file, one rename: a killed run leaves either the old
or the new checkpoint, never a mix. No pickle anywhere. ``DIR/progress.json`` repeats the
JSON state for people and programs watching a run (it is never read back).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from porestudio.atomic import atomic_path
from porestudio.errors import FormatError

NAME = "checkpoint.safetensors"
PROGRESS = "progress.json"  # human-readable copy of the state (history), for watchers


def path_in(out: Path) -> Path:
    """The checkpoint file of a run folder."""
    return Path(out) / NAME


def save(out: Path, module, best: dict | None, optimizer, state: dict[str, Any]) -> None:
    """Write the checkpoint (rank 0 only)."""
    from safetensors.torch import save as st_save

    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    for k, v in (best or {}).items():
        tensors[f"best.{k}"] = v.detach().cpu().contiguous()
    opt = optimizer.state_dict()
    plain: dict[str, dict[str, Any]] = {}
    for pid, pstate in opt["state"].items():
        for name, value in pstate.items():
            if hasattr(value, "detach"):
                tensors[f"optim.{pid}.{name}"] = value.detach().cpu().contiguous()
            else:
                plain.setdefault(str(pid), {})[name] = value
    meta = {
        "state": json.dumps(state, allow_nan=True),
        "optim_groups": json.dumps(opt["param_groups"]),
        "optim_plain": json.dumps(plain),
    }
    blob = st_save(tensors, metadata=meta)
    with atomic_path(path_in(out), overwrite=True) as tmp:
        tmp.write_bytes(blob)
    with atomic_path(Path(out) / PROGRESS, overwrite=True) as tmp:
        tmp.write_text(json.dumps(state, indent=1, allow_nan=True) + "\n")


def load(out: Path) -> dict[str, Any] | None:
    """The checkpoint as ``{"state", "model", "best", "optim"}``, or None when absent."""
    from safetensors import safe_open

    path = path_in(out)
    if not path.exists():
        return None
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
        state = json.loads(meta["state"])
        groups = json.loads(meta["optim_groups"])
        plain = json.loads(meta["optim_plain"])
    except Exception as exc:
        raise FormatError(
            f"checkpoint {path} is unreadable ({exc}); delete it or train with --fresh"
        ) from None
    model = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
    best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    optim_state: dict[int, dict[str, Any]] = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, pid, name = k.split(".", 2)
            optim_state.setdefault(int(pid), {})[name] = v
    for pid, values in plain.items():
        optim_state.setdefault(int(pid), {}).update(values)
    return {
        "state": state,
        "model": model,
        "best": best or None,
        "optim": {"state": optim_state, "param_groups": groups},
    }


def remove(out: Path) -> None:
    """Delete the checkpoint (after the final model is written, or for a fresh start)."""
    path_in(out).unlink(missing_ok=True)
    (Path(out) / PROGRESS).unlink(missing_ok=True)
