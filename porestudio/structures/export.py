"""Export of structures: binary TIFF stacks, STL of the solid for printing, VTI for ParaView.

Every writer goes through :func:`porestudio.atomic.atomic_path`: the target is replaced
only by a complete file, and writing over one of ``inputs`` is refused.

Encodings
---------
* **TIFF**: one uint8 page per z slice, **pore = 0, solid = 255** — the convention of the
  binary CT volumes in ``resources/ct`` (pores are dark), so a re-import is unambiguous.
  ImageJ metadata carries ``spacing`` and ``unit='um'`` (voxel size in micrometres, also
  in the X/Y resolution tags) so Fiji and porestudio read the voxel size back; the
  provenance JSON is stored in ImageJ's ``Info`` property.
* **STL**: binary, the boundary of the **solid** phase (what gets printed) in
  **millimetres**, closed and 2-manifold (every edge in exactly two triangles, no pinched
  vertex, consistently oriented outward) so slicers accept it; the voxel size is required
  (an STL at a guessed scale would print silently wrong). The volume is padded by empty
  voxels on all six sides, so the surface is closed on every face of the box. The default
  surface is voxel-exact: solid voxels touching only along an edge or at a corner are
  kept apart (the solid is face-connected, as for floating islands) by splitting the
  contact by 1/1000 voxel (see :mod:`porestudio.structures._mesh`); the volume equals the
  solid voxel volume to ~1e-7. ``skin_vox`` adds a solid frame of that many voxels
  *outside* the four side faces (normal to x and y): a tube open at both z ends so flow
  can pass, whose own surface is of course closed too. ``smooth`` contours a slightly
  blurred mask by marching cubes instead (also closed and manifold; volume within a few
  per cent of the voxel volume). Floating solid islands print as loose parts: a warning
  says how many; ``porestudio export --remove-islands`` (or
  :func:`porestudio.structures.morphology.remove_floating_solids`) removes them.
* **VTI**: VTK XML image data with cell data ``pore`` (uint8, 1 = pore), spacing and
  origin in metres (1 and a ``units = voxel`` note when the voxel size is unknown), and the
  provenance as field data.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from porestudio.atomic import SUFFIXES, atomic_path, check_writable
from porestudio.errors import InputError, OutputError
from porestudio.structures import _mesh
from porestudio.structures.volume import Structure

log = logging.getLogger(__name__)

__all__ = ["PORE_VALUE", "SOLID_VALUE", "write_stl", "write_tiff", "write_vti"]

PORE_VALUE: int = 0
"""Grey value of pore voxels in exported TIFF stacks."""
SOLID_VALUE: int = 255
"""Grey value of solid voxels in exported TIFF stacks."""

PathLike = str | os.PathLike


def _rules(kind: str, path: PathLike, inputs: tuple, overwrite: bool) -> dict:
    """The atomic-write rules of one output, checked now (before any long work)."""
    rules = {"inputs": inputs, "overwrite": overwrite, "suffixes": SUFFIXES[kind]}
    check_writable(path, **rules)
    return rules


def _check(structure: Structure) -> Structure:
    if not isinstance(structure, Structure):
        raise InputError(f"expected a Structure, got {type(structure).__name__}")
    return structure


def write_tiff(
    structure: Structure,
    path: PathLike,
    *,
    inputs: tuple[PathLike, ...] = (),
    overwrite: bool = False,
) -> Path:
    """Write a binary multi-page TIFF (pore = 0, solid = 255, one page per z slice).

    Parameters
    ----------
    structure : Structure
        What to write; its voxel size [m] becomes ImageJ ``spacing`` in µm.
    path : path
        Target ``.tif`` / ``.tiff`` file (another suffix raises OutputError).
    inputs : tuple of paths
        Files the caller read; writing over one of them raises OutputError.
    overwrite : bool
        Replace an existing ``path`` (default: OutputError naming ``--overwrite``).

    Returns
    -------
    Path
        The written file.
    """
    import tifffile

    structure = _check(structure)
    rules = _rules("tiff", path, inputs, overwrite)
    data = np.where(structure.pore, PORE_VALUE, SOLID_VALUE).astype(np.uint8)
    metadata: dict[str, object] = {"axes": "ZYX", "Info": structure.provenance_json()}
    kwargs: dict[str, object] = {}
    if structure.voxel_size_m is not None:
        um = structure.voxel_size_m * 1e6
        metadata.update(spacing=um, unit="um")
        kwargs["resolution"] = (1.0 / um, 1.0 / um)
    with atomic_path(path, **rules) as tmp:
        tifffile.imwrite(tmp, data, imagej=True, metadata=metadata, **kwargs)
    log.info("wrote TIFF stack %s (%s)", path, "×".join(map(str, structure.shape)))
    return Path(path)


def write_stl(
    structure: Structure,
    path: PathLike,
    *,
    skin_vox: int = 0,
    smooth: bool = False,
    inputs: tuple[PathLike, ...] = (),
    overwrite: bool = False,
) -> Path:
    """Write the solid phase as a closed, manifold binary STL surface in millimetres.

    Parameters
    ----------
    structure : Structure
        What to print; ``voxel_size_m`` must be known (InputError otherwise).
    path : path
        Target ``.stl`` file (another suffix raises OutputError).
    skin_vox : int
        Thickness [voxels] of a solid frame added outside the four faces normal to x and
        y (0 = none); the part then spans ``[0, (nx + 2 skin) dx] × [0, (ny + 2 skin) dx]
        × [0, nz dx]`` in mm.
    smooth : bool
        Marching-cubes surface of a lightly blurred mask instead of voxel faces
        (edge- and corner-only contacts are split in the voxel-exact surface).
    inputs : tuple of paths
        Files the caller read; writing over one of them raises OutputError.
    overwrite : bool
        Replace an existing ``path`` (default: OutputError naming ``--overwrite``).

    Returns
    -------
    Path
        The written file.
    """
    structure = _check(structure)
    rules = _rules("stl", path, inputs, overwrite)
    if structure.voxel_size_m is None:
        raise InputError(
            "the voxel size is unknown: give it (--voxel-size, metres) to export an STL in mm"
        )
    skin = int(skin_vox)
    if skin < 0 or skin != skin_vox:
        raise InputError(f"skin must be a non-negative whole number of voxels, got {skin_vox!r}")
    solid = structure.solid
    if skin:
        solid = np.pad(solid, ((0, 0), (skin, skin), (skin, skin)), constant_values=True)
    if not solid.any():
        raise InputError("the structure has no solid voxel: there is nothing to print")
    _warn_islands(structure.pore)
    triangles = _mesh.smooth_faces(solid) if smooth else _mesh.voxel_faces(solid)
    mm = structure.voxel_size_m * 1e3
    triangles = triangles * mm
    header = _mesh.stl_bytes_header(
        len(triangles), f"porestudio solid phase, mm, voxel {mm:g} mm, skin {skin}"
    )
    with atomic_path(path, **rules) as tmp, open(tmp, "wb") as fh:
        fh.write(header)
        for start in range(0, len(triangles), 1 << 20):  # bounded temporary memory
            fh.write(_mesh.stl_records(triangles[start : start + (1 << 20)]).tobytes())
    log.info("wrote STL %s (%d triangles)", path, len(triangles))
    return Path(path)


def _warn_islands(pore: np.ndarray) -> None:
    from porestudio.structures.morphology import floating_solid_islands

    islands = floating_solid_islands(pore)
    if islands:
        log.warning(
            "%d floating solid island(s) (touching no face of the volume, face "
            "connectivity) will print as loose parts; remove them with "
            "`porestudio export --remove-islands` (morphology.remove_floating_solids)",
            islands,
        )


def write_vti(
    structure: Structure,
    path: PathLike,
    *,
    inputs: tuple[PathLike, ...] = (),
    overwrite: bool = False,
) -> Path:
    """Write VTK XML image data (``.vti``) with cell data ``pore`` (uint8, 1 = pore).

    Parameters
    ----------
    structure : Structure
        What to write; spacing is the voxel size [m] (1 if unknown, noted as field data).
    path : path
        Target ``.vti`` file (another suffix raises OutputError).
    inputs : tuple of paths
        Files the caller read; writing over one of them raises OutputError.
    overwrite : bool
        Replace an existing ``path`` (default: OutputError naming ``--overwrite``).

    Returns
    -------
    Path
        The written file.
    """
    from vtkmodules.util.numpy_support import numpy_to_vtk
    from vtkmodules.vtkCommonCore import vtkStringArray
    from vtkmodules.vtkCommonDataModel import vtkImageData
    from vtkmodules.vtkIOXML import vtkXMLImageDataWriter

    structure = _check(structure)
    rules = _rules("vti", path, inputs, overwrite)
    nz, ny, nx = structure.shape
    dx = structure.voxel_size_m or 1.0
    image = vtkImageData()
    image.SetDimensions(nx + 1, ny + 1, nz + 1)
    image.SetSpacing(dx, dx, dx)
    cells = numpy_to_vtk(structure.pore.astype(np.uint8).ravel(), deep=True)
    cells.SetName("pore")
    image.GetCellData().AddArray(cells)
    image.GetCellData().SetActiveScalars("pore")
    for name, text in (
        ("provenance", structure.provenance_json()),
        ("units", "m" if structure.voxel_size_m else "voxel"),
    ):
        field = vtkStringArray()
        field.SetName(name)
        field.InsertNextValue(text)
        image.GetFieldData().AddArray(field)
    with atomic_path(path, **rules) as tmp:
        writer = vtkXMLImageDataWriter()
        writer.SetFileName(str(tmp))
        writer.SetInputData(image)
        writer.SetDataModeToAppended()
        writer.SetCompressorTypeToZLib()
        if writer.Write() != 1:
            raise OutputError(f"cannot write {path}: the VTK writer failed")
    log.info("wrote VTI %s", path)
    return Path(path)
