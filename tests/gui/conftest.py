"""Fixtures of the studio tests: private settings, small real datasets, a main window.

The tests run under Xvfb (pytest-xvfb) with the real QtInteractor; never set
QT_QPA_PLATFORM=offscreen (QOpenGLWidget cannot render there).
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from porestudio.gui.feedback import reporter

CT_FIBERFORM = Path(__file__).resolve().parents[2] / "resources/ct/fiberform_puma/100_fiberform.tif"


@pytest.fixture(autouse=True)
def _private_settings(tmp_path, monkeypatch, qapp):
    """Every test writes its QSettings under its own tmp folder, never the user's."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    fmt = QtCore.QSettings.Format.IniFormat
    QtCore.QSettings.setPath(fmt, QtCore.QSettings.Scope.UserScope, str(folder))
    QtCore.QSettings.setPath(fmt, QtCore.QSettings.Scope.SystemScope, str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the encoding cache
    yield


@pytest.fixture
def settings(tmp_path):
    """A Settings object backed by an INI file in tmp_path."""
    from porestudio.gui.settings import Settings

    q = QtCore.QSettings(str(tmp_path / "porestudio.ini"), QtCore.QSettings.Format.IniFormat)
    return Settings(q)


@pytest.fixture
def errors():
    """Errors reported through report_error during the test (no dialogs pop up)."""
    rep = reporter()
    rep.show_dialogs = False
    start = len(rep.history)

    class _Errors:
        @property
        def messages(self) -> list[str]:
            return rep.history[start:]

    yield _Errors()
    rep.show_dialogs = True


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory) -> Path:
    """A folder with small real datasets (written once per session; copy before changing)."""
    from porestudio.structures.dataset import DatasetWriter
    from porestudio.structures.generators import grf, squares

    folder = tmp_path_factory.mktemp("datasets")
    grfs = [
        grf(7, index=i, shape=(24, 24, 24), porosity=0.55, correlation_length_vox=3.0)
        for i in range(5)
    ]
    k = np.full((5, 3, 3), np.nan)
    k[1] = np.diag([0.5, 0.7, 0.9])
    with DatasetWriter(folder / "grf.h5", shape=(24, 24, 24), voxel_size_m=2e-6) as w:
        w.append(
            np.stack([s.pore for s in grfs]),
            provenance=[s.provenance for s in grfs],
            properties={"permeability_lu": k},
        )
    sq = [squares(3, index=i, size=20, depth=6, pore_size=4, n_pores=(3, 6)) for i in range(3)]
    with DatasetWriter(folder / "squares.h5", shape=(6, 20, 20), voxel_size_m=1e-5) as w:
        w.append(np.stack([s.pore for s in sq]), provenance=[s.provenance for s in sq])
    return folder


@pytest.fixture
def grf_dataset(dataset_dir, tmp_path) -> Path:
    """A private copy of the 5-sample 24³ GRF dataset (voxel 2 µm)."""
    return Path(shutil.copy(dataset_dir / "grf.h5", tmp_path / "grf.h5"))


@pytest.fixture
def squares_dataset(dataset_dir, tmp_path) -> Path:
    """A private copy of the 3-sample extruded squares dataset (6×20×20, voxel 10 µm)."""
    return Path(shutil.copy(dataset_dir / "squares.h5", tmp_path / "squares.h5"))


@pytest.fixture
def window(qtbot, settings, errors):
    """A shown main window with private settings (closed at the end of the test)."""
    from porestudio.gui.main_window import MainWindow

    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


