"""Helpers shared by CLI commands: progress bars and output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from porestudio.progress import ProgressFn


@contextmanager
def progress_bar(desc: str, unit: str = "it", disable: bool | None = None) -> Iterator[ProgressFn]:
    """A :data:`~porestudio.progress.ProgressFn` that drives a tqdm bar on stderr.

    The bar hides itself when stderr is not a terminal (``disable=None``).
    """
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=unit, disable=disable, file=sys.stderr, dynamic_ncols=True)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout."""
    print(json.dumps(obj, indent=2, sort_keys=False, default=_default))


def _default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
