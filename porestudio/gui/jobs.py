"""Background work for the studio: every slow call runs off the GUI thread.

Pattern (used by every panel, and by the model panels to come):

1. snapshot the inputs on the GUI thread (plain values, numpy arrays);
2. ``jobs.submit(channel, fn, *args, on_result=...)`` runs the *pure* library call
   ``fn(*args, **kwargs)`` on a :class:`QThreadPool` worker;
3. the result arrives on the GUI thread through a queued signal and ``on_result`` is
   called **only if the job is still the latest of its channel** (a per-channel
   generation counter: a request made stale by a newer one is dropped).

Progress and cancel: with ``progress=True`` the call gets a ``progress(done, total)``
keyword argument (:data:`porestudio.progress.ProgressFn`) that forwards progress to the GUI
(throttled) and raises :class:`~porestudio.errors.Cancelled` once the job is cancelled.
Errors go to ``on_error`` or, by default, to :func:`porestudio.gui.feedback.report_error`.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

from porestudio.errors import Cancelled
from porestudio.gui.feedback import error_message, report_error

log = logging.getLogger(__name__)

_PROGRESS_INTERVAL_S = 0.03


class _Signals(QtCore.QObject):
    """Carrier of a worker's signals (created on the GUI thread, emitted from the worker)."""

    progress = QtCore.Signal(int, int, int)  # job id, done, total
    finished = QtCore.Signal(int, object)  # job id, result
    failed = QtCore.Signal(int, object)  # job id, exception


@dataclasses.dataclass(eq=False)
class Job:
    """One submitted call; ``cancel()`` asks it to stop at its next progress report."""

    id: int
    channel: str
    generation: int
    description: str
    fn: Callable[..., Any]
    args: tuple
    kwargs: dict
    wants_progress: bool
    on_result: Callable[[Any], None] | None
    on_progress: Callable[[int, int], None] | None
    on_error: Callable[[BaseException], None] | None
    signals: _Signals
    cancel_event: threading.Event = dataclasses.field(default_factory=threading.Event)
    started: float = dataclasses.field(default_factory=time.perf_counter)
    _last_emit: float = 0.0

    def cancel(self) -> None:
        """Request cancellation (takes effect at the job's next progress call)."""
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        """Whether cancellation was requested."""
        return self.cancel_event.is_set()

    def progress(self, done: int, total: int) -> None:
        """The :data:`~porestudio.progress.ProgressFn` handed to the library call."""
        if self.cancel_event.is_set():
            raise Cancelled(f"{self.description or self.channel} cancelled")
        now = time.perf_counter()
        if done >= total or now - self._last_emit >= _PROGRESS_INTERVAL_S:
            self._last_emit = now
            self.signals.progress.emit(self.id, int(done), int(total))


