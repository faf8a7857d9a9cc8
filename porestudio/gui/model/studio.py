"""The studio's state without Qt: one evented object every panel observes and changes.

napari's ``ViewerModel`` vs ``_qt`` split is the example: :class:`StudioModel` holds the open
dataset and model, the selection (one or two samples), the structures shown in viewers A and
B, the latent map, the interpolation path, the design targets and results, the permeability
unit and the compute device. Widgets connect to ``model.events.<name>`` and call its methods;
they keep no state another panel needs. A script can drive it the same way::

    studio = StudioModel()
    studio.open_dataset("squares.h5")
    studio.pick(3)
    studio.pick(17, add=True)          # the second pick, for interpolation
    studio.selection                   # (3, 17)

Slow work (encoding a dataset, a design, a path) is done by the library functions in
:mod:`porestudio.gui.model.compute`; the GUI runs them in a worker and hands the results to
the ``set_*`` methods here, on the GUI thread.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.gui.model.checks import (
    check_choice,
    check_model_fits,
    table_is_extruded,
    target_to_lattice,
    weights_sha256,
)
from porestudio.gui.model.events import EmitterGroup
from porestudio.gui.model.table import DatasetTable, load_table
from porestudio.structures.volume import Structure
from porestudio.units import permeability_from_lattice

log = logging.getLogger(__name__)

VIEWERS = ("A", "B")
"""Names of the two viewers."""

UNITS = ("lu", "m2", "mD")
"""Permeability units the studio shows and accepts (lattice units need no voxel size)."""

DEVICES = ("auto", "cpu", "cuda")
"""Compute devices (resolved by :mod:`porestudio.physics.device`)."""

EVENTS = (
    "dataset",  # value: DatasetTable | None
    "model",  # value: LoadedModel (the pVAE) | None
    "surrogate",  # value: LoadedModel (a CNN) | None
    "reference",  # value: the design reference of model + dataset | None
    "selection",  # value: tuple of 0-2 sample indices
    "shown",  # value: (viewer name, Structure | None)
    "latent",  # value: the latent map (design.latent results) | None
    "path",  # value: the interpolation path | None
    "step",  # value: index of the path step shown
    "targets",  # value: dict property -> value in lattice units (k) or 1 (porosity)
    "results",  # value: tuple of design results
    "markers",  # value: dict label -> latent code (d,) of structures placed on the map
    "start",  # value: the StartPoint designs start from (an encoded CT sub-volume) | None
    "unit",  # value: "lu" | "m2" | "mD"
    "device",  # value: "auto" | "cpu" | "cuda"
    "message",  # value: str (status line: picks refused, no model loaded, ...)
)


class StudioModel:
    """The studio's shared state; ``events.<name>.connect(callback)`` to observe it.

    Every attribute is read-only from outside: change it through the methods, which
    validate and emit exactly one event per change (none when nothing changed).
    """

    def __init__(self, unit: str = "lu", device: str = "auto") -> None:
        self.events = EmitterGroup(self, EVENTS)
        self.table: DatasetTable | None = None
        self.model: Any = None
        self.surrogate: Any = None
        self.reference: Any = None
        self.selection: tuple[int, ...] = ()
        self.shown: dict[str, Structure | None] = dict.fromkeys(VIEWERS)
        self.latent: Any = None
        self.latent_weights: str | None = None  # weights_sha256 of the model that made it
        self.path: Any = None
        self.step: int | None = None
        self.targets: dict[str, float] = {}
        self.results: tuple = ()
        self.markers: dict[str, Any] = {}
        self.start: Any = None
        self.use_start = True  # design from self.start when there is one
        self.unit = check_choice(unit, UNITS, "unit")
        self.device = check_choice(device, DEVICES, "device")

    # --- dataset ---------------------------------------------------------------------------
    @property
    def voxel_size_m(self) -> float | None:
        """Voxel edge [m] of the open dataset (None: unknown or no dataset)."""
        return None if self.table is None else self.table.voxel_size_m

    def open_dataset(self, path: str | Path) -> DatasetTable:
        """Open a dataset (reads its property arrays only) and make it the current one."""
        table = load_table(path)
        self.set_table(table)
        return table

    def set_table(self, table: DatasetTable | None) -> None:
        """Make an already loaded table current (from a worker); clears what depended on it."""
        old = self.table
        if table is old:
            return
        self.table = table
        self.selection = ()
        self.latent = None
        self.reference = None
        self.events.dataset(table)
        self.events.selection(())
        self.events.latent(None)
        self.events.reference(None)
        self._clear_path()
        if old is not None:
            old.dataset.close()
        if table is not None and self.model is not None:
            self._warn_misfit(self.model)
        if table is not None and self.surrogate is not None:
            try:
                check_model_fits(self.surrogate, table)
            except InputError as exc:  # it would fail every path and design on this data
                self.set_surrogate(None)
                self.events.message(f"the CNN surrogate does not fit this dataset and is "
                                    f"no longer used: {exc}")  # fmt: skip

    def close(self) -> None:
        """Close the open dataset (the window is closing)."""
        self.set_table(None)

    def structure(self, index: int) -> Structure:
        """Sample ``index`` of the open dataset (InputError without one or out of range)."""
        return self._need_table().dataset.structure(int(index))

    def _need_table(self) -> DatasetTable:
        if self.table is None:
            raise InputError("no dataset open: open one first (File ▸ Open dataset)")
        return self.table

    # --- selection ---------------------------------------------------------------------------
    def pick(self, index: int, *, add: bool = False) -> tuple[int, ...]:
        """Select sample ``index``; ``add`` makes it the second pick (for interpolation).

        A second pick of the first sample is refused with an InputError (the selection
        stays as it was); a third pick starts over from the second.
        """
        index = self._need_table().dataset.check_index(int(index))
        if not add or not self.selection:
            new = (index,)
        elif index == self.selection[-1] or (len(self.selection) == 1 and index in self.selection):
            raise InputError(f"sample #{index} is already picked: pick a different one")
        else:
            new = (self.selection[-1], index)
        return self.set_selection(new)

    def set_selection(self, indices: tuple[int, ...]) -> tuple[int, ...]:
        """Set the selection (0, 1 or 2 distinct sample indices)."""
        indices = tuple(int(i) for i in indices)
        if len(indices) > 2 or len(set(indices)) != len(indices):
            raise InputError(f"select one or two different samples, not {list(indices)}")
        if indices != self.selection:
            self.selection = indices
            self.events.selection(indices)
            self._clear_path()
        return indices

    # --- viewers -----------------------------------------------------------------------------
    def show(self, viewer: str, structure: Structure | None) -> None:
        """Show ``structure`` (None: nothing) in viewer ``"A"`` or ``"B"``."""
        check_choice(viewer, VIEWERS, "viewer")
        if self.shown[viewer] is structure:
            return
        self.shown[viewer] = structure
        self.events.shown((viewer, structure))

    # --- model and latent map ----------------------------------------------------------------
    def use_model(self, model: Any) -> None:
        """Use a loaded model by its kind: a pVAE for the map and design, a CNN as surrogate."""
        if getattr(model, "kind", None) == "cnn":
            self.set_surrogate(model)
        else:
            self.set_model(model)

    def set_model(self, model: Any) -> None:
        """Use a pVAE (``porestudio.ml.model.LoadedModel``) or None.

        Raises
        ------
        InputError
            Not a pVAE, or it does not fit the open dataset (shape, dimensionality); the
            model in use stays as it was.
        """
        if model is self.model:
            return
        if model is not None and getattr(model, "kind", None) != "pvae":
            raise InputError("the latent map and design need a pVAE; this is a CNN surrogate")
        if model is not None and self.table is not None:
            check_model_fits(model, self.table)
        self.model = model
        self.reference = None
        self.events.model(model)
        kept = model is not None and weights_sha256(model) == self.latent_weights
        if self.latent is not None and not kept:
            self.set_latent(None)  # a map from the cache of these very weights stays
        self.events.reference(None)
        self.set_start(None)  # a code of another model means nothing to this one
        self._clear_path()
        self.set_results(())

    def set_surrogate(self, model: Any) -> None:
        """Use a CNN surrogate (or None) for scoring designs and paths."""
        if model is not None and self.table is not None:
            check_model_fits(model, self.table)
        self.surrogate = model
        self.events.surrogate(model)

    def _warn_misfit(self, model: Any) -> None:
        try:
            check_model_fits(model, self.table)
        except InputError as exc:
            self.events.message(f"the model does not fit this dataset: {exc}")

    def set_latent(self, latent: Any, weights: str | None = None) -> None:
        """The encoded open dataset (a ``LatentMap``) or None; ``weights`` is the
        ``weights_sha256`` of the pVAE that encoded it (default: the loaded pVAE's)."""
        self.latent = latent
        self.latent_weights = None if latent is None else (weights or weights_sha256(self.model))
        self.events.latent(latent)

    def place(self, label: str, code: Any) -> None:
        """Put a structure's latent code (d,) on the map under ``label`` (None removes it)."""
        markers = dict(self.markers)
        if code is None:
            markers.pop(label, None)
        else:
            markers[label] = code
        self.markers = markers
        self.events.markers(dict(markers))

    def set_start(self, start: Any) -> None:
        """The start point of designs (a ``ct_latent.StartPoint`` of the loaded pVAE) or None.

        Placed on the map under its label (the previous start point's marker goes).
        InputError when its code does not have the pVAE's latent size.
        """
        if start is self.start:
            return
        if start is not None:
            dim = getattr(self.model, "latent_dim", None)
            if dim is None or np.shape(start.code) != (int(dim),):
                raise InputError("the start code does not belong to the loaded pVAE")
        old, self.start = self.start, start
        if old is not None and (start is None or old.label != start.label):
            self.place(old.label, None)
        if start is not None:
            self.place(start.label, start.code)
        self.events.start(start)

    def start_code(self) -> Any:
        """The code designs start from (None: the nearest training structures only)."""
        return self.start.code if self.start is not None and self.use_start else None

    def set_design_space(self, space: Any) -> None:
        """The encoded dataset (a :class:`~.compute.DesignSpace`): reference and map."""
        self.reference = space.reference
        self.events.reference(space.reference)
        self.set_latent(space.latent)

    # --- the slow steps, synchronously (scripts; the GUI runs .compute in a worker) --------
    def encode(self, progress=None) -> Any:
        """Encode the open dataset with the pVAE: the reference and the latent map."""
        from porestudio.gui.model.compute import design_space

        space = design_space(self._need_model(), str(self._need_table().path), progress)
        self.set_design_space(space)
        return space.latent

    def design(self, targets=None, *, candidates: int = 5, verify: bool = True, options=None,
               progress=None):  # fmt: skip
        """Design for ``targets`` (default: the set ones) and keep the results."""
        from porestudio.gui.model.compute import run_design

        if targets is not None:
            self.set_targets(targets)
        if not self.targets:
            raise InputError("no target given: type a porosity and/or a permeability")
        if self.reference is None:
            self.encode()
        results = run_design(self.model, self.targets, reference=self.reference,
                             surrogate=self.surrogate, candidates=candidates, verify=verify,
                             device=self.device, options=options, progress=progress,
                             start=self.start_code())  # fmt: skip
        self.set_results(results)
        return self.results

    def interpolate(self, steps: int = 20, method: str = "slerp", progress=None) -> Any:
        """The path between the two picks (decoded, with regressor and CNN properties)."""
        from porestudio.gui.model.compute import interpolation

        if len(self.selection) != 2:
            raise InputError("pick two structures to interpolate between (Shift+click)")
        a, b = (self.structure(i).pore for i in self.selection)
        path = interpolation(self._need_model(), a, b, steps=steps, method=method,
                             surrogate=self.surrogate, progress=progress)  # fmt: skip
        self.set_path(path)
        return path

    def _need_model(self) -> Any:
        if self.model is None:
            raise InputError("no model loaded: load or train a pVAE first")
        return self.model

    # --- interpolation ---------------------------------------------------------------------
    def set_path(self, path: Any) -> None:
        """The interpolation path between the two picks (or None)."""
        self.path = path
        self.step = None
        self.events.path(path)

    def set_step(self, step: int) -> None:
        """Show step ``step`` of the path (clipped to the path)."""
        if self.path is None:
            raise InputError("no interpolation path: pick two structures first")
        step = max(0, min(int(step), len(self.path.t) - 1))
        if step != self.step:
            self.step = step
            self.events.step(step)

    def _clear_path(self) -> None:
        if self.path is not None:
            self.set_path(None)

    # --- design --------------------------------------------------------------------------------
    def set_targets(self, values: Mapping[str, float], unit: str | None = None) -> dict:
        """Design targets; permeability components given in ``unit`` (default: the studio's).

        Stored in lattice units (``k_*``) and as fractions (``porosity``); empty values
        (None, NaN) are left out. InputError for unknown names, negative or non-finite k,
        or a porosity outside (0, 1).
        """
        unit = self.unit if unit is None else check_choice(unit, UNITS, "unit")
        targets = {}
        for name, value in values.items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            targets[name] = target_to_lattice(name, float(value), unit, self.voxel_size_m)
        if not targets:
            raise InputError("no target given: type a porosity and/or a permeability")
        self.targets = targets
        self.events.targets(dict(targets))
        return dict(targets)

    def set_results(self, results) -> None:
        """Design results (a sequence of ``DesignResult``), best first."""
        results = tuple(results)
        if results or self.results:
            self.results = results
            self.events.results(results)

    # --- units and device ----------------------------------------------------------------------
    def set_unit(self, unit: str) -> None:
        """Permeability unit shown ("lu", "m2", "mD"; the last two need a voxel size)."""
        unit = check_choice(unit, UNITS, "unit")
        if unit != "lu" and self.table is not None and self.voxel_size_m is None:
            raise InputError(f"{unit} needs a voxel size: this dataset has none (use lu)")
        if unit != self.unit:
            self.unit = unit
            self.events.unit(unit)

    def set_device(self, device: str) -> None:
        """Compute device for models and physics ("auto", "cpu", "cuda")."""
        device = check_choice(device, DEVICES, "device")
        if device != self.device:
            self.device = device
            self.events.device(device)

    def k_in_unit(self, k_lu):
        """A permeability [voxel²] in the studio's unit (lattice units without a voxel size)."""
        if self.unit == "lu" or self.voxel_size_m is None:
            return k_lu
        return permeability_from_lattice(k_lu, self.unit, self.voxel_size_m)


__all__ = ["EVENTS", "StudioModel", "check_model_fits", "table_is_extruded", "target_to_lattice"]
