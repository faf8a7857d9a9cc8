"""The microstructure type: a boolean voxel array with its voxel size and provenance.

``True`` = pore (fluid), arrays in ``(z, y, x)`` order (see :mod:`porestudio`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from porestudio.errors import InputError
from porestudio.units import check_voxel_size


@dataclasses.dataclass(frozen=True, eq=False)
class Structure:
    """A 3D porous microstructure.

    Parameters
    ----------
    pore : ndarray of bool, shape (nz, ny, nx)
        ``True`` where the voxel is pore (fluid), ``False`` where it is solid.
    voxel_size_m : float or None
        Edge length of one (cubic) voxel [m]; ``None`` when unknown (never a silent 1).
    provenance : Mapping
        Where the structure came from: generator name, parameters and seed, or the
        source file and crop. JSON-serialisable.
    """

    pore: np.ndarray
    voxel_size_m: float | None = None
    provenance: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        pore = np.asarray(self.pore)
        if pore.ndim != 3:
            raise InputError(
                f"a structure must be 3D (z, y, x); got an array of shape {pore.shape}"
            )
        if min(pore.shape) < 1:
            raise InputError(f"a structure must not be empty; got shape {pore.shape}")
        if pore.dtype != np.bool_:
            raise InputError(f"a structure's pore array must be boolean; got {pore.dtype}")
        object.__setattr__(self, "pore", pore)
        object.__setattr__(self, "voxel_size_m", check_voxel_size(self.voxel_size_m))
        object.__setattr__(self, "provenance", dict(self.provenance))

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape ``(nz, ny, nx)``."""
        return tuple(self.pore.shape)  # type: ignore[return-value]

    @property
    def porosity(self) -> float:
        """Pore volume fraction (0..1)."""
        return float(np.count_nonzero(self.pore)) / self.pore.size

    @property
    def solid(self) -> np.ndarray:
        """Boolean solid mask (``~pore``)."""
        return ~self.pore

    def provenance_json(self) -> str:
        """Provenance as a JSON string (for HDF5 attributes and TIFF descriptions)."""
        return json.dumps(self.provenance, sort_keys=True, default=_json_default)

    def replace(self, **changes: Any) -> Structure:
        """A copy with some fields replaced (dataclasses.replace)."""
        return dataclasses.replace(self, **changes)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
