"""The training data as design sees it: nearest samples, novelty, support, density.

A :class:`Reference` holds, for the labelled samples of the model's dataset, the latent
means, the labels (physical and scaled as the model scales them) and the network inputs
bit-packed in memory (a 100×100 section is 1.25 kB; the paper's 48,831 sections 61 MB).

* :func:`nearest_by_properties` — the training samples nearest a target in scaled property
  space (the inverse design's initial guesses and the baseline);
* :func:`support_distance` — how far a target lies from the labelled data (the "outside
  the support" flag);
* :func:`novelty` — Hamming distance (fraction of voxels) from a structure to the nearest
  training structure; exact for references up to :data:`EXACT_NOVELTY_LIMIT` samples,
  above that searched among the :data:`NOVELTY_CANDIDATES` training codes nearest the
  structure's own code (fast, and exact whenever the nearest structure is among them);
* :func:`in_distribution` — a kNN density score in the first principal components of the
  latent means, as the share of training samples that sit in sparser places (1 = as dense
  as the data's core, 0 = farther out than any training sample).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.design.latent import (
    LatentSet,
    PCAResult,
    encode_dataset,
    latent_weights_sha,
    pca,
    read_latent,
)
from porestudio.errors import InputError
from porestudio.ml.data import boundary_mode
from porestudio.progress import ProgressFn, scaled

log = logging.getLogger(__name__)

__all__ = [
    "Reference",
    "build_reference",
    "in_distribution",
    "nearest_by_properties",
    "novelty",
    "support_distance",
    "without_indices",
]

EXACT_NOVELTY_LIMIT = 4096
NOVELTY_CANDIDATES = 256
DENSITY_K = 10
DENSITY_PCS = 10
_DENSITY_SAMPLE = 5000
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


@dataclasses.dataclass(frozen=True, eq=False)
class Reference:
    """Training data for design (see the module docstring).

    Attributes
    ----------
    latent : LatentSet
        Means and physical labels of the labelled samples.
    scaled : ndarray (n, p)
        Labels scaled as the model scales its targets.
    bits : ndarray of uint8 (n, nbytes)
        Network inputs (2D sections or 3D volumes), ``numpy.packbits`` of the flat array.
    input_shape : tuple of int
        Shape of one network input.
    pca : PCAResult
        Principal axes of the means (for the density score).
    density_ref : ndarray (m,)
        Sorted kNN distances of training samples among themselves in PCA space.
    boundary_mode : str
        Side walls of the training labels ("kuhn" or "periodic").
    """

    latent: LatentSet
    scaled: np.ndarray
    bits: np.ndarray
    input_shape: tuple[int, ...]
    pca: PCAResult
    density_ref: np.ndarray
    boundary_mode: str = "kuhn"

    def __len__(self) -> int:
        return len(self.latent)

    @property
    def mu_mean(self) -> np.ndarray:
        """Mean latent code of the data (d,)."""
        return self.latent.mu.mean(axis=0)

    @property
    def mu_std(self) -> np.ndarray:
        """Standard deviation of each latent dimension over the data (d,)."""
        return np.maximum(self.latent.mu.std(axis=0), 1e-6)

    def structures(self, rows: np.ndarray) -> np.ndarray:
        """Network inputs (m, *input_shape) of reference rows, bool (True = pore)."""
        size = int(np.prod(self.input_shape))
        flat = np.unpackbits(self.bits[np.asarray(rows)], axis=-1, count=size)
        return flat.reshape(-1, *self.input_shape).astype(bool)

    def _tree(self):
        from scipy.spatial import cKDTree

        cache = self.__dict__.setdefault("_cache", {})
        if "tree" not in cache:
            cache["tree"] = cKDTree(self.pca.scores)
        return cache["tree"]


def build_reference(
    model: Any,
    data: str | os.PathLike,
    *,
    latent: str | os.PathLike | LatentSet | None = None,
    progress: ProgressFn | None = None,
) -> Reference:
    """The reference of a pVAE's dataset.

    Parameters
    ----------
    model : LoadedModel
        The pVAE.
    data : path
        Its labelled dataset.
    latent : path or LatentSet, optional
        Precomputed latent means (``porestudio latent`` output) of the same dataset and
        model; encoded here when missing.
    progress : ProgressFn, optional
        ``progress(done, total)``; raise Cancelled to stop.

    Raises
    ------
    InputError
        The latent file belongs to another dataset or model, or the dataset does not fit.
    """
    from porestudio.ml.data import dataset_fingerprint

    if latent is None:
        lat = encode_dataset(model, data, scaled(progress, 0, 800, 1000))
    else:
        lat = latent if isinstance(latent, LatentSet) else read_latent(latent)
        _check_latent(model, data, lat, dataset_fingerprint(data))
        if not isinstance(latent, LatentSet):
            _check_weights(model, latent_weights_sha(latent))
    if len(lat) < 2:
        raise InputError(f"{Path(data).name} has fewer than two labelled samples")
    bits = _packed_inputs(model, data, lat.indices, scaled(progress, 800, 200, 1000))
    p = pca(lat.mu, DENSITY_PCS)
    ref_sc = model.scaler.transform(lat.properties)
    return Reference(lat, ref_sc, bits, tuple(model.spec.input_shape()), p,
                     _density_reference(p.scores), boundary_mode(data))  # fmt: skip


def without_indices(ref: Reference, indices) -> Reference:
    """The reference without the samples of these dataset indices (e.g. a model's test
    split, so that targets taken from it are not training samples); the PCA and density
    scale stay those of the whole set."""
    drop = np.isin(ref.latent.indices, np.asarray(list(indices), dtype=np.int64))
    keep = ~drop
    if keep.sum() < 2:
        raise InputError("fewer than two reference samples would be left")
    lat = dataclasses.replace(ref.latent, mu=ref.latent.mu[keep],
                              properties=ref.latent.properties[keep],
                              indices=ref.latent.indices[keep])  # fmt: skip
    p = ref.pca
    scores = p.scores[keep] if len(p.scores) == len(keep) else p.scores
    return Reference(lat, ref.scaled[keep], ref.bits[keep], ref.input_shape,
                     dataclasses.replace(p, scores=scores), ref.density_ref,
                     ref.boundary_mode)  # fmt: skip


def _check_latent(model: Any, data, lat: LatentSet, fingerprint: str) -> None:
    if lat.fingerprint and lat.fingerprint != fingerprint:
        raise InputError(f"the latent file was made from another dataset than {Path(data).name}")
    if tuple(lat.names) != tuple(model.spec.properties):
        raise InputError("the latent file was made with another model (other properties)")
    if lat.mu.shape[1] != model.latent_dim:
        raise InputError(
            f"the latent file has {lat.mu.shape[1]}-dim codes; the model {model.latent_dim}"
        )


def _check_weights(model: Any, recorded: str) -> None:
    own = str(model.config.get("weights_sha256", "") or "")
    if recorded and own and recorded != own:
        raise InputError(
            "the latent file was made with another model (other weights); "
            "encode the dataset again with this model (porestudio latent)"
        )


def _packed_inputs(model: Any, data, indices: np.ndarray, progress) -> np.ndarray:
    from porestudio.ml.data import load_arrays

    parts = []
    step = 1024
    for start in range(0, len(indices), step):
        x, _ = load_arrays(data, model.spec, indices=indices[start : start + step])
        parts.append(np.packbits(x.reshape(len(x), -1) != 0, axis=-1))
        if progress is not None:
            progress(start + len(x), len(indices))
    return np.concatenate(parts)


def _density_reference(scores: np.ndarray) -> np.ndarray:
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(0)
    n = len(scores)
    rows = rng.choice(n, min(n, _DENSITY_SAMPLE), replace=False)
    k = min(DENSITY_K + 1, n)
    dist, _ = cKDTree(scores).query(scores[rows], k=k)
    return np.sort(np.atleast_2d(dist)[:, -1])


def _masked_distance(ref_scaled: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Distances (m, n) from targets (m, p) with NaN = free to references (n, p)."""
    given = np.isfinite(target)
    out = np.zeros((target.shape[0], ref_scaled.shape[0]))
    for j in range(target.shape[1]):
        diff = ref_scaled[None, :, j] - np.where(given[:, j], target[:, j], 0.0)[:, None]
        out += np.where(given[:, j][:, None], np.nan_to_num(diff, nan=1e6) ** 2, 0.0)
    return np.sqrt(out)


