"""The functions the CLI and the studio call: train, evaluate, predict, encode.

Device: ``"auto"`` means CUDA when present, else the CPU (decided by
:func:`porestudio.physics.device.resolve_device`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from porestudio import __version__
from porestudio.errors import InputError, OutputError
from porestudio.ml import finetune, modelfile, physics_inputs
from porestudio.ml.data import (
    DataSpec,
    check_dataset_fits,
    dataset_fingerprint,
    dataset_path,
    labelled_indices,
    load_arrays,
    spec_for_dataset,
    split_indices,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    directory : Path
        Model folder (model.json + model.safetensors).
    config : dict
        The model JSON.
    metrics : dict
        Held-out metrics per property (``test`` and ``val`` splits), physical units.
    seconds : float
        Training time, all runs of a resumed training together [s].
    epochs_run : int
        Epochs run by this call.
    resumed : bool
        Whether this call continued a checkpoint.
    history : list of dict
        Per-epoch events.
    """

    directory: Path
    config: dict[str, Any]
    metrics: dict[str, Any]
    seconds: float
    epochs_run: int
    resumed: bool
    history: list[dict[str, Any]] = field(default_factory=list)


def train(
    kind: str,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    epochs: int | None = None,
    device: str = "auto",
    batch_size: int | None = None,
    seed: int = 0,
    resume: bool = True,
    progress=None,
    config_overrides: dict[str, Any] | None = None,
    deterministic: bool = False,
    init: str | os.PathLike | None = None,
) -> TrainResult:
    """Train a CNN surrogate or a pVAE on a labelled dataset; write the model to ``out``.

    Parameters
    ----------
    kind : {"cnn", "pvae"}
        Model kind.
    data : path
        Labelled porestudio dataset (z-extruded sets give 2D models, others 3D).
    out : path
        Model folder; holds the resumable checkpoint while training.
    epochs : int, optional
        Epochs of every stage (default: the config's).
    device : {"auto", "cpu", "cuda"}
        Compute device.
    batch_size : int, optional
        Samples per step (per process under torchrun).
    seed : int
        Seeds the weights, the shuffles and (unless ``split_seed`` is configured) the split.
    resume : bool
        Continue a checkpoint in ``out``; False deletes it and replaces an existing model.
    progress : callable(event: dict), optional
        Called after every epoch with the stage, epoch, every loss term, lr and validation
        metrics; raising :class:`~porestudio.errors.Cancelled` stops the run (checkpoint kept).
    config_overrides : dict, optional
        Merged into :func:`porestudio.ml.config.default_config`.
    deterministic : bool
        Deterministic kernels (slower).
    init : path, optional
        Start from this trained model (fine-tune): same kind, data shape and properties;
        its architecture, scaler and split seed are kept; the configured stages run on its
        weights (:mod:`porestudio.ml.finetune`).

    Returns
    -------
    TrainResult
    """
    from porestudio.ml.training import run_training

    if kind not in modelfile.KINDS:
        raise InputError(f"unknown model kind {kind!r}; use cnn or pvae")
    path = dataset_path(data)
    base = None if init is None else finetune.read_init(Path(init).expanduser(), kind)
    out_dir = _prepare_out(Path(out).expanduser().absolute(), path, resume)
    return run_training(
        kind,
        path,
        out_dir,
        epochs=epochs,
        device=device,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
        overrides=config_overrides,
        deterministic=deterministic,
        init=base,
    )


def _prepare_out(out: Path, data: Path, resume: bool) -> Path:
    from porestudio.ml import _checkpoint

    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder")
    if data == out or data.parent == out and data.name in (modelfile.CONFIG, modelfile.WEIGHTS):
        raise OutputError("the output folder must not be the dataset")
    has_model = (out / modelfile.CONFIG).exists()
    if not resume:
        _checkpoint.remove(out)
    elif has_model and not _checkpoint.path_in(out).exists():
        raise OutputError(f"{out} already holds a trained model; use --fresh to retrain it")
    out.mkdir(parents=True, exist_ok=True)
    return out


def load(model) -> Any:
    """``model`` as a LoadedModel (a LoadedModel or a model folder path)."""
    from porestudio.ml.model import LoadedModel

    if isinstance(model, LoadedModel):
        return model
    return modelfile.load_model(model)


def predict(model, pores_or_path) -> dict[str, np.ndarray]:
    """Properties of structures: an array, a volume file, or ``DATA.h5[:INDEX]``.

    Returns
    -------
    dict of name -> ndarray (n,)
        Physical units (porosity [1], k [voxel²]).
    """
    m = load(model)
    if isinstance(pores_or_path, np.ndarray):
        return m.predict(pores_or_path)
    return m.predict(read_pores(pores_or_path, m.spec))


def read_pores(source: str | os.PathLike, spec: DataSpec | None = None) -> np.ndarray:
    """Structures (n, nz, ny, nx) bool from ``DATA.h5``, ``DATA.h5:INDEX`` or a volume file.

    With a model's ``spec``, dataset samples of a 2D model come as one-slice extrusions
    ``(n, 1, ny, nx)`` (what the model reads), so a large set fits in memory.
    """
    import h5py

    from porestudio.structures.naming import parse_sample_ref

    ref = parse_sample_ref(source)
    p, index = ref.path, ref.index
    if p.is_file() and h5py.is_hdf5(p):
        from porestudio.structures.dataset import open_dataset

        with open_dataset(p) as ds:
            if spec is None:
                return ds.pores() if index is None else ds.pore(index)[None]
            n = len(ds)
            idx = np.arange(n) if index is None else np.array([ds.check_index(index)])
        check_dataset_fits(p, spec, need_labels=False)
        return _dataset_pores(p, spec, idx)  # 2D: one slice per sample, not the extrusion
    if index is not None:
        raise InputError("an index (FILE:INDEX) applies to datasets (.h5) only")
    from porestudio.structures.ct import load_structure

    return load_structure(p).pore[None]


