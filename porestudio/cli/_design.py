"""Helpers shared by the latent-space commands (latent, interpolate, design)."""

from __future__ import annotations

import argparse
from pathlib import Path

from porestudio.cli._common import add_overwrite
from porestudio.errors import InputError


def add_model_args(p: argparse.ArgumentParser) -> None:
    """MODEL positional, --device and --overwrite."""
    p.add_argument("model", metavar="MODEL", help="pVAE model folder (model.json + safetensors)")
    p.add_argument("--device", default="auto", choices=["cpu", "cuda", "auto"],
                   help="networks and 3D LBM runs; auto = CUDA when present")  # fmt: skip
    add_overwrite(p, "output file")


def load_pvae(path: str, device: str):
    """A pVAE from a model folder; InputError for another kind."""
    from porestudio.ml.modelfile import load_model

    model = load_model(path, device=device)
    if model.kind != "pvae":
        raise InputError(f"{Path(path).name} is a {model.kind} model; this needs a pVAE")
    return model


def load_cnn(path: str | None, device: str):
    """The CNN surrogate, or None."""
    if path is None:
        return None
    from porestudio.ml.modelfile import load_model

    model = load_model(path, device=device)
    if model.kind != "cnn":
        raise InputError(f"--cnn {Path(path).name} is a {model.kind} model, not a CNN surrogate")
    return model


def check_new(path: str, overwrite: bool) -> Path:
    """The output path (an .h5 file), checked before any work: an existing file is refused
    without ``--overwrite``."""
    from porestudio.atomic import SUFFIXES, check_writable

    return check_writable(path, overwrite=overwrite, suffixes=SUFFIXES["hdf5"])


def boundary_mode(model, choice: str) -> str:
    """The side walls of physics runs: the choice, or ("auto") those of the training labels."""
    if choice != "auto":
        return choice
    import os

    data = model.config.get("training", {}).get("dataset")
    if data and os.path.exists(data):
        from porestudio.ml.data import boundary_mode as labels_mode

        return labels_mode(data)
    return "kuhn" if model.spec.dims == 2 else "periodic"
