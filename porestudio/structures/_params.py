"""Validation of generator parameters: one clear line per bad value (InputError)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from porestudio.errors import InputError

MAX_VOXELS: int = 1024**3
"""Largest volume a generator builds in one piece (1 Gi voxels)."""


def check_seed(seed: object) -> int:
    """A non-negative integer seed."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def check_int(value: object, name: str, *, minimum: int = 1) -> int:
    """An integer not smaller than ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer, got {value!r}")
    if int(value) < minimum:
        raise InputError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_porosity(porosity: object) -> float:
    """A porosity strictly between 0 and 1."""
    try:
        value = float(porosity)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"porosity must be a number in (0, 1), got {porosity!r}") from None
    if not 0.0 < value < 1.0:
        raise InputError(f"porosity must be in (0, 1) (exclusive), got {porosity!r}")
    return value


def check_shape(shape: object) -> tuple[int, int, int]:
    """A 3D shape ``(nz, ny, nx)`` of positive integers; an int means a cube."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (int(shape),) * 3
    if not isinstance(shape, Sequence) or len(shape) != 3:
        raise InputError(f"shape must be three integers (nz, ny, nx), got {shape!r}")
    dims = tuple(check_int(n, "each shape dimension") for n in shape)
    if int(np.prod(dims, dtype=np.int64)) > MAX_VOXELS:
        raise InputError(f"shape {dims} has more than {MAX_VOXELS} voxels; generate it in parts")
    return dims  # type: ignore[return-value]


def check_lengths(value: object, name: str) -> tuple[float, float, float]:
    """Per-axis lengths ``(lz, ly, lx)`` in voxels (a single number means isotropic)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = (float(value),) * 3
    if not isinstance(value, Sequence) or len(value) != 3:
        raise InputError(f"{name} must be a number or three numbers (z, y, x), got {value!r}")
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers, got {value!r}") from None
    if not all(np.isfinite(v) and v >= 0.0 for v in out):
        raise InputError(f"{name} must be finite and non-negative, got {value!r}")
    return out  # type: ignore[return-value]


def check_range(value: object, name: str) -> tuple[int, int]:
    """An inclusive integer range ``(low, high)`` with ``1 <= low <= high``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value), int(value))
    if not isinstance(value, Sequence) or len(value) != 2:
        raise InputError(f"{name} must be two integers (min, max), got {value!r}")
    low = check_int(value[0], f"{name} minimum")
    high = check_int(value[1], f"{name} maximum")
    if high < low:
        raise InputError(f"{name} maximum {high} is smaller than its minimum {low}")
    return low, high
