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
from porestudio.units import AXES_XYZ, array_axis, xyz_index

log = logging.getLogger(__name__)

STATUS_NONE, STATUS_OK, STATUS_FAILED = 0, 1, 2
METHODS = ("auto", "lbm", "stokes2d")


@dataclasses.dataclass(frozen=True)
class LabelOptions:
    """What to compute for each sample (see :func:`porestudio.physics.campaign.label_dataset`)."""

    method: str = "auto"
    tensor: bool = False
    axes: tuple[str, ...] = AXES_XYZ
    device: str = "cpu"
    mode: str = "kuhn"
    collision: str = "trt"
    tol: float = 1e-6
    max_steps: int | None = None
    refine: int = 4
    voxel_size_m: float | None = None

    @property
    def section_axis(self) -> str | None:
        """The axis an extruded sample can be labelled along by the 2D solver, if any."""
        if self.method == "lbm" or self.tensor or len(self.axes) != 1:
            return None
        return self.axes[0]

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


def make_options(**kwargs: Any) -> LabelOptions:
    """Validated :class:`LabelOptions` (``axes`` may be ``"all"`` or one axis name)."""
    axes = kwargs.pop("axes", "all")
    axes = AXES_XYZ if axes in ("all", None) else ((axes,) if isinstance(axes, str) else axes)
    for a in axes:
        xyz_index(a)  # raises InputError on a bad name
    axes = tuple(a for a in AXES_XYZ if a in axes)
    opts = LabelOptions(axes=axes, **kwargs)
    if opts.method not in METHODS:
        raise InputError(f"unknown method {opts.method!r}; use auto, lbm or stokes2d")
    if opts.mode not in ("kuhn", "periodic"):
        raise InputError(f"unknown boundary mode {opts.mode!r}; use kuhn or periodic")
    if opts.collision not in ("trt", "bgk"):
        raise InputError(f"unknown collision {opts.collision!r}; use trt or bgk")
    if opts.device not in ("cpu", "cuda", "auto") and not opts.device.startswith("cuda:"):
        raise InputError(f"unknown device {opts.device!r}; use cpu, cuda or auto")
    if opts.method == "stokes2d" and opts.section_axis is None:
        raise InputError(
            "the stokes2d method labels one flow axis, without tensor: give --axis x, y or z"
        )
    if opts.tensor and len(opts.axes) != 3:
        raise InputError("a full tensor needs all three axes (--axis all)")
    if not (opts.tol > 0):
        raise InputError(f"tolerance must be positive; got {opts.tol!r}")
    if opts.max_steps is not None and opts.max_steps < 1:
        raise InputError(f"max_steps must be a positive integer; got {opts.max_steps!r}")
    return opts


def section_of(pore: np.ndarray, axis: str) -> np.ndarray | None:
    """The 2D section normal to ``axis`` if ``pore`` is extruded along it, else None."""
    ax = array_axis(axis)
    first = np.take(pore, [0], axis=ax)
    if not (pore == first).all():
        return None
    return np.ascontiguousarray(np.squeeze(first, axis=ax))


def payload(index: int, pore: np.ndarray, options: LabelOptions) -> tuple[int, str, np.ndarray]:
    """What is sent to a worker: the 2D section of an extruded sample, else the volume."""
    axis = options.section_axis
    if axis is not None:
        section = section_of(pore, axis)
        if section is not None:
            return (index, "section", section)
    return (index, "volume", np.ascontiguousarray(pore))


def label_batch(
    items: list[tuple[int, str, np.ndarray]], options: LabelOptions
) -> list[dict[str, Any]]:
    """Label a batch of samples (runs in a worker); one record per sample, never raises."""
    return [label_one(i, kind, array, options) for i, kind, array in items]


def label_one(index: int, kind: str, array: np.ndarray, options: LabelOptions) -> dict:
    """Label one sample; failures become a record with status 2 and the reason."""
    start = time.perf_counter()
    rec: dict[str, Any] = {"i": int(index), "porosity": float(np.count_nonzero(array) / array.size)}
    k = np.full((3, 3), np.nan)
    try:
        if kind == "section":
            method = _label_section(array, options, k)
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


def _label_section(section: np.ndarray, options: LabelOptions, k: np.ndarray) -> str:
    from porestudio.physics.stokes2d import extruded_permeability

    a = xyz_index(options.section_axis or "z")
    k[a, a] = extruded_permeability(section, refine=options.refine, side=options.section_side)
    return "stokes2d"


def _label_volume(pore: np.ndarray, options: LabelOptions, k: np.ndarray) -> str:
    if options.method == "stokes2d":
        raise InputError(
            f"not extruded along {options.section_axis}: the stokes2d method needs an "
            "extruded structure (use method auto or lbm)"
        )
    from porestudio.physics.permeability import permeability

    kwargs: dict[str, Any] = {"max_steps": options.max_steps} if options.max_steps else {}
    result = permeability(
        np.asarray(pore, dtype=bool), axes=options.axes, tensor=options.tensor,
        mode=options.mode, method=options.method, collision=options.collision,
        device=options.device, tol=options.tol, **kwargs,
    )  # fmt: skip
    bad = [run for run in result.runs if not run.converged]
    if bad:
        run = bad[0]
        raise _NotConverged(
            f"not converged along {run.axis} ({run.side_bc} sides) after {run.steps} steps "
            f"(residual {run.residual:.2e} > tol {options.tol:g})"
        )
    k[:] = np.asarray(result.k_lu, dtype=float)
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
