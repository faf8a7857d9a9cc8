"""Labelling campaigns: porosity and permeability for every sample of an HDF5 dataset.

:func:`label_dataset` labels the samples that lack the requested values, in parallel, and
survives being killed: results are appended (fsynced) to a journal beside the file
(``FILE.h5.labels.journal``) as they arrive and merged atomically into the HDF5 file
(:func:`porestudio.structures.dataset.write_properties`) every ``flush_seconds`` and at the
end; the next run merges a leftover journal first, so nothing is lost or labelled twice.
One process at a time may label a file (an ``flock`` on ``FILE.h5.labels.lock``).

Execution engines: a :class:`concurrent.futures.ProcessPoolExecutor` (default), a Dask
distributed cluster (``scheduler="tcp://host:8786"`` or a ``distributed.Client``), or the
calling process (``workers=0``; always for ``device="cuda"``). The client reads the HDF5
file and is its only writer; workers receive sample arrays in batches. Extruded samples
(without ``tensor`` or ``method="lbm"``) are sent as their 2D section: one 2D
connected-component labelling decides percolation along every axis (k = 0 where the
section does not connect the two faces), the exact extruded-Stokes solver
(:mod:`porestudio.physics.stokes2d`) gives k along the extrusion axis, and only an
in-plane axis that percolates needs an LBM run; other samples go through
:func:`porestudio.physics.permeability.permeability` (one labelling per volume).

Properties written: ``porosity`` (n,), ``permeability_lu`` (n, 3, 3) in (x, y, z) order
[voxel²], NaN where not computed, optionally ``permeability_m2`` (n, 3, 3) [m²],
``label_status`` (n,) int8 (0 = not labelled, 1 = ok, 2 = failed) and ``label_message``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import Cancelled, InputError, SolverError
from porestudio.physics import _engines
from porestudio.physics._journal import Journal, campaign_lock, journal_path
from porestudio.physics._labelling import (
    STATUS_FAILED,
    STATUS_OK,
    Item,
    LabelOptions,
    label_batch,
    make_options,
    payload,
)
from porestudio.physics.options import SolverOptions, solver_options
from porestudio.progress import ProgressFn, report
from porestudio.structures.naming import require_exists

log = logging.getLogger(__name__)

__all__ = ["LabelSummary", "label_dataset", "LabelOptions"]

SECTION_BATCH = 64
"""Extruded samples per task (each costs milliseconds); 3D samples go one per task."""


@dataclasses.dataclass(frozen=True)
class LabelSummary:
    """Outcome of one labelling campaign.

    Attributes
    ----------
    path : str
        The dataset.
    total : int
        Samples in the dataset.
    labelled : int
        Samples labelled by this run (ok + failed).
    ok, failed : int
        Of ``labelled``: successes and recorded failures (``label_status`` 1 and 2).
    skipped : int
        Samples that already had the requested values (or failed before, without
        ``retry_failed``).
    recovered : int
        Results of an interrupted earlier run merged from its journal at the start.
    non_percolating : int
        Successful samples with k = 0 along a requested axis (no connected pore path).
    seconds : float
        Wall time of the labelling loop.
    methods : dict
        How many samples each method labelled (``stokes2d``, ``lbm-trt``...).
    failures : tuple of (int, str)
        The first failures: sample index and reason.
    """

    path: str
    total: int
    labelled: int
    ok: int
    failed: int
    skipped: int
    recovered: int
    non_percolating: int
    seconds: float
    methods: dict[str, int]
    failures: tuple[tuple[int, str], ...]

    @property
    def samples_per_second(self) -> float:
        """Labelling rate of this run [samples/s]."""
        return self.labelled / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (rate included)."""
        out = dataclasses.asdict(self)
        out["failures"] = [list(f) for f in self.failures]
        out["samples_per_second"] = self.samples_per_second
        return out


