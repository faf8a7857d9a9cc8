"""Labelling campaigns: values, resumability, failures, locking, process pool and Dask."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from porestudio.errors import BusyError, Cancelled, InputError
from porestudio.physics._journal import Journal, campaign_lock, journal_path
from porestudio.physics.campaign import label_dataset
from porestudio.physics.permeability import permeability
from porestudio.physics.stokes2d import extruded_permeability
from porestudio.structures.dataset import DatasetWriter, open_dataset
from porestudio.structures.generators import squares_batch

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, sections: np.ndarray, depth: int = 2, voxel=None, extra=None) -> Path:
    pores = np.repeat(sections[:, None], depth, axis=1)
    if extra is not None:
        pores = np.concatenate([pores, extra])
    with DatasetWriter(path, shape=pores.shape[1:], voxel_size_m=voxel) as w:
        w.append(pores)
    return path


@pytest.fixture
def squares_file(tmp_path) -> Path:
    sections = squares_batch(12, 5, size=30, pore_size=5, n_pores=(4, 12))
    return _write(tmp_path / "squares.h5", sections)


def _sections(path: Path) -> np.ndarray:
    with open_dataset(path) as ds:
        return ds.pores()[:, 0]


def _props(path: Path) -> dict:
    with open_dataset(path) as ds:
        return ds.properties()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_extruded_samples_get_the_exact_value_and_a_rerun_skips_them(squares_file):
    summary = label_dataset(squares_file, axes="z", workers=0)
    assert (summary.labelled, summary.ok, summary.failed, summary.skipped) == (12, 12, 0, 0)
    assert summary.methods == {"stokes2d": 12}
    props = _props(squares_file)
    expected = [extruded_permeability(s) for s in _sections(squares_file)]
    np.testing.assert_allclose(props["permeability_lu"][:, 2, 2], expected, rtol=1e-12)
    assert np.isnan(props["permeability_lu"][:, :2]).all()  # x, y rows not computed
    assert (props["label_status"] == 1).all()
    with open_dataset(squares_file) as ds:
        attrs = ds.property_attrs("permeability_lu")
    assert attrs["unit"] == "voxel^2" and attrs["method"] == "stokes2d"
    assert attrs["tensor_mode"] == "diagonal"
    again = label_dataset(squares_file, axes="z", workers=0)
    assert (again.labelled, again.skipped) == (0, 12)
    assert not journal_path(squares_file).exists()


def test_process_pool_gives_the_serial_values(squares_file, tmp_path):
    serial = tmp_path / "serial.h5"
    serial.write_bytes(squares_file.read_bytes())
    label_dataset(serial, axes="z", workers=0)
    summary = label_dataset(squares_file, axes="z", workers=2, batch_size=3)
    assert summary.ok == 12
    np.testing.assert_array_equal(
        _props(squares_file)["permeability_lu"], _props(serial)["permeability_lu"]
    )


def test_cancelled_run_resumes_without_labelling_twice(squares_file):
    def stop_after_five(done, total):
        if done >= 5:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        label_dataset(squares_file, axes="z", workers=0, batch_size=1, progress=stop_after_five)
    status = _props(squares_file)["label_status"]
    assert np.count_nonzero(status == 1) == 5  # finished samples were merged on cancel
    rest = label_dataset(squares_file, axes="z", workers=0)
    assert (rest.labelled, rest.skipped) == (7, 5)
    assert (_props(squares_file)["label_status"] == 1).all()


def test_killed_run_is_recovered_from_its_journal(squares_file):
    script = textwrap.dedent(
        f"""
        import os, signal
        from porestudio.physics.campaign import label_dataset
        def die(done, total):
            if done >= 4:
                os.kill(os.getpid(), signal.SIGKILL)
        label_dataset({str(squares_file)!r}, axes="z", workers=0, batch_size=1, progress=die)
        """
    )
    before = _digest(squares_file)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert _digest(squares_file) == before  # nothing merged yet: the journal holds it
    with open_dataset(squares_file) as ds:
        tag = ds.attrs["created"]
    assert len(Journal(journal_path(squares_file), tag).read()) == 4
    summary = label_dataset(squares_file, axes="z", workers=0)
    assert (summary.recovered, summary.labelled, summary.skipped) == (4, 8, 4)
    assert (_props(squares_file)["label_status"] == 1).all()


def test_a_journal_of_another_file_is_ignored(squares_file):
    stale = Journal(journal_path(squares_file), tag="1999-01-01T00:00:00")
    stale.append([{"i": 0, "status": 2, "message": "stale", "porosity": 0.0, "k": [None] * 9}])
    stale.close()
    summary = label_dataset(squares_file, axes="z", workers=0)
    assert (summary.recovered, summary.ok) == (0, 12)
    assert (_props(squares_file)["label_status"] == 1).all()


def test_torn_journal_line_is_ignored(tmp_path):
    journal = Journal(tmp_path / "x.journal")
    journal.append([{"i": 0, "status": 1, "k": [float("nan")] * 9}])
    journal.close()
    with open(journal.path, "a") as fh:
        fh.write('{"i": 1, "sta')  # the process died mid-write
    records = journal.read()
    assert [r["i"] for r in records] == [0]
    assert records[0]["k"] == [None] * 9


def test_a_failing_sample_is_recorded_and_the_campaign_goes_on(tmp_path):
    sections = squares_batch(3, 2, size=20, pore_size=5, n_pores=(2, 4))
    rng = np.random.default_rng(0)
    noise = rng.random((1, 2, 20, 20)) < 0.7  # not extruded: stokes2d cannot label it
    path = _write(tmp_path / "mixed.h5", sections, extra=noise)
    summary = label_dataset(path, method="stokes2d", axes="z", workers=0)
    assert (summary.ok, summary.failed) == (3, 1)
    assert summary.failures[0][0] == 3 and "not extruded" in summary.failures[0][1]
    props = _props(path)
    assert props["label_status"].tolist() == [1, 1, 1, 2]
    assert "not extruded" in props["label_message"][3]
    assert np.isnan(props["permeability_lu"][3]).all()
    assert props["porosity"][3] == pytest.approx(noise.mean())
    assert label_dataset(path, method="stokes2d", axes="z", workers=0).skipped == 4
    retry = label_dataset(path, method="stokes2d", axes="z", workers=0, retry_failed=True)
    assert (retry.labelled, retry.failed) == (1, 1)


def test_second_writer_gets_a_clear_error(squares_file):
    before = _digest(squares_file)
    with campaign_lock(squares_file), pytest.raises(BusyError, match="another process"):
        label_dataset(squares_file, axes="z", workers=0)
    assert _digest(squares_file) == before
    assert label_dataset(squares_file, axes="z", workers=0).ok == 12  # lock released


def test_m2_needs_a_voxel_size(squares_file, tmp_path):
    before = _digest(squares_file)
    with pytest.raises(InputError, match="no voxel size"):
        label_dataset(squares_file, axes="z", workers=0, si=True)
    assert _digest(squares_file) == before
    sized = _write(tmp_path / "sized.h5", _sections(squares_file)[:3], voxel=2e-6)
    label_dataset(sized, axes="z", workers=0, si=True)
    props = _props(sized)
    np.testing.assert_allclose(
        props["permeability_m2"][:, 2, 2], props["permeability_lu"][:, 2, 2] * 4e-12
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "stokes2d"}, "one flow axis"),
        ({"axes": "w"}, "unknown axis"),
        ({"method": "magic"}, "unknown method"),
        ({"tensor": True, "axes": "x"}, "three axes"),
        ({"workers": -1}, "workers"),
    ],
)
def test_bad_options_raise_input_errors(squares_file, kwargs, message):
    with pytest.raises(InputError, match=message):
        label_dataset(squares_file, **kwargs)


def test_missing_and_foreign_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="^no such file or folder: "):
        label_dataset(tmp_path / "nope.h5")
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5 at all")
    with pytest.raises(InputError, match="not an HDF5"):
        label_dataset(bad)


def test_full_disk_keeps_the_file_and_the_campaign_resumes(squares_file):
    size = squares_file.stat().st_size
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_FSIZE, ({size // 2}, {size // 2}))
        from porestudio.cli import main
        sys.exit(main(["label", {str(squares_file)!r}, "--axis", "z", "--workers", "0"]))
        """
    )
    before = _digest(squares_file)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("porestudio: error: cannot write")
    assert "too large" in lines[0].lower()
    assert _digest(squares_file) == before
    assert not list(squares_file.parent.glob(".*.tmp"))
    summary = label_dataset(squares_file, axes="z", workers=0)
    assert (summary.recovered, summary.labelled) == (12, 0)
    assert (_props(squares_file)["label_status"] == 1).all()


