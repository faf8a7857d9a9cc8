"""The studio's slow work as plain functions (run in a worker by the GUI, directly by scripts).

Each takes snapshots (a loaded model, a path, arrays) and returns a value the
:class:`~porestudio.gui.model.StudioModel` stores with one of its ``set_*`` methods. They call
the library only — :mod:`porestudio.ml.api` and :mod:`porestudio.design` — so the studio, the
CLI and a script compute the same thing.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.progress import ProgressFn
from porestudio.structures.volume import Structure


@dataclasses.dataclass(frozen=True, eq=False)
class DesignSpace:
    """What a pVAE makes of the open dataset: the design reference and the latent map.

    Attributes
    ----------
    reference : porestudio.design.reference.Reference
        Encoded, labelled training data (initial guesses, novelty, in-distribution).
    latent : porestudio.gui.model.latent_map.LatentMap
        The map the latent panel draws.
    """

    reference: Any
    latent: Any


def load_model(directory: str) -> Any:
    """Worker: a model folder (model.json + model.safetensors) as a ``LoadedModel``."""
    from porestudio.ml import api

    return api.load(directory)


def design_space(
    model: Any, path: str, progress: ProgressFn | None = None, *, cache: bool = True
) -> DesignSpace:
    """Worker: encode the dataset at ``path`` once for the map and for design.

    With ``cache`` the codes are read from (or written to) the studio's encoding cache
    (:mod:`porestudio.gui.model.latent_cache`): a second start skips the encoder.
    """
    from porestudio.design.inverse import resolve_reference
    from porestudio.design.latent import pca
    from porestudio.gui.model import latent_cache
    from porestudio.gui.model.latent_map import N_COMPONENTS, latent_map_from

    cached = latent_cache.load_latent(model, path) if cache else None
    ref = resolve_reference(model, str(path), latent=cached, progress=progress)
    if cache and cached is None:
        latent_cache.store_latent(model, ref.latent)
    lmap = latent_map_from(ref.latent, pca(ref.latent.mu, N_COMPONENTS))
    return DesignSpace(ref, lmap)


def run_design(
    model: Any,
    targets: dict[str, float],
    *,
    reference: Any,
    surrogate: Any = None,
    candidates: int = 5,
    verify: bool = True,
    device: str = "cpu",
    options: Any = None,
    progress: ProgressFn | None = None,
    start: np.ndarray | None = None,
) -> list:
    """Worker: :func:`porestudio.design.inverse.design` for one target (lattice units).

    ``options`` (a :class:`porestudio.design.inverse.DesignOptions`) tunes the search; its
    physics device is set from ``device``. ``start`` (d,): a code to design variants of
    (an encoded CT sub-volume), tried before the nearest training structures.
    """
    from porestudio.design.inverse import design, options_for
    from porestudio.physics.device import resolve_device

    options = dataclasses.replace(options or options_for(model),
                                  physics_device=str(resolve_device(device)))  # fmt: skip
    return design(
        model, design_targets(targets), surrogate=surrogate, candidates=int(candidates),
        verify="physics" if verify else None, progress=progress, data=reference,
        options=options, start=start,
    )  # fmt: skip


def design_targets(targets: dict[str, float]) -> dict[str, float]:
    """Studio targets (``porosity``, ``k_xx``, ``k_yy``, ``k_zz``) as the design names them.

    Off-diagonal components cannot be design targets (InputError).
    """
    out = {}
    for name, value in targets.items():
        if name == "porosity":
            out[name] = value
        elif name in ("k_xx", "k_yy", "k_zz"):
            out[f"k{name[2]}"] = value
        else:
            raise InputError(f"{name} cannot be a design target: use porosity, k_xx, k_yy, k_zz")
    return out


def cached_map(model_dir: str, dataset: str) -> tuple[str, Any] | None:
    """Worker: the latent map of ``dataset`` from the encoding cache, without loading the
    model (no torch): ``(weights_sha256, LatentMap)``, or None when it is not cached."""
    from porestudio.design.latent import pca
    from porestudio.gui.model import latent_cache
    from porestudio.gui.model.latent_map import N_COMPONENTS, latent_map_from
    from porestudio.ml.modelfile import read_model_config

    config = read_model_config(model_dir)
    if config.get("kind") != "pvae":
        return None
    latent = latent_cache.load_latent(config, dataset)
    if latent is None or len(latent) < 2:
        return None
    return latent_cache.weights_of(config), latent_map_from(latent, pca(latent.mu, N_COMPONENTS))


def codes_of(model: Any, pores: np.ndarray) -> np.ndarray:
    """Latent means (n, d) of structures (n, nz, ny, nx) by the pVAE's encoder."""
    return np.asarray(model.encode(np.asarray(pores, dtype=bool)), dtype=np.float32)