def label_dataset(
    path: str | os.PathLike,
    *,
    method: str = "auto",
    tensor: bool = False,
    axes: str | tuple[str, ...] = "all",
    device: str = "cpu",
    workers: int | None = None,
    scheduler: Any = None,
    progress: ProgressFn | None = None,
    mode: str = "kuhn",
    collision: str = "trt",
    tol: float = 1e-6,
    max_steps: int | None = None,
    refine: int = 4,
    si: bool = False,
    retry_failed: bool = False,
    flush_seconds: float = 300.0,
    batch_size: int | None = None,
    indices: np.ndarray | list[int] | None = None,
    solver: SolverOptions | None = None,
) -> LabelSummary:
    """Label every sample of a dataset that lacks porosity or the requested permeability.

    Parameters
    ----------
    path : path
        HDF5 dataset (:mod:`porestudio.structures.dataset` layout); modified in place
        through atomic rewrites.
    method : {"auto", "lbm", "stokes2d"}
        ``auto`` uses the exact extruded solver where a sample is extruded along the flow
        axis, the LBM otherwise.
    tensor : bool
        Full 3 × 3 tensor (Kuhn off-diagonals) instead of the diagonal.
    axes : {"all", "x", "y", "z"} or tuple
        Flow directions.
    device : {"cpu", "cuda", "auto"}
        LBM device; ``cuda`` runs the samples one after the other in this process.
    workers : int, optional
        Worker processes (default: CPU count − 1, the client keeping one core); 0 or 1 =
        in this process.
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``tcp://host:8786``) or client: run on that cluster.
    progress : ProgressFn, optional
        ``progress(done, to_do)``; raise :class:`~porestudio.errors.Cancelled` to stop
        (finished samples are kept).
    mode : {"kuhn", "periodic"}
        Side boundaries of the LBM runs (Kuhn: no-slip + free-slip), and of the extruded
        solver (``kuhn`` → no-slip section border, ``periodic`` → periodic).
    collision : {"trt", "bgk"}
        LBM collision operator.
    tol, max_steps
        LBM convergence tolerance and step limit (None = the solver's default).
    refine : int
        Sub-pixel refinement of the extruded solver (Richardson from refine/2 and refine).
    si : bool
        Also store ``permeability_m2`` [m²]; needs the dataset's voxel size.
    retry_failed : bool
        Label again samples that failed before (``label_status`` 2).
    flush_seconds : float
        Merge the journal into the HDF5 file at least this often [s].
    batch_size : int, optional
        Extruded samples per task (default 64); volumes always go one per task.
    indices : sequence of int, optional
        Label only these samples (those among them still lacking values); others are
        counted as skipped.
    solver : SolverOptions, optional
        All solver options at once (:mod:`porestudio.physics.options`); when given, it
        replaces ``method``, ``device``, ``mode``, ``collision``, ``tol`` and ``max_steps``.

    Returns
    -------
    LabelSummary
        Counts, rate and the first failures.

    Raises
    ------
    InputError
        Missing or foreign file, bad options, voxel size missing with ``si``, another
        process labelling the same file.
    OutputError
        The journal or the HDF5 file cannot be written (the original file is intact and the
        campaign resumes when run again).
    """
    from porestudio.structures.dataset import open_dataset

    if solver is None:
        solver = solver_options(
            method=method, device=device, mode=mode, collision=collision, tol=tol,
            max_steps=max_steps,
        )  # fmt: skip
    options = make_options(axes=axes, tensor=tensor, refine=refine, **solver.to_dict())
    if options.device != "cpu":
        options = dataclasses.replace(options, solver=options.solver.resolved())
    if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) < 1):
        raise InputError(f"batch_size must be a positive integer; got {batch_size!r}")
    path = Path(path)
    if not path.is_file():
        require_exists(path)
        raise InputError(f"{path} is a folder, not a dataset file")
    with open_dataset(path) as ds:
        total, voxel, tag = len(ds), ds.voxel_size_m, str(ds.attrs.get("created", ""))
    if si and voxel is None:
        raise InputError(
            f"{path.name} has no voxel size, so permeability in m² cannot be computed; "
            "label in lattice units (without --si) or set the voxel size first"
        )
    options = dataclasses.replace(options, voxel_size_m=voxel if si else None)
    journal = Journal(journal_path(path), tag)
    with campaign_lock(path):
        try:
            recovered = _merge(path, journal.read(), options)
            journal.clear()
            todo, skipped = _todo(path, options, retry_failed)
            if indices is not None:
                subset = _check_subset(indices, total)
                skipped += int(np.count_nonzero(~np.isin(todo, subset)))
                todo = todo[np.isin(todo, subset)]
            campaign = _Campaign(path, options, journal, len(todo), progress, flush_seconds)
            campaign.batch_size = int(batch_size or SECTION_BATCH)
            campaign.run(todo, workers, scheduler)
        finally:
            journal.close()
    return campaign.summary(total, skipped, recovered)


