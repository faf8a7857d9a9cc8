"""The property-VAE (paper section 3.2, Table 2, eqs. 4-11), 2D and 3D.

Encoder: stride-2 convolutions (kernel 4, no pooling) + ReLU, then dense heads for the
latent mean μ and log-variance log σ². Decoder: dense + reshape, stride-2 transposed
convolutions + ReLU, the last one to one channel followed by the SteepSigmoid of eq. 11,
``sigmoid(a·x)``. Regressor: an MLP on μ only, ReLU outputs (non-negative scaled targets).

Inputs whose sizes are not multiples of ``2**len(channels)`` are zero-padded (solid) at the
high end and the decoder output is cropped back, so any size round-trips exactly. The
decoder returns *logits* ``a·x``; the reconstruction loss is BCE-with-logits of them, equal
to the BCE of the SteepSigmoid output but stable.

``physics_inputs`` (3D only; ``["conductance"]``): the encoder's μ and log σ² heads read,
beside the convolutional features, the standardised log of a physics estimate of k_xx,
k_yy, k_zz computed from the same voxels (:mod:`porestudio.ml.physics_inputs`). Measured on
the 3D default set, the convolutional features alone carry k too loosely for the regressor
(a wider MLP on the codes reached log-k R² 0.71-0.74): a strided encoder cannot trace which
channels cross a cube, a Darcy solve on it can. The code then holds k, and the regressor
still reads μ only.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from porestudio.errors import InputError
from porestudio.ml._nn import layers, padded_shape
from porestudio.ml.config import DEFAULT_LATENT  # noqa: E402,F401
from porestudio.ml.physics_inputs import count, fit_standardisation, standardised


class SteepSigmoid(nn.Module):
    """``sigmoid(a·x)`` (paper eq. 11)."""

    def __init__(self, a: float) -> None:
        super().__init__()
        self.a = float(a)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.a * x)


class PVAE(nn.Module):
    """Encoder, decoder and regressor of the pVAE.

    Parameters
    ----------
    dims : {2, 3}
        Spatial dimensions.
    input_shape : tuple of int
        Spatial input shape (without channel) [voxels].
    n_props : int
        Regressor outputs.
    arch : dict
        ``channels`` (per stride-2 level), ``latent_dim``, ``regressor`` widths,
        ``steepness`` (a of the SteepSigmoid), ``physics_inputs`` (module docstring; the
        encoder then takes ``aux`` (n, 3), raw estimates [voxel²] in (x, y, z) order).
    """

    def __init__(self, dims: int, input_shape: tuple[int, ...], n_props: int, arch: dict):
        super().__init__()
        conv, convt, _, _ = layers(dims)
        chans = [int(c) for c in arch["channels"]]
        if not chans or len(input_shape) != dims:
            raise InputError("pVAE config: channels must be non-empty; input shape must fit dims")
        self.dims = dims
        self.input_shape = tuple(int(s) for s in input_shape)
        self.latent_dim = int(arch.get("latent_dim") or DEFAULT_LATENT[dims])
        self.steepness = float(arch["steepness"])
        factor = 2 ** len(chans)
        self.padded = padded_shape(self.input_shape, factor)
        self.bottom = tuple(s // factor for s in self.padded)
        feat = chans[-1] * math.prod(self.bottom)
        enc: list[nn.Module] = []
        c_in = 1
        k = int(arch.get("kernel", 4))
        if k not in (2, 3, 4):
            raise InputError(f"pVAE config: kernel must be 2, 3 or 4; got {k}")
        pad, out_pad = {2: (0, 0), 3: (1, 1), 4: (1, 0)}[k]
        for c in chans:
            enc += [conv(c_in, c, k, stride=2, padding=pad), nn.ReLU(inplace=True)]
            c_in = c
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        self.n_aux = count(dims, arch, "pVAE")
        self.fc_mu = nn.Linear(feat + self.n_aux, self.latent_dim)
        self.fc_logvar = nn.Linear(feat + self.n_aux, self.latent_dim)
        if self.n_aux:
            self.register_buffer("aux_mean", torch.zeros(self.n_aux))
            self.register_buffer("aux_std", torch.ones(self.n_aux))
        dec: list[nn.Module] = [nn.Linear(self.latent_dim, feat), nn.ReLU(inplace=True)]
        dec.append(nn.Unflatten(1, (chans[-1], *self.bottom)))
        outs = [*reversed(chans[:-1]), 1]
        c_in = chans[-1]
        for i, c in enumerate(outs):
            dec.append(convt(c_in, c, k, stride=2, padding=pad, output_padding=out_pad))
            if i < len(outs) - 1:
                dec.append(nn.ReLU(inplace=True))
            c_in = c
        self.decoder = nn.Sequential(*dec)
        reg: list[nn.Module] = []
        c_in = self.latent_dim
        for width in arch["regressor"]:
            reg += [nn.Linear(c_in, int(width)), nn.ReLU(inplace=True)]
            c_in = int(width)
        last = nn.Linear(c_in, int(n_props))
        nn.init.constant_(last.bias, 0.5)  # start inside the [0, 1] target range (no dead ReLU)
        self.regressor = nn.Sequential(*reg, last, nn.ReLU())

    def parts(self) -> dict[str, list[nn.Parameter]]:
        """Parameters by part: ``encoder`` (incl. μ/logσ² heads), ``decoder``, ``regressor``."""
        return {
            "encoder": [
                *self.encoder.parameters(),
                *self.fc_mu.parameters(),
                *self.fc_logvar.parameters(),
            ],
            "decoder": list(self.decoder.parameters()),
            "regressor": list(self.regressor.parameters()),
        }

    def set_aux_stats(self, raw) -> None:
        """Standardise the physics inputs with the mean and std of the log features of raw
        estimates (n, 3) (those of the training samples)."""
        mean, std = fit_standardisation(raw)
        self.aux_mean.copy_(mean)
        self.aux_std.copy_(std)

    def encode(
        self, x: torch.Tensor, aux: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ, log σ²), each (n, latent), from inputs (n, 1, *input_shape) in [0, 1] (and
        the raw physics inputs ``aux`` (n, 3) of a pVAE that reads them)."""
        pad: list[int] = []
        for size, target in zip(reversed(self.input_shape), reversed(self.padded), strict=True):
            pad += [0, target - size]
        h = self.encoder(F.pad(x, pad) if any(pad) else x)
        if self.n_aux:
            if aux is None:
                raise InputError("this pVAE reads physics inputs; none were given")
            a = standardised(aux, self.aux_mean, self.aux_std)
            h = torch.cat([h.float(), a], dim=1)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Logits ``a·x`` (n, 1, *input_shape); probabilities are their sigmoid."""
        out = self.decoder(z)
        crop = (slice(None), slice(None), *(slice(0, s) for s in self.input_shape))
        return self.steepness * out[crop]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Probabilities (n, 1, *input_shape) in [0, 1] (the SteepSigmoid output)."""
        return torch.sigmoid(self.decode_logits(z))

    def regress(self, mu: torch.Tensor) -> torch.Tensor:
        """Scaled properties (n, p) >= 0 from μ."""
        return self.regressor(mu)

    def forward(
        self, x: torch.Tensor, decoder: bool = True, regressor: bool = True, aux=None
    ) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(logits or None, μ, log σ², scaled properties or None).

        In training mode the decoder gets ``z = μ + σ·ε``; in eval mode ``z = μ``. ``aux``:
        raw physics inputs (n, 3) of a pVAE that reads them.
        """
        mu, logvar = self.encode(x, aux)
        logits = None
        if decoder:
            z = mu
            if self.training:
                z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            logits = self.decode_logits(z)
        pred = self.regress(mu) if regressor else None
        return logits, mu, logvar, pred


def kl_per_sample(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per sample (n,), summed over latent dimensions."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)
