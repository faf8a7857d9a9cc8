"""Locations of the embedded default data and models (the repository's ``resources/``)."""

from __future__ import annotations

import os
from pathlib import Path

from porestudio.errors import InputError

RESOURCES_DIR: Path = Path(
    os.environ.get("PORESTUDIO_RESOURCES", Path(__file__).resolve().parents[1] / "resources")
)
"""Folder of the default data; override with the ``PORESTUDIO_RESOURCES`` environment variable."""

DEFAULT_DATASET: str = "default_dataset.h5"
"""File name (inside :data:`RESOURCES_DIR`) of the dataset the studio opens by default."""


def resource_path(name: str, *, must_exist: bool = True) -> Path:
    """Absolute path of a file in the resources folder.

    Parameters
    ----------
    name : str
        Relative path inside ``resources/`` (e.g. ``"ct/fiberform_puma/100_fiberform.tif"``).
    must_exist : bool
        Raise :class:`~porestudio.errors.InputError` if the file is missing.
    """
    path = RESOURCES_DIR / name
    if must_exist and not path.exists():
        raise InputError(f"missing resource {name!r} in {RESOURCES_DIR} (broken installation?)")
    return path
