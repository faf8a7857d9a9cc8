"""The solver flags, declared once for every command that runs a solver.

``permeability`` and ``label`` call :func:`add_solver_arguments` and turn the parsed flags
into one :class:`~porestudio.physics.options.SolverOptions` with :func:`solver_from_args`
(validated there, so a bad value is an InputError: one line, exit 2).
"""

from __future__ import annotations

import argparse

from porestudio.physics.options import (
    COLLISIONS,
    DTYPES,
    HELP,
    METHODS,
    MODES,
    SolverOptions,
    solver_options,
)

_DEFAULTS = SolverOptions()


def add_solver_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--mode --method --collision --device --tol --max-steps --tau --dtype``."""
    g = parser.add_argument_group("solver options")
    d = " (default: %(default)s)"
    g.add_argument("--mode", choices=MODES, default=_DEFAULTS.mode, help=HELP["mode"] + d)
    g.add_argument("--method", choices=METHODS, default=_DEFAULTS.method, help=HELP["method"] + d)
    g.add_argument(
        "--collision", choices=COLLISIONS, default=_DEFAULTS.collision, help=HELP["collision"] + d
    )
    g.add_argument(
        "--device",
        default=_DEFAULTS.device,
        metavar="{cpu,cuda,cuda:N,auto}",
        help=HELP["device"] + d,
    )
    g.add_argument("--tol", type=float, default=_DEFAULTS.tol, help=HELP["tol"] + d)
    g.add_argument("--max-steps", type=int, metavar="N", help=HELP["max_steps"])
    g.add_argument("--tau", type=float, metavar="TAU", help=HELP["tau"])
    g.add_argument("--dtype", choices=DTYPES, default=_DEFAULTS.dtype, help=HELP["dtype"] + d)


def solver_from_args(args: argparse.Namespace) -> SolverOptions:
    """The validated :class:`SolverOptions` of parsed flags (InputError on a bad value)."""
    return solver_options(
        mode=args.mode, method=args.method, collision=args.collision, device=args.device,
        tol=args.tol, max_steps=args.max_steps, tau=args.tau, dtype=args.dtype,
    )  # fmt: skip
