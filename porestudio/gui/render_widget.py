"""Release of the pyvistaqt render widget (one place for a rule of its lifetime).

pyvistaqt 0.13 keeps Python wrappers of the widget's ``QOpenGLContext`` and of that
context's ``QOffscreenSurface``, objects Qt creates and deletes itself. ``close()`` leaves
them in place, and when the widget later goes with its window the context is deleted
before pyvistaqt can forget them. shiboken then still maps the dead surface's address to
its wrapper and hands that wrapper out for the next Qt object allocated there: the studio
crashed building a pyqtgraph menu whose new ``QMenu`` came back as a ``QOffscreenSurface``.
Forgetting them while the context is still alive closes that gap.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def release_interactor(plotter: Any) -> None:
    """Close a ``pyvistaqt.QtInteractor`` and drop its references to Qt's GL objects.

    Call it while the widget and its window still exist (from a ``closeEvent``).

    Parameters
    ----------
    plotter : pyvistaqt.QtInteractor
        The render widget; closing twice is harmless.
    """
    plotter.close()
    forget = getattr(plotter, "_forget_context", None)  # pyvistaqt >= 0.13
    if callable(forget):
        forget()
        log.debug("render widget closed; its GL context references dropped")