class _Runnable(QtCore.QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self.setAutoDelete(True)

    def run(self) -> None:
        job = self.job
        try:
            if job.cancelled:
                raise Cancelled(f"{job.description or job.channel} cancelled")
            kwargs = dict(job.kwargs)
            if job.wants_progress:
                kwargs["progress"] = job.progress
            result = job.fn(*job.args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - every failure is reported on the GUI thread
            _safe_emit(job.signals.failed, job.id, exc)
        else:
            _safe_emit(job.signals.finished, job.id, result)


def _safe_emit(signal: Any, *args: Any) -> None:
    try:
        signal.emit(*args)
    except RuntimeError:  # the receiving side was deleted while the job ran (window closed)
        log.debug("job finished after its receiver was deleted")


class JobManager(QtCore.QObject):
    """Runs jobs on a thread pool, one generation counter per channel.

    Signals
    -------
    started(channel, description), progress(channel, done, total),
    ended(channel, status) with status in {"done", "failed", "cancelled", "stale"}.
    """

    started = QtCore.Signal(str, str)
    progress = QtCore.Signal(str, int, int)
    ended = QtCore.Signal(str, str)

    def __init__(self, parent: QtCore.QObject | None = None, max_threads: int | None = None):
        super().__init__(parent)
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads or max(4, os.cpu_count() or 4))
        self._generation: dict[str, int] = {}
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._closed = False

    def submit(
        self,
        channel: str,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[[Any], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        progress: bool = False,
        description: str = "",
        **kwargs: Any,
    ) -> Job:
        """Run ``fn(*args, **kwargs)`` in a worker; newer jobs on ``channel`` win.

        Parameters
        ----------
        channel : str
            Name of the request stream (e.g. ``"view:A"``, ``"permeability"``). Submitting
            cancels the channel's running job and makes its result stale.
        fn : callable
            A pure function (no Qt); its return value goes to ``on_result``.
        on_result, on_progress, on_error : callable, optional
            Called on the GUI thread. Without ``on_error`` errors go to ``report_error``.
        progress : bool
            Pass ``progress=`` (a ProgressFn that raises Cancelled) to ``fn``.
        description : str
            Shown in the status bar.
        """
        generation = self._generation.get(channel, 0) + 1
        self._generation[channel] = generation
        for old in self._jobs.values():
            if old.channel == channel:
                old.cancel()
        signals = _Signals()
        job = Job(
            next(self._ids),
            channel,
            generation,
            description,
            fn,
            args,
            kwargs,
            progress,
            on_result,
            on_progress,
            on_error,
            signals,
        )
        signals.progress.connect(self._on_progress, QtCore.Qt.ConnectionType.QueuedConnection)
        signals.finished.connect(self._on_finished, QtCore.Qt.ConnectionType.QueuedConnection)
        signals.failed.connect(self._on_failed, QtCore.Qt.ConnectionType.QueuedConnection)
        self._jobs[job.id] = job
        if self._closed:
            job.cancel()
        self.started.emit(channel, description)
        self.pool.start(_Runnable(job))
        return job

    def is_latest(self, job: Job) -> bool:
        """Whether ``job`` is the newest of its channel and not cancelled."""
        return not job.cancelled and self._generation.get(job.channel) == job.generation

    def busy(self, channel: str | None = None) -> bool:
        """Whether a job (of ``channel``, or any) is still running."""
        return any(channel is None or j.channel == channel for j in self._jobs.values())

    def cancel(self, channel: str) -> None:
        """Cancel the running job(s) of a channel (their ``on_error`` gets Cancelled)."""
        for job in self._jobs.values():
            if job.channel == channel:
                job.cancel()

    def invalidate(self, channel: str) -> None:
        """Cancel a channel's jobs silently: their results and errors are dropped."""
        self._generation[channel] = self._generation.get(channel, 0) + 1
        self.cancel(channel)

    def cancel_all(self) -> None:
        """Cancel every running job."""
        for channel in {j.channel for j in self._jobs.values()}:
            self.cancel(channel)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel everything, drop late results, wait for the workers (window closing).

        Returns
        -------
        bool
            True if every worker finished within ``timeout_ms``.
        """
        self._closed = True
        self.cancel_all()
        done = self.pool.waitForDone(timeout_ms)
        if not done:
            log.warning("some background jobs were still running at exit")
        return done

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the pool is idle (tests and scripts only)."""
        return self.pool.waitForDone(timeout_ms)

    @QtCore.Slot(int, int, int)
    def _on_progress(self, job_id: int, done: int, total: int) -> None:
        job = self._jobs.get(job_id)
        if job is None or not self.is_latest(job):
            return
        if job.on_progress is not None:
            job.on_progress(done, total)
        self.progress.emit(job.channel, done, total)

    @QtCore.Slot(int, object)
    def _on_finished(self, job_id: int, result: Any) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None or self._closed:
            return
        if job.cancelled:  # finished before it noticed the cancel: drop it all the same
            self._on_failed_job(job, Cancelled(f"{job.description or job.channel} cancelled"))
            return
        if not self.is_latest(job):
            self.ended.emit(job.channel, "stale")
            return
        self.ended.emit(job.channel, "done")
        if job.on_result is not None:
            try:
                job.on_result(result)
            except Exception as exc:  # a bug in a result handler must not kill the studio
                report_error(exc)

    @QtCore.Slot(int, object)
    def _on_failed(self, job_id: int, exc: BaseException) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None or self._closed:
            return
        self._on_failed_job(job, exc)

    def _on_failed_job(self, job: Job, exc: BaseException) -> None:
        if self._generation.get(job.channel) != job.generation:
            self.ended.emit(job.channel, "stale")  # superseded by a newer request: silent
            return
        if job.cancelled or isinstance(exc, Cancelled):
            self.ended.emit(job.channel, "cancelled")
            if job.on_error is not None:
                job.on_error(exc if isinstance(exc, Cancelled) else Cancelled("cancelled"))
            return
        self.ended.emit(job.channel, "failed")
        log.debug("job %s failed: %s", job.channel, error_message(exc))
        if job.on_error is not None:
            job.on_error(exc)
        else:
            report_error(exc)
