"""One advisory file lock: one writer per dataset, one labelling campaign per dataset.

:func:`exclusive_lock` holds an ``flock`` on a lock file beside the protected file for the
duration of a ``with`` block. It never waits: a second process gets a
:class:`~porestudio.errors.BusyError` at once, naming the owner's pid. The kernel releases
the lock when the holder dies, so a crashed run never blocks the next one; the lock file
is removed on release (a process that locked a file just unlinked by the previous owner
retries on the new file). On systems without ``fcntl`` (Windows) no lock is taken.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from porestudio.errors import BusyError, OutputError

RETRIES = 20
"""How often a lock file unlinked under us by its previous owner is re-created."""


@contextlib.contextmanager
def exclusive_lock(lock: str | os.PathLike, target: str, activity: str) -> Iterator[Path]:
    """Hold the exclusive, non-blocking advisory lock ``lock`` for the block.

    Parameters
    ----------
    lock : path
        The lock file (created, holds the owner's pid, removed on release).
    target : str
        Name of what is protected, for the message (e.g. ``set.h5``).
    activity : str
        What the holder does to it, for the message (``"written"``, ``"labelled"``).

    Raises
    ------
    BusyError
        Another process holds the lock.
    OutputError
        The lock file cannot be created (read-only folder).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield Path(lock)
        return
    path = Path(lock)
    fd = _acquire(path, target, activity, fcntl)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # closing releases the flock


def _acquire(path: Path, target: str, activity: str, fcntl) -> int:
    for _ in range(RETRIES):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot create the lock file {path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise BusyError(
                f"{target} is being {activity} by another process (pid {owner}, lock {path}); "
                "wait for it to finish or stop it"
            ) from None
        try:  # the holder before us may have unlinked the file we locked: retry then
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            return fd
        os.close(fd)
    raise OutputError(f"cannot take the lock {path}")  # pragma: no cover