@dataclasses.dataclass
class _Campaign:
    """Mutable state of one run: counters, unmerged records, flush clock."""

    path: Path
    options: LabelOptions
    journal: Journal
    to_do: int
    progress: ProgressFn | None
    flush_seconds: float
    batch_size: int = SECTION_BATCH
    done: int = 0
    ok: int = 0
    failed: int = 0
    non_percolating: int = 0
    seconds: float = 0.0
    methods: dict[str, int] = dataclasses.field(default_factory=dict)
    failures: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    unmerged: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    last_flush: float = dataclasses.field(default_factory=time.monotonic)

    def run(self, todo: np.ndarray, workers: int | None, scheduler: Any) -> None:
        start = time.perf_counter()
        report(self.progress, 0, self.to_do)
        engine = _engines.make_engine(workers, scheduler, self.options.device, len(todo))
        completed = False
        try:
            for records in engine.map(label_batch, self._batches(todo), self.options):
                self._take(records)
            completed = True
        except (Cancelled, KeyboardInterrupt):
            self._flush(best_effort=True)
            raise
        finally:
            engine.close(cancel=not completed)
            self.seconds = time.perf_counter() - start
        self._flush()

    def _batches(self, todo: np.ndarray) -> Iterator[list[Item]]:
        from porestudio.structures.dataset import open_dataset

        sections: list[Item] = []
        with open_dataset(self.path) as ds:
            for indices in _read_blocks(todo):
                block = ds.pores(int(indices[0]), int(indices[-1]) + 1)
                for i in indices:
                    item = payload(int(i), block[int(i - indices[0])], self.options)
                    if item[1] != "section":
                        yield [item]
                        continue
                    sections.append(item)
                    if len(sections) >= self.batch_size:
                        yield sections
                        sections = []
        if sections:
            yield sections

    def _take(self, records: list[dict[str, Any]]) -> None:
        self.journal.append(records)
        self.unmerged.extend(records)
        for rec in records:
            if rec["status"] == STATUS_OK:
                self.ok += 1
                self.non_percolating += bool(rec.get("non_percolating"))
                method = str(rec.get("method", "?"))
                self.methods[method] = self.methods.get(method, 0) + 1
            else:
                self.failed += 1
                if len(self.failures) < 20:
                    self.failures.append((rec["i"], rec.get("message", "")))
        self.done += len(records)
        if time.monotonic() - self.last_flush >= self.flush_seconds:
            self._flush()
        report(self.progress, self.done, self.to_do)

    def _flush(self, best_effort: bool = False) -> None:
        if not self.unmerged:
            return
        try:
            _merge(self.path, self.unmerged, self.options)
        except Exception:
            if not best_effort:
                raise
            log.warning("could not merge the journal into %s; it is kept", self.path)
            return
        self.journal.clear()
        self.unmerged = []
        self.last_flush = time.monotonic()

    def summary(self, total: int, skipped: int, recovered: int) -> LabelSummary:
        return LabelSummary(
            path=str(self.path), total=total, labelled=self.done, ok=self.ok,
            failed=self.failed, skipped=skipped, recovered=recovered,
            non_percolating=self.non_percolating, seconds=self.seconds,
            methods=dict(self.methods), failures=tuple(self.failures),
        )  # fmt: skip


def _check_subset(indices: np.ndarray | list[int], total: int) -> np.ndarray:
    subset = np.unique(np.asarray(indices, dtype=np.int64).ravel())
    if subset.size and (subset[0] < 0 or subset[-1] >= total):
        raise InputError(f"sample indices must lie in 0..{total - 1}")
    return subset


def _read_blocks(todo: np.ndarray, block: int = 32) -> Iterator[np.ndarray]:
    """Runs of sample indices that are read from the file with one slice each."""
    start = 0
    while start < len(todo):
        stop = start + 1
        while stop < len(todo) and stop - start < block and todo[stop] - todo[start] < 2 * block:
            stop += 1
        yield todo[start:stop]
        start = stop


def _todo(path: Path, options: LabelOptions, retry_failed: bool) -> tuple[np.ndarray, int]:
    """Indices still to label, and how many are skipped as already done."""
    from porestudio.structures.dataset import open_dataset

    with open_dataset(path) as ds:
        n = len(ds)
        names = set(ds.property_names())
        props = ds.properties([p for p in ("label_status", "permeability_lu") if p in names])
    status = props.get("label_status", np.zeros(n, np.int8))
    perm = props.get("permeability_lu", np.full((n, 3, 3), np.nan))
    wanted = options.wanted_components()
    missing = np.isnan(perm[:, wanted[:, 0], wanted[:, 1]]).any(axis=1)
    need = (status != STATUS_OK) | missing
    if not retry_failed:
        need &= status != STATUS_FAILED
    todo = np.flatnonzero(need)
    return todo, n - len(todo)


def _merge(path: Path, records: list[dict[str, Any]], options: LabelOptions) -> int:
    """Write records into the HDF5 file (atomic rewrite); returns how many samples."""
    if not records:
        return 0
    from porestudio.physics._labelling import merge_values
    from porestudio.structures.dataset import open_dataset, write_properties

    latest = {int(rec["i"]): rec for rec in records}  # a later record of a sample wins
    indices = np.array(sorted(latest), dtype=np.int64)
    with open_dataset(path) as ds:
        if indices[-1] >= len(ds):
            raise SolverError(f"journal of {path.name} names sample {indices[-1]}: wrong file")
        names = set(ds.property_names())
        wanted = [p for p in ("permeability_lu", "permeability_m2") if p in names]
        existing = {k: v[indices] for k, v in ds.properties(wanted).items()}
        old_attrs = {k: ds.property_attrs(k) for k in wanted}
    values, attrs = merge_values([latest[i] for i in indices], existing, old_attrs, options)
    write_properties(path, values, indices=indices, attrs=attrs)
    log.info("merged %d labelled samples into %s", len(indices), path)
    return len(indices)
