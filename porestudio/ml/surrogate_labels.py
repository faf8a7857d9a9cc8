"""The paper's bottom-up route: physics labels a subset, a CNN surrogate the rest.

The paper labelled part of its 3D set with the LBM, trained the CNN on it and let the CNN
label the remaining samples for the pVAE. porestudio offers that as an option and keeps
the two kinds apart: a surrogate label is written with ``label_status`` 3 (physics: 1),
porosity is always counted from the voxels, and only the components the CNN predicts are
filled (others stay NaN). A later ``porestudio label`` run treats surrogate rows as
unlabelled and replaces them with physics. Training uses surrogate labels only when asked
(``surrogate_labels`` in the configuration), and then only in the training part: the
validation and test samples, and every evaluation, use physics labels alone.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from porestudio.errors import InputError
from porestudio.ml import properties as P
from porestudio.ml.data import LABEL_SURROGATE, check_dataset_fits, dataset_path
from porestudio.ml.data import _labels as labels_of
from porestudio.progress import ProgressFn, report

__all__ = ["SurrogateSummary", "label_with_surrogate"]

log = logging.getLogger(__name__)

_CHUNK = 256  # samples read and predicted at a time


@dataclass(frozen=True)
class SurrogateSummary:
    """What :func:`label_with_surrogate` wrote."""

    path: Path
    labelled: int
    skipped_physics: int
    components: tuple[str, ...]
    model_sha256: str

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "labelled": self.labelled,
            "skipped_physics": self.skipped_physics,
            "components": list(self.components),
            "model_sha256": self.model_sha256,
        }


def label_with_surrogate(
    model, data: str | os.PathLike, *, progress: ProgressFn | None = None
) -> SurrogateSummary:
    """Label every sample that has no physics label with a CNN surrogate's predictions.

    Parameters
    ----------
    model : LoadedModel or path
        A CNN that fits the dataset.
    data : path
        The dataset; modified in place by an atomic rewrite. Samples with a physics label
        (label_status 1) are never touched; failed ones (2) are labelled too.
    progress : ProgressFn, optional
        ``progress(done, total)``; raise Cancelled to stop before anything is written.

    Returns
    -------
    SurrogateSummary
    """
    from porestudio.ml.api import load
    from porestudio.structures.dataset import open_dataset, write_properties

    m = load(model)
    if m.kind != "cnn":
        raise InputError("surrogate labels come from a CNN model; this is a pVAE")
    path = dataset_path(data)
    check_dataset_fits(path, m.spec, need_labels=False)
    with open_dataset(path) as ds:
        n = len(ds)
        _, _, physics = labels_of(ds)  # the ml loader's reading of label_status
    todo = np.flatnonzero(~physics)
    tensor, phi = _predict(m, path, todo, progress)
    if len(todo):
        write_properties(
            path,
            {"porosity": phi, "permeability_lu": tensor,
             "label_status": np.full(len(todo), LABEL_SURROGATE, np.int8)},
            indices=todo,
            attrs={"permeability_lu": {"surrogate_model_sha256": m.config["weights_sha256"]}},
        )  # fmt: skip
    comps = tuple(c for c in m.spec.properties if P.is_permeability(c))
    log.info("%s: %d samples labelled by the surrogate", path.name, len(todo))
    return SurrogateSummary(path, len(todo), n - len(todo), comps, m.config["weights_sha256"])


def _predict(m, path: Path, todo: np.ndarray, progress) -> tuple[np.ndarray, np.ndarray]:
    """(tensor (len, 3, 3) NaN where not predicted, porosity from the voxels) of ``todo``."""
    from porestudio.ml.data import load_arrays

    tensor = np.full((len(todo), 3, 3), np.nan)
    phi = np.zeros(len(todo))
    for a in range(0, len(todo), _CHUNK):
        rows = slice(a, a + _CHUNK)
        x, _ = load_arrays(path, m.spec, todo[rows])  # model inputs: 2D sections or volumes
        phi[rows] = x.mean(axis=tuple(range(1, x.ndim)))
        pred = m.predict(x[:, None] if m.spec.dims == 2 else x)
        for name, values in pred.items():
            if P.is_permeability(name):
                r, c = P.tensor_index(name)
                tensor[rows, r, c] = values
                tensor[rows, c, r] = values
        report(progress, min(a + _CHUNK, len(todo)), len(todo))
    return tensor, phi
