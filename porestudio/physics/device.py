"""Compute-device selection: the one place where porestudio decides between CPU and CUDA.

Every caller that takes a ``device`` argument passes it through :func:`resolve_device`.
The environment variable ``PORESTUDIO_DEVICE`` (``cpu``, ``cuda`` or ``auto``) overrides
the argument, so a whole run can be pinned to the CPU (or forced onto the GPU) without
touching code. torch is imported lazily, only when CUDA availability must be known.
"""

from __future__ import annotations

import functools
import logging
import os

from porestudio.errors import InputError

log = logging.getLogger(__name__)

ENV_VAR = "PORESTUDIO_DEVICE"
"""Name of the environment variable that overrides every ``device`` argument."""

_CHOICES = ("auto", "cpu", "cuda")


@functools.cache
def cuda_available() -> bool:
    """Whether a CUDA device is usable through torch (False when torch is missing).

    Returns
    -------
    bool
        ``torch.cuda.is_available()``; cached for the life of the process.
    """
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return False
    try:
        return bool(torch.cuda.is_available())
    except Exception:  # pragma: no cover - broken driver installs raise odd errors
        log.warning("torch.cuda.is_available() failed; using the CPU", exc_info=True)
        return False


def triton_available() -> bool:
    """Whether :mod:`triton` can be imported (needed by the fused CUDA kernel)."""
    try:
        import triton  # noqa: F401
    except Exception:
        return False
    return True


def resolve_device(name: str = "auto") -> str:
    """Turn a device request into ``"cpu"`` or ``"cuda"``.

    Parameters
    ----------
    name : {"auto", "cpu", "cuda"}
        Requested device. ``"auto"`` gives ``"cuda"`` when torch sees a CUDA device,
        else ``"cpu"``. ``"cuda:0"``-style names are accepted and mean ``"cuda"``.
        The environment variable ``PORESTUDIO_DEVICE``, when set and non-empty,
        replaces ``name``.

    Returns
    -------
    str
        ``"cpu"`` or ``"cuda"``.

    Raises
    ------
    InputError
        Unknown device name, or ``"cuda"`` requested on a machine without CUDA.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    source = f"{ENV_VAR}={env!r}" if env else f"device={name!r}"
    request = (env or str(name)).strip().lower()
    if request.startswith("cuda:"):
        request = "cuda"
    if request not in _CHOICES:
        raise InputError(f"unknown device {source}: choose one of auto, cpu, cuda")
    if request == "cpu":
        return "cpu"
    if request == "cuda":
        if not cuda_available():
            raise InputError(f"CUDA requested but not available ({source})")
        return "cuda"
    return "cuda" if cuda_available() else "cpu"
