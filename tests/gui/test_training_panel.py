"""Training from the studio: the same ml.api.train call, live loss curves, cancel, resume."""

from __future__ import annotations

import time

from porestudio.ml import _checkpoint

TINY_CNN = {"arch": {"channels": [4, 8, 8, 8]}}


def _wait(qtbot, condition, timeout_s=120.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        qtbot.wait(20)


def _open(window, qtbot, data, tmp_path):
    window.open_dataset(data)
    _wait(qtbot, lambda: window.studio.table is not None)
    panel = window.panels.training
    panel.kind_box.setCurrentText("cnn")
    panel.config_overrides = TINY_CNN
    panel.out_edit.setText(str(tmp_path / "cnn"))
    return panel


def test_train_a_cnn_with_live_curves_and_use_it(
    window, qtbot, labelled_squares, tmp_path, wait_idle
):
    panel = _open(window, qtbot, labelled_squares, tmp_path)
    panel.epochs_spin.setValue(2)
    with qtbot.waitSignal(panel.model_trained, timeout=120_000) as got:
        panel.train()
    assert got.args == [str(tmp_path / "cnn")]
    assert [e["epoch"] for e in panel.history] == [1, 2]
    curves = {item.name() for item in panel.plot.listDataItems()}
    assert any(name.startswith("train_") for name in curves)
    _wait(qtbot, lambda: window.studio.surrogate is not None)  # offered to the studio
    assert window.studio.surrogate.kind == "cnn"
    wait_idle(window.jobs)


def test_cancel_keeps_the_checkpoint_and_train_resumes(window, qtbot, labelled_squares, tmp_path):
    panel = _open(window, qtbot, labelled_squares, tmp_path)
    panel.epochs_spin.setValue(8)
    panel.train()
    _wait(qtbot, lambda: len(panel.history) >= 1)
    panel.cancel_button.click()
    _wait(qtbot, lambda: not panel.task.is_busy())
    assert panel.task.last_status == "cancelled"
    assert "checkpoint is kept" in panel.status.text()
    assert _checkpoint.path_in(tmp_path / "cnn").exists()
    done = _checkpoint.load(tmp_path / "cnn")["state"]["epoch"]
    assert 1 <= done < 8
    with qtbot.waitSignal(panel.model_trained, timeout=60_000):
        panel.train()  # the same settings: resumes, only the epochs left run
    assert [e["epoch"] for e in panel.history] == list(range(done + 1, 9))


def test_closing_the_window_stops_training_cleanly(window, qtbot, labelled_squares, tmp_path):
    panel = _open(window, qtbot, labelled_squares, tmp_path)
    panel.epochs_spin.setValue(50)
    panel.train()
    _wait(qtbot, lambda: len(panel.history) >= 1)
    window.close()  # cancels the job; the worker stops at the next epoch
    assert window.jobs.wait(60_000)
    assert _checkpoint.path_in(tmp_path / "cnn").exists()
