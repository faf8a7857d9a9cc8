"""CT → latent → variants without Qt: fit a CT sub-volume to a 3D pVAE, encode it, design from it.

An imported CT sub-volume is encoded with a 3D pVAE (:func:`encode_start`) and becomes the
studio's *start point*: a marker on the latent map (the PCA of the model's dataset) and the
code the design starts from (``design(..., start=code)``), so the candidates are variants of
the scanned material that meet the typed target. A pVAE reads cubes of one size only:
:func:`cube_fit` says whether a sub-volume fits and which centred crop would
(:func:`centre_crop`); a smaller sub-volume cannot be used (no padding is invented).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from porestudio.errors import InputError, PorestudioError
from porestudio.structures.volume import Structure

NO_3D_MODEL = "no 3D model loaded: Load 3D model… (a pVAE folder trained on 3D cubes)"


@dataclasses.dataclass(frozen=True)
class CubeFit:
    """Whether a sub-volume fits a model, and what would.

    Attributes
    ----------
    fits : bool
        The shape is the model's sample shape.
    have, need : tuple of int
        ``(nz, ny, nx)`` of the sub-volume and of the model's samples [voxels].
    can_crop : bool
        Larger along every axis: a centred crop of ``need`` fits.
    message : str
        One line for the user.
    """

    fits: bool
    have: tuple[int, int, int]
    need: tuple[int, int, int]
    can_crop: bool
    message: str


def model_is_3d(model: Any) -> bool:
    """Whether ``model`` is a pVAE of 3D cubes (not sections of extruded structures)."""
    return getattr(model, "kind", None) == "pvae" and int(model.spec.dims) == 3


def default_3d_model() -> str | None:
    """The shipped 3D pVAE folder (``resources/models/pvae3d``), or None when absent."""
    from porestudio.resources import RESOURCES_DIR

    folder = RESOURCES_DIR / "models" / "pvae3d"
    return str(folder) if (folder / "model.json").is_file() else None


def training_dataset(model: Any) -> str | None:
    """The dataset ``model`` was trained on, if it is at hand: a file of the recorded name in
    ``resources/`` with the recorded fingerprint (the shipped default models: trained where
    their author kept the data, the same file ships in resources), else the recorded path."""
    from pathlib import Path

    from porestudio.ml.data import dataset_fingerprint
    from porestudio.resources import RESOURCES_DIR

    training = model.config.get("training", {})
    recorded = training.get("dataset")
    if not recorded:
        return None
    shipped = RESOURCES_DIR / Path(recorded).name
    if shipped.is_file():
        try:
            if dataset_fingerprint(shipped) == training.get("dataset_fingerprint"):
                return str(shipped)
        except (OSError, PorestudioError):
            pass
    return str(recorded) if Path(recorded).is_file() else None


def cube_fit(shape: tuple[int, ...], model: Any) -> CubeFit:
    """How a sub-volume of ``shape`` ``(nz, ny, nx)`` fits the 3D pVAE ``model``."""
    have = tuple(int(n) for n in shape)
    need = tuple(int(n) for n in model.spec.sample_shape_zyx)
    if len(have) != 3:
        raise InputError(f"a CT sub-volume is a 3D array, not of shape {have}")
    size = "×".join(map(str, need))
    if have == need:
        return CubeFit(True, have, need, False, f"fits the model ({size} voxels)")
    if all(h >= n for h, n in zip(have, need, strict=True)):
        text = (f"{'×'.join(map(str, have))} voxels do not fit the model, which reads "
                f"{size}: crop the centre to {size}")  # fmt: skip
        return CubeFit(False, have, need, True, text)
    text = (f"{'×'.join(map(str, have))} voxels are smaller than the model's {size}: "
            f"import a sub-volume of at least {size} voxels")  # fmt: skip
    return CubeFit(False, have, need, False, text)


def centre_crop(structure: Structure, shape: tuple[int, int, int]) -> Structure:
    """The centred ``shape`` crop of ``structure`` (provenance records the crop origin).

    Raises
    ------
    InputError
        The structure is smaller than ``shape`` along some axis.
    """
    have = structure.pore.shape
    if len(have) != 3 or any(h < n for h, n in zip(have, shape, strict=True)):
        raise InputError(f"cannot crop {have} voxels to {tuple(shape)}: the volume is smaller")
    origin = tuple((h - n) // 2 for h, n in zip(have, shape, strict=True))
    sl = tuple(slice(o, o + n) for o, n in zip(origin, shape, strict=True))
    prov = {**structure.provenance, "crop_origin_zyx": list(origin),
            "crop_shape_zyx": list(shape)}  # fmt: skip
    return Structure(np.ascontiguousarray(structure.pore[sl]), structure.voxel_size_m, prov)


@dataclasses.dataclass(frozen=True, eq=False)
class StartPoint:
    """A structure encoded by the pVAE: its marker on the map and the design's start code.

    Attributes
    ----------
    label : str
        Name on the map and in the design panel.
    code : ndarray of float32, shape (d,)
        Encoder mean.
    structure : Structure
        The (cropped) sub-volume that was encoded.
    """

    label: str
    code: np.ndarray
    structure: Structure


def encode_start(model: Any, structure: Structure, label: str) -> StartPoint:
    """Worker: encode a sub-volume that fits the 3D pVAE ``model`` (InputError otherwise)."""
    if not model_is_3d(model):
        raise InputError(NO_3D_MODEL)
    fit = cube_fit(structure.pore.shape, model)
    if not fit.fits:
        raise InputError(fit.message)
    code = np.asarray(model.encode(structure.pore[None].astype(bool)), dtype=np.float32)[0]
    return StartPoint(label, code, structure)


__all__ = [
    "NO_3D_MODEL",
    "CubeFit",
    "StartPoint",
    "centre_crop",
    "cube_fit",
    "encode_start",
    "model_is_3d",
]
