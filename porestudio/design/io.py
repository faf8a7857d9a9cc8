"""Design results as an ordinary porestudio dataset, and latent codes from user inputs.

:func:`save_designs` writes every candidate and baseline of a design run into one dataset
(so designs open in the studio, export to STL and can be labelled again); per-sample
properties say which target and rank each structure has and carry the predicted and
verified values. :func:`code_for` turns what a user points at — a dataset sample
``DATA.h5:INDEX``, a volume file (TIFF stack, slice folder, a CT volume of the model's
sample size), an array or a code — into a latent code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import InputError

__all__ = ["code_for", "design_rows", "load_volume", "save_designs"]

_UNSET = np.nan


def design_rows(results: Sequence[Any]) -> list[tuple[int, int, Any]]:
    """(target row, rank, candidate) of every structure: candidates rank 1.., baseline 0."""
    rows = []
    for t, r in enumerate(results):
        rows += [(t, i + 1, c) for i, c in enumerate(r.candidates)]
        rows.append((t, 0, r.baseline))
    return rows


def save_designs(
    results: Sequence[Any],
    out: str | os.PathLike,
    *,
    voxel_size_m: float | None,
    attrs: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write design results as a porestudio dataset (atomic).

    Per-sample properties: ``target_row`` (0-based, the order of the targets), ``rank``
    (1 = best candidate, 0 = the nearest-training baseline), ``target_<name>``,
    ``predicted_<name>``, ``verified_<name>`` (NaN when not verified), ``error`` (RMS relative),
    ``novelty``, ``nearest_index``, ``in_distribution``, ``percolates``, ``outside_support``,
    ``support_distance``; ``porosity`` from the voxels; and ``permeability_lu`` (n, 3, 3) with
    ``label_status`` ok where physics values exist (baselines carry their training labels).
    """
    from porestudio.structures.dataset import LABEL_NOT_LABELLED, LABEL_OK, DatasetWriter

    target = Path(out)
    if not results:
        raise InputError("no design results to write")
    rows = design_rows(results)
    names = results[0].names
    pores = np.stack([c.pore for _, _, c in rows])
    props = _properties(results, rows, names)
    k, ok = _tensor(rows)
    props["permeability_lu"] = k
    props["label_status"] = np.where(ok, LABEL_OK, LABEL_NOT_LABELLED).astype(np.int8)
    prov = [{"generator": "inverse-design", "target": results[t].label, "target_row": t,
             "rank": rank, "source": c.source} for t, rank, c in rows]  # fmt: skip
    meta = {"generator": "inverse-design", "targets": list(names), **(attrs or {})}
    shape = tuple(int(n) for n in pores.shape[1:])
    with DatasetWriter(
        target, shape=shape, voxel_size_m=voxel_size_m, attrs=meta, overwrite=overwrite
    ) as w:
        w.append(pores, provenance=prov, properties=props)
        w.set_property_attrs("permeability_lu", {"unit": "voxel^2", "method": "design-verify"})
    return target


def _properties(results, rows, names) -> dict[str, np.ndarray]:
    get = {
        "target_row": lambda t, r, c: t,
        "rank": lambda t, r, c: r,
        "error": lambda t, r, c: c.error,
        "novelty": lambda t, r, c: c.novelty,
        "nearest_index": lambda t, r, c: c.nearest_index,
        "in_distribution": lambda t, r, c: c.in_distribution,
        "percolates": lambda t, r, c: int(c.percolates),
        "outside_support": lambda t, r, c: int(results[t].outside_support),
        "support_distance": lambda t, r, c: results[t].support_distance,
    }
    props = {key: np.array([f(*row) for row in rows]) for key, f in get.items()}
    for j, name in enumerate(names):
        props[f"target_{name}"] = np.array([results[t].target[j] for t, _, _ in rows], float)
    every = sorted({k for _, _, c in rows for k in c.predicted})
    for name in every:
        props[f"predicted_{name}"] = np.array([c.predicted.get(name, _UNSET) for *_, c in rows])
        props[f"verified_{name}"] = np.array(
            [(c.verified or {}).get(name, _UNSET) for *_, c in rows], dtype=float
        )
    return props


def _tensor(rows) -> tuple[np.ndarray, np.ndarray]:
    k = np.full((len(rows), 3, 3), np.nan)
    ok = np.zeros(len(rows), dtype=bool)
    for i, (_, _, c) in enumerate(rows):
        for name, v in (c.verified or {}).items():
            if name.startswith("k_"):
                a, b = "xyz".index(name[2]), "xyz".index(name[3])
                k[i, a, b] = k[i, b, a] = v
                ok[i] = True
    return k, ok


def load_volume(spec: str, shape_zyx: tuple[int, int, int]) -> tuple[np.ndarray, str]:
    """A structure (nz, ny, nx) from ``FILE.h5:INDEX``, or a volume file (``FILE@Z,Y,X`` crops a
    sub-volume of ``shape_zyx`` at that origin, e.g. from a CT stack)."""
    from porestudio.structures.naming import parse_sample_ref, require_exists

    crop = re.fullmatch(r"(.+)@(\d+),(\d+),(\d+)", spec)
    if crop is None:
        ref = parse_sample_ref(spec)  # the one FILE.h5[:INDEX] parser and its messages
        if ref.index is not None:
            from porestudio.structures.dataset import open_dataset

            with open_dataset(ref.path) as ds:
                return ds.pore(ref.index), spec
    from porestudio.structures.ct import load_structure

    path = require_exists(crop.group(1) if crop else spec)
    pore = load_structure(path).pore
    if crop:
        z, y, x = (int(crop.group(i)) for i in (2, 3, 4))
        pore = pore[z : z + shape_zyx[0], y : y + shape_zyx[1], x : x + shape_zyx[2]]
        if pore.shape != tuple(shape_zyx):
            raise InputError(f"the sub-volume at {z},{y},{x} leaves the volume {path.name}")
    return np.ascontiguousarray(pore), spec


def code_for(model: Any, source: Any) -> np.ndarray:
    """The latent code (d,) of a source: a code array (d,) or a ``.npy`` file holding one, a
    structure array, or a spec string for :func:`load_volume`. A 2D model takes its section
    of an extruded volume."""
    arr = source
    if isinstance(source, (str, os.PathLike)) and str(source).lower().endswith(".npy"):
        try:
            arr = np.load(source, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the code file {Path(source).name}: {exc}") from None
    elif isinstance(source, (str, os.PathLike)):
        arr, _ = load_volume(str(source), tuple(model.spec.sample_shape_zyx))
    arr = np.asarray(arr)
    if arr.ndim == 1:
        if arr.size != model.latent_dim:
            raise InputError(f"a code needs {model.latent_dim} values; got {arr.size}")
        return arr.astype(np.float32)
    if model.spec.dims == 2 and arr.ndim == 3:
        from porestudio.structures.morphology import is_extruded

        if not is_extruded(arr.astype(bool), "z"):
            raise InputError("this 2D model needs a structure extruded along z")
        arr = arr[:1]
    return model.encode(arr.astype(bool))[0]
