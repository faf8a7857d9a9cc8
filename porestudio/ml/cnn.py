"""The CNN permeability surrogate (paper section 3.1), 2D and 3D.

Four blocks of convolution (``"same"`` padding) + ReLU + max-pooling with growing widths
(default 32→256) and kernels (3→7), global average pooling (the input size is not baked
in), dense 64 and 32 with ReLU, and linear outputs: the scaled targets.

``padding`` is ``"zeros"`` (the paper's) or ``"circular"``: for periodic structures (the
3D design space's GRF cubes) circular padding reads across the faces as the periodic LBM
does, so the network sees no artificial wall at the border and its output does not change
when the structure is shifted periodically by a multiple of the pooling factor 2⁴.

``physics_inputs`` (3D only; ``["conductance"]``) adds what a physics estimate says to the
learned features: the log of the local-conductance Darcy estimate of k_xx, k_yy, k_zz
(:mod:`porestudio.ml.physics_inputs`), standardised by statistics of the training samples
held as buffers, joins the pooled features before the dense layers and reaches the outputs
through a linear skip as well. The network then learns the correction to a physical
estimate rather than the connectivity of the pore space from pooled local features.
"""

from __future__ import annotations

from typing import Any

from porestudio.errors import InputError
from porestudio.ml._nn import layers
from porestudio.ml.config import CNN_ARCH as ARCH_DEFAULTS  # noqa: E402,F401
from porestudio.ml.physics_inputs import count as n_physics_inputs

PADDINGS = ("zeros", "circular")


def build_cnn(dims: int, n_out: int, arch: dict[str, Any]):
    """The CNN as a ``torch.nn.Module``; input (n, 1, *spatial) in [0, 1], output (n, n_out).

    Parameters
    ----------
    dims : {2, 3}
        Spatial dimensions.
    n_out : int
        Number of outputs (scaled properties).
    arch : dict
        ``channels`` and ``kernels`` (one per block), ``dense`` widths, ``padding``
        (``"zeros"``, the default, or ``"circular"``) and ``physics_inputs`` (module
        docstring; the module then takes ``(x, aux)``, ``aux`` (n, 3) raw estimates).
    """
    import torch.nn as nn

    conv, _, pool, gpool = layers(dims)
    channels, kernels = list(arch["channels"]), list(arch["kernels"])
    if len(channels) != len(kernels) or not channels:
        raise InputError("CNN config: channels and kernels must be non-empty and equally long")
    padding = arch.get("padding", "zeros")
    if padding not in PADDINGS:
        raise InputError(f"CNN config: padding must be one of {PADDINGS}; got {padding!r}")
    blocks: list[nn.Module] = []
    c_in = 1
    for c, k in zip(channels, kernels, strict=True):
        if int(k) % 2 != 1:
            raise InputError(f"CNN config: kernel sizes must be odd; got {k}")
        layer = conv(c_in, int(c), int(k), padding=int(k) // 2, padding_mode=padding)
        blocks += [layer, nn.ReLU(inplace=True)]
        blocks.append(pool(2, ceil_mode=True))
        c_in = int(c)
    blocks += [gpool(1), nn.Flatten()]
    n_aux = n_physics_inputs(dims, arch, "CNN")
    if n_aux:
        from porestudio.ml.cnn_physics import PhysicsCNN

        return PhysicsCNN(nn.Sequential(*blocks), _head(c_in + n_aux, n_out, arch), n_aux, n_out)
    return nn.Sequential(*blocks, *_head(c_in, n_out, arch))


def _head(c_in: int, n_out: int, arch: dict[str, Any]):
    import torch.nn as nn

    layers_: list[nn.Module] = []
    for width in arch["dense"]:
        layers_ += [nn.Linear(c_in, int(width)), nn.ReLU(inplace=True)]
        c_in = int(width)
    layers_.append(nn.Linear(c_in, int(n_out)))
    return nn.Sequential(*layers_)
