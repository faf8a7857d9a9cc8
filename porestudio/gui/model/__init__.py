"""The studio's state and compute without Qt (napari's ``ViewerModel`` beside its ``_qt``).

Nothing here imports Qt, pyvistaqt or pyqtgraph (an import-linter contract holds it), so a
script or a test drives the studio without a display::

    from porestudio.gui.model import StudioModel
    studio = StudioModel()
    studio.events.selection.connect(lambda e: print("picked", e.value))
    studio.open_dataset("set.h5")
    studio.pick(0)
    studio.pick(5, add=True)

Modules: :mod:`.events` (the evented-object kit), :mod:`.studio` (the model),
:mod:`.table` and :mod:`.table_filter` (the sample table's data and filter language),
:mod:`.render` (viewer meshes as arrays), :mod:`.compute` (latent map, paths, designs).
"""

from porestudio.gui.model.events import EmitterGroup, Event, EventEmitter
from porestudio.gui.model.studio import StudioModel

__all__ = ["EmitterGroup", "Event", "EventEmitter", "StudioModel"]
