"""The latent map's data without Qt: PCA scores, colour values, density shading, picking.

:func:`build_latent_map` (a worker) encodes the open dataset with the pVAE
(:func:`porestudio.design.latent.encode_dataset`) and projects the codes on their principal
axes (:func:`porestudio.design.latent.pca`). The map panel draws :class:`LatentMap`;
everything it needs per frame (colour levels, the density image, the nearest point under
the mouse) is computed here with whole-array numpy, so 50,000 points stay smooth.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from porestudio.progress import ProgressFn

N_COMPONENTS = 10
"""Principal axes kept for the map."""

N_LEVELS = 16
"""Colour classes of the scatter (one brush each: no per-point brush lists)."""


@dataclasses.dataclass(frozen=True, eq=False)
class LatentMap:
    """An encoded dataset on its principal axes.

    Attributes
    ----------
    scores : ndarray of float64, shape (n, c)
        PCA scores of the samples' latent means.
    explained : ndarray, shape (c,)
        Explained variance ratio of each axis.
    indices : ndarray of int64, shape (n,)
        Dataset index of each point.
    properties : dict of str -> ndarray (n,)
        Labels (porosity [1], k components [voxel²]); NaN = not labelled.
    pca : object
        The :class:`porestudio.design.latent.PCAResult` (``transform`` places new codes).
    mu : ndarray (n, latent_dim), optional
        The latent means.
    """

    scores: np.ndarray
    explained: np.ndarray
    indices: np.ndarray
    properties: dict[str, np.ndarray]
    pca: Any = None
    mu: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @property
    def n_components(self) -> int:
        """Number of principal axes available."""
        return int(self.scores.shape[1])

    def project(self, mu: np.ndarray) -> np.ndarray:
        """Scores (m, c) of other latent codes (CT sub-volumes, path steps, designs)."""
        return np.asarray(self.pca.transform(np.atleast_2d(mu)))

    def row_of(self, index: int) -> int | None:
        """Row of dataset sample ``index`` on the map (None when it is not on it)."""
        rows = np.flatnonzero(self.indices == int(index))
        return int(rows[0]) if rows.size else None

    def axis_label(self, pc: int) -> str:
        """``"PC1 (34 %)"`` for axis ``pc`` (0-based)."""
        return f"PC{pc + 1} ({100 * float(self.explained[pc]):.0f} %)"


def latent_map_from(latent_set: Any, pca_result: Any) -> LatentMap:
    """A map from a :class:`~porestudio.design.latent.LatentSet` and its PCA."""
    props = {
        name: np.asarray(latent_set.properties[:, j], dtype=np.float64)
        for j, name in enumerate(latent_set.names)
    }
    return LatentMap(
        np.asarray(pca_result.scores, dtype=np.float64),
        np.asarray(pca_result.explained_variance_ratio, dtype=np.float64),
        np.asarray(latent_set.indices, dtype=np.int64),
        props,
        pca_result,
        np.asarray(latent_set.mu),
    )


def build_latent_map(model: Any, path: str, progress: ProgressFn | None = None) -> LatentMap:
    """Worker: encode the dataset at ``path`` with a pVAE and project it (see module doc)."""
    from porestudio.design.latent import encode_dataset, pca

    latent_set = encode_dataset(model, path, progress)
    return latent_map_from(latent_set, pca(latent_set.mu, N_COMPONENTS))


def colour_values(lmap: LatentMap, name: str) -> tuple[np.ndarray, str]:
    """Values to colour by and their label: porosity as is, k components as log10(k/voxel²).

    Non-positive or missing k give NaN (drawn grey).
    """
    values = lmap.properties[name]
    if name.startswith("k_"):
        with np.errstate(divide="ignore", invalid="ignore"):
            logk = np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)
        return logk, f"log10 {name} [voxel²]"
    return values, name


def colour_levels(values: np.ndarray, n_levels: int = N_LEVELS) -> tuple[np.ndarray, float, float]:
    """Class (0..n_levels-1, -1 = missing) of every value between its 1st and 99th percentile.

    Returns
    -------
    levels : ndarray of int16, shape (n,)
    lo, hi : float
        The value range the classes span (the colour bar's limits).
    """
    finite = np.isfinite(values)
    if not finite.any():
        return np.full(values.shape, -1, np.int16), 0.0, 1.0
    lo, hi = np.percentile(values[finite], [1, 99])
    if not hi > lo:
        lo, hi = float(lo) - 0.5, float(hi) + 0.5
    scaled = (np.where(finite, values, lo) - lo) / (hi - lo)
    levels = np.clip((scaled * n_levels).astype(np.int64), 0, n_levels - 1).astype(np.int16)
    levels[~finite] = -1
    return levels, float(lo), float(hi)


def density_image(
    x: np.ndarray, y: np.ndarray, bins: int = 160, sigma_bins: float = 2.0
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A kernel density estimate of the points on a grid (binned, then Gaussian-smoothed).

    Returns
    -------
    image : ndarray of float32, shape (bins, bins)
        Density normalised to a maximum of 1; ``image[i, j]`` is at x bin ``i``, y bin ``j``.
    rect : (x0, y0, width, height)
        Where the image lies in data coordinates.
    """
    from scipy.ndimage import gaussian_filter

    x0, x1 = _padded_range(x)
    y0, y1 = _padded_range(y)
    hist, _, _ = np.histogram2d(x, y, bins=bins, range=[[x0, x1], [y0, y1]])
    image = gaussian_filter(hist.astype(np.float32), sigma_bins)
    peak = float(image.max())
    return (image / peak if peak > 0 else image), (x0, y0, x1 - x0, y1 - y0)


def _padded_range(v: np.ndarray) -> tuple[float, float]:
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    return lo - pad, hi + pad


class PointFinder:
    """Nearest map point to a position, in screen-like units (a KD-tree per axis choice).

    Parameters
    ----------
    x, y : ndarray (n,)
        Point coordinates in data units.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self._xy = np.column_stack([x, y]).astype(np.float64)
        self._tree = cKDTree(self._xy) if len(self._xy) else None

    def nearest(self, px: float, py: float, sx: float, sy: float, radius: float) -> int | None:
        """Row of the point nearest ``(px, py)`` within ``radius`` pixels, or None.

        ``sx``, ``sy`` are the data units per pixel along x and y (the view's scale);
        candidates within the radius are found in data units, then ranked in pixels.
        """
        if self._tree is None:
            return None
        reach = radius * max(sx, sy)
        rows = self._tree.query_ball_point([px, py], reach)
        if not rows:
            return None
        rows = np.asarray(rows)
        d = ((self._xy[rows, 0] - px) / sx) ** 2 + ((self._xy[rows, 1] - py) / sy) ** 2
        best = int(np.argmin(d))
        return int(rows[best]) if d[best] <= radius * radius else None
