"""Small real datasets for the ml tests: squares sections labelled by the exact 2D solver."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from porestudio.physics.stokes2d import extruded_permeability_batch
from porestudio.structures.dataset import DatasetWriter
from porestudio.structures.generators import squares_batch

SIZE = 20  # section edge [voxels]; not a multiple of 16 on purpose (pad/crop)


def write_squares(path: Path, count: int, seed: int, size: int = SIZE, depth: int = 2) -> Path:
    """A z-extruded squares set labelled with the exact extruded Stokes solver (k_zz)."""
    sections = squares_batch(count, seed, size=size, depth=depth, pore_size=4, n_pores=(3, 10))
    k = extruded_permeability_batch(sections, refine=2, richardson=False)
    tensor = np.full((count, 3, 3), np.nan)
    tensor[:, 2, 2] = k
    pores = np.broadcast_to(sections[:, None], (count, depth, size, size))
    with DatasetWriter(path, shape=(depth, size, size), voxel_size_m=None) as w:
        w.append(
            pores,
            provenance=[{"generator": "squares", "index": i} for i in range(count)],
            properties={
                "permeability_lu": tensor,
                "label_status": np.ones(count, dtype=np.int8),
            },
        )
    return path


@pytest.fixture(scope="session")
def squares_set(tmp_path_factory) -> Path:
    """240 labelled 20x20 squares sections extruded to depth 2."""
    return write_squares(tmp_path_factory.mktemp("ml") / "squares.h5", 240, seed=3)


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tiny networks run faster on one intra-op thread (and steadier on a shared CPU)."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="session")
def squares_writer():
    """:func:`write_squares`, for tests that need a set of their own."""
    return write_squares
