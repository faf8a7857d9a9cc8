"""The permeability tensor explained: asymmetry, principal values and directions, mode advice.

Shown beside every full tensor (CLI ``permeability`` and ``info``, the studio's properties
panel). A physical permeability tensor is symmetric; periodic runs give it to the
convergence tolerance, while Kuhn runs (walled sides) on small samples come out
asymmetric, with wall-layer errors of order (pore size / sample width) in the
off-diagonals (docs/datasets.md, *Side boundaries*; docs/validation_lbm.md).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from porestudio.formatting import format_value, format_vector

LARGE_ASYMMETRY: float = 0.05
"""‖K − Kᵀ‖/‖K‖ above which a note explains the asymmetry."""
SMALL_SAMPLE_VOX: int = 200
"""Samples up to this many voxels across are "small" (docs/datasets.md): the periodic mode
is recommended for their full tensor."""


@dataclasses.dataclass(frozen=True)
class TensorSummary:
    """What is shown beside a full tensor.

    Attributes
    ----------
    asymmetry : float
        ‖K − Kᵀ‖/‖K‖ (Frobenius; 0 for a zero tensor).
    eigenvalues : ndarray (3,)
        Principal permeabilities (of the symmetric part ``(K + Kᵀ)/2``), largest first,
        in the tensor's unit.
    directions : ndarray (3, 3)
        Unit principal directions as rows, (x, y, z) components, the largest component of
        each positive.
    """

    asymmetry: float
    eigenvalues: np.ndarray
    directions: np.ndarray

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        return {
            "asymmetry": self.asymmetry,
            "eigenvalues": self.eigenvalues.tolist(),
            "principal_directions": self.directions.tolist(),
        }


def summarize(k: np.ndarray) -> TensorSummary | None:
    """Asymmetry and principal axes of a full 3 × 3 tensor; None if an entry is missing."""
    k = np.asarray(k, dtype=float)
    if k.shape != (3, 3) or not np.isfinite(k).all():
        return None
    norm = float(np.linalg.norm(k))
    asym = float(np.linalg.norm(k - k.T)) / norm if norm > 0 else 0.0
    values, vectors = np.linalg.eigh((k + k.T) / 2)
    order = np.argsort(values)[::-1]
    dirs = vectors[:, order].T
    signs = np.sign(dirs[np.arange(3), np.abs(dirs).argmax(axis=1)])
    return TensorSummary(asym, values[order], dirs * signs[:, None])


def asymmetry_note(asymmetry: float, mode: str) -> str:
    """One line on a large asymmetry (empty when it is small or unknown)."""
    if not np.isfinite(asymmetry) or asymmetry <= LARGE_ASYMMETRY:
        return ""
    if mode == "kuhn":
        return (
            f"asymmetry {format_value(asymmetry, 2)} is large: Kuhn side walls dominate on a "
            "sample this small; the periodic mode gives the symmetric tensor"
        )
    return (
        f"asymmetry {format_value(asymmetry, 2)} is large for periodic runs: tighten the "
        "tolerance or use a larger sample"
    )


def summary_lines(k: np.ndarray, unit: str, mode: str) -> list[str]:
    """Text lines beside a full tensor: asymmetry, principal values and directions, note."""
    s = summarize(k)
    if s is None:
        return []
    lines = [
        f"asymmetry ‖K−Kᵀ‖/‖K‖ = {format_value(s.asymmetry, 2)}",
        f"principal values [{unit}]: " + ", ".join(format_value(v) for v in s.eigenvalues),
    ]
    lines += [
        f"principal direction {i + 1}: {format_vector(d, 3)}" for i, d in enumerate(s.directions)
    ]
    note = asymmetry_note(s.asymmetry, mode)
    return lines + ([f"note: {note}"] if note else [])


def recommended_mode(pore: np.ndarray) -> str:
    """Side boundaries recommended for the full tensor of a sample (docs/datasets.md).

    ``"kuhn"`` (the paper's) for an extruded sample (its off-diagonals vanish by symmetry
    in both modes) and for a large one; ``"periodic"`` for a sample at most
    :data:`SMALL_SAMPLE_VOX` voxels across, where Kuhn walls dominate.
    """
    from porestudio.structures.morphology import is_extruded

    pore = np.asarray(pore)
    if any(n > 1 and is_extruded(pore, a) for a, n in zip("zyx", pore.shape, strict=True)):
        return "kuhn"
    return "periodic" if max(pore.shape) <= SMALL_SAMPLE_VOX else "kuhn"
