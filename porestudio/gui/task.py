"""One way for a panel to run a job: :class:`Task` (in the spirit of napari's ``thread_worker``).

A panel makes one :class:`Task` per kind of job and binds its controls to it once::

    self.task = Task(jobs, "permeability", run=self.compute_button,
                     cancel=self.cancel_button, progress=self.progress_bar,
                     status=self.info_label, parent=self)
    ...
    self.task.start(compute_permeability, snapshot, on_result=self._show)

``start`` snapshots nothing itself: pass plain values (the snapshot) as arguments. The call
runs in a worker of the shared :class:`~porestudio.gui.jobs.JobManager`; its ``progress``
keyword reports to the bar and raises :class:`~porestudio.errors.Cancelled` after
``cancel()``; ``on_result`` runs on the GUI thread only if this is still the latest request
of the channel. While it runs the ``run`` button and ``busy`` widgets are disabled and
``cancel`` enabled; afterwards they are restored and the status label says ``done``,
``cancelled`` or ``failed``. Errors go to one place, :func:`~porestudio.gui.feedback.report_error`
(a dialog), unless ``on_error`` takes them. :attr:`Task.finished` says how it ended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6 import QtCore, QtWidgets

from porestudio.errors import Cancelled
from porestudio.gui.feedback import report_error
from porestudio.gui.jobs import Job, JobManager


class Task(QtCore.QObject):
    """A channel of background jobs bound to a panel's controls.

    Parameters
    ----------
    jobs : JobManager
        The studio's shared job runner.
    channel : str
        Request stream; a new ``start`` supersedes (cancels) the running job.
    run : QWidget, optional
        Disabled while a job runs (the button that starts it).
    cancel : QAbstractButton, optional
        Enabled while a job runs; clicking it cancels.
    progress : QProgressBar, optional
        Busy indicator, then ``done / total``; hidden when idle if ``hide_progress``.
    status : QLabel, optional
        Says ``done`` / ``cancelled`` / ``failed`` (or ``done_text``) at the end.
    busy : iterable of QWidget
        Further widgets disabled while a job runs.
    description : str
        Shown in the status bar.

    Signals
    -------
    started(), finished(str status) with status in {"done", "cancelled", "failed"}.
    """

    started = QtCore.Signal()
    finished = QtCore.Signal(str)

    def __init__(
        self,
        jobs: JobManager,
        channel: str,
        *,
        run: QtWidgets.QWidget | None = None,
        cancel: QtWidgets.QAbstractButton | None = None,
        progress: QtWidgets.QProgressBar | None = None,
        status: QtWidgets.QLabel | None = None,
        busy: Iterable[QtWidgets.QWidget] = (),
        description: str = "",
        hide_progress: bool = False,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.channel = channel
        self.description = description or channel
        self.run_widget = run
        self.cancel_button = cancel
        self.progress = progress
        self.status = status
        self.busy_widgets = tuple(busy)
        self.hide_progress = hide_progress
        self.job: Job | None = None
        self.last_status: str | None = None
        if cancel is not None:
            cancel.setEnabled(False)
            cancel.clicked.connect(self.cancel)
        if progress is not None:
            progress.setRange(0, 1)
            progress.setValue(0)
            progress.setVisible(not hide_progress)

    def start(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        progress: bool = True,
        **kwargs: Any,
    ) -> Job:
        """Run ``fn(*args, **kwargs)`` in a worker (``progress=`` passed when ``progress``).

        ``on_result(value)`` runs on the GUI thread when it is still the latest request;
        ``on_error(exc)`` replaces the error dialog (it also gets Cancelled).
        """
        self._set_busy(True)
        self.job = self.jobs.submit(
            self.channel,
            fn,
            *args,
            progress=progress,
            on_progress=self._progress,
            on_result=lambda value: self._done(value, on_result),
            on_error=lambda exc: self._failed(exc, on_error),
            description=self.description,
            **kwargs,
        )
        self.started.emit()
        return self.job

    def cancel(self) -> None:
        """Ask the running job to stop (at its next progress report)."""
        self.jobs.cancel(self.channel)

    def invalidate(self) -> None:
        """Drop the running job silently (its inputs changed) and reset the controls."""
        self.jobs.invalidate(self.channel)
        self._set_busy(False)
        if self.progress is not None:
            self.progress.setValue(0)
        if self.status is not None:
            self.status.setText("")

    def is_busy(self) -> bool:
        """Whether a job of this task is running."""
        return self.jobs.busy(self.channel)

    # --- GUI-thread callbacks ---------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        for w in (self.run_widget, *self.busy_widgets):
            if w is not None:
                w.setEnabled(not busy)
        if self.cancel_button is not None:
            self.cancel_button.setEnabled(busy)
        if self.progress is not None:
            if busy:
                self.progress.setRange(0, 0)  # busy until the first report
                self.progress.show()
            else:
                self.progress.setRange(0, 1)
                self.progress.setVisible(not self.hide_progress)
        if busy and self.status is not None:
            self.status.setText(f"{self.description}…")

    def _progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)

    def _end(self, status: str) -> None:
        self._set_busy(False)
        if self.progress is not None:
            self.progress.setValue(1 if status == "done" else 0)
        if self.status is not None:
            self.status.setText("" if status == "done" else status)
        self.last_status = status
        self.finished.emit(status)

    def _done(self, value: Any, on_result: Callable[[Any], None] | None) -> None:
        self._end("done")
        if on_result is not None:
            on_result(value)

    def _failed(self, exc: BaseException, on_error: Callable[[BaseException], None] | None):
        cancelled = isinstance(exc, Cancelled)
        self._end("cancelled" if cancelled else "failed")
        if on_error is not None:
            on_error(exc)
        elif not cancelled:
            report_error(exc, self.parent())
