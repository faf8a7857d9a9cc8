"""The main window and the Qt-free studio model stay in step (one source of truth)."""

from __future__ import annotations


def _open(window, qtbot, path, wait_idle):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        window.open_dataset(path)
    wait_idle(window.jobs)


def test_browser_selection_and_viewers_reach_the_model(window, qtbot, grf_dataset, wait_idle):
    studio = window.studio
    picks = []
    studio.events.selection.connect(lambda e: picks.append(e.value))
    _open(window, qtbot, grf_dataset, wait_idle)
    assert studio.table is window.table and studio.selection == (0,)
    assert studio.shown["A"] is window.viewers.a.structure
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        window.browser.select_sample(3)
    assert studio.selection == (3,) and picks[-2:] == [(0,), (3,)]
    assert studio.shown["A"].provenance["index"] == 3


def test_a_pick_in_the_model_selects_and_shows_the_sample(window, qtbot, grf_dataset, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        window.studio.pick(2)  # what the latent map or a script does
    assert window.browser.selected_sample() == 2
    assert window.viewers.a.structure.provenance["index"] == 2
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=30_000):
        window.studio.pick(4, add=True)  # the second pick is shown too; both stay picked
    assert window.studio.selection == (2, 4)
    assert window.viewers.a.structure.provenance["index"] == 4


def test_device_and_unit_choices_reach_the_model(window, grf_dataset, qtbot, wait_idle):
    _open(window, qtbot, grf_dataset, wait_idle)
    window.actions_._set_device("cpu", True)
    assert window.studio.device == "cpu"
    window.properties.unit_changed.emit("mD")
    assert window.studio.unit == "mD"
