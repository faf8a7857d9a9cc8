"""PNG plots of the latent space and of designs, as a reader of the paper knows them.

* :func:`kde_plot` — KDE curves of every latent dimension (Figs. 8, 21);
* :func:`pc_scatter` — PC1–PC2 scatter coloured by a property (Figs. 9, 22);
* :func:`pca_grid` — pair grid of the first principal components, histograms on the
  diagonal (Figs. 10, 23);
* :func:`correlation_plot` — correlation heat map of PCs and properties (Figs. 11, 24);
* :func:`error_map` — design targets coloured by log error (Fig. 16);
* :func:`path_plot` — properties along an interpolation path (Figs. 15, 27).

matplotlib (Agg backend) is imported inside the functions; every file is written
atomically and an existing file is replaced only with ``overwrite``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "correlation_plot",
    "error_map",
    "kde_plot",
    "latent_plots",
    "path_plot",
    "pc_scatter",
    "pca_grid",
]

_MAX_POINTS = 4000


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, out: str | os.PathLike, overwrite: bool) -> Path:
    from porestudio.atomic import SUFFIXES, atomic_path

    plt = _pyplot()
    target = Path(out)
    try:
        with atomic_path(target, overwrite=overwrite, suffixes=SUFFIXES["png"]) as tmp:
            fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
    return target


def _subsample(n: int, limit: int = _MAX_POINTS, seed: int = 0) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def kde_plot(grid: np.ndarray, density: np.ndarray, out, *, overwrite: bool = False) -> Path:
    """KDE curves of all latent dimensions in one axes (Fig. 8)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    cmap = plt.get_cmap("viridis")
    d = density.shape[0]
    for j in range(d):
        ax.plot(grid, density[j], lw=0.7, color=cmap(j / max(d - 1, 1)), alpha=0.8)
    ax.set(xlabel="latent value", ylabel="density", title=f"KDE of the {d} latent dimensions")
    return _save(fig, out, overwrite)


def pc_scatter(scores: np.ndarray, values: np.ndarray, label: str, out, *, ratio=None,
               overwrite: bool = False) -> Path:  # fmt: skip
    """PC1–PC2 scatter coloured by a property (Fig. 9)."""
    plt = _pyplot()
    idx = _subsample(len(scores))
    fig, ax = plt.subplots(figsize=(6, 5))
    sc = ax.scatter(scores[idx, 0], scores[idx, 1], c=values[idx], s=4, cmap="viridis")
    fig.colorbar(sc, ax=ax, label=label)
    ax.set(xlabel=_pc_label(0, ratio), ylabel=_pc_label(1, ratio), title=f"latent PCA by {label}")
    return _save(fig, out, overwrite)


def _pc_label(i: int, ratio) -> str:
    if ratio is None or i >= len(ratio):
        return f"PC{i + 1}"
    return f"PC{i + 1} ({100 * ratio[i]:.1f} %)"


