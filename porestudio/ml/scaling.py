"""Target scaling: physical property values <-> the [0, 1] range the networks learn.

* porosity: min-max to [0, 1];
* permeability diagonal, mode ``"log"`` (default): ``log(k + offset)`` then min-max;
  mode ``"minmax"`` (the paper's): min-max of k itself;
* off-diagonals (may be negative): min-max.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.ml import properties as P

MODES = ("log", "minmax")


@dataclass(frozen=True)
class TargetScaler:
    """Per-column affine (optionally log) map from physical values to [0, 1].

    Attributes
    ----------
    names : tuple of str
        Property names (columns).
    log : tuple of bool
        Whether column ``j`` is log-transformed first.
    offset : tuple of float
        Added before the log (0 unless some k were 0) [voxel²].
    lo, hi : tuple of float
        Min and max of the (logged) training values; scaled = (v - lo) / (hi - lo).
    """

    names: tuple[str, ...]
    log: tuple[bool, ...]
    offset: tuple[float, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]

    @classmethod
    def fit(cls, names: tuple[str, ...], y: np.ndarray, mode: str = "log") -> TargetScaler:
        """Fit on training targets ``y`` (n, p) in physical units."""
        if mode not in MODES:
            raise InputError(f"unknown target scaling {mode!r}; use log or minmax")
        y = np.asarray(y, dtype=np.float64)
        logs, offs, los, his = [], [], [], []
        for j, name in enumerate(names):
            col = y[:, j][np.isfinite(y[:, j])]
            if col.size == 0:
                raise InputError(f"no finite training values for {name}")
            use_log = mode == "log" and P.is_diagonal(name)
            off = 0.0
            if use_log:
                pos = col[col > 0]
                floor = 1e-3 * float(np.median(pos)) if pos.size else 1.0
                if col.min() < -floor:
                    raise InputError(f"negative {name} values cannot be log-scaled")
                col = np.maximum(col, 0.0)  # within -floor: solver noise of a closed direction
                off = 0.0 if col.min() > 0 else floor
                col = np.log(col + off)
            lo, hi = float(col.min()), float(col.max())
            if not hi > lo:
                hi = lo + 1.0
            logs.append(use_log)
            offs.append(off)
            los.append(lo)
            his.append(hi)
        return cls(tuple(names), tuple(logs), tuple(offs), tuple(los), tuple(his))

    def transform(self, y: np.ndarray) -> np.ndarray:
        """Physical (n, p) -> scaled (n, p) float64."""
        y = np.array(y, dtype=np.float64, ndmin=2)
        out = np.empty_like(y)
        for j in range(len(self.names)):
            v = y[:, j]
            if self.log[j]:
                v = np.log(np.maximum(np.maximum(v, 0.0) + self.offset[j], 1e-300))
            out[:, j] = (v - self.lo[j]) / (self.hi[j] - self.lo[j])
        return out

    def inverse(self, s: np.ndarray) -> np.ndarray:
        """Scaled (n, p) -> physical (n, p) float64."""
        s = np.array(s, dtype=np.float64, ndmin=2)
        out = np.empty_like(s)
        for j in range(len(self.names)):
            v = s[:, j] * (self.hi[j] - self.lo[j]) + self.lo[j]
            out[:, j] = np.exp(v) - self.offset[j] if self.log[j] else v
        return out

    def inverse_t(self, s):
        """Differentiable torch version of :meth:`inverse` (same dtype/device as ``s``)."""
        import torch

        cols = []
        for j in range(len(self.names)):
            v = s[:, j] * (self.hi[j] - self.lo[j]) + self.lo[j]
            cols.append(torch.exp(v) - self.offset[j] if self.log[j] else v)
        return torch.stack(cols, dim=1)

    def transform_t(self, y):
        """Differentiable torch version of :meth:`transform`."""
        import torch

        cols = []
        for j in range(len(self.names)):
            v = y[:, j]
            if self.log[j]:
                v = torch.log(torch.clamp(v + self.offset[j], min=1e-30))
            cols.append((v - self.lo[j]) / (self.hi[j] - self.lo[j]))
        return torch.stack(cols, dim=1)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "names": list(self.names),
            "log": list(self.log),
            "offset": list(self.offset),
            "lo": list(self.lo),
            "hi": list(self.hi),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TargetScaler:
        """Inverse of :meth:`to_json`."""
        try:
            return cls(
                tuple(str(n) for n in d["names"]),
                tuple(bool(v) for v in d["log"]),
                tuple(float(v) for v in d["offset"]),
                tuple(float(v) for v in d["lo"]),
                tuple(float(v) for v in d["hi"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"model config has a malformed target scaler ({exc})") from None
