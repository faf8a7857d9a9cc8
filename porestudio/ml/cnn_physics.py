"""The 3D CNN with physics inputs (``arch.physics_inputs``; see :mod:`porestudio.ml.cnn`)."""

from __future__ import annotations

import torch
from torch import nn

from porestudio.ml.physics_inputs import fit_standardisation, standardised


class PhysicsCNN(nn.Module):
    """Trunk features + standardised log physics estimates → head, plus a linear skip.

    ``forward(x, aux)``: ``x`` (n, 1, nz, ny, nx) in [0, 1], ``aux`` (n, 3) raw estimates
    [voxel²] in (x, y, z) order (:func:`porestudio.ml.physics_inputs.compute`).
    """

    def __init__(self, trunk: nn.Module, head: nn.Module, n_aux: int, n_out: int) -> None:
        super().__init__()
        self.trunk, self.head, self.n_aux = trunk, head, n_aux
        self.skip = nn.Linear(n_aux, n_out)
        self.register_buffer("aux_mean", torch.zeros(n_aux))
        self.register_buffer("aux_std", torch.ones(n_aux))

    def set_aux_stats(self, raw) -> None:
        """Standardise with the mean and std of the log features of raw estimates (n, 3)."""
        mean, std = fit_standardisation(raw)
        self.aux_mean.copy_(mean)
        self.aux_std.copy_(std)

    def forward(self, x: torch.Tensor, aux: torch.Tensor) -> torch.Tensor:
        a = standardised(aux, self.aux_mean, self.aux_std)
        feats = self.trunk(x).float()
        return self.head(torch.cat([feats, a], dim=1)) + self.skip(a)
