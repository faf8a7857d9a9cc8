"""Latent maps and interpolation paths with a real tiny pVAE."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from porestudio.design import latent as L
from porestudio.design import plots
from porestudio.design.interpolate import path, save_path
from porestudio.design.io import code_for
from porestudio.design.reference import build_reference
from porestudio.errors import InputError, OutputError
from porestudio.physics.stokes2d import extruded_permeability_batch
from porestudio.structures.dataset import open_dataset

from .conftest import write_squares


@pytest.fixture(scope="module")
def latent_set(pvae, squares_set):
    return L.encode_dataset(pvae, squares_set)


def test_encode_pca_kde_and_roundtrip(latent_set, pvae, squares_set, tmp_path):
    lat = latent_set
    assert lat.mu.shape == (240, 16) and lat.properties.shape == (240, 2)
    np.testing.assert_allclose(lat.mu[:4], pvae.encode(_sections(squares_set, 4)), atol=1e-5)
    r = L.pca(lat.mu)
    assert r.scores.shape == (240, 10) and r.explained_variance_ratio.sum() <= 1 + 1e-9
    grid = L.default_grid(lat.mu, 128)
    dens = L.kde_per_dim(lat.mu, grid)
    np.testing.assert_allclose(dens.sum(axis=1) * (grid[1] - grid[0]), 1.0, atol=1e-3)
    corr = L.correlations(r.scores, lat.properties)
    out = L.write_latent(tmp_path / "lat.h5", lat, r, grid, dens, corr)
    back = L.read_latent(out)
    np.testing.assert_array_equal(back.mu, lat.mu)
    assert back.names == lat.names and back.fingerprint == lat.fingerprint
    with pytest.raises(OutputError, match="exists"):
        L.write_latent(out, lat, r, grid, dens, corr)
    ref = build_reference(pvae, squares_set, latent=out)  # the stored codes are reused
    np.testing.assert_array_equal(ref.latent.mu, lat.mu)
    small = L.pca(lat.mu, 3)  # a 3 × 3 pair grid keeps the test fast
    corr3 = L.correlations(small.scores, lat.properties)
    files = plots.latent_plots(tmp_path / "png", grid, dens, small, lat.properties, lat.names,
                               corr3)  # fmt: skip
    assert len(files) == 6
    assert all(f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in files)


def _sections(path, n):
    with open_dataset(path) as ds:
        return ds.pores(0, n)[:, :1]


def test_latent_file_of_another_dataset_is_refused(latent_set, pvae, tmp_path):
    r = L.pca(latent_set.mu)
    grid = L.default_grid(latent_set.mu, 16)
    lat = L.LatentSet(latent_set.mu, latent_set.properties, latent_set.names,
                      latent_set.indices, "x.h5", "0123456789abcdef")  # fmt: skip
    out = L.write_latent(tmp_path / "l.h5", lat, r, grid, L.kde_per_dim(lat.mu, grid),
                         L.correlations(r.scores, lat.properties))  # fmt: skip
    with pytest.raises(InputError, match="another dataset"):
        build_reference(pvae, write_squares(tmp_path / "other.h5", 30, seed=9), latent=out)


def test_path_is_a_dataset_with_physics(pvae, cnn, squares_set, tmp_path):
    z0, z1 = code_for(pvae, f"{squares_set}:0"), code_for(pvae, f"{squares_set}:7")
    result = path(pvae, z0, z1, 5, "slerp", surrogate=cnn, verify="physics", threshold=0.3)
    np.testing.assert_allclose(result.z[0], z0, atol=1e-6)
    np.testing.assert_allclose(result.z[-1], z1, atol=1e-6)
    assert result.pores.shape == (5, 2, 20, 20)
    assert {"porosity", "regressor_k_zz", "cnn_k_zz", "physics_k_zz"} <= set(result.properties)
    k = extruded_permeability_batch(result.pores[:, 0])
    np.testing.assert_allclose(result.properties["physics_k_zz"], k)
    out = save_path(result, tmp_path / "path.h5", voxel_size_m=2e-6)
    with open_dataset(out) as ds:
        assert len(ds) == 5 and ds.shape == (2, 20, 20)
        props = ds.properties(["t", "permeability_lu", "label_status"])
        np.testing.assert_allclose(props["t"], np.linspace(0, 1, 5))
        np.testing.assert_allclose(props["permeability_lu"][:, 2, 2], k)
        assert (props["label_status"] == 1).all()
        np.testing.assert_array_equal(ds.pore(3), result.pores[3])


def test_identical_codes_give_a_constant_path(pvae, squares_set, tmp_path):
    z = code_for(pvae, f"{squares_set}:2")
    np.save(tmp_path / "z.npy", z)
    np.testing.assert_array_equal(code_for(pvae, tmp_path / "z.npy"), z)
    with open_dataset(squares_set) as ds:
        np.testing.assert_allclose(code_for(pvae, ds.pore(2)), z, atol=1e-6)
    with pytest.raises(InputError, match="needs 16 values"):
        code_for(pvae, np.zeros(3))
    result = path(pvae, z, z, 4, "slerp")
    assert (result.pores == result.pores[0]).all()
    with pytest.raises(InputError, match="at least 2"):
        path(pvae, z, z, 1)


def test_design_package_imports_stay_light():
    code = (
        "import sys, porestudio.design.inverse, porestudio.design.latent, "
        "porestudio.design.interpolate, porestudio.design.plots, porestudio.design.io;"
        "print(','.join(m for m in ('torch', 'matplotlib', 'PySide6') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
