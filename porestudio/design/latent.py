"""Latent maps: encode a dataset, PCA, per-dimension KDE, PC–property correlations.

These are the numbers behind the paper's Figs. 8–11 and 21–24 (:mod:`porestudio.design.plots`
draws them). :func:`write_latent` stores them in a small HDF5 file (plain h5py layout,
documented in :func:`write_latent`) that :func:`read_latent` reads back, so a large dataset
is encoded once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import FormatError, InputError
from porestudio.progress import ProgressFn, report

log = logging.getLogger(__name__)

__all__ = [
    "LatentSet",
    "PCAResult",
    "correlations",
    "default_grid",
    "encode_dataset",
    "kde_per_dim",
    "pca",
    "read_latent",
    "write_latent",
]

LATENT_FORMAT = "porestudio-latent"
_ENCODE_BATCH = 256


@dataclasses.dataclass(frozen=True, eq=False)
class LatentSet:
    """Latent means of the labelled samples of a dataset.

    Attributes
    ----------
    mu : ndarray of float32, shape (n, latent_dim)
        Encoder means.
    properties : ndarray of float64, shape (n, len(names))
        Labels in physical units (porosity [1], k [voxel²]); NaN = not labelled.
    names : tuple of str
        Property names of the columns (the model's outputs).
    indices : ndarray of int64, shape (n,)
        Dataset index of each row.
    source : str
        The dataset file.
    fingerprint : str
        Its fingerprint (``porestudio.ml.data.dataset_fingerprint``), "" when unknown.
    """

    mu: np.ndarray
    properties: np.ndarray
    names: tuple[str, ...]
    indices: np.ndarray
    source: str = ""
    fingerprint: str = ""

    def __len__(self) -> int:
        return int(self.mu.shape[0])


@dataclasses.dataclass(frozen=True, eq=False)
class PCAResult:
    """Principal components of latent codes.

    Attributes
    ----------
    components : ndarray (c, d)
        Unit principal axes, by decreasing variance.
    mean : ndarray (d,)
        Mean code subtracted before projection.
    explained_variance_ratio : ndarray (c,)
        Share of the total variance along each axis.
    scores : ndarray (n, c)
        Coordinates of the codes on the axes.
    """

    components: np.ndarray
    mean: np.ndarray
    explained_variance_ratio: np.ndarray
    scores: np.ndarray

    def transform(self, mu: np.ndarray) -> np.ndarray:
        """Scores (n, c) of other codes on the same axes."""
        return (np.asarray(mu, dtype=np.float64) - self.mean) @ self.components.T


def encode_dataset(
    model: Any,
    path: str | os.PathLike,
    progress: ProgressFn | None = None,
    *,
    batch_size: int = _ENCODE_BATCH,
) -> LatentSet:
    """Encode the labelled samples of a dataset with a pVAE.

    Parameters
    ----------
    model : porestudio.ml.model.LoadedModel
        A pVAE (``kind == "pvae"``).
    path : path
        A porestudio dataset that fits the model (``spec.check_fits``).
    progress : ProgressFn, optional
        ``progress(done, n)``; raise Cancelled to stop.
    batch_size : int
        Samples per encoder call (at most 16 for an encoder with physics inputs, which
        solves a Darcy problem per sample, ~0.75 s per 48³ cube, so progress keeps moving).

    Returns
    -------
    LatentSet
        Means and labels of the samples whose ``label_status`` is ok (all samples when the
        dataset has no labels; their properties are then NaN except porosity).
    """
    from porestudio.ml.data import dataset_fingerprint

    _require_pvae(model)
    indices = labelled_indices(model, path)
    mus, props = [], []
    report(progress, 0, len(indices))
    if getattr(model, "physics_inputs", False):  # a solve per sample: report often
        from porestudio.ml.physics_inputs import CHUNK

        batch_size = min(batch_size, CHUNK)
    for start in range(0, len(indices), batch_size):
        chunk = indices[start : start + batch_size]
        x, y = _load_chunk(model, path, chunk)
        mus.append(_encode_inputs(model, x))
        props.append(y)
        report(progress, start + len(chunk), len(indices))
    d = int(model.latent_dim)
    mu = np.concatenate(mus) if mus else np.zeros((0, d), np.float32)
    names = tuple(model.spec.properties)
    y = np.concatenate(props) if props else np.zeros((0, len(names)))
    return LatentSet(mu, y, names, indices, str(Path(path)), dataset_fingerprint(path))


def labelled_indices(model: Any, path: str | os.PathLike) -> np.ndarray:
    """Indices of the samples the ml loader trains on (label ok, every target finite)."""
    from porestudio.ml.data import labelled_indices as ml_labelled
    from porestudio.structures.dataset import open_dataset

    with open_dataset(path) as ds:
        model.spec.check_fits(ds.shape, extruded=True)  # the shape; extrusion per sample
    return np.asarray(ml_labelled(path, model.spec), dtype=np.int64)


def _load_chunk(model: Any, path, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from porestudio.ml.data import load_arrays

    x, y = load_arrays(path, model.spec, indices=chunk)
    if len(x) != len(chunk):
        raise FormatError(f"{Path(path).name}: the loader returned {len(x)} of {len(chunk)} rows")
    return x, y


def _encode_inputs(model: Any, x: np.ndarray) -> np.ndarray:
    """Encoder means (n, d) of network inputs ``x`` (n, *input_shape), 1 = pore."""
    import torch

    with torch.no_grad():
        t = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=model.device)
        mu, _ = model.encode_t(t.unsqueeze(1))
    return mu.detach().cpu().numpy().astype(np.float32)


def _require_pvae(model: Any) -> None:
    if getattr(model, "kind", None) != "pvae":
        raise InputError(
            f"this needs a pVAE model; got a {getattr(model, 'kind', '?')} model (no latent space)"
        )


def pca(mu: np.ndarray, n_components: int = 10) -> PCAResult:
    """Principal component analysis of latent codes by SVD.

    Parameters
    ----------
    mu : ndarray (n, d)
        Codes.
    n_components : int
        Axes kept (at most ``min(n, d)``).

    Returns
    -------
    PCAResult
        Axes, mean, explained variance ratio and scores.
    """
    x = np.asarray(mu, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise InputError(f"PCA needs at least two codes (n, d); got shape {x.shape}")
    c = max(1, min(int(n_components), *x.shape))
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    var = s**2
    total = var.sum()
    ratio = var[:c] / total if total > 0 else np.zeros(c)
    comps = vt[:c]
    # a deterministic sign: the largest loading of each axis is positive
    signs = np.sign(comps[np.arange(c), np.abs(comps).argmax(axis=1)])
    comps = comps * np.where(signs == 0, 1.0, signs)[:, None]
    return PCAResult(comps, mean, ratio, (x - mean) @ comps.T)


def default_grid(mu: np.ndarray, points: int = 256) -> np.ndarray:
    """A uniform grid covering every latent dimension's data ± 4 bandwidths."""
    x = np.asarray(mu, dtype=np.float64)
    h = _scott_bandwidth(x).max() if x.size else 1.0
    lo, hi = float(x.min()) - 4 * h, float(x.max()) + 4 * h
    return np.linspace(lo, hi, int(points))


def kde_per_dim(mu: np.ndarray, grid: np.ndarray, bandwidth: np.ndarray | None = None):
    """Gaussian kernel density of each latent dimension on a uniform grid (binned, fast).

    Each value is split linearly between its two neighbouring grid points and the counts are
    smoothed with a Gaussian of the bandwidth (Scott's rule, ``1.06 σ n^(-1/5)``, per
    dimension, by default): the binned KDE, within a few per cent of the exact one when the
    grid spacing is below the bandwidth. Values outside the grid are left out.

    Parameters
    ----------
    mu : ndarray (n, d)
        Codes.
    grid : ndarray (g,)
        Uniform, increasing evaluation points.
    bandwidth : ndarray (d,), optional
        Kernel standard deviation per dimension.

    Returns
    -------
    ndarray (d, g)
        Densities [1/latent unit]; each row integrates to 1 when the grid covers the data.
    """
    from scipy import ndimage

    x = np.asarray(mu, dtype=np.float64)
    g = np.asarray(grid, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise InputError(f"KDE needs at least two codes (n, d); got shape {x.shape}")
    step = _grid_step(g)
    h = _scott_bandwidth(x) if bandwidth is None else np.broadcast_to(bandwidth, x.shape[1:])
    n, d = x.shape
    pos = (x - g[0]) / step
    left = np.floor(pos).astype(np.int64)
    frac = pos - left
    counts = np.zeros((d, g.size + 1))
    dims = np.broadcast_to(np.arange(d), (n, d))
    for offset, weight in ((0, 1.0 - frac), (1, frac)):
        idx = left + offset
        ok = (idx >= 0) & (idx < g.size)
        np.add.at(counts, (dims[ok], idx[ok]), weight[ok])
    counts = counts[:, : g.size] / (n * step)
    out = np.empty_like(counts)
    for j in range(d):
        sigma = max(float(h[j]) / step, 1e-3)
        out[j] = ndimage.gaussian_filter1d(counts[j], sigma, mode="constant", truncate=5.0)
    return out


def _grid_step(g: np.ndarray) -> float:
    if g.ndim != 1 or g.size < 3:
        raise InputError("the KDE grid needs at least three points")
    steps = np.diff(g)
    step = float(steps.mean())
    if step <= 0 or np.abs(steps - step).max() > 1e-6 * max(abs(step), 1e-300) + 1e-12:
        raise InputError("the KDE grid must be uniform and increasing")
    return step


def _scott_bandwidth(x: np.ndarray) -> np.ndarray:
    n = max(x.shape[0], 2)
    sd = x.std(axis=0, ddof=1) if x.shape[0] > 1 else np.ones(x.shape[1])
    return 1.06 * np.where(sd > 0, sd, 1e-3) * n ** (-0.2)


def correlations(scores: np.ndarray, props: np.ndarray) -> np.ndarray:
    """Pearson correlation matrix of principal-component scores and properties (Fig. 11).

    Parameters
    ----------
    scores : ndarray (n, c)
        PCA scores.
    props : ndarray (n, p)
        Properties (rows with a NaN are left out).

    Returns
    -------
    ndarray (c + p, c + p)
        Correlations of the columns ``[PC1..PCc, props...]``; the PC–property block is
        ``[:c, c:]``. A constant column correlates as NaN.
    """
    s = np.asarray(scores, dtype=np.float64)
    p = np.asarray(props, dtype=np.float64).reshape(s.shape[0], -1)
    table = np.concatenate([s, p], axis=1)
    table = table[np.isfinite(table).all(axis=1)]
    m = table.shape[1]
    if table.shape[0] < 2:
        return np.full((m, m), np.nan)
    centred = table - table.mean(axis=0)
    norm = np.sqrt((centred**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (centred.T @ centred) / np.outer(norm, norm)
    corr[:, norm == 0] = np.nan
    corr[norm == 0, :] = np.nan
    return np.clip(corr, -1.0, 1.0)


def write_latent(
    path: str | os.PathLike,
    latent: LatentSet,
    result: PCAResult,
    grid: np.ndarray,
    density: np.ndarray,
    corr: np.ndarray,
    *,
    model_info: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the latent maps to HDF5 (atomically).

    Layout: root attributes ``format="porestudio-latent"``, ``source``, ``fingerprint``,
    ``names`` (JSON list), ``model_json``; datasets ``mu`` (n, d), ``properties`` (n, p),
    ``indices`` (n,), ``pca/components`` (c, d), ``pca/mean`` (d,),
    ``pca/explained_variance_ratio`` (c,), ``pca/scores`` (n, c), ``kde/grid`` (g,),
    ``kde/density`` (d, g), ``correlation`` (c + p, c + p) with attribute ``labels``.
    """
    import h5py

    from porestudio.atomic import SUFFIXES, atomic_path

    target = Path(path)
    c = result.components.shape[0]
    labels = [f"PC{i + 1}" for i in range(c)] + list(latent.names)
    inputs = (latent.source,) if latent.source else ()
    rules = {"inputs": inputs, "overwrite": overwrite, "suffixes": SUFFIXES["hdf5"]}
    with atomic_path(target, **rules) as tmp, h5py.File(tmp, "w") as h5:
        h5.attrs.update(
            format=LATENT_FORMAT, source=latent.source, fingerprint=latent.fingerprint,
            names=json.dumps(list(latent.names)), model_json=json.dumps(model_info or {}),
        )  # fmt: skip
        h5["mu"], h5["properties"], h5["indices"] = latent.mu, latent.properties, latent.indices
        for key in ("components", "mean", "explained_variance_ratio", "scores"):
            h5[f"pca/{key}"] = getattr(result, key)
        h5["kde/grid"], h5["kde/density"] = grid, density
        h5["correlation"] = corr
        h5["correlation"].attrs["labels"] = json.dumps(labels)
    return target


def latent_weights_sha(path: str | os.PathLike) -> str:
    """The ``weights_sha256`` of the model that wrote a latent file ("" when not recorded)."""
    import h5py

    try:
        with h5py.File(Path(path), "r") as h5:
            info = json.loads(h5.attrs.get("model_json", "{}") or "{}")
    except (OSError, ValueError):
        return ""
    return str(info.get("weights_sha256", "") or "")


def read_latent(path: str | os.PathLike) -> LatentSet:
    """The :class:`LatentSet` stored by :func:`write_latent`."""
    import h5py

    target = Path(path)
    if not target.is_file():
        raise InputError(f"{target} does not exist")
    try:
        with h5py.File(target, "r") as h5:
            if h5.attrs.get("format") != LATENT_FORMAT:
                raise FormatError(f"{target.name} is not a porestudio latent file")
            return LatentSet(
                np.asarray(h5["mu"][()], np.float32), np.asarray(h5["properties"][()], float),
                tuple(json.loads(h5.attrs["names"])), np.asarray(h5["indices"][()], np.int64),
                str(h5.attrs.get("source", "")), str(h5.attrs.get("fingerprint", "")),
            )  # fmt: skip
    except (OSError, KeyError) as exc:
        raise FormatError(f"cannot read latent file {target.name}: {exc}") from None