@pytest.fixture
def wait_idle(qtbot):
    """``wait_idle(jobs, timeout_s=60)``: process events until ``jobs`` has no job left."""

    def wait(jobs, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while jobs.busy():
            assert time.monotonic() < deadline, "background jobs did not finish"
            qtbot.wait(20)
        qtbot.wait(20)
        QtWidgets.QApplication.processEvents()

    return wait


# --- latent maps without a trained model (real arrays, a real PCA by SVD) ----------------


@dataclasses.dataclass(frozen=True)
class SvdPCA:
    """The ``transform`` part of ``porestudio.design.latent.PCAResult``."""

    components: np.ndarray
    mean: np.ndarray

    def transform(self, mu: np.ndarray) -> np.ndarray:
        return (np.asarray(mu, dtype=np.float64) - self.mean) @ self.components.T


def make_latent_map(n: int, seed: int = 0, latent_dim: int = 8):
    """``n`` codes in two clusters; porosity and k follow the first latent direction."""
    rng = np.random.default_rng(seed)
    scale = np.linspace(3.0, 0.5, latent_dim)
    mu = rng.normal(size=(n, latent_dim)) * scale
    mu[: n // 2, 1] += 4.0
    mean = mu.mean(axis=0)
    _, s, vt = np.linalg.svd(mu - mean, full_matrices=False)
    scores = (mu - mean) @ vt.T
    porosity = 1.0 / (1.0 + np.exp(-mu[:, 0] / 3.0))
    k = 10.0 ** (2.0 * porosity - 1.0 + 0.1 * rng.normal(size=n))
    k[::7] = np.nan  # not labelled
    ratio = s**2 / (s**2).sum()
    props = {"porosity": porosity, "k_zz": k}
    from porestudio.gui.model.latent_map import LatentMap

    return LatentMap(scores, ratio, np.arange(n), props, SvdPCA(vt, mean), mu.astype(np.float32))


@pytest.fixture
def synthetic_map():
    """``synthetic_map(n, seed=0)``: a LatentMap of n codes (see :func:`make_latent_map`)."""
    return make_latent_map


# --- a tiny trained pVAE and CNN on generated squares (the default models' stand-ins) -------
TINY_PVAE = {
    "arch": {"channels": [8, 16, 16, 16], "latent_dim": 16},
    "stages": [
        {"name": "vae", "epochs": 2, "lr": 2e-3, "train": ["encoder", "decoder"],
         "recon": 1.0, "beta": 1.0, "gamma": 0.0},
        {"name": "joint", "epochs": 5, "lr": 2e-3,
         "train": ["encoder", "decoder", "regressor"], "recon": 1.0, "beta": 1.0, "gamma": 5.0},
    ],
}  # fmt: skip
TINY_CNN = {"arch": {"channels": [4, 8, 8, 8]}}


def write_labelled_squares(path: Path, count: int, seed: int, size: int = 20) -> Path:
    """A z-extruded squares set (depth 2, voxel 10 µm) labelled by the exact 2D Stokes solver."""
    from porestudio.physics.stokes2d import extruded_permeability_batch
    from porestudio.structures.dataset import DatasetWriter
    from porestudio.structures.generators import squares_batch

    sections = squares_batch(count, seed, size=size, depth=2, pore_size=4, n_pores=(3, 10))
    k = np.full((count, 3, 3), np.nan)
    k[:, 2, 2] = extruded_permeability_batch(sections, refine=2, richardson=False)
    pores = np.broadcast_to(sections[:, None], (count, 2, size, size))
    with DatasetWriter(path, shape=(2, size, size), voxel_size_m=1e-5) as w:
        prov = [{"generator": "squares", "index": i} for i in range(count)]
        labels = {"permeability_lu": k, "label_status": np.ones(count, np.int8)}
        w.append(pores, provenance=prov, properties=labels)
    return path


@dataclasses.dataclass(frozen=True)
class TrainedModels:
    dataset: Path
    pvae: Path
    cnn: Path


@pytest.fixture(scope="session")
def labelled_squares(tmp_path_factory) -> Path:
    """200 labelled squares sections, 20×20, extruded to depth 2 (written once)."""
    return write_labelled_squares(tmp_path_factory.mktemp("squares") / "squares.h5", 200, 3)


@pytest.fixture(scope="session")
def trained(tmp_path_factory, labelled_squares) -> TrainedModels:
    """A tiny pVAE and a tiny CNN trained on :func:`labelled_squares` (once)."""
    from porestudio.ml import api

    folder = tmp_path_factory.mktemp("trained")
    data = labelled_squares
    api.train("pvae", data, folder / "pvae", config_overrides=TINY_PVAE, seed=1)
    api.train("cnn", data, folder / "cnn", epochs=3, config_overrides=TINY_CNN, seed=1)
    return TrainedModels(data, folder / "pvae", folder / "cnn")


@pytest.fixture
def fast_design():
    """Design options that keep a design of a tiny model to a few seconds."""
    from porestudio.design.inverse import DesignOptions

    return DesignOptions(k_init=10, keep=2, screen_steps=10, steps=20, patience=10)


TINY_PVAE_3D = {"arch": {"channels": [4, 8, 8], "latent_dim": 8}}


@dataclasses.dataclass(frozen=True)
class Trained3D:
    dataset: Path
    pvae: Path


@pytest.fixture(scope="session")
def trained3d(tmp_path_factory, grf3d_set) -> Trained3D:
    """A tiny 3D pVAE (8³ cubes, 8-dim codes) trained one epoch on the 24 labelled GRF cubes
    of ``grf3d_set``, written once; its model file names the dataset."""
    from porestudio.ml import api

    folder = tmp_path_factory.mktemp("trained3d")
    data = Path(shutil.copy(grf3d_set, folder / "grf3d.h5"))
    api.train("pvae", data, folder / "pvae3d", epochs=1, config_overrides=TINY_PVAE_3D, seed=1)
    return Trained3D(data, folder / "pvae3d")