def test_dask_cluster_survives_a_killed_worker(tmp_path):
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(7)
    sections = rng.random((16, 44, 44)) < 0.62  # big random components: real solver work
    path = _write(tmp_path / "dask.h5", sections)
    expected = [extruded_permeability(s) for s in sections]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = list(client.run(os.getpid).values())
        victim = pids[0]
        seen: list[int] = []

        def kill_one_worker(done, total):
            seen.append(done)
            if done == 1:
                os.kill(victim, signal.SIGKILL)

        summary = label_dataset(
            path, axes="z", scheduler=client, batch_size=1, progress=kill_one_worker
        )
        assert victim not in client.run(os.getpid).values()  # the worker really died
    assert (summary.labelled, summary.ok, summary.failed) == (16, 16, 0)
    assert seen == list(range(17))  # every sample reported exactly once, in one run
    props = _props(path)
    assert (props["label_status"] == 1).all()
    np.testing.assert_allclose(props["permeability_lu"][:, 2, 2], expected, rtol=1e-12)


def test_a_subset_of_indices_is_labelled(squares_file):
    summary = label_dataset(squares_file, axes="z", workers=0, indices=[1, 4, 4, 7])
    assert (summary.labelled, summary.skipped) == (3, 9)
    assert np.flatnonzero(_props(squares_file)["label_status"] == 1).tolist() == [1, 4, 7]
    with pytest.raises(InputError, match="indices"):
        label_dataset(squares_file, axes="z", workers=0, indices=[12])


