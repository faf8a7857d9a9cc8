"""Background jobs: results on the GUI thread, latest wins, progress, cancel, errors."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6 import QtCore

from porestudio.errors import Cancelled, InputError
from porestudio.gui.feedback import error_message
from porestudio.gui.jobs import JobManager


@pytest.fixture
def jobs(qapp):
    manager = JobManager()
    yield manager
    manager.shutdown(2000)


def _slow_echo(value, delay, started=None):
    if started is not None:
        started.set()
    time.sleep(delay)
    return value


def test_result_arrives_on_the_gui_thread(qtbot, jobs, wait_idle):
    got = []
    jobs.submit(
        "c", _slow_echo, 42, 0.0, on_result=lambda r: got.append((r, threading.current_thread()))
    )
    wait_idle(jobs)
    assert got == [(42, threading.main_thread())]


def test_latest_request_wins_and_stale_results_are_dropped(qtbot, jobs, wait_idle):
    got, ended = [], []
    jobs.ended.connect(lambda channel, status: ended.append(status))
    jobs.submit("view", _slow_echo, "old", 0.3, on_result=got.append)
    jobs.submit("view", _slow_echo, "new", 0.0, on_result=got.append)
    wait_idle(jobs)
    assert got == ["new"]
    assert sorted(ended) == ["done", "stale"]


def test_other_channels_are_independent(qtbot, jobs, wait_idle):
    got = []
    jobs.submit("a", _slow_echo, 1, 0.05, on_result=got.append)
    jobs.submit("b", _slow_echo, 2, 0.0, on_result=got.append)
    wait_idle(jobs)
    assert sorted(got) == [1, 2]


def _counting(n, progress=None):
    for i in range(n):
        time.sleep(0.01)
        progress(i + 1, n)
    return n


def test_progress_reaches_the_gui_and_cancel_stops_the_call(qtbot, jobs, wait_idle):
    seen, errors, results = [], [], []
    job = jobs.submit(
        "long",
        _counting,
        10_000,
        progress=True,
        on_progress=lambda d, t: seen.append((d, t)),
        on_error=errors.append,
        on_result=results.append,
    )
    qtbot.waitUntil(lambda: len(seen) > 0, timeout=5000)
    job.cancel()
    wait_idle(jobs)
    assert results == []
    assert len(errors) == 1 and isinstance(errors[0], Cancelled)
    assert seen[-1][1] == 10_000 and seen[-1][0] < 10_000


def test_full_progress_is_reported(qtbot, jobs, wait_idle):
    seen = []
    jobs.submit("p", _counting, 5, progress=True, on_progress=lambda d, t: seen.append(d))
    wait_idle(jobs)
    assert seen[-1] == 5  # the last report is never throttled away


def _fail(exc):
    raise exc


def test_errors_go_to_the_central_reporter(qtbot, jobs, wait_idle, errors):
    jobs.submit("e", _fail, InputError("the voxel size must be positive"))
    wait_idle(jobs)
    jobs.submit("f", _fail, ZeroDivisionError("division by zero\nsecond line"))
    wait_idle(jobs)
    assert errors.messages[0] == "the voxel size must be positive"
    assert errors.messages[1].startswith("unexpected error (ZeroDivisionError): division by zero")
    assert "second line" not in errors.messages[1]


def test_invalidate_drops_results_silently(qtbot, jobs, wait_idle, errors):
    got = []
    jobs.submit("x", _counting, 30, progress=True, on_result=got.append, on_error=got.append)
    jobs.invalidate("x")
    wait_idle(jobs)
    assert got == [] and errors.messages == []


def test_shutdown_cancels_running_jobs(qtbot, jobs, wait_idle):
    started = threading.Event()
    jobs.submit("slow", _counting, 100_000, progress=True)
    jobs.submit("sleep", _slow_echo, 1, 0.2, started)
    assert started.wait(5)
    t0 = time.monotonic()
    assert jobs.shutdown(5000)
    assert time.monotonic() - t0 < 5
    QtCore.QCoreApplication.processEvents()


def test_error_message_texts():
    assert error_message(InputError("bad\nmore")) == "bad"
    assert error_message(Cancelled("x")) == "cancelled"
    assert "out of memory" in error_message(MemoryError())
    assert error_message("plain text") == "plain text"
