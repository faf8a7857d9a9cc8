"""Worker side of a labelling campaign: options, per-sample labelling, merging of records.

Everything here is picklable and import-light, so worker processes (local or Dask) start
quickly. A record is a plain dict (one JSON line of the journal)::

    {"i": index, "status": 1|2, "message": str, "porosity": float,
     "k": [9 floats, row-major (x, y, z), None = not computed], "method": str,
     "non_percolating": bool, "seconds": float}
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import numpy as np

from porestudio.errors import InputError, PorestudioError
from porestudio.physics.options import SolverOptions, solver_options
from porestudio.units import AXES_XYZ, array_axis, xyz_index

log = logging.getLogger(__name__)

STATUS_NONE, STATUS_OK, STATUS_FAILED = 0, 1, 2

Item = tuple[int, str, np.ndarray, tuple[str, int] | None]
"""What a worker gets per sample: (index, "section" | "volume", array, (axis, length))."""


@dataclasses.dataclass(frozen=True)
class LabelOptions:
    """What to compute for each sample (see :func:`porestudio.physics.campaign.label_dataset`).

    ``solver`` holds the solver rules (:class:`~porestudio.physics.options.SolverOptions`);
    ``method``, ``mode``, ``collision``, ``device`` and ``tol`` read through to it.
    """

    solver: SolverOptions = SolverOptions()
    tensor: bool = False
    axes: tuple[str, ...] = AXES_XYZ
    refine: int = 4
    voxel_size_m: float | None = None

    method = property(lambda self: self.solver.method)
    mode = property(lambda self: self.solver.mode)
    collision = property(lambda self: self.solver.collision)
    device = property(lambda self: self.solver.device)
    tol = property(lambda self: self.solver.tol)

    @property
    def sections(self) -> bool:
        """Whether an extruded sample is sent as its 2D section (no LBM needed for it)."""
        return self.solver.method != "lbm" and not self.tensor

    @property
    def section_side(self) -> str:
        """Border of the 2D section: no-slip walls (Kuhn runs) or periodic."""
        return "periodic" if self.mode == "periodic" else "wall"

    def wanted_components(self) -> np.ndarray:
        """(row, col) pairs of the (x, y, z) tensor this campaign fills."""
        idx = [xyz_index(a) for a in self.axes]
        if self.tensor:
            return np.array([(r, c) for r in idx for c in idx])
        return np.array([(r, r) for r in idx])


def make_options(*, axes: Any = "all", tensor: bool = False, refine: int = 4,
                 voxel_size_m: float | None = None, **solver: Any) -> LabelOptions:  # fmt: skip
    """Validated :class:`LabelOptions`; ``solver`` keywords build the SolverOptions.

    ``axes`` may be ``"all"``, one axis name or a tuple of them.
    """
    axes = AXES_XYZ if axes in ("all", None) else ((axes,) if isinstance(axes, str) else axes)
    for a in axes:
        xyz_index(a)  # raises InputError on a bad name
    axes = tuple(a for a in AXES_XYZ if a in axes)
    opts = LabelOptions(solver_options(**solver), bool(tensor), axes, int(refine), voxel_size_m)
    if opts.method == "stokes2d" and (opts.tensor or len(opts.axes) != 1):
        raise InputError(
            "the stokes2d method labels one flow axis, without tensor: give --axis x, y or z"
        )
    if opts.tensor and len(opts.axes) != 3:
        raise InputError("a full tensor needs all three axes (--axis all)")
    return opts


def extrusion_axis(pore: np.ndarray, prefer: tuple[str, ...] = AXES_XYZ) -> str | None:
    """An axis ``pore`` is extruded along (``prefer`` first), or None."""
    from porestudio.structures.morphology import is_extruded

    order = [*prefer, *(a for a in AXES_XYZ if a not in prefer)]
    for axis in order:
        if pore.shape[array_axis(axis)] > 1 and is_extruded(pore, axis):
            return axis
    return None


def payload(index: int, pore: np.ndarray, options: LabelOptions) -> Item:
    """What is sent to a worker: the 2D section of an extruded sample, else the volume."""
    if options.sections:
        axis = extrusion_axis(pore, options.axes)
        if axis is not None:
            ax = array_axis(axis)
            section = np.ascontiguousarray(np.take(pore, 0, axis=ax))
            return (index, "section", section, (axis, int(pore.shape[ax])))
    return (index, "volume", np.ascontiguousarray(pore), None)


def label_batch(items: list[Item], options: LabelOptions) -> list[dict[str, Any]]:
    """Label a batch of samples (runs in a worker); one record per sample, never raises."""
    return [label_one(*item, options) for item in items]


def label_one(
    index: int, kind: str, array: np.ndarray, extrusion: tuple[str, int] | None,
    options: LabelOptions,
) -> dict:  # fmt: skip
    """Label one sample; failures become a record with status 2 and the reason."""
    start = time.perf_counter()
    rec: dict[str, Any] = {"i": int(index), "porosity": float(np.count_nonzero(array) / array.size)}
    k = np.full((3, 3), np.nan)
    try:
        if kind == "section" and extrusion is not None:
            method = _label_section(array, extrusion, options, k)
        else:
            method = _label_volume(array, options, k)
        status, message = STATUS_OK, ""
    except PorestudioError as exc:
        method, status, message = options.method, STATUS_FAILED, str(exc)
    except MemoryError:
        method, status, message = options.method, STATUS_FAILED, "out of memory"
    except Exception as exc:  # a solver bug must not stop a 50,000-sample campaign
        log.exception("sample %d failed", index)
        method, status = options.method, STATUS_FAILED
        message = f"unexpected {type(exc).__name__}: {exc}"
    if status != STATUS_OK:
        k[:] = np.nan
    diag = [k[xyz_index(a), xyz_index(a)] for a in options.axes]
    rec.update(
        status=status, message=message, method=method, k=k.ravel().tolist(),
        non_percolating=bool(status == STATUS_OK and any(d == 0.0 for d in diag)),
        seconds=time.perf_counter() - start,
    )  # fmt: skip
    return rec


def _label_section(
    section: np.ndarray, extrusion: tuple[str, int], options: LabelOptions, k: np.ndarray
) -> str:
    """An extruded sample from its section: one 2D labelling decides every axis.

    Along the extrusion axis the exact 2D Stokes solver gives ``k``; an in-plane axis the
    section does not percolate along (8-connected in 2D = 18-connected in 3D) has
    ``k = 0`` at no cost; only an in-plane axis that percolates needs the LBM volume.
    """
    from porestudio.structures.morphology import percolates

    axis, length = extrusion
    if section.all():
        raise InputError("the structure is all pore: the permeability is unbounded")
    slab = np.expand_dims(section, array_axis(axis))
    periodic = options.mode == "periodic"
    perc = dict(zip(AXES_XYZ, percolates(slab, 18, periodic=periodic), strict=True))
    methods, lbm_axes = set(), []
    for a in options.axes:
        i = xyz_index(a)
        if not perc[a]:
            k[i, i] = 0.0
        elif a == axis:
            k[i, i] = _section_k(section, options)
            methods.add("stokes2d")
        else:
            lbm_axes.append(a)
    if lbm_axes:
        volume = np.repeat(slab, length, axis=array_axis(axis))
        methods.add(_label_volume(volume, options, k, tuple(lbm_axes)))
    return "+".join(sorted(methods)) or "none"


def _section_k(section: np.ndarray, options: LabelOptions) -> float:
    from porestudio.physics.stokes2d import extruded_permeability

    return extruded_permeability(section, refine=options.refine, side=options.section_side)


def _label_volume(
    pore: np.ndarray, options: LabelOptions, k: np.ndarray, axes: tuple[str, ...] | None = None
) -> str:
    if options.method == "stokes2d":
        raise InputError(
            "not extruded: the stokes2d method needs an extruded structure (use method auto or lbm)"
        )
    from porestudio.physics.permeability import permeability

    result = permeability(
        np.asarray(pore, dtype=bool), axes=axes or options.axes, tensor=options.tensor,
        options=options.solver,
    )  # fmt: skip
    bad = [run for run in result.runs if not run.converged]
    if bad:
        run = bad[0]
        raise _NotConverged(
            f"not converged along {run.axis} ({run.side_bc} sides) after {run.steps} steps "
            f"(residual {run.residual:.2e} > tol {options.tol:g})"
        )
    computed = ~np.isnan(np.asarray(result.k_lu, dtype=float))
    k[computed] = np.asarray(result.k_lu, dtype=float)[computed]
    return str(result.method)


class _NotConverged(PorestudioError):
    """An LBM run of the sample hit its step limit."""


def merge_values(
    records: list[dict[str, Any]],
    existing: dict[str, np.ndarray],
    old_attrs: dict[str, dict],
    options: LabelOptions,
) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    """Property rows and attributes for ``write_properties`` from records (in index order).

    Newly computed tensor entries overwrite; entries not computed keep their old values.
    """
    m = len(records)
    k_new = np.array([[np.nan if v is None else v for v in rec["k"]] for rec in records])
    k_new = k_new.reshape(m, 3, 3)
    k_lu = existing.get("permeability_lu", np.full((m, 3, 3), np.nan)).astype(float, copy=True)
    k_lu[~np.isnan(k_new)] = k_new[~np.isnan(k_new)]
    values: dict[str, np.ndarray] = {
        "porosity": np.array([rec["porosity"] for rec in records], dtype=float),
        "permeability_lu": k_lu,
        "label_status": np.array([rec["status"] for rec in records], dtype=np.int8),
        "label_message": np.array([rec.get("message", "") for rec in records], dtype=object),
    }
    methods = {rec.get("method", "") for rec in records if rec["status"] == STATUS_OK}
    old = old_attrs.get("permeability_lu", {}).get("method", "")
    methods |= {m for m in str(old).split(",") if m}
    perm_attrs = {
        "unit": "voxel^2",
        "method": ",".join(sorted(methods)),
        "tensor_mode": "full" if options.tensor else "diagonal",
        "boundary_mode": options.mode,
        "collision": options.collision,
    }
    attrs = {"permeability_lu": perm_attrs}
    if options.voxel_size_m is not None or "permeability_m2" in existing:
        dx = options.voxel_size_m
        if dx is not None:
            values["permeability_m2"] = k_lu * dx * dx
            attrs["permeability_m2"] = {**perm_attrs, "unit": "m^2", "voxel_size_m": dx}
    return values, attrs
