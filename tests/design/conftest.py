"""A real tiny pVAE (and CNN surrogate) on a few hundred labelled squares, once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from porestudio.physics.stokes2d import extruded_permeability_batch
from porestudio.structures.dataset import DatasetWriter
from porestudio.structures.generators import squares_batch

SIZE = 20
DEPTH = 2
TINY_PVAE = {
    "arch": {"channels": [8, 16, 16, 16], "latent_dim": 16},
    "stages": [
        {"name": "vae", "epochs": 3, "lr": 2e-3, "train": ["encoder", "decoder"],
         "recon": 1.0, "beta": 1.0, "gamma": 0.0},
        {"name": "joint", "epochs": 6, "lr": 2e-3, "train": ["encoder", "decoder", "regressor"],
         "recon": 1.0, "beta": 1.0, "gamma": 5.0},
    ],
}  # fmt: skip
TINY_CNN = {"arch": {"channels": [4, 8, 8, 8]}}


def write_squares(path: Path, count: int, seed: int) -> Path:
    """A z-extruded squares set labelled by the exact extruded Stokes solver (k_zz, walls)."""
    sections = squares_batch(count, seed, size=SIZE, depth=DEPTH, pore_size=4, n_pores=(3, 10))
    k = extruded_permeability_batch(sections)
    tensor = np.full((count, 3, 3), np.nan)
    tensor[:, 2, 2] = k
    pores = np.broadcast_to(sections[:, None], (count, DEPTH, SIZE, SIZE))
    with DatasetWriter(path, shape=(DEPTH, SIZE, SIZE), voxel_size_m=2e-6) as w:
        w.append(
            pores,
            provenance=[{"generator": "squares", "index": i} for i in range(count)],
            properties={"permeability_lu": tensor, "label_status": np.ones(count, np.int8)},
        )
        w.set_property_attrs("permeability_lu", {"unit": "voxel^2", "boundary_mode": "kuhn"})
    return path


@pytest.fixture(scope="session")
def squares_set(tmp_path_factory) -> Path:
    """240 labelled 20×20 squares sections extruded to depth 2 (voxel 2 µm)."""
    return write_squares(tmp_path_factory.mktemp("design") / "squares.h5", 240, seed=5)


@pytest.fixture(scope="session")
def pvae_dir(squares_set, tmp_path_factory) -> Path:
    """A tiny pVAE trained through porestudio.ml.api.train."""
    from porestudio.ml import api

    out = tmp_path_factory.mktemp("models") / "pvae"
    api.train("pvae", squares_set, out, device="cpu", seed=0, config_overrides=TINY_PVAE)
    return out


@pytest.fixture(scope="session")
def cnn_dir(squares_set, tmp_path_factory) -> Path:
    """A tiny CNN surrogate trained through porestudio.ml.api.train."""
    from porestudio.ml import api

    out = tmp_path_factory.mktemp("models") / "cnn"
    api.train("cnn", squares_set, out, epochs=4, device="cpu", seed=0, config_overrides=TINY_CNN)
    return out


@pytest.fixture(scope="session")
def pvae(pvae_dir):
    from porestudio.ml import api

    return api.load(pvae_dir)


@pytest.fixture(scope="session")
def cnn(cnn_dir):
    from porestudio.ml import api

    return api.load(cnn_dir)