def nearest_by_properties(
    ref: Reference, target_scaled: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` reference rows nearest each target in scaled property space.

    Parameters
    ----------
    ref : Reference
    target_scaled : ndarray (m, p)
        Targets scaled like the model's outputs; NaN = not constrained.
    k : int
        Neighbours per target (at most the reference size).

    Returns
    -------
    (ndarray of int (m, k), ndarray (m, k))
        Reference rows by increasing distance, and the distances.
    """
    t = np.atleast_2d(np.asarray(target_scaled, dtype=np.float64))
    k = max(1, min(int(k), len(ref)))
    rows = np.empty((len(t), k), dtype=np.int64)
    dist = np.empty((len(t), k))
    for start in range(0, len(t), 64):
        d = _masked_distance(ref.scaled, t[start : start + 64])
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        dd = np.take_along_axis(d, part, axis=1)
        order = np.argsort(dd, axis=1, kind="stable")
        rows[start : start + 64] = np.take_along_axis(part, order, axis=1)
        dist[start : start + 64] = np.take_along_axis(dd, order, axis=1)
    return rows, dist


def support_distance(ref: Reference, target_scaled: np.ndarray, kth: int = 1) -> np.ndarray:
    """Distance (m,) from each target to its ``kth`` nearest label, in scaled units.

    The scaled units run from 0 to 1 over the training range of each property (log k), so
    0.05 means "5 % of the data's range away from the ``kth`` nearest labelled sample" (by
    default the nearest one).
    """
    _, dist = nearest_by_properties(ref, target_scaled, kth)
    return dist[:, -1]


def hamming_fraction(bits_a: np.ndarray, bits_b: np.ndarray, size: int) -> np.ndarray:
    """Fraction of differing voxels between packed rows (broadcasting)."""
    return _POPCOUNT[np.bitwise_xor(bits_a, bits_b)].sum(axis=-1) / float(size)


def novelty(ref: Reference, inputs: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance from structures to the nearest training structure.

    Parameters
    ----------
    ref : Reference
    inputs : ndarray of bool (m, *input_shape)
        Structures as network inputs (a 2D model's sections).
    mu : ndarray (m, d)
        Their latent means (used to pick candidates in large references).

    Returns
    -------
    (ndarray of int (m,), ndarray (m,))
        Reference row of the nearest training structure and the Hamming distance to it
        [fraction of voxels, 0 = a copy].
    """
    size = int(np.prod(ref.input_shape))
    packed = np.packbits(np.asarray(inputs).reshape(len(inputs), -1) != 0, axis=-1)
    rows = np.empty(len(inputs), dtype=np.int64)
    dist = np.empty(len(inputs))
    cand = _novelty_candidates(ref, np.asarray(mu, dtype=np.float32))
    for i in range(len(inputs)):
        pool = cand[i] if cand is not None else np.arange(len(ref))
        h = hamming_fraction(ref.bits[pool], packed[i][None], size)
        j = int(np.argmin(h))
        rows[i], dist[i] = pool[j], h[j]
    return rows, dist


def _novelty_candidates(ref: Reference, mu: np.ndarray) -> np.ndarray | None:
    n = len(ref)
    if n <= EXACT_NOVELTY_LIMIT:
        return None
    m = NOVELTY_CANDIDATES
    ref_mu = ref.latent.mu
    ref_sq = (ref_mu.astype(np.float64) ** 2).sum(axis=1)
    out = np.empty((len(mu), m), dtype=np.int64)
    for start in range(0, len(mu), 256):
        block = mu[start : start + 256].astype(np.float64)
        d = ref_sq[None, :] - 2.0 * block @ ref_mu.T.astype(np.float64)
        out[start : start + 256] = np.argpartition(d, m - 1, axis=1)[:, :m]
    return out


def in_distribution(ref: Reference, mu: np.ndarray) -> np.ndarray:
    """In-distribution score in [0, 1] of latent codes (module docstring).

    Parameters
    ----------
    ref : Reference
    mu : ndarray (m, d)
        Codes (e.g. the encoded printed structures).

    Returns
    -------
    ndarray (m,)
        Share of training samples whose own kNN distance is at least the code's.
    """
    scores = ref.pca.transform(np.atleast_2d(mu))
    k = min(DENSITY_K, len(ref))
    dist, _ = ref._tree().query(scores, k=k)
    own = np.atleast_2d(dist)[:, -1] if k > 1 else np.atleast_1d(dist)
    below = np.searchsorted(ref.density_ref, own, side="left")
    return 1.0 - below / float(len(ref.density_ref))
