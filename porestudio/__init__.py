"""porestudio — a design studio for porous metamaterials.

Conventions (stated once, used everywhere)
------------------------------------------
* **Pore convention**: a structure is a boolean voxel array, ``True`` = pore (fluid),
  ``False`` = solid, as in PoreSpy.
* **Axis convention**: arrays are stored in memory order ``(z, y, x)``: ``x`` is the last
  array axis (TIFF columns), ``y`` the rows, ``z`` the slices. Every vector or tensor that
  porestudio *reports* (velocities, permeability tensors, percolation flags) is ordered
  ``(x, y, z)``. :mod:`porestudio.units` holds the helpers that translate between the two.
* **Units**: lengths in metres (``voxel_size_m``); permeability in lattice units (voxel²),
  m² or millidarcy, converted only by :mod:`porestudio.units`.
"""

__version__ = "0.1.0"
