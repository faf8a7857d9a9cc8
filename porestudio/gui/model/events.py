"""A tiny evented-object kit (no Qt): ``obj.events.<name>.connect(callback)``.

In the spirit of napari's ``EmitterGroup``: an object owns an :class:`EmitterGroup`, one
:class:`EventEmitter` per kind of change; emitting calls every connected callback, in the
order connected, with one :class:`Event` carrying the new ``value``. Callbacks run on the
thread that emits — the studio only changes its model on the GUI thread, so widgets can
update themselves directly.

A callback that raises does not stop the others: the error is logged and re-raised after
every callback ran (the first one), so a broken widget cannot leave the rest stale silently.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Event:
    """One emitted change.

    Attributes
    ----------
    type : str
        The emitter's name (``"selection"``, ``"dataset"``, ...).
    source : object
        The object whose state changed.
    value : object
        The new value (what the emitter documents).
    """

    type: str
    source: Any
    value: Any = None


Callback = Callable[[Event], Any]


class EventEmitter:
    """Callbacks of one kind of change; ``emitter(value)`` calls them all."""

    def __init__(self, source: Any, name: str) -> None:
        self.source = source
        self.name = name
        self._callbacks: list[Callback] = []
        self._blocked = 0

    @property
    def callbacks(self) -> tuple[Callback, ...]:
        """The connected callbacks, in call order."""
        return tuple(self._callbacks)

    def connect(self, callback: Callback) -> Callback:
        """Call ``callback(event)`` on every emission (connecting twice is a no-op).

        Returns the callback, so this also works as a decorator.
        """
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback | None = None) -> None:
        """Remove one callback (or all with ``None``); unknown callbacks are ignored."""
        if callback is None:
            self._callbacks.clear()
        elif callback in self._callbacks:
            self._callbacks.remove(callback)

    @contextlib.contextmanager
    def blocker(self) -> Iterator[None]:
        """Suppress emissions inside the ``with`` block."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1

    def __call__(self, value: Any = None) -> Event | None:
        """Emit ``value`` to every callback; returns the event (None while blocked)."""
        if self._blocked:
            return None
        event = Event(self.name, self.source, value)
        first: BaseException | None = None
        for callback in tuple(self._callbacks):
            try:
                callback(event)
            except Exception as exc:  # noqa: BLE001 - the other observers still run
                log.exception("callback of %s.%s failed", type(self.source).__name__, self.name)
                first = first or exc
        if first is not None:
            raise first
        return event


class EmitterGroup:
    """Named emitters of one source: ``group.selection.connect(...)``, ``group.names``."""

    def __init__(self, source: Any, names: tuple[str, ...]) -> None:
        self._source = source
        self._emitters = {name: EventEmitter(source, name) for name in names}

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the emitters."""
        return tuple(self._emitters)

    def __getattr__(self, name: str) -> EventEmitter:
        try:
            return self.__dict__["_emitters"][name]
        except KeyError:
            raise AttributeError(f"no event {name!r}") from None

    def __getitem__(self, name: str) -> EventEmitter:
        return self._emitters[name]

    @contextlib.contextmanager
    def blocker_all(self) -> Iterator[None]:
        """Suppress every emitter of the group inside the ``with`` block."""
        with contextlib.ExitStack() as stack:
            for emitter in self._emitters.values():
                stack.enter_context(emitter.blocker())
            yield
