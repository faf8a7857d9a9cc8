"""Atomic file writes: write to a temporary file beside the target, then rename.

A killed run never leaves a file that looks valid but is not, and an existing file is
replaced only when the new one is complete.

The two rules every writer of porestudio follows live here, once:

- an existing file is never replaced unless the caller asks (``overwrite=True``, the
  CLI's ``--overwrite``, a confirmed dialog in the studio);
- an output's suffix says what it is (``suffixes=(".stl",)``): ``part.obj`` is refused
  for an STL, whatever the writer.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from porestudio.errors import OutputError

#: The suffixes each kind of output may have (the first is the one suggested).
SUFFIXES: dict[str, tuple[str, ...]] = {
    "hdf5": (".h5", ".hdf5"),
    "stl": (".stl",),
    "tiff": (".tif", ".tiff"),
    "vti": (".vti",),
    "png": (".png",),
}

OVERWRITE_HINT = "give --overwrite (overwrite=True in Python) to replace it"


def check_writable(
    target: str | os.PathLike,
    *,
    inputs: tuple[str | os.PathLike, ...] = (),
    overwrite: bool = False,
    suffixes: tuple[str, ...] | None = None,
) -> Path:
    """Check that ``target`` can be written and is not one of ``inputs``.

    Parameters
    ----------
    target : path
        File to be written.
    inputs : tuple of paths
        Files the job reads; writing over one of them is refused.
    overwrite : bool
        Replace an existing ``target``; by default an existing file is refused with an
        :class:`~porestudio.errors.OutputError` naming ``--overwrite``.
    suffixes : tuple of str, optional
        Accepted file suffixes (lower case, with the dot, e.g. ``(".tif", ".tiff")``);
        the first is the one the message suggests. None accepts any name.

    Returns
    -------
    Path
        The target as an absolute path.
    """
    path = Path(target).expanduser().absolute()
    for src in inputs:
        src_path = Path(src).expanduser().absolute()
        if path == src_path or (path.exists() and src_path.exists() and path.samefile(src_path)):
            raise OutputError(f"output {path} is the same file as the input; choose another name")
    if path.is_dir():
        raise OutputError(f"output {path} is a directory; give a file name")
    if suffixes is not None:
        check_suffix(path, suffixes)
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot write {path}: folder {parent} is not writable")
    if path.exists() and not overwrite:
        raise OutputError(f"{path} already exists; {OVERWRITE_HINT}")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: the file is read-only")
    return path


def check_suffix(target: str | os.PathLike, suffixes: tuple[str, ...]) -> Path:
    """Refuse an output name whose suffix does not say what the file is.

    Parameters
    ----------
    target : path
        The output file name.
    suffixes : tuple of str
        Accepted suffixes, lower case with the dot; matched case-insensitively.

    Returns
    -------
    Path
        ``target`` unchanged, as a Path.

    Raises
    ------
    OutputError
        One line naming the accepted suffixes and the name to use instead.
    """
    path = Path(target)
    if path.suffix.lower() in suffixes:
        return path
    accepted = " or ".join(suffixes)
    suggestion = path.with_suffix(suffixes[0]).name if path.name else f"out{suffixes[0]}"
    got = f"'{path.suffix}'" if path.suffix else "no suffix"
    raise OutputError(
        f"{path.name}: this output must end in {accepted} (got {got}); e.g. {suggestion}"
    )


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike,
    *,
    inputs: tuple[str | os.PathLike, ...] = (),
    overwrite: bool = False,
    suffixes: tuple[str, ...] | None = None,
) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is left untouched.
    ``inputs``, ``overwrite`` and ``suffixes`` are checked first, as in
    :func:`check_writable` (an existing ``target`` is refused unless ``overwrite``).

    Examples
    --------
    >>> with atomic_path("out.tif") as tmp:  # doctest: +SKIP
    ...     tifffile.imwrite(tmp, data)
    """
    path = check_writable(target, inputs=inputs, overwrite=overwrite, suffixes=suffixes)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _final_mode(path: Path) -> int:
    """Permission bits for the finished file: the old file's, else 0o666 minus the umask.

    ``mkstemp`` creates private (0o600) files; a written result should look like any other.
    """
    if path.exists():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
