"""The one set of solver rules: :class:`SolverOptions`, validated once, used everywhere.

:func:`porestudio.physics.permeability.permeability`, the labelling campaign
(:mod:`porestudio.physics.campaign`), the CLI (``permeability``, ``label``: one helper adds
the flags) and the studio build the same frozen object; an invalid value is refused when
it is built, with one message per mistake.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from typing import Any

from porestudio.errors import InputError

log = logging.getLogger(__name__)

MODES = ("kuhn", "periodic")
METHODS = ("auto", "lbm", "stokes2d")
COLLISIONS = ("trt", "bgk")
DTYPES = ("float32", "float64")
DEVICES = ("cpu", "cuda", "auto")
_CUDA_N = re.compile(r"cuda:\d+")

CHECK_TOL = 1e-4
"""LBM tolerance of runs that check learned structures (evaluation, design verification):
the one the 3D labels were computed with (scripts/build_3d_dataset.py)."""
CHECK_MAX_STEPS = 20_000
"""Step limit of such runs: a decoded structure can be so tortuous that its run would take
many minutes; it is then left unscored (NaN) rather than holding the whole check."""

HELP: dict[str, str] = {
    "mode": "side boundaries of the LBM runs: kuhn (no-slip walls; free-slip runs give the "
    "tensor's off-diagonals; the paper's) or periodic (periodic sides; symmetric tensor, "
    "better for small CT cubes, see docs/datasets.md)",
    "method": "auto: exact 2D Stokes solver along an axis the sample is extruded along, LBM "
    "elsewhere; lbm: always the lattice Boltzmann solver; stokes2d: only the exact "
    "extruded solver (fails on a non-extruded sample)",
    "collision": "LBM collision operator: trt (two-relaxation-time, k independent of tau) or "
    "bgk (single relaxation time, as in the paper; k depends on tau)",
    "device": "where LBM runs go: cpu (numba), cuda (Triton kernel on the current NVIDIA "
    "GPU; cuda:N is accepted and runs there too), auto (cuda when one is usable, else "
    "cpu); PORESTUDIO_DEVICE overrides it",
    "tol": "LBM convergence tolerance, 0 < tol < 1: relative change of the mean velocity "
    "per check, for 3 checks in a row",
    "max_steps": "LBM step limit per run (default: max(20000, 20 L²/ν))",
    "tau": "LBM relaxation time, > 0.5 (default: automatic for trt, 1 for bgk)",
    "dtype": "LBM population precision",
}
"""Help text of every option (the CLI flags and the studio's tooltips use it)."""


@dataclasses.dataclass(frozen=True)
class SolverOptions:
    """How permeability is computed (every field checked when the object is built).

    Attributes
    ----------
    mode : {"kuhn", "periodic"}
        Side boundaries of the LBM runs (and of the 2D section in the exact solver).
    method : {"auto", "lbm", "stokes2d"}
        Solver choice (``auto``: exact extruded solver where possible).
    collision : {"trt", "bgk"}
        LBM collision operator.
    device : {"cpu", "cuda", "cuda:N", "auto"}
        LBM device request (:func:`resolved` turns it into ``cpu`` or ``cuda``; an index
        N is accepted but the current CUDA device runs, as before).
    tol : float
        LBM convergence tolerance, ``0 < tol < 1``.
    max_steps : int or None
        LBM step limit per run (None = ``max(20000, 20 L²/ν)``).
    tau : float or None
        Relaxation time > 0.5 (None = automatic for TRT, 1 for BGK).
    dtype : {"float32", "float64"}
        LBM population precision.
    """

    mode: str = "kuhn"
    method: str = "auto"
    collision: str = "trt"
    device: str = "cpu"
    tol: float = 1e-6
    max_steps: int | None = None
    tau: float | None = None
    dtype: str = "float32"

    def __post_init__(self) -> None:
        _choice("mode", self.mode, MODES, "boundary mode")
        _choice("method", self.method, METHODS, "method")
        _choice("collision", self.collision, COLLISIONS, "collision")
        _choice("dtype", self.dtype, DTYPES, "dtype")
        dev = str(self.device).strip().lower()
        if dev not in DEVICES and not _CUDA_N.fullmatch(dev):
            raise InputError(f"unknown device {self.device!r}; use cpu, cuda, cuda:N or auto")
        object.__setattr__(self, "device", dev)
        tol = _number("tol", self.tol)
        if not (math.isfinite(tol) and 0 < tol < 1):
            raise InputError(f"tol must be between 0 and 1; got {self.tol!r}")
        object.__setattr__(self, "tol", tol)
        if self.max_steps is not None:
            if isinstance(self.max_steps, bool) or int(self.max_steps) != self.max_steps:
                raise InputError(f"max_steps must be a positive integer; got {self.max_steps!r}")
            if int(self.max_steps) < 1:
                raise InputError(f"max_steps must be a positive integer; got {self.max_steps!r}")
            object.__setattr__(self, "max_steps", int(self.max_steps))
        if self.tau is not None:
            tau = _number("tau", self.tau)
            if not (math.isfinite(tau) and tau > 0.5):
                raise InputError(f"tau must be larger than 0.5; got {self.tau!r}")
            object.__setattr__(self, "tau", tau)
        if self.dtype == "float32" and tol < 1e-8:
            log.warning("tol %.1e is below float32 resolution: runs may not converge", tol)

    def resolved(self) -> SolverOptions:
        """The same options with ``device`` resolved to ``"cpu"`` or ``"cuda"``.

        Raises
        ------
        InputError
            CUDA requested where none is usable.
        """
        from porestudio.physics.device import resolve_device

        return dataclasses.replace(self, device=resolve_device(self.device))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dataclasses.asdict(self)


def solver_options(**kwargs: Any) -> SolverOptions:
    """:class:`SolverOptions` from keyword arguments; ``None`` values take the default."""
    names = {f.name for f in dataclasses.fields(SolverOptions)}
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise InputError(f"unknown solver option {unknown[0]!r}; use one of {sorted(names)}")
    return SolverOptions(**{k: v for k, v in kwargs.items() if v is not None})


def _choice(name: str, value: Any, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise InputError(f"unknown {what} {value!r}; use {', '.join(choices)}")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise InputError(f"{name} must be a number; got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number; got {value!r}") from None
