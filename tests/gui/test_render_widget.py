"""The render widget lets go of Qt's GL objects when its window closes."""

from __future__ import annotations

import shiboken6


def test_a_closed_window_keeps_no_wrapper_of_a_gl_surface(qtbot, window, grf_dataset, wait_idle):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        window.open_dataset(grf_dataset)
    plotter = window.viewers.a.plotter
    surface = getattr(plotter, "_surface", None)
    if surface is not None:  # pyvistaqt >= 0.13 holds the context's surface while open
        assert shiboken6.isValid(surface)
    wait_idle(window.jobs)
    window.close()
    for viewer in (window.viewers.a, window.viewers.b):
        # Qt deletes these with the widget; a wrapper kept past that points at freed memory
        # that shiboken hands out again for the next object allocated at the same address.
        assert getattr(viewer.plotter, "_surface", None) is None
        assert getattr(viewer.plotter, "_ctx", None) is None
