"""One formatter for property values: tables, panels and the CLI show numbers alike.

* :func:`format_value` — significant figures (default :data:`SIGNIFICANT`), plain
  notation from 1e-3 to 1e6 and scientific beyond, ``0`` for zero and
  :data:`NOT_COMPUTED` (—) for a value that was not computed (NaN or None);
* :func:`header` — ``name [unit]``: units live in headers, never in cells;
* :func:`tensor_lines` — a 3 × 3 tensor as aligned text rows (x, y, z).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

SIGNIFICANT: int = 4
"""Significant figures of a formatted value."""
NOT_COMPUTED: str = "—"
"""Cell text of a value that was not computed."""
_PLAIN_RANGE = (-3, 6)  # decimal exponents shown in plain notation


def format_value(value: Any, sig: int = SIGNIFICANT) -> str:
    """Text of one property value.

    Parameters
    ----------
    value : float, int, str, bytes, bool or None
        The value (any unit; the unit belongs in the header).
    sig : int
        Significant figures of a float.

    Returns
    -------
    str
        e.g. ``"83800"``, ``"0.2000"``, ``"1.497e+07"``, ``"0"``, ``"—"``.
    """
    if value is None:
        return NOT_COMPUTED
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return _format_float(float(value), sig)
    return str(value)


def _format_float(v: float, sig: int) -> str:
    if math.isnan(v):
        return NOT_COMPUTED
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if v == 0:
        return "0"
    exp = math.floor(math.log10(abs(v)))
    rounded = round(v, sig - 1 - exp)
    if rounded != 0:
        exp = math.floor(math.log10(abs(rounded)))  # 9.9996 rounds up to 10.00
    lo, hi = _PLAIN_RANGE
    if lo <= exp < hi:
        decimals = max(sig - 1 - exp, 0)
        return f"{rounded:.{decimals}f}"
    return f"{v:.{sig - 1}e}"


def header(name: str, unit: str = "") -> str:
    """Column or row header: ``"name [unit]"`` (``name`` alone without a unit)."""
    return f"{name} [{unit}]" if unit else name


def tensor_lines(k: np.ndarray, sig: int = SIGNIFICANT, indent: str = "  ") -> list[str]:
    """A 3 × 3 tensor as four aligned text lines: a header row and rows x, y, z."""
    cells = [[format_value(float(v), sig) for v in row] for row in np.asarray(k, dtype=float)]
    width = max(len(c) for row in cells for c in row) + 2
    lines = [indent + " " + "".join(a.rjust(width) for a in "xyz")]
    for a, row in zip("xyz", cells, strict=True):
        lines.append(indent + a + "".join(c.rjust(width) for c in row))
    return lines


def format_vector(values: Sequence[float], sig: int = SIGNIFICANT) -> str:
    """``(a, b, c)`` with every entry formatted."""
    return "(" + ", ".join(format_value(float(v), sig) for v in values) + ")"
