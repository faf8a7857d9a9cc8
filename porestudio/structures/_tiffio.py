"""Streaming readers of 3D image volumes: multi-page TIFF, folders of 2D slices, raw files.

A :class:`VolumeReader` knows the shape ``(nz, ny, nx)``, dtype and voxel size of a volume
and reads any band of slices ``[z0, z1)`` without loading the rest: TIFF pages are decoded
one at a time (``TiffFile.pages[i].asarray()``), contiguous uncompressed TIFF data and raw
files are memory-mapped, slice files are opened one by one. Used by :mod:`.ct`.

Voxel size from metadata (in this order):

1. ImageJ description ``unit`` in a metric length (``um``, ``µm``, ``micron``, ``nm``,
   ``mm``, ``cm``, ``m``): pixel width = 1 / XResolution in that unit (ImageJ stores the
   calibration as pixels per unit); ``spacing`` (z step) is checked against it.
2. TIFF ``ResolutionUnit`` = centimetre: pixel width = 1 / XResolution cm.
3. Anything inch-based (``ResolutionUnit`` = inch or ImageJ ``unit=inch``) is a print
   resolution (DPI), not a voxel size, and is ignored — e.g. the FiberForm file's
   100 pixels/inch. Without metric metadata the voxel size is ``None`` (unknown).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

import numpy as np

from porestudio.errors import FormatError, InputError
from porestudio.structures.naming import missing_message

log = logging.getLogger(__name__)

SLICE_SUFFIXES = (".tif", ".tiff", ".png")
"""File name endings (case-insensitive) taken as slices in a folder."""

_METRIC_UNITS_M: dict[str, float] = {
    "m": 1.0,
    "meter": 1.0,
    "metre": 1.0,
    "cm": 1e-2,
    "mm": 1e-3,
    "um": 1e-6,
    "µm": 1e-6,  # micro sign U+00B5
    "μm": 1e-6,  # Greek mu U+03BC
    "\\u00b5m": 1e-6,  # ImageJ's escaped form
    "micron": 1e-6,
    "microns": 1e-6,
    "micrometer": 1e-6,
    "micrometre": 1e-6,
    "nm": 1e-9,
    "nanometer": 1e-9,
    "nanometre": 1e-9,
}
_RESUNIT_CM = 3


class VolumeReader:
    """A 3D volume whose slices can be read band by band.

    Attributes
    ----------
    shape : tuple of int
        ``(nz, ny, nx)``.
    dtype : numpy.dtype
        Native-endian dtype of the arrays returned by :meth:`read`.
    voxel_size_m : float or None
        Voxel edge from the file's metadata [m], ``None`` when unknown.
    source : str
        Path of the file or folder.
    slices_read : int
        How many slices were decoded so far (for tests of streaming).
    max_band : int
        Largest number of slices requested by one :meth:`read` call.
    """

    def __init__(self, shape, dtype, voxel_size_m, source: str) -> None:
        self.shape: tuple[int, int, int] = tuple(int(n) for n in shape)  # type: ignore[assignment]
        self.dtype = np.dtype(dtype).newbyteorder("=")
        self.voxel_size_m = voxel_size_m
        self.source = source
        self.slices_read = 0
        self.max_band = 0

    def read(self, z0: int, z1: int) -> np.ndarray:
        """Slices ``z0 <= z < z1`` as a new native-endian array ``(z1-z0, ny, nx)``."""
        nz = self.shape[0]
        if not 0 <= z0 <= z1 <= nz:
            raise InputError(f"slice range [{z0}, {z1}) outside the volume's 0..{nz}")
        self.slices_read += z1 - z0
        self.max_band = max(self.max_band, z1 - z0)
        out = self._read(z0, z1)
        return np.ascontiguousarray(out, dtype=self.dtype)

    def _read(self, z0: int, z1: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release the file handles."""

    def __enter__(self) -> VolumeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _MemmapReader(VolumeReader):
    """Raw file or contiguous uncompressed TIFF data, memory-mapped."""

    def __init__(self, path: Path, offset: int, shape, dtype, voxel_size_m) -> None:
        super().__init__(shape, np.dtype(dtype), voxel_size_m, str(path))
        self._map = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=self.shape)

    def _read(self, z0: int, z1: int) -> np.ndarray:
        return np.array(self._map[z0:z1])

    def close(self) -> None:
        self._map = None  # type: ignore[assignment]


