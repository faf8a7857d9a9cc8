"""A disk cache of encoded datasets, so the studio shows its latent map without re-encoding.

Encoding the default dataset (2,500 samples) with the default pVAE takes seconds on a
2-core CPU, every start. The codes depend only on the model's weights and the dataset's
samples, so they are kept under the user's cache folder (``$XDG_CACHE_HOME/porestudio/latent``,
default ``~/.cache/porestudio/latent``), one small HDF5 file per (weights, dataset) pair named by
a hash of the model's ``weights_sha256`` and :func:`porestudio.ml.data.dataset_fingerprint`.
A missing, foreign or unreadable file is simply encoded again; writes are atomic and the
oldest files go beyond :data:`KEEP` files.

The encodings of the embedded default datasets by the default models ship read-only in
``resources/latent`` (written by ``scripts/ship_latent.py``), so even a first start draws the
map without the encoder; the user's cache is looked in first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

KEEP = 16
"""Cached encodings kept (each about 1 MB per 1,000 samples of a 250-dim model)."""

_FORMAT = "porestudio-latent-cache-1"


def cache_dir() -> Path:
    """The folder of cached encodings (not created here)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "porestudio" / "latent"


def shipped_dir() -> Path:
    """The read-only encodings shipped with the default data (``resources/latent``)."""
    from porestudio.resources import RESOURCES_DIR

    return RESOURCES_DIR / "latent"


def weights_of(model: Any) -> str | None:
    """The ``weights_sha256`` of a loaded model or of a model.json dict (None if absent)."""
    config = model if isinstance(model, dict) else getattr(model, "config", None)
    return config.get("weights_sha256") if isinstance(config, dict) else None


def cache_file(model: Any, dataset: str | os.PathLike, folder: Path | None = None) -> Path | None:
    """Where the encoding of ``dataset`` by ``model`` (loaded, or its model.json dict) is
    cached (None: the model has no weights hash)."""
    from porestudio.ml.data import dataset_fingerprint

    weights = weights_of(model)
    if not weights:
        return None
    key = hashlib.sha256(f"{weights}:{dataset_fingerprint(dataset)}".encode()).hexdigest()
    return (folder or cache_dir()) / f"{key[:32]}.h5"


def load_latent(model: Any, dataset: str | os.PathLike, folder: Path | None = None):
    """The cached :class:`~porestudio.design.latent.LatentSet`, or None (not cached/unreadable).

    Looks in ``folder``, or else in the user's cache and then in :func:`shipped_dir`.
    """
    for where in [folder] if folder is not None else [cache_dir(), shipped_dir()]:
        path = cache_file(model, dataset, where)
        if path is None:
            return None
        latent = _read(path, model, dataset) if path.is_file() else None
        if latent is not None:
            return latent
    return None


def _read(path: Path, model: Any, dataset: str | os.PathLike):
    import h5py

    from porestudio.design.latent import LatentSet

    try:
        with h5py.File(path, "r") as h5:
            if h5.attrs.get("format") != _FORMAT:
                return None
            lat = LatentSet(
                np.asarray(h5["mu"][()], np.float32), np.asarray(h5["properties"][()], float),
                tuple(json.loads(h5.attrs["names"])), np.asarray(h5["indices"][()], np.int64),
                str(Path(dataset)), str(h5.attrs["fingerprint"]),
            )  # fmt: skip
    except (OSError, KeyError, ValueError) as exc:
        log.warning("ignoring the cached encoding %s: %s", path.name, exc)
        return None
    if lat.mu.ndim != 2 or lat.mu.shape[1] != _latent_dim(model):
        return None
    with contextlib.suppress(OSError):  # the read-only shipped folder stays as it is
        os.utime(path)  # recently used: kept longest
    return lat


def _latent_dim(model: Any) -> int | None:
    if isinstance(model, dict):
        dim = model.get("arch", {}).get("latent_dim")
        return None if dim is None else int(dim)
    return int(model.latent_dim)


def store_latent(model: Any, latent: Any, folder: Path | None = None) -> Path | None:
    """Cache an encoding (a ``LatentSet`` of ``latent.source``); None when it cannot be."""
    import h5py

    from porestudio.atomic import SUFFIXES, atomic_path

    try:
        path = cache_file(model, latent.source, folder)
        if path is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        rules = {"overwrite": True, "suffixes": SUFFIXES["hdf5"]}
        with atomic_path(path, **rules) as tmp, h5py.File(tmp, "w") as h5:
            h5.attrs.update(format=_FORMAT, fingerprint=latent.fingerprint,
                            names=json.dumps(list(latent.names)))  # fmt: skip
            h5["mu"], h5["properties"] = latent.mu, latent.properties
            h5["indices"] = latent.indices
    except OSError as exc:  # a read-only home: the studio works, it just encodes again
        log.warning("could not cache the encoding: %s", exc)
        return None
    _prune(path.parent)
    return path


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.h5"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)
