"""Start the studio: ``porestudio`` (no command) calls :func:`run_studio`."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from porestudio.gui.settings import APPLICATION, ORGANISATION, Settings

log = logging.getLogger(__name__)

SCREENSHOT_TIMEOUT_S = 120.0
"""``--screenshot`` gives up (exit status 1) if nothing rendered within this time."""


def application() -> QtWidgets.QApplication:
    """The QApplication (created once, with porestudio's names)."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setOrganizationName(ORGANISATION)
        app.setApplicationName(APPLICATION)
    return app  # type: ignore[return-value]


def default_dataset() -> Path | None:
    """The embedded default dataset, or None when it is not installed."""
    from porestudio.resources import DEFAULT_DATASET, resource_path

    path = resource_path(DEFAULT_DATASET, must_exist=False)
    return path if path.exists() else None


def warm_imports(device: str) -> None:
    """Import the heavy solver modules on the GUI thread, once, before any worker needs them.

    An import inside a worker would hold the GIL for a second (torch) and freeze the GUI at
    an unexpected moment; here it happens at start-up, after the first structure is shown.
    """
    started = time.perf_counter()
    try:
        import numba  # noqa: F401

        if device != "cpu":
            from porestudio.physics.device import cuda_available

            cuda_available()  # imports torch, caches the answer
    except Exception:  # the studio works without them; the solver reports the problem
        log.warning("could not import the solver modules", exc_info=True)
    log.info("solver modules imported in %.2f s", time.perf_counter() - started)


def create_window(dataset: str | None = None, settings: Settings | None = None):
    """Create and show the main window and start opening ``dataset`` (or the default).

    ``dataset`` is named as on the command line: ``FILE.h5`` or ``FILE.h5:INDEX``.
    """
    from porestudio.gui.main_window import MainWindow
    from porestudio.structures.naming import parse_sample_ref

    window = MainWindow(settings=settings)
    window.show()
    ref = parse_sample_ref(dataset, must_exist=False) if dataset else None
    path = ref.path if ref else default_dataset()
    if path is not None:
        window.open_dataset(path, select=(ref.index or 0) if ref else 0)
    else:
        window.statusBar().showMessage(
            "No dataset yet: File ▸ Open dataset…, Import CT… or Generate…", 0
        )
    return window


def run_studio(
    dataset: str | None = None, screenshot: str | None = None, overwrite: bool = False
) -> int:
    """Open the studio; returns the exit status.

    Parameters
    ----------
    dataset : str, optional
        HDF5 dataset to open (default: the embedded default dataset, if installed).
    screenshot : str, optional
        Render the window to this PNG once the first structure is shown, then exit.
    overwrite : bool
        Replace an existing ``screenshot`` file (default: refuse it).
    """
    started = time.perf_counter()
    app = application()
    settings = Settings()
    window = create_window(dataset, settings)
    if screenshot:
        return _screenshot_run(app, window, screenshot, started, overwrite)
    window.viewers.a.rendered.connect(lambda *_: _first_render(window, started))
    return app.exec()


def _first_render(window, started: float, warm: bool = True) -> None:
    if getattr(window, "_first_shown", False):
        return
    window._first_shown = True
    log.info("first structure on screen %.2f s after start", time.perf_counter() - started)
    if warm:
        QtCore.QTimer.singleShot(50, lambda: warm_imports(window.settings.device))


def _screenshot_run(
    app: QtWidgets.QApplication, window, path: str, started: float, overwrite: bool = False
) -> int:
    """Wait for the first render (or an empty start / a failed open), save, quit."""
    run = _ScreenshotRun(app, window, path, started)
    run.overwrite = overwrite
    app.exec()
    return 1 if run.code is None else int(run.code)


class _ScreenshotRun:
    """State of ``--screenshot``: shoot once the first structure and its morphology show."""

    def __init__(self, app, window, path: str, started: float) -> None:
        from porestudio.gui.feedback import reporter

        self.app, self.window, self.path, self.started = app, window, path, started
        self.code: int | None = None
        self.error = False
        self.overwrite = False
        reporter().show_dialogs = False
        reporter().reported.connect(self.failed)
        window.viewers.a.rendered.connect(lambda *_: self.when_idle())
        window.browser.open_failed.connect(lambda *_: QtCore.QTimer.singleShot(300, self.shoot))
        if window.browser.table is None and not window.jobs.busy("dataset"):
            QtCore.QTimer.singleShot(1000, self.shoot)  # nothing to load: the empty studio
        timeout_ms = int(SCREENSHOT_TIMEOUT_S * 1000)
        QtCore.QTimer.singleShot(timeout_ms, lambda: self.shoot(timed_out=True))

    def failed(self, message: str) -> None:
        print(f"porestudio: error: {message}", file=sys.stderr)
        self.error = True

    def when_idle(self, settled: bool = False) -> None:
        _first_render(self.window, self.started, warm=False)
        if self.window.jobs.busy():
            QtCore.QTimer.singleShot(100, self.when_idle)
        elif not settled:
            QtCore.QTimer.singleShot(200, lambda: self.when_idle(True))
        else:
            self.shoot()

    def shoot(self, timed_out: bool = False) -> None:
        from porestudio.gui.main_window import grab_window

        if self.code is not None:
            return
        try:
            grab_window(self.window, self.path, overwrite=self.overwrite)
            viewer = self.window.viewers.a
            corner = viewer.mapTo(self.window, QtCore.QPoint(0, 0))
            log.info(
                "viewer A region x=%d y=%d w=%d h=%d",
                corner.x(),
                corner.y(),
                viewer.width(),
                viewer.height(),
            )
            print(f"porestudio: wrote {self.path}", file=sys.stderr)
            self.code = 2 if self.error else (1 if timed_out else 0)
        except Exception as exc:
            print(f"porestudio: error: {exc}", file=sys.stderr)
            self.code = 2
        self.window.close()
        self.app.quit()