def test_a_non_converging_lbm_sample_fails_and_a_blocked_one_is_zero(tmp_path):
    rng = np.random.default_rng(1)
    porous = rng.random((10, 10, 10)) < 0.7
    blocked = porous.copy()
    blocked[:, :, 5] = False  # a solid wall across x: no path, k_xx = 0 without a run
    path = tmp_path / "lbm.h5"
    with DatasetWriter(path, shape=(10, 10, 10), voxel_size_m=None) as w:
        w.append(np.stack([porous, blocked]))
    summary = label_dataset(path, method="lbm", axes="x", workers=0, max_steps=20)
    assert (summary.ok, summary.failed, summary.non_percolating) == (1, 1, 1)
    props = _props(path)
    assert props["label_status"].tolist() == [2, 1]
    assert "not converged along x" in props["label_message"][0]
    assert "20 steps" in props["label_message"][0]
    assert np.isnan(props["permeability_lu"][0]).all()
    assert props["permeability_lu"][1, 0, 0] == 0.0


def test_periodic_merges_keep_the_file_current(squares_file):
    seen = []

    def check(done, total):
        if done:  # with flush_seconds=0 every finished batch is already in the file
            seen.append(int(np.count_nonzero(_props(squares_file)["label_status"] == 1)))

    label_dataset(squares_file, axes="z", workers=0, batch_size=4, flush_seconds=0, progress=check)
    assert seen == [4, 8, 12]
    assert not journal_path(squares_file).exists()


def test_default_axis_all_decides_non_percolating_axes_from_the_section(squares_file, tmp_path):
    """--axis all on an extruded set: the same values as the full volume path, one 2D
    labelling per sample, the exact solver along z, k = 0 where the section is closed."""
    fast = label_dataset(squares_file, workers=0)  # default axes="all"
    assert (fast.ok, fast.failed) == (12, 0)
    props = _props(squares_file)
    with open_dataset(squares_file) as ds:
        pores = ds.pores()
    for i, pore in enumerate(pores):
        ref = permeability(pore, axes="all")  # the volume path, solver by solver
        got = props["permeability_lu"][i]
        np.testing.assert_allclose(np.diag(got), np.diag(ref.k_lu), rtol=1e-9, atol=0)
    closed = props["permeability_lu"][:, 0, 0] == 0
    assert closed.any() and fast.non_percolating == int(
        (np.diagonal(props["permeability_lu"], axis1=1, axis2=2) == 0).any(axis=1).sum()
    )


def test_an_in_plane_axis_that_percolates_still_gets_its_lbm_run(tmp_path):
    section = np.zeros((1, 8, 8), bool)
    section[0, 2:6, :] = True  # a slit open along x, closed along y
    section[0, 3, 4] = False  # a post: not extruded along x
    path = _write(tmp_path / "slit.h5", section, depth=3)
    summary = label_dataset(path, workers=0, tol=1e-5)
    k = _props(path)["permeability_lu"][0]
    with open_dataset(path) as ds:
        ref = permeability(ds.pores()[0], axes="all", tol=1e-5)
    assert summary.methods == {"lbm+stokes2d": 1}
    assert k[0, 0] == pytest.approx(ref.k_lu[0, 0], rel=1e-9) and k[0, 0] > 0
    assert k[1, 1] == 0 and k[2, 2] == pytest.approx(ref.k_lu[2, 2], rel=1e-9)


def test_workers_of_a_killed_run_do_not_outlive_it(tmp_path):
    psutil = pytest.importorskip("psutil")
    from porestudio.structures import generators

    cubes = np.stack([generators.grf(i, shape=(24, 24, 24), porosity=0.5).pore for i in range(6)])
    path = tmp_path / "cubes.h5"
    with DatasetWriter(path, shape=cubes.shape[1:], voxel_size_m=None) as w:
        w.append(cubes)
    script = textwrap.dedent(
        f"""
        from porestudio.physics.campaign import label_dataset
        label_dataset({str(path)!r}, tensor=True, mode="periodic", workers=2, tol=1e-9)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    parent = psutil.Process(proc.pid)
    workers: list = []
    for _ in range(600):  # the spawned workers appear once the pool has started
        workers = [c for c in parent.children() if "spawn_main" in " ".join(c.cmdline())]
        if len(workers) == 2:
            break
        proc.poll()
        assert proc.returncode is None, "the campaign ended before its workers started"
        __import__("time").sleep(0.05)
    assert len(workers) == 2
    __import__("time").sleep(1.0)  # into their first samples
    proc.kill()
    proc.wait(timeout=30)
    gone, alive = psutil.wait_procs(workers, timeout=20)
    for p in alive:
        p.kill()
    assert not alive, "pool workers survived their killed campaign"
