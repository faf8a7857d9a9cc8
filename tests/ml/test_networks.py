from __future__ import annotations

import pytest
import torch

from porestudio.errors import InputError
from porestudio.ml.cnn import build_cnn
from porestudio.ml.config import CNN_ARCH, PVAE_ARCH
from porestudio.ml.pvae import PVAE

SMALL_CNN = {**CNN_ARCH, "channels": [4, 8, 8, 8]}


@pytest.mark.parametrize("shape", [(20, 20), (100, 100), (17, 23), (9, 10, 11), (16, 16, 16)])
def test_cnn_is_size_agnostic(shape):
    net = build_cnn(len(shape), 3, SMALL_CNN)
    out = net(torch.rand(2, 1, *shape))
    assert out.shape == (2, 3)


@pytest.mark.parametrize("padding", ["circular", "zeros"])
def test_circular_cnn_ignores_periodic_shifts_by_the_pooling_factor(padding):
    torch.manual_seed(0)
    net = build_cnn(3, 2, {**SMALL_CNN, "kernels": [3, 3, 5, 3], "padding": padding}).eval()
    x = (torch.rand(2, 1, 32, 32, 32) > 0.5).float()
    shifted = torch.roll(x, shifts=(16, -16, 16), dims=(2, 3, 4))
    with torch.no_grad():
        gap = float((net(x) - net(shifted)).abs().max())
    if padding == "circular":
        assert gap < 1e-5
    else:  # zero padding sees the faces as walls: the shift moves them
        assert gap > 1e-4


def test_cnn_rejects_unknown_padding():
    with pytest.raises(InputError, match="padding"):
        build_cnn(3, 2, {**SMALL_CNN, "padding": "reflect"})


@pytest.mark.parametrize(
    "shape", [(20, 20), (100, 100), (48, 48), (17, 23), (9, 10, 11), (16, 16, 16)]
)
def test_pvae_round_trips_any_size(shape):
    arch = {**PVAE_ARCH, "channels": [4, 8, 8, 8], "latent_dim": 6}
    net = PVAE(len(shape), shape, 2, arch).eval()
    x = (torch.rand(3, 1, *shape) > 0.5).float()
    logits, mu, logvar, pred = net(x)
    assert logits.shape == x.shape and mu.shape == logvar.shape == (3, 6)
    assert pred.shape == (3, 2) and (pred >= 0).all()
    prob = net.decode(mu)
    assert (
        prob.shape == x.shape and 0 <= float(prob.detach().min()) <= float(prob.detach().max()) <= 1
    )


def test_pvae_parts_cover_every_parameter_once():
    net = PVAE(2, (20, 20), 2, {**PVAE_ARCH, "latent_dim": 5})
    ids = [id(p) for ps in net.parts().values() for p in ps]
    assert sorted(ids) == sorted(id(p) for p in net.parameters())
