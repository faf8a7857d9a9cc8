"""Load native libraries that must come before the first 3D render (one place, one reason).

Triton's ``libtriton`` carries its own LLVM; Mesa's software OpenGL (llvmpipe), which VTK
loads at its first render, carries another. Loaded in that order — VTK first, then any
``torch.optim`` optimiser (the design's Adam imports ``torch._dynamo``, which imports
Triton) — the process dies with a segmentation fault. Loaded Triton first, both work. So the
main window loads ``libtriton`` (0.3 s) before it builds its viewers, when Triton is
installed; without Triton there is nothing to do.

torch itself is imported here too, on the GUI thread at start-up: imported for the first time
inside a worker (the first model load) it would hold the GIL for a second or more and freeze
the window mid-interaction.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import time

log = logging.getLogger(__name__)


@functools.cache
def preload_before_rendering() -> bool:
    """Import torch, then load Triton's native library if Triton is installed; True if
    Triton was loaded."""
    import torch  # noqa: F401  (start-up, not a worker: see the module docstring)

    try:
        if importlib.util.find_spec("triton") is None:
            return False
    except (ImportError, ValueError):
        return False
    started = time.perf_counter()
    try:
        import triton._C.libtriton  # noqa: F401
    except Exception:  # a broken Triton: the CPU studio does not need it
        log.warning("could not load triton's native library", exc_info=True)
        return False
    log.debug("libtriton loaded before rendering in %.2f s", time.perf_counter() - started)
    return True
