"""Small helpers shared by the networks: 2D/3D layer factories, padding, config merge."""

from __future__ import annotations

import copy
from typing import Any

from porestudio.errors import InputError


def layers(dims: int):
    """(Conv, ConvTranspose, MaxPool, AdaptiveAvgPool) classes for 2 or 3 spatial dims."""
    import torch.nn as nn

    if dims == 2:
        return nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d
    if dims == 3:
        return nn.Conv3d, nn.ConvTranspose3d, nn.MaxPool3d, nn.AdaptiveAvgPool3d
    raise InputError(f"dims must be 2 or 3; got {dims!r}")


def padded_shape(shape: tuple[int, ...], factor: int) -> tuple[int, ...]:
    """Each size rounded up to a multiple of ``factor``."""
    return tuple(-(-int(s) // factor) * factor for s in shape)


def merge(defaults: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Deep copy of ``defaults`` updated (recursively for dicts) with ``overrides``.

    Unknown top-level keys are refused (a typo must not silently do nothing).
    """
    out = copy.deepcopy(defaults)
    for key, value in (overrides or {}).items():
        if key not in out:
            raise InputError(f"unknown config key {key!r}; known: {', '.join(sorted(out))}")
        if isinstance(out[key], dict) and isinstance(value, dict):
            for k2, v2 in value.items():
                if isinstance(out[key].get(k2), dict) and isinstance(v2, dict):
                    out[key][k2] = {**out[key][k2], **v2}
                else:
                    out[key][k2] = copy.deepcopy(v2)
        else:
            out[key] = copy.deepcopy(value)
    return out
