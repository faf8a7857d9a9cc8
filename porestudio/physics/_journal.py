"""Append-only, fsynced journal of labelling results, and the one-writer campaign lock.

The journal ``FILE.h5.labels.journal`` holds one JSON record per line, written and fsynced
as results arrive, so a killed campaign loses nothing: the next run merges the journal
into the HDF5 file before it starts. A torn last line (the process died mid-write) is
ignored — that sample is simply labelled again.

The lock ``FILE.h5.labels.lock`` is an advisory ``flock`` held for the whole campaign; the
kernel releases it when the process dies, so a crashed run never blocks the next one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from porestudio.errors import OutputError

log = logging.getLogger(__name__)

JOURNAL_SUFFIX = ".labels.journal"
LOCK_SUFFIX = ".labels.lock"


def journal_path(dataset: str | os.PathLike) -> Path:
    """Path of the journal that belongs to ``dataset``."""
    path = Path(dataset)
    return path.with_name(path.name + JOURNAL_SUFFIX)


def lock_path(dataset: str | os.PathLike) -> Path:
    """Path of the campaign lock file that belongs to ``dataset``."""
    path = Path(dataset)
    return path.with_name(path.name + LOCK_SUFFIX)


def encode(record: dict[str, Any]) -> str:
    """One JSON line; NaN/inf floats become null (strict JSON)."""
    return json.dumps(_strict(record), separators=(",", ":"), allow_nan=False)


def _strict(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    return value


class Journal:
    """Append-only record file beside a dataset.

    Parameters
    ----------
    path : path
        Journal file (created on first append).
    tag : str
        Identity of the dataset (e.g. its creation time); written as the first line and
        checked on reading, so a journal left beside a since-replaced file is ignored.
    """

    def __init__(self, path: str | os.PathLike, tag: str = "") -> None:
        self.path = Path(path)
        self.tag = str(tag)
        self._fh: Any = None

    def append(self, records: Iterable[dict[str, Any]]) -> int:
        """Append records and fsync; returns how many were written.

        Raises
        ------
        OutputError
            The journal cannot be written (read-only folder, disk full, file size limit).
        """
        lines = "".join(encode(rec) + "\n" for rec in records)
        if not lines:
            return 0
        try:
            if self._fh is None:
                self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
                if self._fh.tell() == 0:
                    self._fh.write(encode({"journal": 1, "tag": self.tag}) + "\n")
            self._fh.write(lines)
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            self.close()
            raise OutputError(
                f"cannot write the labelling journal {self.path}: {exc.strerror or exc}; "
                "results so far are kept, free space and run again to resume"
            ) from exc
        return len(lines.splitlines())

    def read(self) -> list[dict[str, Any]]:
        """All complete records, in file order (a torn or corrupt line is skipped)."""
        if not self.path.exists():
            return []
        records = []
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.endswith("\n"):
                    log.warning("journal %s: ignoring a torn last line", self.path)
                    break
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("journal %s: ignoring corrupt line %d", self.path, number)
                    continue
                if number == 1 and isinstance(rec, dict) and "journal" in rec:
                    if rec.get("tag") != self.tag:
                        log.warning("journal %s belongs to another file; ignored", self.path)
                        return []
                elif isinstance(rec, dict) and isinstance(rec.get("i"), int):
                    records.append(rec)
        return records

    def clear(self) -> None:
        """Delete the journal (after its records were merged)."""
        self.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the file handle (appending reopens it)."""
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None


def campaign_lock(dataset: str | os.PathLike) -> contextlib.AbstractContextManager:
    """Hold the one-writer lock of ``dataset`` for the duration of the block.

    The lock file holds the owner's pid and is removed on release (:mod:`porestudio.locks`).

    Raises
    ------
    BusyError
        Another process is labelling the same file.
    OutputError
        The lock file cannot be created (read-only folder).
    """
    from porestudio.locks import exclusive_lock

    return exclusive_lock(lock_path(dataset), Path(dataset).name, "labelled")
