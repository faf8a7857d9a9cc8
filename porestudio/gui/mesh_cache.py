"""A small LRU cache of built render meshes, filled ahead of time by a background prefetch.

Browsing a dataset row by row is the common case: while the user looks at sample ``i``,
the meshes of its neighbours in the table are built in the background (one job at a time,
so an explicit request always finds a free worker), and selecting them is then instant.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from porestudio.gui.jobs import JobManager

CACHE_SIZE = 8
"""Meshes kept (a 100³ sample with its 150k-triangle surface is about 6 MB)."""


class MeshCache:
    """LRU map ``key -> (Structure, RenderMeshes)`` plus a one-at-a-time prefetch queue.

    Parameters
    ----------
    jobs : JobManager
        Runs the prefetch jobs (channel ``prefetch:<name>``).
    build : callable
        ``build(source, *key[1:]) -> (Structure, RenderMeshes)``, run in a worker (the
        keys are ``(identity, mode, phase, draft)``).
    name : str
        Distinguishes the channels of several viewers.
    """

    def __init__(self, jobs: JobManager, build: Callable, name: str, size: int = CACHE_SIZE):
        self.jobs = jobs
        self.build = build
        self.channel = f"prefetch:{name}"
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._queue: list[tuple[Hashable, Callable]] = []
        self._running: Hashable | None = None
        self.on_ready: Callable[[Hashable, Any], None] | None = None

    def get(self, key: Hashable | None) -> Any:
        """The cached value (and mark it recently used), or None."""
        if key is None or key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: Hashable | None, value: Any) -> None:
        """Store a value; the least recently used entry goes when full."""
        if key is None:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def building(self, key: Hashable | None) -> bool:
        """Whether a prefetch job is building ``key`` right now."""
        return key is not None and key == self._running

    def prefetch(self, items: list[tuple[Hashable, Callable]]) -> None:
        """Replace the queue by ``items`` (``(key, source)``); cached keys are skipped."""
        self._queue = [(k, s) for k, s in items if k not in self._items and k != self._running]
        self._pump()

    def clear(self) -> None:
        """Forget everything (e.g. the dataset changed)."""
        self._items.clear()
        self._queue.clear()

    def _pump(self) -> None:
        if self._running is not None or not self._queue:
            return
        key, source = self._queue.pop(0)
        self._running = key
        self.jobs.submit(
            self.channel, self.build, source, *key[1:],
            on_result=lambda value, k=key: self._done(k, value),
            on_error=lambda _exc, k=key: self._done(k, None), description="prefetch",
        )  # fmt: skip

    def _done(self, key: Hashable, value: Any) -> None:
        self._running = None
        if value is not None:
            self.put(key, value)
        if self.on_ready is not None:
            self.on_ready(key, value)
        self._pump()