def interpolation(
    model: Any,
    pores_a: np.ndarray,
    pores_b: np.ndarray,
    *,
    steps: int = 20,
    method: str = "slerp",
    surrogate: Any = None,
    progress: ProgressFn | None = None,
) -> Any:
    """Worker: encode two structures and decode the path between them (no physics yet)."""
    from porestudio.design.interpolate import path

    z = codes_of(model, np.stack([pores_a, pores_b]))
    return path(model, z[0], z[1], steps, method, surrogate=surrogate, progress=progress)


def verify_steps(
    path: Any, steps: list[int], spec: Any, *, boundary_mode: str = "kuhn",
    device: str = "cpu", progress: ProgressFn | None = None,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Worker: physics (porosity, k [voxel²]) of chosen steps of a path; ``step`` = indices."""
    from porestudio.design.verify import physics_properties
    from porestudio.physics.device import resolve_device

    rows = np.asarray(sorted(set(int(s) for s in steps)), dtype=np.int64)
    if rows.size == 0:
        raise InputError("no steps to verify: give step numbers like 0, 5, 10")
    if rows.min() < 0 or rows.max() >= len(path.t):
        raise InputError(f"steps run from 0 to {len(path.t) - 1}")
    out = physics_properties(path.pores[rows], spec, boundary_mode=boundary_mode,
                             device=str(resolve_device(device)), progress=progress)  # fmt: skip
    return {"step": rows, **out}


def parse_steps(text: str, n: int) -> list[int]:
    """Step numbers from ``"0, 5, 10"``, ``"2-6"`` or ``"every 4"`` (0-based, < ``n``)."""
    text = text.strip().lower()
    if m := re.fullmatch(r"every\s+(\d+)", text):
        k = max(1, int(m.group(1)))
        return sorted(set(range(0, n, k)) | {n - 1})
    steps: set[int] = set()
    for part in filter(None, re.split(r"[,\s]+", text)):
        if m := re.fullmatch(r"(\d+)-(\d+)", part):
            steps.update(range(int(m.group(1)), int(m.group(2)) + 1))
        elif part.isdigit():
            steps.add(int(part))
        else:
            raise InputError(f"cannot read step {part!r}: use numbers, ranges (2-6) or 'every 4'")
    bad = [s for s in steps if s >= n]
    if bad:
        raise InputError(f"step {bad[0]} is beyond the path (steps 0 to {n - 1})")
    return sorted(steps)


def save_path(path: Any, out: str, voxel_size_m: float | None) -> str:
    """Worker: write an interpolation path as a dataset (refuses to overwrite)."""
    from porestudio.design.interpolate import save_path as write

    return str(write(path, out, voxel_size_m=voxel_size_m))


def candidate_structure(candidate: Any, voxel_size_m: float | None, label: str) -> Structure:
    """A designed (or baseline) candidate as a :class:`Structure` to show or export."""
    prov = {"generator": "design", "label": label, "novelty": float(candidate.novelty),
            "nearest_index": int(candidate.nearest_index)}  # fmt: skip
    return Structure(np.asarray(candidate.pore, dtype=bool), voxel_size_m, prov)


def path_structure(path: Any, step: int, voxel_size_m: float | None) -> Structure:
    """Step ``step`` of an interpolation path as a :class:`Structure`."""
    prov = {"generator": "interpolation", "method": path.method, "step": int(step),
            "t": float(path.t[step])}  # fmt: skip
    return Structure(np.asarray(path.pores[step], dtype=bool), voxel_size_m, prov)


def train_model(
    kind: str, data: str, out: str, *, epochs: int | None, device: str,
    on_epoch=None, config_overrides: dict | None = None,
) -> Any:  # fmt: skip
    """Worker: :func:`porestudio.ml.api.train` (resumes a checkpoint in ``out``).

    ``on_epoch(event)`` gets the training events (raise Cancelled in it to stop).
    """
    from porestudio.ml import api

    return api.train(kind, data, out, epochs=epochs, device=device, progress=on_epoch,
                     resume=True, config_overrides=config_overrides)  # fmt: skip


__all__ = [
    "DesignSpace",
    "cached_map",
    "candidate_structure",
    "codes_of",
    "design_space",
    "design_targets",
    "interpolation",
    "load_model",
    "parse_steps",
    "path_structure",
    "run_design",
    "save_path",
    "train_model",
    "verify_steps",
]
