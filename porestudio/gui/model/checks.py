"""Checks of the studio model without Qt: design targets, model fit, choices.

Kept apart from :mod:`porestudio.gui.model.studio` (which re-exports them) so that module
holds the evented state only.
"""

from __future__ import annotations

import math
from typing import Any

from porestudio.errors import InputError
from porestudio.gui.model.table import DatasetTable
from porestudio.units import permeability_from_lattice


def target_to_lattice(name: str, value: float, unit: str, voxel_size_m: float | None) -> float:
    """One design target in the units models use (porosity: 1; ``k_*``: voxel²).

    Raises
    ------
    InputError
        Unknown property, non-finite value, porosity outside (0, 1), negative k, or a
        unit other than lattice units without a voxel size.
    """
    if not math.isfinite(value):
        raise InputError(f"target {name} must be a finite number, not {value}")
    if name == "porosity":
        if not 0.0 < value < 1.0:
            raise InputError(f"target porosity must lie between 0 and 1, not {value:g}")
        return value
    if not (name.startswith("k_") and len(name) == 4 and set(name[2:]) <= set("xyz")):
        raise InputError(f"unknown target {name!r}: use porosity or k_xx, k_yy, k_zz, ...")
    if value < 0 and name[2] == name[3]:
        raise InputError(f"target {name} must not be negative ({value:g})")
    if unit == "lu":
        return value
    if voxel_size_m is None:
        raise InputError(f"a target in {unit} needs the voxel size: give it in lu instead")
    return value / float(permeability_from_lattice(1.0, unit, voxel_size_m))


def check_model_fits(model: Any, table: DatasetTable) -> None:
    """InputError (one line) when ``model`` cannot read the samples of ``table``."""
    model.spec.check_fits(table.shape, extruded=table_is_extruded(table))


def table_is_extruded(table: DatasetTable) -> bool:
    """Whether the dataset's samples are extruded along z (every z-slice equal; sample 0)."""
    if table.count == 0:
        return False
    pore = table.dataset.pore(0)
    return bool((pore == pore[:1]).all())


def weights_sha256(model: Any) -> str | None:
    config = getattr(model, "config", None)
    return config.get("weights_sha256") if isinstance(config, dict) else None


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InputError(f"unknown {what} {value!r}: use one of {', '.join(choices)}")
    return value
