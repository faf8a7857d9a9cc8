"""What the viewers do to their pyvistaqt render widget: the scale, a PNG, the release.

The release is the one place for a rule of the widget's lifetime. pyvistaqt 0.13 keeps
Python wrappers of the widget's ``QOpenGLContext`` and of that context's
``QOffscreenSurface``, objects Qt creates and deletes itself. ``close()`` leaves them in
place, and when the widget later goes with its window the context is deleted before
pyvistaqt can forget them. shiboken then still maps the dead surface's address to its
wrapper and hands that wrapper out for the next Qt object allocated there: the studio
crashed building a pyqtgraph menu whose new ``QMenu`` came back as a ``QOffscreenSurface``.
Forgetting them while the context is still alive closes that gap.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from porestudio.atomic import SUFFIXES, atomic_path

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


def draw_scale(plotter: Any, shape: tuple, scale: Any, *, reset_camera: bool) -> None:
    """Axes with ticks in the scale's unit around a (z, y, x) box of voxels; camera fitted.

    Parameters
    ----------
    plotter : pyvistaqt.QtInteractor
        The render widget.
    shape : (nz, ny, nx)
        Voxels of the structure shown.
    scale : porestudio.gui.model.render.RenderScale
        ``spacing`` (one voxel in ``unit``) and ``unit`` of the axes.
    reset_camera : bool
        Also turn the camera to the isometric view.
    """
    nz, ny, nx = shape
    s = scale.spacing
    unit = scale.unit.replace("µ", "u")  # VTK fonts lack µ
    bounds = (0.0, nx * s, 0.0, ny * s, 0.0, nz * s)
    plotter.show_bounds(
        bounds=bounds, xtitle=f"x [{unit}]", ytitle=f"y [{unit}]", ztitle=f"z [{unit}]",
        n_xlabels=3, n_ylabels=3, n_zlabels=3, font_size=9, color="#303030", bold=False,
        location="outer", render=False, fmt="%.0f",
    )  # fmt: skip
    axes = plotter.renderer.cube_axes_actor
    if axes is not None:  # keep the labels in small (A/B) views
        axes.SetEnableDistanceLOD(False)
        axes.SetEnableViewAngleLOD(False)
    plotter.reset_camera(render=False, bounds=bounds)
    if reset_camera:
        plotter.view_isometric(render=False)
        plotter.reset_camera(render=False, bounds=bounds)
    plotter.camera.zoom(0.85)  # room for the axis labels


def save_png(plotter: Any, path: str, *, overwrite: bool = False) -> None:
    """Write the widget's 3D view as a PNG (atomic; an existing file only with ``overwrite``)."""
    from PySide6 import QtGui

    image = plotter.screenshot(return_img=True)
    h, w = image.shape[:2]
    qimage = QtGui.QImage(
        np.ascontiguousarray(image).data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888
    )
    with atomic_path(path, overwrite=overwrite, suffixes=SUFFIXES["png"]) as tmp:
        if not qimage.save(str(tmp), "PNG"):
            raise OSError(f"could not encode {path}")
