"""The one way panels run a job: Task binds a channel to its buttons, bar and status."""

from __future__ import annotations

import threading

import pytest
from PySide6 import QtWidgets

from porestudio.errors import InputError
from porestudio.gui.jobs import JobManager
from porestudio.gui.task import Task


def _counting(n: int, gate: threading.Event | None = None, progress=None) -> int:
    for i in range(n):
        if gate is not None:
            gate.wait(5)
        progress(i + 1, n)
    return n * 10


def _failing(progress=None) -> None:
    raise InputError("bad input for this job")


@pytest.fixture
def panel(qtbot):
    widget = QtWidgets.QWidget()
    qtbot.addWidget(widget)
    run, cancel = QtWidgets.QPushButton("Run"), QtWidgets.QPushButton("Cancel")
    bar, label, other = QtWidgets.QProgressBar(), QtWidgets.QLabel(), QtWidgets.QLineEdit()
    jobs = JobManager(widget)
    task = Task(jobs, "t", run=run, cancel=cancel, progress=bar, status=label, busy=(other,),
                description="counting", parent=widget)  # fmt: skip
    yield task, run, cancel, bar, label, other
    jobs.shutdown()


def test_result_reaches_the_gui_and_controls_are_restored(panel, qtbot, wait_idle):
    task, run, cancel, bar, label, other = panel
    assert not cancel.isEnabled()
    got, statuses = [], []
    task.finished.connect(statuses.append)
    gate = threading.Event()
    task.start(_counting, 3, gate, on_result=got.append)
    assert not run.isEnabled() and not other.isEnabled() and cancel.isEnabled()
    assert label.text() == "counting…" and bar.maximum() == 0  # busy indicator
    gate.set()
    wait_idle(task.jobs)
    assert got == [30] and statuses == ["done"] and task.last_status == "done"
    assert run.isEnabled() and other.isEnabled() and not cancel.isEnabled()
    assert bar.value() == bar.maximum() == 1


def test_cancel_button_stops_the_job(panel, qtbot, wait_idle):
    task, run, cancel, bar, label, _ = panel
    gate, got = threading.Event(), []
    task.start(_counting, 50, gate, on_result=got.append)
    cancel.click()
    gate.set()
    wait_idle(task.jobs)
    assert got == [] and task.last_status == "cancelled" and label.text() == "cancelled"
    assert run.isEnabled() and not cancel.isEnabled()


def test_errors_go_to_one_place(panel, errors, wait_idle):
    task, run, *_, label, _ = panel
    task.start(_failing)
    wait_idle(task.jobs)
    assert errors.messages == ["bad input for this job"]
    assert label.text() == "failed" and run.isEnabled()


def test_a_newer_request_wins(panel, wait_idle):
    task = panel[0]
    gate, got = threading.Event(), []
    task.start(_counting, 2, gate, on_result=got.append)
    task.start(_counting, 1, on_result=got.append)
    gate.set()
    wait_idle(task.jobs)
    assert got == [10]


def test_invalidate_resets_the_controls(panel, wait_idle):
    task, run, cancel, *_ = panel
    gate, got = threading.Event(), []
    task.start(_counting, 2, gate, on_result=got.append)
    task.invalidate()
    assert run.isEnabled() and not cancel.isEnabled()
    gate.set()
    wait_idle(task.jobs)
    assert got == []
