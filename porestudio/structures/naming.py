"""How a user names a file and a sample: ``FILE.h5[:INDEX]``, one parser and one message each.

Every command (``info``, ``permeability``, ``export``, ``label``) and the studio read a
sample name through :func:`parse_sample_ref` and check an index with
:func:`resolve_index`, so the same mistake gets the same one-line message everywhere:

- a missing file or folder: ``no such file or folder: PATH``;
- an index that is not a whole number: ``'abc' in set.h5:abc is not a sample index ...``;
- an index out of range: ``sample 7 is out of range: set.h5 holds 5 samples (0..4, or -1..-5)``.

Negative indices count back from the end (``set.h5:-1`` is the last sample), everywhere.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from porestudio.errors import InputError

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class SampleRef:
    """A file, and optionally one sample of it, as the user named it.

    Attributes
    ----------
    path : Path
        The file or folder (user-expanded, not resolved).
    index : int or None
        The sample index as written (may be negative), None when no ``:INDEX`` was given.
    """

    path: Path
    index: int | None = None

    def label(self, count: int | None = None) -> str:
        """``name:INDEX`` for messages and tables (the index made non-negative if ``count``)."""
        if self.index is None:
            return self.path.name
        index = self.index % count if count else self.index
        return f"{self.path.name}:{index}"


def parse_sample_ref(spec: str | os.PathLike, *, must_exist: bool = True) -> SampleRef:
    """Split ``FILE.h5[:INDEX]`` into the file and the sample index.

    Parameters
    ----------
    spec : str or path
        ``set.h5``, ``set.h5:3``, ``set.h5:-1``, or any file or folder. A path that exists
        as written is taken whole (a file name may contain a colon).
    must_exist : bool
        Raise when the file does not exist (default).

    Returns
    -------
    SampleRef

    Raises
    ------
    InputError
        The file does not exist, or ``INDEX`` is not a whole number.
    """
    text = os.fspath(spec)
    whole = Path(text).expanduser()
    if whole.exists() or ":" not in text:
        ref = SampleRef(whole)
    else:
        head, tail = text.rsplit(":", 1)
        if "/" in tail or not head:
            ref = SampleRef(whole)
        elif not _INTEGER.fullmatch(tail.strip()):
            head_path = Path(head).expanduser()
            if must_exist:
                require_exists(head_path)
            raise InputError(
                f"{tail!r} in {text} is not a sample index: write FILE.h5:INDEX with a whole "
                f"number, e.g. {head_path.name}:0 (first) or {head_path.name}:-1 (last)"
            )
        else:
            ref = SampleRef(Path(head).expanduser(), int(tail))
    if must_exist:
        require_exists(ref.path)
    return ref


def require_exists(path: str | os.PathLike) -> Path:
    """``path`` as a Path; InputError ``no such file or folder: PATH`` when it is missing."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(missing_message(p))
    return p


def missing_message(path: str | os.PathLike) -> str:
    """The one wording of a missing input: ``no such file or folder: PATH``."""
    return f"no such file or folder: {Path(path)}"


def resolve_index(index: int, count: int, name: str) -> int:
    """A sample index made non-negative; negative indices count back from the end.

    Parameters
    ----------
    index : int
        As the user wrote it (``-1`` = the last sample).
    count : int
        Number of samples in the dataset.
    name : str
        The dataset's file name, for the message.

    Returns
    -------
    int
        ``index`` in ``0..count-1``.

    Raises
    ------
    InputError
        ``index`` is not in ``-count..count-1``.
    """
    if count <= 0:
        raise InputError(f"{name} holds no samples")
    if not -count <= int(index) < count:
        raise InputError(
            f"sample {index} is out of range: {name} holds {count} samples "
            f"(0..{count - 1}, or -1..-{count} from the end)"
        )
    return int(index) % count


def is_hdf5(path: str | os.PathLike) -> bool:
    """True for a file named ``.h5``/``.hdf5`` or starting with the HDF5 signature.

    A corrupt ``.h5`` counts as HDF5, so opening it says what is wrong with it.
    """
    p = Path(path)
    if not p.is_file():
        return False
    if p.suffix.lower() in (".h5", ".hdf5"):
        return True
    try:
        with open(p, "rb") as fh:
            return fh.read(8) == HDF5_MAGIC
    except OSError:
        return False
