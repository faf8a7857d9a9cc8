"""Execution engines of a labelling campaign: in-process, process pool, Dask distributed.

An engine maps ``fn(batch, options) -> list[record]`` over an iterator of batches and
yields each batch's records as soon as they are ready (any order), keeping only a few
batches in flight so the client never loads a whole dataset into memory. A batch whose
task raised (a crashed Dask task, for instance) yields failure records for its samples.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from porestudio.errors import InputError, SolverError

log = logging.getLogger(__name__)

Batch = list  # list[tuple[int, str, ndarray]]
CONNECT_TIMEOUT = "15s"
"""How long to try reaching a Dask scheduler before giving up."""
BatchFn = Callable[[Batch, Any], list]


def make_engine(workers: int | None, scheduler: Any, device: str, n_todo: int) -> Any:
    """Pick the engine: Dask if a scheduler is given, else a pool, else this process."""
    if scheduler is not None:
        return DaskEngine(scheduler)
    if workers is not None and (isinstance(workers, bool) or workers < 0):
        raise InputError(f"workers must be 0 or a positive integer; got {workers!r}")
    # default: one core stays with the client, which reads, unpacks and writes the file
    count = (os.cpu_count() or 1) - 1 if workers is None else int(workers)
    count = min(count, max(n_todo, 1))
    if count <= 1 or device.startswith("cuda"):
        return SerialEngine()
    return PoolEngine(count)


def _failed(batch: Batch, exc: BaseException) -> list[dict[str, Any]]:
    message = f"task failed: {type(exc).__name__}: {exc}"
    return [
        {"i": int(i), "status": 2, "message": message, "porosity": float(a.mean()),
         "k": [None] * 9, "method": "?", "non_percolating": False, "seconds": 0.0}
        for i, _kind, a in batch
    ]  # fmt: skip


class SerialEngine:
    """Label in the calling process (tests, tiny sets, a single GPU)."""

    def map(self, fn: BatchFn, batches: Iterable[Batch], options: Any) -> Iterator[list]:
        for batch in batches:
            yield fn(batch, options)

    def close(self, cancel: bool = False) -> None:
        """Nothing to release."""


def die_with_parent() -> None:
    """Worker initializer: the worker ends when the campaign process dies (Linux).

    A killed ``label`` run would otherwise leave its workers solving samples nobody
    collects, taking the CPU from the run that resumes the campaign.
    """
    import contextlib
    import ctypes
    import multiprocessing
    import os
    import signal
    import sys

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died while this one started
        os._exit(1)


class PoolEngine:
    """A :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` spawned processes."""

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        ctx = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=die_with_parent
        )

    def map(self, fn: BatchFn, batches: Iterable[Batch], options: Any) -> Iterator[list]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        source = iter(batches)
        inflight: dict[Any, Batch] = {}
        limit = 3 * self.workers
        while True:
            for batch in _take(source, limit - len(inflight)):
                inflight[self.pool.submit(fn, batch, options)] = batch
            if not inflight:
                return
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for fut in done:
                batch = inflight.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool as exc:
                    raise SolverError(
                        "a worker process died (out of memory?); finished samples are kept, "
                        "run again to resume"
                    ) from exc
                except Exception as exc:  # the task itself raised: record, go on
                    yield _failed(batch, exc)

    def close(self, cancel: bool = False) -> None:
        """Shut the pool down (pending tasks cancelled if ``cancel``)."""
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class DaskEngine:
    """Run on a Dask distributed cluster; a lost worker's tasks are rescheduled by Dask."""

    def __init__(self, scheduler: Any) -> None:
        try:
            import distributed
        except ImportError:
            raise InputError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
        if isinstance(scheduler, distributed.Client):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client = distributed.Client(str(scheduler), timeout=CONNECT_TIMEOUT)
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot use the Dask scheduler {scheduler!r}: {exc}") from None
            self._own = True
        self._futures: set[Any] = set()

    def map(self, fn: BatchFn, batches: Iterable[Batch], options: Any) -> Iterator[list]:
        from distributed import as_completed

        source = iter(batches)
        limit = 4 * max(sum(self.client.nthreads().values()), 1)
        options_future = self.client.scatter(options, broadcast=True)
        inflight: dict[Any, Batch] = {}
        for batch in _take(source, limit):
            inflight[self._submit(fn, batch, options_future)] = batch
        queue = as_completed(list(inflight))
        for fut in queue:
            batch = inflight.pop(fut)
            if fut.status == "finished":
                yield fut.result()
            else:
                yield _failed(batch, fut.exception())
            self._futures.discard(fut)
            for nxt in _take(source, 1 if len(inflight) < limit else 0):
                new = self._submit(fn, nxt, options_future)
                inflight[new] = nxt
                queue.add(new)

    def _submit(self, fn: BatchFn, batch: Batch, options: Any) -> Any:
        fut = self.client.submit(fn, batch, options, pure=False)
        self._futures.add(fut)
        return fut

    def close(self, cancel: bool = False) -> None:
        """Cancel what is left (if asked) and close a client this engine opened."""
        if cancel:
            with contextlib.suppress(Exception):
                self.client.cancel(list(self._futures))
        self._futures = set()
        if self._own:
            self.client.close()


def _take(source: Iterator[Batch], count: int) -> list[Batch]:
    out = []
    for _ in range(max(count, 0)):
        try:
            out.append(next(source))
        except StopIteration:
            break
    return out
