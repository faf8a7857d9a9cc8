"""The one place where the studio tells the user that something went wrong.

Every error — from a worker, a dialog or a menu action — goes through :func:`report_error`.
A :class:`~porestudio.errors.PorestudioError` shows its one-line message; anything else a
short message (the traceback goes to the log). Dialogs are non-blocking (``open()``, not
``exec()``), and :func:`reporter` emits ``reported(message)`` and keeps a history, so tests
can assert on errors without clicking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from porestudio.errors import Cancelled, PorestudioError

log = logging.getLogger(__name__)


def error_message(exc: BaseException | str) -> str:
    """One-line, user-facing text for an exception (or a message string).

    Parameters
    ----------
    exc : BaseException or str
        What went wrong.

    Returns
    -------
    str
        The message shown to the user.
    """
    if isinstance(exc, str):
        return exc
    if isinstance(exc, Cancelled):
        return "cancelled"
    if isinstance(exc, PorestudioError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, MemoryError):
        return "out of memory; try a smaller volume or sub-volumes"
    text = (str(exc).splitlines() or [""])[0][:200]
    return f"unexpected error ({type(exc).__name__}): {text} — details in the log"


class ErrorReporter(QtCore.QObject):
    """Shows errors in a message box and remembers them.

    Attributes
    ----------
    history : list of str
        Every message reported in this process (newest last).
    show_dialogs : bool
        Set False (tests, screenshots) to only log and emit.
    """

    reported = QtCore.Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.history: list[str] = []
        self.show_dialogs = True

    def report(self, exc: BaseException | str, parent: QtWidgets.QWidget | None = None) -> str:
        """Report one error; returns the message shown."""
        message = error_message(exc)
        if isinstance(exc, BaseException) and not isinstance(exc, PorestudioError):
            log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
        else:
            log.warning("%s", message)
        self.history.append(message)
        if self.show_dialogs and QtWidgets.QApplication.instance() is not None:
            box = QtWidgets.QMessageBox(
                QtWidgets.QMessageBox.Icon.Warning, "porestudio", message, parent=parent
            )
            box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
            box.setObjectName("porestudio-error")
            box.open()
        self.reported.emit(message)
        return message


_REPORTER: ErrorReporter | None = None


def reporter() -> ErrorReporter:
    """The process-wide :class:`ErrorReporter` (created on first use)."""
    global _REPORTER
    if _REPORTER is None:
        _REPORTER = ErrorReporter()
    return _REPORTER


def report_error(exc: BaseException | str, parent: QtWidgets.QWidget | None = None) -> str:
    """Report an error to the user (message box + log); returns the message."""
    return reporter().report(exc, parent)


def ask_replace(
    path: str | Path, proceed: Callable[[bool], None], parent: QtWidgets.QWidget | None = None
) -> QtWidgets.QMessageBox | None:
    """Ask before replacing an existing file; call ``proceed(overwrite)`` if the user agrees.

    Parameters
    ----------
    path : path
        The file about to be written.
    proceed : callable
        Called with False at once when ``path`` does not exist, with True after the user
        answered "Replace"; not called when they keep the file.
    parent : QWidget, optional
        The dialog asking.

    Returns
    -------
    QMessageBox or None
        The (non-blocking, window-modal) question, object name ``porestudio-replace``; None
        when nothing had to be asked.
    """
    target = Path(path).expanduser()
    if not target.exists():
        proceed(False)
        return None
    box = QtWidgets.QMessageBox(
        QtWidgets.QMessageBox.Icon.Question,
        "Replace file?",
        f"{target.name} already exists in {target.parent}.\nReplace it? Its contents will be lost.",
        QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
        parent,
    )
    replace = box.button(QtWidgets.QMessageBox.StandardButton.Yes)
    replace.setText("Replace")
    box.button(QtWidgets.QMessageBox.StandardButton.No).setText("Keep the file")
    box.setDefaultButton(QtWidgets.QMessageBox.StandardButton.No)
    box.setObjectName("porestudio-replace")
    box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(_result: int) -> None:
        if box.clickedButton() is replace:
            proceed(True)
        else:
            log.info("kept %s (not replaced)", target)

    box.finished.connect(answered)
    box.open()
    return box
