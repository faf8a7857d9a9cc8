from __future__ import annotations

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.physics.conductance import conductance_permeability
from porestudio.structures import generators


def _duct(n: int = 12, w: int = 4) -> np.ndarray:
    pores = np.zeros((n, n, n), bool)
    a = (n - w) // 2
    pores[a : a + w, a : a + w, :] = True  # a square duct along x
    return pores


def test_a_duct_conducts_along_its_axis_only():
    k = conductance_permeability(_duct())
    assert k[0] > 0 and k[1] == 0 and k[2] == 0
    # the duct alone: its local conductances d^2 = (1, 2, 2, 1)^2 harmonic across faces; the
    # flux along x is the mean conductance over the cube (no pressure gradient develops)
    d = np.minimum(np.arange(1, 5), np.arange(4, 0, -1)).astype(float)
    expected = (np.minimum.outer(d, d) ** 2).sum() / 12**2
    assert k[0] == pytest.approx(expected, rel=1e-9)


def test_a_closed_cavity_and_an_empty_cube_give_zero():
    cavity = np.zeros((10, 10, 10), bool)
    cavity[3:7, 3:7, 3:7] = True
    assert np.array_equal(conductance_permeability(cavity), np.zeros(3))
    assert np.array_equal(conductance_permeability(np.zeros((6, 6, 6), bool)), np.zeros(3))


def test_the_estimate_is_periodic_and_permutes_with_the_axes():
    pores = generators.grf(3, shape=(16, 16, 16), porosity=0.45,
                           correlation_length_vox=(2.0, 3.0, 4.0)).pore  # fmt: skip
    k = conductance_permeability(pores)
    assert (k > 0).all()
    shifted = np.roll(pores, (5, -3, 7), axis=(0, 1, 2))
    np.testing.assert_allclose(conductance_permeability(shifted), k, rtol=1e-4)
    mirrored = pores[::-1, :, ::-1]
    np.testing.assert_allclose(conductance_permeability(mirrored), k, rtol=1e-4)
    # arrays are (z, y, x): swapping array axes 0 and 2 swaps x and z
    swapped = np.ascontiguousarray(np.swapaxes(pores, 0, 2))
    np.testing.assert_allclose(conductance_permeability(swapped), k[::-1], rtol=1e-4)


def test_a_wider_channel_conducts_more():
    assert conductance_permeability(_duct(16, 8))[0] > 2 * conductance_permeability(_duct(16, 4))[0]


def test_only_volumes_are_accepted():
    with pytest.raises(InputError, match="must be"):
        conductance_permeability(np.ones((4, 4), bool))


def test_the_block_cg_kernel_solves_each_column_like_a_direct_solve():
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    from porestudio.physics._conductance_kernel import block_pcg

    rng = np.random.default_rng(4)
    n = 300
    w = sp.random(n, n, density=0.02, random_state=5, data_rvs=lambda k: rng.uniform(0.1, 2, k))
    w = sp.triu(w, 1)
    w = w + w.T
    a = (sp.diags(np.asarray(w.sum(axis=1)).ravel() + 0.5) - w).tocsr()  # SPD (diagonal shift)
    rhs = np.stack([rng.normal(size=n), np.zeros(n), rng.normal(size=n)], axis=1)
    x, iterations = block_pcg(a.indptr, a.indices, a.data, rhs, 1.0 / a.diagonal(), 1e-10, 5000)
    assert 0 < iterations < 5000
    for c in (0, 2):
        np.testing.assert_allclose(x[:, c], spsolve(a.tocsc(), rhs[:, c]), rtol=1e-7, atol=1e-9)
    assert not x[:, 1].any()  # a zero right-hand side stays zero
    _, capped = block_pcg(a.indptr, a.indices, a.data, rhs, 1.0 / a.diagonal(), 1e-14, 3)
    assert capped == 3
