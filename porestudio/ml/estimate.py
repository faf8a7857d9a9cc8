"""A calibrated physics estimate of the diagonal permeability: ``k_ii ≈ e^b_i q_i^a_i``.

``q`` is the local-conductance Darcy estimate of :mod:`porestudio.physics.conductance`
(the physics input of the 3D networks, ``ml/physics_inputs.py``); the power law per axis is
fitted in log space on the labelled training samples of a model (its training and
validation split, never its test split) and kept in the model JSON (``physics_fit``).

Why a model carries it: on structures the decoder prints — decoded, binarised and cleaned
held-out cubes and their anisotropically smoothed variants, 89 of them measured by the LBM
— the calibrated estimate misses k by a median 3.4 / 3.4 / 3.9 % (x / y / z; 90th percentile
9 / 10 / 8 %), the 3D CNN that reads the same estimate by 8.3 / 6.0 / 7.2 % (41 / 16 / 14 %):
the network's learned part does not generalise to structures unlike its training cubes,
the physics does (docs/ml.md). The inverse design scores 3D candidates with it
(``DesignOptions.scorer``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from porestudio.errors import FormatError, InputError

AXES = ("x", "y", "z")
KEY = "physics_fit"
"""Where a model JSON keeps its fit (:meth:`PowerLaw.to_json`)."""
_MIN_SAMPLES = 3


@dataclasses.dataclass(frozen=True)
class PowerLaw:
    """``k_ii = exp(b[i]) * q_i ** a[i]`` [voxel²] per axis i in (x, y, z).

    Attributes
    ----------
    a, b : tuple of 3 floats
        Exponent and log prefactor per axis.
    n : tuple of 3 ints
        Samples each axis was fitted on (both q and k positive).
    """

    a: tuple[float, float, float]
    b: tuple[float, float, float]
    n: tuple[int, int, int]

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated estimates (n, 3) [voxel²] of raw estimates (n, 3); a raw estimate below
        the conductance floor (no winding flow path) stays 0."""
        from porestudio.physics.conductance import FLOOR

        q = np.asarray(raw, dtype=np.float64).reshape(-1, 3)
        a, b = np.asarray(self.a), np.asarray(self.b)
        safe = np.maximum(q, FLOOR)
        return np.where(q >= FLOOR, np.exp(b) * safe**a, 0.0)

    def to_json(self) -> dict[str, Any]:
        return {"form": "k = exp(b) * q^a", "a": list(self.a), "b": list(self.b), "n": list(self.n)}

    @classmethod
    def from_json(cls, data: Any) -> PowerLaw:
        """The fit a model JSON stores; FormatError when it is malformed."""
        try:
            a, b, n = (tuple(float(v) for v in data[key]) for key in ("a", "b", "n"))
        except (KeyError, TypeError, ValueError):
            raise FormatError(f"model JSON: {KEY} must hold lists a, b and n") from None
        if not len(a) == len(b) == len(n) == 3 or not np.all(np.isfinite(a + b)):
            raise FormatError(f"model JSON: {KEY} needs three finite a and b (x, y, z)")
        return cls(a, b, tuple(int(v) for v in n))  # type: ignore[arg-type]


def fit_power_law(raw: np.ndarray, k: np.ndarray) -> PowerLaw:
    """Least-squares fit of ``log k = a log q + b`` per axis.

    Parameters
    ----------
    raw : ndarray (n, 3)
        Raw conductance estimates [voxel²], (x, y, z).
    k : ndarray (n, 3)
        The labels' k_xx, k_yy, k_zz [voxel²] of the same samples.

    Returns
    -------
    PowerLaw
        Fitted on the samples where both are positive and finite, per axis.
    """
    q, kk = np.asarray(raw, np.float64).reshape(-1, 3), np.asarray(k, np.float64).reshape(-1, 3)
    if q.shape != kk.shape:
        raise InputError(f"estimates {q.shape} and labels {kk.shape} differ in shape")
    a, b, n = [], [], []
    for j, axis in enumerate(AXES):
        ok = np.isfinite(q[:, j]) & np.isfinite(kk[:, j]) & (q[:, j] > 0) & (kk[:, j] > 0)
        if ok.sum() < _MIN_SAMPLES:
            raise InputError(f"too few samples flowing along {axis} to fit the estimate")
        lq = np.log(q[ok, j])
        if np.ptp(lq) == 0:
            raise InputError(f"the estimates along {axis} are all equal: nothing to fit")
        slope, icept = np.polyfit(lq, np.log(kk[ok, j]), 1)
        a.append(float(slope))
        b.append(float(icept))
        n.append(int(ok.sum()))
    return PowerLaw(tuple(a), tuple(b), tuple(n))  # type: ignore[arg-type]


def of_model(config: dict[str, Any]) -> PowerLaw | None:
    """The fit a model JSON carries, or None."""
    data = config.get(KEY)
    return None if data is None else PowerLaw.from_json(data)


def diagonal_labels(properties: tuple[str, ...], y: np.ndarray) -> np.ndarray | None:
    """The (n, 3) k_xx, k_yy, k_zz columns of labels ``y`` (n, p) of ``properties``; None
    when a model does not predict all three."""
    names = [f"k_{a}{a}" for a in AXES]
    if not all(n in properties for n in names):
        return None
    return np.stack([np.asarray(y)[:, list(properties).index(n)] for n in names], axis=1)
