"""Model files: ``model.safetensors`` (weights) + ``model.json`` (everything else).

Loading never executes code from the file: weights are read with safetensors only, the
JSON is plain data, and a pickle or torch zip offered as a model is refused by its magic
bytes. The JSON records the SHA-256 of the weights, so a truncated, corrupted or swapped
weights file is refused with a one-line error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from porestudio import __version__
from porestudio.atomic import atomic_path
from porestudio.errors import FormatError, InputError, OutputError

log = logging.getLogger(__name__)

FORMAT = "porestudio-model"
VERSION = 1
KINDS = ("cnn", "pvae")
WEIGHTS = "model.safetensors"
CONFIG = "model.json"


def model_dir(path: str | os.PathLike) -> Path:
    """The model directory of ``path`` (a directory, or its model.json / model.safetensors)."""
    p = Path(path).expanduser().absolute()
    if p.is_dir():
        return p
    if not p.exists():
        raise InputError(f"no such model: {p}")
    _refuse_foreign(p)
    if p.name in (WEIGHTS, CONFIG) or p.suffix in (".json", ".safetensors"):
        return p.parent
    raise FormatError(f"{p.name} is not a porestudio model (a folder with {CONFIG} + {WEIGHTS})")


def _refuse_foreign(p: Path) -> None:
    with open(p, "rb") as fh:
        head = fh.read(4)
    if head[:1] == b"\x80" or head[:2] == b"PK":
        what = "a pickle" if head[:1] == b"\x80" else "a zip (torch.save) archive"
        raise FormatError(
            f"{p.name} is {what}, not a porestudio model (safetensors + JSON); refusing to "
            "load it: unpickling can run arbitrary code"
        )


def save_model(
    directory: str | os.PathLike, module, config: dict[str, Any], *, overwrite: bool = False
) -> Path:
    """Write ``directory/model.safetensors`` and ``directory/model.json`` atomically.

    Parameters
    ----------
    directory : path
        Created if missing.
    module : torch.nn.Module
        Its ``state_dict`` is saved (tensors copied to the CPU, contiguous).
    config : dict
        JSON-serialisable; ``kind`` required. ``format``, ``version``,
        ``porestudio_version`` and ``weights_sha256`` are added.
    overwrite : bool
        Replace an existing model; otherwise OutputError.

    Returns
    -------
    Path
        The directory.
    """
    from safetensors.torch import save

    if config.get("kind") not in KINDS:
        raise InputError(
            f"model kind must be one of {', '.join(KINDS)}; got {config.get('kind')!r}"
        )
    d = Path(directory).expanduser().absolute()
    if d.exists() and not d.is_dir():
        raise OutputError(f"{d} exists and is not a folder")
    if not overwrite and ((d / CONFIG).exists() or (d / WEIGHTS).exists()):
        raise OutputError(f"{d} already holds a model; choose another folder or allow overwrite")
    d.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    blob = save(state, metadata={"format": FORMAT})
    full = {
        **config,
        "format": FORMAT,
        "version": VERSION,
        "porestudio_version": __version__,
        "weights_sha256": hashlib.sha256(blob).hexdigest(),
    }
    text = json.dumps(full, indent=2, allow_nan=True, default=_json_default)
    with atomic_path(d / WEIGHTS, overwrite=True) as tmp:
        tmp.write_bytes(blob)
    with atomic_path(d / CONFIG, overwrite=True) as tmp:
        tmp.write_text(text + "\n")
    return d


def update_config(directory: str | os.PathLike, changes: dict[str, Any]) -> dict[str, Any]:
    """Add or replace entries of a model's JSON (not its identity: format, version, kind,
    weights_sha256), atomically; the weights are untouched. Returns the new config."""
    fixed = {"format", "version", "kind", "weights_sha256"} & set(changes)
    if fixed:
        raise InputError(f"a model's {', '.join(sorted(fixed))} cannot be changed")
    config = {**read_model_config(directory), **changes}
    text = json.dumps(config, indent=2, allow_nan=True, default=_json_default)
    with atomic_path(model_dir(directory) / CONFIG, overwrite=True) as tmp:
        tmp.write_text(text + "\n")
    return config


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def read_model_config(directory: str | os.PathLike) -> dict[str, Any]:
    """The model JSON (no torch needed); FormatError for anything not a porestudio model."""
    d = model_dir(directory)
    path = d / CONFIG
    if not path.exists():
        raise FormatError(f"{d} is not a porestudio model: {CONFIG} is missing")
    _refuse_foreign(path)
    try:
        config = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise FormatError(f"{path} is not a porestudio model file (format != {FORMAT!r})")
    if not isinstance(config.get("version"), int) or config["version"] > VERSION:
        raise FormatError(
            f"{path}: model file version {config.get('version')!r} is newer than this "
            f"porestudio reads ({VERSION}); update porestudio"
        )
    if config.get("kind") not in KINDS:
        raise FormatError(f"{path}: unknown model kind {config.get('kind')!r}")
    return config


def read_weights(directory: str | os.PathLike, config: dict[str, Any]) -> dict[str, Any]:
    """The weights as a dict of CPU tensors, checked against ``config['weights_sha256']``."""
    from safetensors.torch import load

    d = model_dir(directory)
    path = d / WEIGHTS
    if not path.exists():
        raise FormatError(f"{d}: {WEIGHTS} is missing")
    _refuse_foreign(path)
    blob = path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != config.get("weights_sha256"):
        raise FormatError(
            f"{path.name} does not match {CONFIG} (sha256 differs): truncated, corrupted or "
            "replaced weights"
        )
    try:
        return load(blob)
    except Exception as exc:  # safetensors raises its own error types
        raise FormatError(f"{path.name} is not a valid safetensors file ({exc})") from None


def load_model(directory: str | os.PathLike, device: str = "cpu"):
    """Load a model for inference (never ``torch.load``); returns a :class:`LoadedModel`.

    Parameters
    ----------
    directory : path
        Model folder (or its model.json).
    device : {"cpu", "cuda", "auto"}
        Resolved by :func:`porestudio.physics.device.resolve_device`.
    """
    from porestudio.ml.model import LoadedModel

    config = read_model_config(directory)
    state = read_weights(directory, config)
    return LoadedModel.from_state(config, state, device=device)