def encode(
    model, data: str | os.PathLike, *, out: str | os.PathLike | None = None, progress=None
) -> np.ndarray:
    """Latent means μ of every sample of a dataset (pVAE); optionally written to ``out``.

    Parameters
    ----------
    model : LoadedModel or path
        A pVAE.
    data : path
        Dataset fitting the model.
    out : path, optional
        HDF5 file to write (``/mu`` (n, latent) float32, ``/indices``, attributes naming
        the model and dataset); never the dataset itself; an existing file is refused.
    progress : ProgressFn, optional
        ``progress(done, n)`` after each chunk (16 samples for an encoder with physics
        inputs, which solves a Darcy problem per sample; else 1024).

    Returns
    -------
    ndarray float32 (n, latent)
    """
    from porestudio.structures.dataset import open_dataset

    m = load(model)
    path = dataset_path(data)
    check_dataset_fits(path, m.spec, need_labels=False)
    with open_dataset(path) as ds:
        n = len(ds)
    idx = np.arange(n)
    step = physics_inputs.CHUNK if m.physics_inputs else 1024
    parts = [np.zeros((0, m.latent_dim or 0), np.float32)]
    for a in range(0, n, step):
        parts.append(m.encode(_dataset_pores(path, m.spec, idx[a : a + step])))
        if progress is not None:
            progress(min(a + step, n), n)
    mu = np.concatenate(parts)
    if out is not None:
        _write_latent(Path(out), mu, idx, m, path)
    return mu


def _dataset_pores(path: Path, spec: DataSpec, idx: np.ndarray) -> np.ndarray:
    """Samples as the model's numpy methods take them (2D: a one-slice extrusion)."""
    x, _ = load_arrays(path, spec, idx)
    return x[:, None].astype(bool) if spec.dims == 2 else x.astype(bool)


def _write_latent(out: Path, mu: np.ndarray, idx: np.ndarray, m, data: Path) -> None:
    import h5py

    from porestudio.atomic import atomic_path

    out = out.expanduser().absolute()
    if out.exists():
        raise OutputError(f"{out} exists; choose another name (datasets are never modified)")
    with atomic_path(out, inputs=(data,)) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("mu", data=mu)
        f.create_dataset("indices", data=idx)
        f.attrs["dataset"] = str(data)
        f.attrs["dataset_fingerprint"] = dataset_fingerprint(data)
        f.attrs["model_sha256"] = str(m.config.get("weights_sha256", ""))
        f.attrs["creator"] = f"porestudio {__version__}"


def evaluate(model, data: str | os.PathLike, *, physics_samples: int = 0, progress=None) -> dict:
    """Held-out metrics of a model on a dataset (see :mod:`porestudio.ml.evaluation`)."""
    from porestudio.ml.evaluation import evaluate_model

    return evaluate_model(load(model), dataset_path(data), physics_samples, progress)


__all__ = [
    "TrainResult",
    "encode",
    "evaluate",
    "labelled_indices",
    "predict",
    "spec_for_dataset",
    "split_indices",
    "train",
]


def fit_estimate(model, data=None, *, cache=None, progress=None):
    """Fit a 3D model's calibrated conductance estimate (:mod:`porestudio.ml.estimate`) and
    store it in its model JSON (``physics_fit``; the weights are untouched).

    Parameters
    ----------
    model : path
        A 3D model folder whose network reads the conductance estimate.
    data : path, optional
        Labelled dataset (default: the model's training dataset). On that dataset the fit
        uses the labelled samples outside the model's test split; on another, all of them.
    cache : path, optional
        Folder of a ``physics_inputs.json`` of the dataset (a training run's folder): known
        estimates are reused, new ones added (default: a temporary folder).
    progress : ProgressFn, optional
        ``progress(done, total)`` of the estimates computed (~0.75 s per 48³ cube).

    Returns
    -------
    porestudio.ml.estimate.PowerLaw
    """
    import tempfile

    from porestudio.ml import estimate

    config = modelfile.read_model_config(model)
    spec = DataSpec.from_json(config["data"])
    if spec.dims != 3 or not config.get("arch", {}).get("physics_inputs"):
        raise InputError("only a 3D model that reads the conductance estimate can carry its fit")
    training = config.get("training", {})
    path = dataset_path(data if data is not None else training.get("dataset", ""))
    check_dataset_fits(path, spec, need_labels=True)
    idx = labelled_indices(path, spec)
    if training.get("dataset_fingerprint") == dataset_fingerprint(path):
        idx = np.setdiff1d(idx, np.asarray(training.get("test_indices", []), np.int64))
    x, y = load_arrays(path, spec, idx)
    k = estimate.diagonal_labels(spec.properties, y)
    if k is None:
        raise InputError("the model does not predict k_xx, k_yy and k_zz")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(cache) if cache is not None else Path(tmp)
        raw = physics_inputs.cached(x, idx, dataset_fingerprint(path), folder, progress)
    fit = estimate.fit_power_law(raw, k)
    modelfile.update_config(model, {estimate.KEY: fit.to_json()})
    return fit
