"""Load native libraries that must come before the first 3D render (one place, one reason).

Triton's ``libtriton`` carries its own LLVM; Mesa's software OpenGL (llvmpipe), which VTK
loads at its first render, carries another. Loaded in that order — VTK first, then any
``torch.optim`` optimiser (the design's Adam imports ``torch._dynamo``, which imports
Triton) — the process dies with a segmentation fault. Loaded Triton first, both work. So the
main window loads ``libtriton`` (0.3 s) before it builds its viewers, when Triton is
installed; without Triton there is nothing to do.

torch itself is imported here too (:func:`import_torch`), on the GUI thread, before the first
model load: imported for the first time inside a worker it would hold the GIL for a second or
more and freeze the window mid-interaction. The studio does it after the first structure is
on screen (3 s on a busy 2-core machine that the first paint need not wait for).

numpy's BLAS runs on one thread in the studio (:func:`one_blas_thread`): its matrices are
small (a PCA of 2,500 x 250 latent codes), and OpenBLAS's spinning threads, competing with the
GUI thread, the workers and torch on a busy 2-core machine, turn that PCA from 0.07 s into 8 s.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import time

log = logging.getLogger(__name__)


@functools.cache
def one_blas_thread() -> bool:
    """Limit numpy's BLAS (OpenBLAS) to one thread in this process; False without
    threadpoolctl (then BLAS keeps its default)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log.warning("threadpoolctl is missing: numpy's BLAS keeps all its threads")
        return False
    threadpool_limits(limits=1, user_api="blas")
    return True


@functools.cache
def import_torch() -> None:
    """Import torch on the calling (GUI) thread, once (see the module docstring)."""
    started = time.perf_counter()
    import torch  # noqa: F401  (the GUI thread, not a worker: see the module docstring)

    log.debug("torch imported in %.2f s", time.perf_counter() - started)


@functools.cache
def preload_before_rendering() -> bool:
    """Load Triton's native library if Triton is installed (it does not import torch);
    True if Triton was loaded."""
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
