"""Design targets: porosity and permeability components, validated and in lattice units.

A target names porosity (volume fraction, in (0, 1)) and any of the permeability entries
``k`` (along the flow axis of a 2D model; all three diagonal entries alike for a 3D model),
``kx``, ``ky``, ``kz`` (> 0). Permeabilities are given in lattice units (voxel², ``lu``),
m² or mD and carried in lattice units; the physical units need a voxel size (the model's
or the user's, see :mod:`porestudio.units`). A batch comes from a CSV file whose header
names the columns as the command-line flags do: ``porosity,k`` or ``porosity,kx,ky,kz``.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from porestudio.errors import InputError
from porestudio.units import check_voxel_size, permeability_from_lattice

__all__ = ["TARGET_NAMES", "Targets", "make_targets", "model_columns", "read_targets_csv"]

TARGET_NAMES: tuple[str, ...] = ("porosity", "k", "kx", "ky", "kz")
"""Names a user can give a target for (CLI flags, CSV header)."""
UNITS: tuple[str, ...] = ("lu", "m2", "mD")


@dataclasses.dataclass(frozen=True, eq=False)
class Targets:
    """A batch of design targets.

    Attributes
    ----------
    names : tuple of str
        User-level names (a subset of :data:`TARGET_NAMES`, in that order).
    values : ndarray of float, shape (n, len(names))
        Porosity [1] and permeability [voxel²] of every target.
    labels : tuple of str
        Where each target came from (``"--porosity/--k"`` or ``"targets.csv line 3"``).
    """

    names: tuple[str, ...]
    values: np.ndarray
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def column(self, name: str) -> np.ndarray:
        """Values of one target name (n,)."""
        return self.values[:, self.names.index(name)]


def make_targets(
    values: Mapping[str, float | Sequence[float] | np.ndarray | None],
    *,
    units: str = "lu",
    voxel_size_m: float | None = None,
    labels: Sequence[str] | None = None,
) -> Targets:
    """Validated targets from named values.

    Parameters
    ----------
    values : dict of name -> float or array
        Keys from :data:`TARGET_NAMES`; None values are ignored. Arrays give a batch (all of
        one length). Porosity [1]; permeability in ``units``.
    units : {"lu", "m2", "mD"}
        Unit of the permeability values.
    voxel_size_m : float, optional
        Voxel edge [m]; needed for m² and mD.
    labels : sequence of str, optional
        Names of the targets for error messages.

    Returns
    -------
    Targets
        In lattice units.

    Raises
    ------
    InputError
        Unknown name, ``k`` mixed with ``kx``/``ky``/``kz``, no permeability or porosity at all,
        porosity outside (0, 1), k ≤ 0 or not finite, a physical unit without voxel size.
    """
    given = {n: v for n, v in values.items() if v is not None}
    names = _check_names(list(given))
    cols = [np.atleast_1d(np.asarray(given[n], dtype=float)) for n in names]
    n = cols[0].size
    if any(c.ndim != 1 or c.size != n for c in cols):
        raise InputError("every target property needs the same number of values")
    if n == 0:
        raise InputError("no targets given")
    labels = tuple(labels) if labels is not None else tuple(f"target {i + 1}" for i in range(n))
    scale = lattice_factor(units, voxel_size_m) if any(m != "porosity" for m in names) else 1.0
    table = np.stack(cols, axis=1)
    for j, name in enumerate(names):
        for i in range(n):
            _check_value(name, table[i, j], labels[i], units)
        if name != "porosity":
            table[:, j] = table[:, j] * scale
    return Targets(names, table, labels)


def lattice_factor(units: str, voxel_size_m: float | None) -> float:
    """Factor turning a permeability in ``units`` into lattice units [voxel² per unit]."""
    if units not in UNITS:
        raise InputError(f"unknown permeability unit {units!r}; use lu, m2 or mD")
    if units != "lu":
        voxel_size_m = check_voxel_size(voxel_size_m, required=True)
    return 1.0 / float(permeability_from_lattice(1.0, units, voxel_size_m))


def read_targets_csv(
    path: str | os.PathLike, *, units: str = "lu", voxel_size_m: float | None = None
) -> Targets:
    """Targets from a CSV file, one per row, in the order of the rows.

    The header names the columns (``porosity,k`` or ``porosity,kx,ky,kz``, any subset as the
    flags allow); blank lines and lines starting with ``#`` are skipped. Errors name the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"targets file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read targets file {path.name}: {exc}") from None
    rows = [
        (i + 1, r)
        for i, r in enumerate(csv.reader(text.splitlines()))
        if r and any(c.strip() for c in r) and not r[0].strip().startswith("#")
    ]
    if not rows:
        raise InputError(f"{path.name} is empty; expected a header such as porosity,k")
    header = [c.strip().lower() for c in rows[0][1]]
    if header and header[0] not in TARGET_NAMES and _is_number(header[0]):
        raise InputError(f"{path.name} has no header row; start it with e.g. porosity,k")
    _check_names(header, where=f"{path.name} header")
    values: list[list[float]] = []
    labels: list[str] = []
    for line, row in rows[1:]:
        where = f"{path.name} line {line}"
        if len(row) != len(header):
            raise InputError(f"{where}: {len(row)} values for the {len(header)} columns")
        try:
            values.append([float(c) for c in row])
        except ValueError:
            raise InputError(f"{where}: not a number in {','.join(row)!r}") from None
        labels.append(where)
    if not values:
        raise InputError(f"{path.name} has a header but no target rows")
    table = np.asarray(values, dtype=float)
    named = {name: table[:, j] for j, name in enumerate(header)}
    return make_targets(named, units=units, voxel_size_m=voxel_size_m, labels=labels)