class _TiffPagesReader(VolumeReader):
    """Multi-page TIFF (compressed or scattered): one page decoded at a time."""

    def __init__(self, tif, pages, shape, dtype, voxel_size_m, path: Path) -> None:
        super().__init__(shape, dtype, voxel_size_m, str(path))
        self._tif = tif
        self._pages = pages

    def _read(self, z0: int, z1: int) -> np.ndarray:
        out = np.empty((z1 - z0, *self.shape[1:]), dtype=self.dtype)
        for k, z in enumerate(range(z0, z1)):
            out[k] = _decode_page(self._pages[z], self.source, z, self.shape[1:])
        return out

    def close(self) -> None:
        self._tif.close()


class _SliceFolderReader(VolumeReader):
    """A folder of 2D TIFF/PNG slice files, naturally sorted."""

    def __init__(self, files: list[Path], shape, dtype, voxel_size_m, folder: Path) -> None:
        super().__init__(shape, dtype, voxel_size_m, str(folder))
        self._files = files

    def _read(self, z0: int, z1: int) -> np.ndarray:
        out = np.empty((z1 - z0, *self.shape[1:]), dtype=self.dtype)
        for k, z in enumerate(range(z0, z1)):
            img = _read_image_2d(self._files[z])
            if img.shape != self.shape[1:] or img.dtype.newbyteorder("=") != self.dtype:
                raise FormatError(
                    f"slice {self._files[z].name} is {img.shape} {img.dtype}; the first slice "
                    f"is {self.shape[1:]} {self.dtype} (all slices must match)"
                )
            out[k] = img
        return out


def natural_key(name: str) -> list:
    """Sort key that orders ``slice_2`` before ``slice_10`` (digit runs compared as numbers)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def open_volume(
    path: str | os.PathLike,
    *,
    raw_shape: tuple[int, int, int] | None = None,
    raw_dtype: str | np.dtype | None = None,
    raw_byte_order: str = "<",
) -> VolumeReader:
    """Open a volume for band-wise reading (see module docstring for formats).

    Parameters
    ----------
    path : path
        Multi-page TIFF file, folder of 2D slices, or raw file (with ``raw_shape``).
    raw_shape : (nz, ny, nx), optional
        Shape of a headerless raw file; giving it selects the raw reader.
    raw_dtype : str or dtype, optional
        Element type of the raw file (e.g. ``"uint16"``, ``"float32"``).
    raw_byte_order : {"<", ">", "little", "big"}
        Byte order of the raw file.

    Returns
    -------
    VolumeReader
        Use as a context manager, or call ``close()``.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(missing_message(p))
    if raw_shape is not None or raw_dtype is not None:
        return _open_raw(p, raw_shape, raw_dtype, raw_byte_order)
    if p.is_dir():
        return _open_folder(p)
    if p.suffix.lower() in (".raw", ".bin", ".dat", ".vol"):
        raise InputError(
            f"{p.name} looks like a raw file: give its shape and dtype "
            "(--raw-shape Z,Y,X --raw-dtype uint16)"
        )
    if p.suffix.lower() == ".png":
        raise InputError(f"{p.name} is a single 2D image; a 3D volume needs a stack or a folder")
    return _open_tiff(p)


