""":class:`LoadedModel`: a trained CNN or pVAE with its data spec and target scaling.

Numpy-level methods take and return physical units (lattice units for permeability);
the ``*_t`` methods are differentiable torch functions on *scaled* targets (for design).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from porestudio.errors import FormatError, InputError
from porestudio.ml.data import DataSpec, is_extruded
from porestudio.ml.scaling import TargetScaler

log = logging.getLogger(__name__)

BATCH = 64  # inference batch


def build_module(kind: str, spec: DataSpec, arch: dict[str, Any]):
    """A fresh network for ``kind`` ("cnn" or "pvae") fitting ``spec``."""
    if kind == "cnn":
        from porestudio.ml.cnn import build_cnn

        return build_cnn(spec.dims, len(spec.properties), arch)
    if kind == "pvae":
        from porestudio.ml.pvae import PVAE

        return PVAE(spec.dims, spec.input_shape(), len(spec.properties), arch)
    raise InputError(f"unknown model kind {kind!r}; use cnn or pvae")


class LoadedModel:
    """A trained model ready for inference (eval mode, on ``device``).

    Attributes
    ----------
    kind : {"cnn", "pvae"}
    spec : DataSpec
    config : dict
        The model JSON.
    module : torch.nn.Module
    device : torch.device
    latent_dim : int or None
        pVAE latent size.
    scaler : TargetScaler
    """

    def __init__(self, kind: str, spec: DataSpec, config: dict, module, device, scaler):
        self.kind = kind
        self.spec = spec
        self.config = config
        self.module = module.eval()
        for p in module.parameters():  # inference only: gradients flow to inputs/latents
            p.requires_grad_(False)
        self.device = device
        self.scaler = scaler
        self.latent_dim: int | None = (
            getattr(module, "latent_dim", None) if kind == "pvae" else None
        )
        self.physics_inputs: bool = bool(getattr(module, "n_aux", 0))
        """Whether the network (CNN, or pVAE encoder) reads physics estimates
        (ml/physics_inputs.py) beside the voxels."""

    @classmethod
    def from_state(cls, config: dict, state: dict, device: str = "cpu") -> LoadedModel:
        """Build from a model JSON and its weights (CPU tensors)."""
        import torch

        from porestudio.physics.device import resolve_device

        spec = DataSpec.from_json(config.get("data", {}))
        scaler = TargetScaler.from_json(config.get("scaler", {}))
        if scaler.names != spec.properties:
            raise FormatError("model config: scaler and data spec name different properties")
        module = build_module(config["kind"], spec, config.get("arch", {}))
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise FormatError(f"weights do not fit the model's architecture ({first})") from None
        dev = torch.device(resolve_device(device))
        return cls(config["kind"], spec, config, module.to(dev), dev, scaler)

    # ---- numpy level -------------------------------------------------------------------
    def _inputs(self, pores: np.ndarray) -> np.ndarray:
        """uint8 (n, *input_shape) from pores (n, nz, ny, nx) or (nz, ny, nx)."""
        a = np.asarray(pores)
        if a.ndim == 3:
            a = a[None]
        if a.ndim != 4:
            raise InputError(f"pores must be (n, nz, ny, nx) or (nz, ny, nx); got shape {a.shape}")
        extruded = self.spec.dims == 3 or is_extruded(a)
        self.spec.check_fits(a.shape[1:], extruded=extruded)
        a = a[:, 0] if self.spec.dims == 2 else a
        return (a != 0).astype(np.uint8)

    def _batched(self, x: np.ndarray, fn, aux: np.ndarray | None = None) -> list:
        import torch

        outs = []
        with torch.no_grad():
            for a in range(0, len(x), BATCH):
                xb = torch.from_numpy(x[a : a + BATCH]).to(self.device, torch.float32)
                if aux is None:
                    outs.append(fn(xb.unsqueeze(1)))
                else:
                    ab = torch.from_numpy(aux[a : a + BATCH]).to(self.device, torch.float32)
                    outs.append(fn(xb.unsqueeze(1), ab))
        return outs

    def predict(
        self, pores: np.ndarray, physics: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Properties of structures, physical units (porosity [1], k [voxel²]).

        Parameters
        ----------
        pores : ndarray of bool, (n, nz, ny, nx) or (nz, ny, nx)
            True = pore; must fit the model (``spec.check_fits``).
        physics : ndarray (n, 3), optional
            Raw physics inputs of a network that reads them (``physics_inputs.compute`` of
            ``pores``), when the caller has them already; computed otherwise.

        Returns
        -------
        dict of name -> ndarray (n,)
            cnn: its outputs; pvae: the regressor on μ.
        """
        x = self._inputs(pores)
        aux = self._aux(x, physics)
        parts = self._batched(x, lambda *t: self.predict_t(*t).float().cpu().numpy(), aux)
        scaled = np.concatenate(parts) if parts else np.zeros((0, len(self.spec.properties)))
        phys = self.scaler.inverse(scaled)
        return {name: phys[:, j] for j, name in enumerate(self.spec.properties)}

    def estimate(
        self, pores: np.ndarray, physics: np.ndarray | None = None
    ) -> dict[str, np.ndarray] | None:
        """The calibrated conductance estimate (``ml/estimate.py``) of k_xx, k_yy, k_zz
        [voxel²] of structures, when the model JSON carries its fit (a 3D model with
        physics inputs); None otherwise. ``pores`` and ``physics`` as in :meth:`predict`."""
        from porestudio.ml.estimate import of_model

        fit = of_model(self.config)
        if fit is None or not self.physics_inputs:
            return None
        x = self._inputs(pores)
        k = fit.apply(self._aux(x, physics))
        return {f"k_{a}{a}": k[:, j] for j, a in enumerate("xyz")}

    def encode_stats(
        self, pores: np.ndarray, physics: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(μ, log σ²) float32 (n, latent) of structures (pVAE); ``physics`` as in
        :meth:`predict`."""
        self._need_pvae("encode")
        x = self._inputs(pores)
        parts = self._batched(
            x,
            lambda *t: [v.float().cpu().numpy() for v in self.encode_t(*t)],
            self._aux(x, physics),
        )
        if not parts:
            empty = np.zeros((0, self.latent_dim or 0), np.float32)
            return empty, empty.copy()
        return (
            np.concatenate([p[0] for p in parts]).astype(np.float32),
            np.concatenate([p[1] for p in parts]).astype(np.float32),
        )

    def encode(self, pores: np.ndarray, physics: np.ndarray | None = None) -> np.ndarray:
        """Latent means μ, float32 (n, latent) (pVAE); ``physics`` as in :meth:`predict`."""
        return self.encode_stats(pores, physics)[0]

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Probabilities float32 (n, *input_shape) in [0, 1] from latents (n, latent) (pVAE)."""
        import torch

        self._need_pvae("decode")
        z = np.asarray(z, dtype=np.float32)
        z = z[None] if z.ndim == 1 else z
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise InputError(f"latent vectors must be (n, {self.latent_dim}); got {z.shape}")
        outs = []
        with torch.no_grad():
            for a in range(0, len(z), BATCH):
                zb = torch.from_numpy(z[a : a + BATCH]).to(self.device)
                outs.append(self.decode_t(zb)[:, 0].float().cpu().numpy())
        return np.concatenate(outs) if outs else np.zeros((0, *self.spec.input_shape()), np.float32)

    def to_pores(self, prob: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """Binarised structures (n, nz, ny, nx) bool in the dataset's shape.

        2D models' sections are extruded along z to the training depth.
        """
        p = np.asarray(prob)
        shape = self.spec.input_shape()
        if p.shape[-len(shape) :] != shape:
            raise InputError(f"probabilities must end in shape {shape}; got {p.shape}")
        p = p.reshape(-1, *shape)
        pores = p > threshold
        if self.spec.dims == 2:
            nz = self.spec.sample_shape_zyx[0]
            pores = np.ascontiguousarray(np.broadcast_to(pores[:, None], (len(p), nz, *shape)))
        return pores

    # ---- torch level (differentiable) --------------------------------------------------
    def regress_t(self, z):
        """Scaled properties (n, p) from latents (n, latent) (pVAE)."""
        self._need_pvae("regress")
        return self.module.regress(z)

    def decode_t(self, z):
        """Probabilities (n, 1, *input_shape) from latents (pVAE)."""
        self._need_pvae("decode")
        return self.module.decode(z)

    def encode_t(self, x, aux=None):
        """(μ, log σ²) from inputs (n, 1, *input_shape) in [0, 1] (pVAE); ``aux`` as in
        :meth:`predict_t`."""
        self._need_pvae("encode")
        if not self.physics_inputs:
            return self.module.encode(x)
        return self.module.encode(x, self._aux_t(x, aux))

    def predict_t(self, x, aux=None):
        """Scaled properties (n, p) from inputs (n, 1, *input_shape) in [0, 1].

        A network with physics inputs takes their raw estimates ``aux`` (n, 3); without them
        they are computed from ``x`` binarised at 0.5 (~0.75 s per 48³ sample), and the
        gradient reaches ``x`` through the network's voxel path only.
        """
        if self.kind != "cnn":
            return self.regress_t(self.encode_t(x, aux)[0])
        if not self.physics_inputs:
            return self.module(x)
        return self.module(x, self._aux_t(x, aux))

    def _aux_t(self, x, aux):
        """Raw physics inputs as a tensor on ``x``'s device (computed from ``x`` when None)."""
        import torch

        if aux is None:
            aux = self._physics((x.detach()[:, 0] > 0.5).cpu().numpy().astype(np.uint8))
        return torch.as_tensor(aux, dtype=torch.float32, device=x.device)

    def _aux(self, x: np.ndarray, physics: np.ndarray | None) -> np.ndarray | None:
        """The raw physics inputs of uint8 samples ``x`` for a network that reads them:
        ``physics`` when given (checked), else computed; None for one that does not."""
        if not self.physics_inputs:
            return None
        if physics is None:
            return self._physics(x)
        aux = np.asarray(physics, dtype=np.float64)
        if aux.shape != (len(x), 3):
            raise InputError(f"physics inputs must have shape ({len(x)}, 3); got {aux.shape}")
        return aux

    def _physics(self, x: np.ndarray) -> np.ndarray:
        """Raw physics inputs (n, 3) of uint8 samples (n, nz, ny, nx)."""
        from porestudio.ml.physics_inputs import compute

        return compute(x)

    def _need_pvae(self, what: str) -> None:
        if self.kind != "pvae":
            raise InputError(f"{what} needs a pVAE model; this is a {self.kind}")