def pca_grid(scores: np.ndarray, values: np.ndarray, label: str, out, *,
             overwrite: bool = False) -> Path:  # fmt: skip
    """Pair grid of the principal components coloured by a property (Fig. 10)."""
    plt = _pyplot()
    c = scores.shape[1]
    idx = _subsample(len(scores), 1500)
    fig, axes = plt.subplots(c, c, figsize=(1.6 * c, 1.6 * c), squeeze=False)
    for i in range(c):
        for j in range(c):
            ax = axes[i, j]
            if i == j:
                ax.hist(scores[:, i], bins=40, color="0.4")
            else:
                ax.scatter(scores[idx, j], scores[idx, i], c=values[idx], s=1, cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == c - 1:
                ax.set_xlabel(f"PC{j + 1}", fontsize=7)
            if j == 0:
                ax.set_ylabel(f"PC{i + 1}", fontsize=7)
    fig.subplots_adjust(top=0.95, hspace=0.08, wspace=0.08)
    fig.suptitle(f"first {c} principal components, coloured by {label}")
    return _save(fig, out, overwrite)


def correlation_plot(corr: np.ndarray, labels: Sequence[str], out, *,
                     overwrite: bool = False) -> Path:  # fmt: skip
    """Correlation heat map with the values written in the cells (Fig. 11)."""
    plt = _pyplot()
    m = corr.shape[0]
    fig, ax = plt.subplots(figsize=(0.55 * m + 2, 0.55 * m + 1.5))
    im = ax.imshow(corr, cmap="coolwarm", vmin=-1, vmax=1)
    fig.colorbar(im, ax=ax, label="Pearson correlation")
    ax.set_xticks(range(m), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(m), labels, fontsize=7)
    for i in range(m):
        for j in range(m):
            if np.isfinite(corr[i, j]):
                ax.text(j, i, f"{corr[i, j]:.2f}", ha="center", va="center", fontsize=5)
    return _save(fig, out, overwrite)


def error_map(phi: np.ndarray, k: np.ndarray, log_error: np.ndarray, out, *,
              data: tuple[np.ndarray, np.ndarray] | None = None, title: str = "",
              flagged: np.ndarray | None = None, overwrite: bool = False) -> Path:  # fmt: skip
    """Targets in the porosity–permeability plane coloured by log10 error (Fig. 16).

    Parameters
    ----------
    phi, k : ndarray (n,)
        Target porosity [1] and permeability [voxel²].
    log_error : ndarray (n,)
        log10 of the design error (the paper: MSE of porosity + MSE of k).
    data : (ndarray, ndarray), optional
        Porosity and permeability of the training data, drawn as a grey background.
    flagged : ndarray of bool (n,), optional
        Targets flagged outside the data's support, drawn as crosses.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 5))
    if data is not None:
        idx = _subsample(len(data[0]), 20000)
        ax.scatter(data[0][idx], data[1][idx], s=2, color="0.8", label="training data")
    out_mask = np.zeros(len(phi), bool) if flagged is None else np.asarray(flagged, bool)
    lo, hi = float(np.min(log_error)), float(np.max(log_error))
    sc = ax.scatter(phi[~out_mask], k[~out_mask], c=log_error[~out_mask], s=10,
                    cmap="viridis_r", vmin=lo, vmax=hi)  # fmt: skip
    if out_mask.any():
        ax.scatter(phi[out_mask], k[out_mask], c=log_error[out_mask], s=18, marker="x",
                   cmap="viridis_r", vmin=lo, vmax=hi, label="outside the support")  # fmt: skip
    fig.colorbar(sc, ax=ax, label="log10 error")
    ax.set(xlabel="target porosity", ylabel="target k [voxel²]", title=title or "design error")
    if data is not None or out_mask.any():
        ax.legend(loc="upper left", fontsize=8)
    return _save(fig, out, overwrite)


def path_plot(t: np.ndarray, properties: dict[str, np.ndarray], out, *,
              overwrite: bool = False) -> Path:  # fmt: skip
    """Porosity and permeability along an interpolation path (Fig. 15, top right)."""
    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    for name, vals in properties.items():
        target = a1 if name.endswith("porosity") else a2
        target.plot(t, vals, label=name, lw=1.2)
    a1.set(xlabel="t", ylabel="porosity")
    a2.set(xlabel="t", ylabel="k [voxel²]")
    a1.legend(fontsize=7)
    a2.legend(fontsize=7)
    return _save(fig, out, overwrite)


def latent_plots(directory, grid, density, result, properties: np.ndarray,
                 names: Sequence[str], corr: np.ndarray, *,
                 overwrite: bool = False) -> list[Path]:  # fmt: skip
    """All latent-map figures into ``directory`` (created if missing); returns the files."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    ratio = result.explained_variance_ratio
    files = [kde_plot(grid, density, folder / "latent_kde.png", overwrite=overwrite)]
    for j, name in enumerate(names):
        vals = properties[:, j]
        if not np.isfinite(vals).any():
            continue
        files.append(pc_scatter(result.scores, vals, name, folder / f"pca_{name}.png",
                                ratio=ratio, overwrite=overwrite))  # fmt: skip
        files.append(pca_grid(result.scores, vals, name, folder / f"pca_grid_{name}.png",
                              overwrite=overwrite))  # fmt: skip
    labels = [f"PC{i + 1}" for i in range(result.scores.shape[1])] + list(names)
    files.append(correlation_plot(corr, labels, folder / "correlation.png", overwrite=overwrite))
    return files
