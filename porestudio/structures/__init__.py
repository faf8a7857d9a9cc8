"""Microstructures: what they are (:mod:`.volume`), where they come from (generators, CT),
how they are stored (HDF5 datasets) and how they leave (TIFF, STL, VTI).

Imports nothing of porestudio but the bottom layer (errors, units, progress, atomic).
"""

from porestudio.structures.volume import Structure

__all__ = ["Structure"]
