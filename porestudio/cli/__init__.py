"""The ``porestudio`` command line.

Each module in this package that defines ``register(subparsers)`` adds one or more
sub-commands; ``register`` calls ``subparsers.add_parser(...)`` and sets
``parser.set_defaults(func=handler)`` where ``handler(args) -> int``. Handlers are thin:
they parse, call the library, print. Any :class:`porestudio.errors.PorestudioError`
becomes a one-line ``porestudio: error: ...`` message and exit status 2 — no traceback.

With no sub-command (or ``--screenshot``), the studio opens. Output piped into a command
that stops reading (``porestudio info set.h5 | head``) ends quietly, like any Unix tool.
A handler may set ``on_interrupt`` (a one-line note) with ``set_defaults``; Ctrl-C then
prints it instead of the plain "interrupted".
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

from porestudio import __version__
from porestudio.cli._common import Parser, examples
from porestudio.errors import Cancelled, PorestudioError

log = logging.getLogger("porestudio")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every discovered sub-command registered."""
    parser = Parser(
        prog="porestudio",
        description="Design studio for porous metamaterials. Without a command, opens the studio.",
        epilog=examples(
            "porestudio                                    # open the studio",
            "porestudio generate squares --count 100 --out set.h5",
            "porestudio info set.h5 | head",
        ),
    )
    parser.add_argument("--version", action="version", version=f"porestudio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument(
        "--screenshot", metavar="PNG", help="open the studio, render it to PNG after loading, exit"
    )
    parser.add_argument(
        "--overwrite",
        dest="screenshot_overwrite",
        action="store_true",
        help="with --screenshot: replace an existing PNG",
    )
    parser.add_argument(
        "--dataset",
        metavar="FILE.h5[:INDEX]",
        help="dataset to open in the studio, at sample INDEX (negative: from the end)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command is None:
            return _open_studio(args)
        if args.screenshot_overwrite:
            parser.error(
                "--overwrite goes after the command, e.g. porestudio generate ... --overwrite"
            )
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except (Cancelled, KeyboardInterrupt) as exc:
        word = "cancelled" if isinstance(exc, Cancelled) else "interrupted"
        note = getattr(args, "on_interrupt", None)
        print(f"porestudio: {word}" + (f"; {note}" if note else ""), file=sys.stderr)
        return 130
    except PorestudioError as exc:
        print(f"porestudio: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print(
            "porestudio: error: out of memory; try a smaller volume or sub-volumes", file=sys.stderr
        )
        return 2


def _quiet_broken_pipe() -> int:
    """The reader of stdout went away (``| head``): stop without a traceback.

    stdout is pointed at /dev/null so the interpreter's final flush does not fail again;
    the status is the shell's for a process ended by SIGPIPE (128 + 13).
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141


def _open_studio(args: argparse.Namespace) -> int:
    from porestudio.atomic import SUFFIXES, check_writable

    if args.dataset:  # FILE.h5[:INDEX], checked before Qt starts
        from porestudio.structures.naming import parse_sample_ref

        parse_sample_ref(args.dataset)
    if args.screenshot:  # refuse a wrong name or an existing file before Qt starts
        check_writable(
            args.screenshot, overwrite=args.screenshot_overwrite, suffixes=SUFFIXES["png"]
        )
    from porestudio.gui.display import require_display  # no Qt import

    require_display()
    from porestudio.gui.app import run_studio  # lazy: Qt only when the studio opens

    return run_studio(
        dataset=args.dataset, screenshot=args.screenshot, overwrite=args.screenshot_overwrite
    )
