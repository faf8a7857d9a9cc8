"""Unlabelled samples for the pVAE's VAE stages (the ``pretrain_data`` option).

Reconstruction needs no labels: a stage that trains no regressor and weighs no property
loss (γ = 0, the ``vae`` stage of the schedule) learns from the training part of the
labelled dataset *and* from every sample of a second dataset of the same sample shape,
unlabelled or not. That second set never enters validation, test or any stage that fits
properties, so the held-out scores keep their meaning. Structures cost milliseconds to
generate (or come from CT) while a 3D label costs seconds of LBM: a 3D decoder can learn
from thousands of cubes of which only the labelled part teaches the regressor.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.ml.data import DataSpec, check_dataset_fits, dataset_fingerprint, load_inputs

log = logging.getLogger(__name__)

__all__ = ["load_pretrain", "uses_pretrain"]


def uses_pretrain(stage: dict[str, Any]) -> bool:
    """Whether a training stage learns from the unlabelled samples too (no regressor, γ = 0)."""
    return "regressor" not in stage["train"] and float(stage.get("gamma", 0.0)) == 0.0


def load_pretrain(
    kind: str, path: str | os.PathLike, spec: DataSpec, stages: list[dict[str, Any]]
) -> tuple[np.ndarray, dict[str, Any]]:
    """Every sample of ``path`` in memory, checked against the model's ``spec``.

    Parameters
    ----------
    kind : {"pvae", "cnn"}
        Model kind; only a pVAE has stages without labels.
    path : path
        Dataset of structures with the labelled set's sample shape (labels are ignored).
    spec : DataSpec
        The model's data specification.
    stages : list of dict
        The training schedule; one stage at least must be able to use the samples.

    Returns
    -------
    x : ndarray uint8 (n, *spec.input_shape())
        1 = pore.
    record : dict
        ``{"dataset", "dataset_fingerprint", "n"}`` for the model file.
    """
    if kind != "pvae":
        raise InputError("pretrain_data is for the pVAE (its VAE stages need no labels)")
    if not any(uses_pretrain(st) for st in stages):
        raise InputError(
            "pretrain_data is given but no stage can use it (a stage with gamma 0 that does "
            "not train the regressor, e.g. 'vae')"
        )
    check_dataset_fits(path, spec, need_labels=False)
    x = load_inputs(path, spec)
    n = len(x)
    if n == 0:
        raise InputError(f"{os.path.basename(path)} has no samples")
    log.info("%d unlabelled samples from %s join the VAE stages", n, path)
    return x, {"dataset": str(path), "dataset_fingerprint": dataset_fingerprint(path), "n": n}