def model_columns(targets: Targets, properties: Sequence[str], section_axis: str | None):
    """Map user names to a model's property names.

    Parameters
    ----------
    targets : Targets
        The targets.
    properties : sequence of str
        The model's regressor outputs (e.g. ``("porosity", "k_zz")``).
    section_axis : str or None
        Extrusion axis of a 2D model (its ``k`` is the permeability along it), None for 3D.

    Returns
    -------
    (tuple of str, ndarray)
        Model property names and target values ``(n, len(names))`` [lattice units].

    Raises
    ------
    InputError
        The model has no output for a requested property.
    """
    names: list[str] = []
    cols: list[np.ndarray] = []
    for name in targets.names:
        for prop in _model_names(name, properties, section_axis):
            if prop not in properties:
                have = ", ".join(properties)
                raise InputError(f"the model predicts {have}; it has no output for {prop}")
            if prop not in names:
                names.append(prop)
                cols.append(targets.column(name))
    return tuple(names), np.stack(cols, axis=1)


def _model_names(name: str, properties: Sequence[str], section_axis: str | None) -> list[str]:
    if name == "porosity":
        return ["porosity"]
    if name == "k":
        if section_axis is not None:
            return [f"k_{section_axis}{section_axis}"]
        return [p for p in ("k_xx", "k_yy", "k_zz") if p in properties] or ["k_zz"]
    axis = name[1]
    return [f"k_{axis}{axis}"]


def _check_names(names: list[str], where: str = "targets") -> tuple[str, ...]:
    for name in names:
        if name not in TARGET_NAMES:
            raise InputError(f"{where}: unknown target {name!r}; use {', '.join(TARGET_NAMES)}")
    if len(set(names)) != len(names):
        raise InputError(f"{where}: a target property is named twice")
    if "k" in names and any(n in names for n in ("kx", "ky", "kz")):
        raise InputError(f"{where}: give either k or kx/ky/kz, not both")
    if not any(n != "porosity" for n in names) and "porosity" not in names:
        raise InputError(f"{where}: no target property given")
    return tuple(n for n in TARGET_NAMES if n in names)


def _check_value(name: str, value: float, label: str, units: str) -> None:
    if not math.isfinite(value):
        raise InputError(f"{label}: {name} must be a finite number, got {value}")
    if name == "porosity" and not 0.0 < value < 1.0:
        raise InputError(f"{label}: porosity {value:g} is outside (0, 1)")
    if name != "porosity" and value <= 0.0:
        raise InputError(f"{label}: permeability {name} = {value:g} {units} must be > 0")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
