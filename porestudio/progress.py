"""Progress reporting and cancellation for long library calls.

Long functions take ``progress: ProgressFn | None``. They call it as
``progress(done, total)``; a caller cancels the job by raising
:class:`porestudio.errors.Cancelled` from inside the callback. The CLI passes a tqdm bar,
the studio's workers pass a callback that emits a Qt signal and checks a cancel flag.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[int, int], None]


def report(progress: ProgressFn | None, done: int, total: int) -> None:
    """Call ``progress(done, total)`` if a callback was given (it may raise Cancelled)."""
    if progress is not None:
        progress(done, total)


def scaled(progress: ProgressFn | None, start: int, span: int, total: int) -> ProgressFn | None:
    """Map a sub-task's ``(done, sub_total)`` onto ``[start, start+span]`` of ``total``.

    Useful when one job runs several sub-jobs (e.g. three flow directions of a tensor).
    """
    if progress is None:
        return None

    def _sub(done: int, sub_total: int) -> None:
        frac = done / sub_total if sub_total else 1.0
        progress(start + int(round(frac * span)), total)

    return _sub
