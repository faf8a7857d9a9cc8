"""Helpers shared by CLI commands: help layout, the shared flags, progress bars and output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from porestudio.progress import ProgressFn


class HelpFormatter(argparse.HelpFormatter):
    """Help that shows every option's default and keeps the examples' line breaks.

    ``(default: X)`` is appended to an option's help unless the default is None, False
    or already named in the text. Description and epilog paragraphs are wrapped, except
    lines that start with two spaces (example command lines), which are kept as written.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = []
        for block in text.split("\n\n"):
            lines = block.splitlines()
            if any(line.startswith("  ") for line in lines):
                blocks.append("\n".join(indent + line for line in lines))
            else:
                blocks.append(super()._fill_text(block, width, indent))
        return "\n\n".join(blocks)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            default is None
            or default is False
            or default == argparse.SUPPRESS
            or "default" in text
            or not action.option_strings
        ):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, list | tuple) else default
        return f"{text} (default: {shown})"


class Parser(argparse.ArgumentParser):
    """The parser class of every porestudio (sub-)command: :class:`HelpFormatter` help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def examples(*lines: str) -> str:
    """An argparse epilog listing example command lines."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def add_overwrite(p: argparse.ArgumentParser, what: str = "output file") -> None:
    """Add ``--overwrite``: replace an existing output (refused by default)."""
    p.add_argument(
        "--overwrite",
        action="store_true",
        help=f"replace an existing {what} (without it, an existing file is never touched)",
    )


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
