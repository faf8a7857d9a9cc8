"""Atomic file writes: write to a temporary file beside the target, then rename.

A killed run never leaves a file that looks valid but is not, and an existing file is
replaced only when the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from porestudio.errors import OutputError


def check_writable(
    target: str | os.PathLike, *, inputs: tuple[str | os.PathLike, ...] = ()
) -> Path:
    """Check that ``target`` can be written and is not one of ``inputs``.

    Parameters
    ----------
    target : path
        File to be written.
    inputs : tuple of paths
        Files the job reads; writing over one of them is refused.

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
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot write {path}: folder {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: the file is read-only")
    return path


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike, *, inputs: tuple[str | os.PathLike, ...] = ()
) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is left untouched.

    Examples
    --------
    >>> with atomic_path("out.tif") as tmp:  # doctest: +SKIP
    ...     tifffile.imwrite(tmp, data)
    """
    path = check_writable(target, inputs=inputs)
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