def _open_raw(path: Path, shape, dtype, byte_order: str) -> VolumeReader:
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a raw file")
    if shape is None or dtype is None:
        raise InputError("a raw file needs both its shape (Z,Y,X) and its dtype")
    shape = tuple(int(n) for n in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise InputError(f"raw shape must be three positive sizes Z,Y,X; got {shape}")
    order = {"<": "<", ">": ">", "little": "<", "big": ">"}.get(str(byte_order).lower())
    if order is None:
        raise InputError(f"byte order must be little or big; got {byte_order!r}")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InputError(f"unknown raw dtype {dtype!r}; e.g. uint8, uint16, float32") from None
    if dt.kind not in "uif" or dt.itemsize > 8:
        raise InputError(f"raw dtype must be an integer or float type; got {dt}")
    dt = dt.newbyteorder(order)
    need = int(np.prod(shape)) * dt.itemsize
    size = path.stat().st_size
    if size != need:
        raise InputError(
            f"raw file {path.name} has {size} bytes but shape {shape} of {dt.name} needs {need}"
        )
    return _MemmapReader(path, 0, shape, dt, None)


def _open_folder(folder: Path) -> VolumeReader:
    files = sorted(
        (f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in SLICE_SUFFIXES),
        key=lambda f: natural_key(f.name),
    )
    if not files:
        raise InputError(f"folder {folder} holds no .tif/.tiff/.png slices")
    first = _read_image_2d(files[0])
    voxel = None
    if files[0].suffix.lower() in (".tif", ".tiff"):
        import tifffile

        with tifffile.TiffFile(files[0]) as tif:
            voxel = _voxel_size_from_tiff(tif)
    shape = (len(files), *first.shape)
    return _SliceFolderReader(files, shape, first.dtype, voxel, folder)


def _read_image_2d(path: Path) -> np.ndarray:
    """One 2D greyscale slice (TIFF via tifffile, PNG via Pillow)."""
    try:
        if path.suffix.lower() == ".png":
            from PIL import Image

            with Image.open(path) as im:
                if im.mode not in ("L", "I", "I;16", "I;16B", "F", "1"):
                    raise FormatError(f"{path.name} is a {im.mode} image; slices must be grey")
                img = np.asarray(im)
        else:
            import tifffile

            img = tifffile.imread(path)
    except FormatError:
        raise
    except Exception as exc:  # any decoder failure on a user file
        raise FormatError(f"cannot read slice {path.name}: {exc}") from exc
    img = np.squeeze(img)
    if img.ndim != 2:
        raise FormatError(f"slice {path.name} is not a 2D greyscale image (shape {img.shape})")
    return img


def _open_tiff(path: Path) -> VolumeReader:
    import tifffile

    with _quiet_tifffile():
        try:
            tif = tifffile.TiffFile(path)
        except Exception as exc:
            raise FormatError(f"{path.name} is not a readable TIFF file: {exc}") from exc
        try:
            return _tiff_reader(tif, path)
        except BaseException:
            tif.close()
            raise


@contextlib.contextmanager
def _quiet_tifffile():
    """Mute tifffile's own log while parsing: its findings become our one-line errors."""
    logger = logging.getLogger("tifffile")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _tiff_reader(tif, path: Path) -> VolumeReader:
    if not tif.series:
        raise FormatError(f"{path.name} is not a readable TIFF file: no image found")
    series = tif.series[0]
    shape = tuple(n for n in series.shape if n != 1)
    if "S" in series.axes and series.shape[series.axes.index("S")] > 1:
        raise FormatError(f"{path.name} is a colour (RGB) image; convert it to greyscale")
    if len(shape) < 3 and len(tif.pages) > 1:
        return _all_pages_reader(tif, path)
    if len(shape) == 2 or (len(shape) == 1 and len(series.shape) >= 2):
        raise InputError(
            f"{path.name} is a single 2D slice {series.shape}; a structure needs a 3D stack"
        )
    if len(shape) != 3 or min(series.shape) < 1:
        raise FormatError(
            f"{path.name} has shape {series.shape} (axes {series.axes}); "
            "expected one greyscale 3D stack (Z, Y, X)"
        )
    dtype = np.dtype(series.dtype)
    if dtype.kind not in "uifb":
        raise FormatError(f"{path.name} has unsupported pixel type {dtype}")
    voxel = _voxel_size_from_tiff(tif)
    offset = series.dataoffset
    if offset is not None and dtype.kind != "b":
        _check_size(path, offset + int(np.prod(shape)) * dtype.itemsize)
        tif.close()
        return _MemmapReader(path, offset, shape, dtype.newbyteorder(tif.byteorder), voxel)
    pages = series.pages
    if len(pages) != shape[0]:
        raise FormatError(
            f"{path.name}: {len(pages)} pages for {shape[0]} slices (truncated file?)"
        )
    return _TiffPagesReader(tif, pages, shape, dtype, voxel, path)


def _all_pages_reader(tif, path: Path) -> VolumeReader:
    """A stack of 2D pages that tifffile sees as several series (e.g. one write per page)."""
    pages = tif.pages
    pages.useframes = False
    n = len(pages)
    claimed = _claimed_pages(tif)
    if claimed > n:
        raise FormatError(f"{path.name} is truncated: {n} of {claimed} pages found")
    first = pages[0]
    for z in range(1, n):
        page = pages[z]
        if page.shape != first.shape or page.dtype != first.dtype:
            raise FormatError(
                f"{path.name}: page {z} is {page.shape} {page.dtype}, page 0 is "
                f"{first.shape} {first.dtype}; a stack needs equal slices"
            )
    if len(first.shape) != 2:
        raise FormatError(f"{path.name}: pages of shape {first.shape} are not greyscale slices")
    voxel = _voxel_size_from_tiff(tif)
    return _TiffPagesReader(tif, pages, (n, *first.shape), first.dtype, voxel, path)


def _claimed_pages(tif) -> int:
    """Number of pages the file's ImageJ or tifffile metadata says it has (0 if unknown)."""
    ij = tif.imagej_metadata or {}
    if "images" in ij:
        return int(ij["images"])
    shaped = tif.shaped_metadata or ()
    if len(shaped) == 1 and len(shaped[0].get("shape", ())) >= 3:
        return int(np.prod(shaped[0]["shape"][:-2]))
    return 0


def _check_size(path: Path, need: int) -> None:
    size = path.stat().st_size
    if size < need:
        raise FormatError(f"{path.name} is truncated: {size} bytes, image data needs {need}")


def _decode_page(page, source: str, z: int, shape_yx) -> np.ndarray:
    if page is None:
        raise FormatError(f"{Path(source).name}: page {z} is missing (truncated file?)")
    try:
        img = page.asarray()
    except Exception as exc:
        raise FormatError(f"{Path(source).name}: cannot decode page {z}: {exc}") from exc
    img = np.squeeze(img)
    if img.shape != tuple(shape_yx):
        raise FormatError(f"{Path(source).name}: page {z} is {img.shape}, expected {shape_yx}")
    return img


def _voxel_size_from_tiff(tif) -> float | None:
    """Voxel edge [m] from ImageJ or TIFF resolution metadata; None if absent or inch-based."""
    page = tif.pages.first if hasattr(tif.pages, "first") else tif.pages[0]
    xres = _resolution(page, "XResolution")
    ij = tif.imagej_metadata or {}
    unit = str(ij.get("unit", "")).strip().lower()
    if unit in _METRIC_UNITS_M:
        scale = _METRIC_UNITS_M[unit]
        spacing = ij.get("spacing")
        dx = scale / xres if xres else None
        if dx is None and spacing:
            dx = float(spacing) * scale
        if dx is not None and spacing and abs(float(spacing) * scale - dx) > 1e-3 * dx:
            log.warning(
                "%s: anisotropic voxels (xy %.4g m, z %.4g m); using the xy size",
                Path(tif.filehandle.path).name,
                dx,
                float(spacing) * scale,
            )
        return _plausible(dx)
    if unit == "inch":
        return None
    resunit = page.tags.get("ResolutionUnit")
    if resunit is not None and int(resunit.value) == _RESUNIT_CM and xres:
        return _plausible(1e-2 / xres)
    return None


def _resolution(page, name: str) -> float | None:
    tag = page.tags.get(name)
    if tag is None:
        return None
    num, den = tag.value if isinstance(tag.value, tuple) else (tag.value, 1)
    if not num or not den:
        return None
    return float(num) / float(den)


def _plausible(dx: float | None) -> float | None:
    """Keep a metadata voxel size only if it is positive, finite and below 10 cm."""
    if dx is None or not np.isfinite(dx) or dx <= 0 or dx > 1e-1:
        return None
    return float(dx)


class ArrayReader(VolumeReader):
    """An in-memory 3D array seen through the reader interface."""

    def __init__(self, data: np.ndarray, voxel_size_m: float | None = None, source: str = "array"):
        if data.ndim != 3:
            raise InputError(f"a volume must be 3D (z, y, x); got shape {data.shape}")
        super().__init__(data.shape, data.dtype, voxel_size_m, source)
        self._data = data

    def _read(self, z0: int, z1: int) -> np.ndarray:
        return self._data[z0:z1]
