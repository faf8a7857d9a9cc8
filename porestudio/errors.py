"""Exceptions of porestudio.

Every error a user can cause derives from :class:`PorestudioError`; its message is one
clear line that the CLI prints (without a traceback) and the studio shows in a dialog.
"""


class PorestudioError(Exception):
    """Base class of all user-facing porestudio errors (message = one clear line)."""


class InputError(PorestudioError):
    """A file, array or parameter given by the user is not usable."""


class FormatError(InputError):
    """A file exists but is not in the expected format (corrupt, foreign layout...)."""


class OutputError(PorestudioError):
    """An output cannot be written (unwritable path, output equal to input, disk full)."""


class BusyError(PorestudioError):
    """A file is locked by another porestudio process (being written or labelled)."""


class SolverError(PorestudioError):
    """A physics solver failed (instability, NaN, no convergence when required)."""


class Cancelled(PorestudioError):
    """A long job was cancelled by its caller (raised from a progress callback)."""


class SetupError(PorestudioError):
    """This machine lacks something porestudio needs (a display, a library, an extra)."""
