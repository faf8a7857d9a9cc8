"""``porestudio label`` end to end on real HDF5 files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from porestudio.cli import main
from porestudio.physics._journal import campaign_lock
from porestudio.physics.stokes2d import extruded_permeability
from porestudio.structures.dataset import DatasetWriter, open_dataset
from porestudio.structures.generators import squares_batch

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dataset(tmp_path) -> Path:
    sections = squares_batch(6, 9, size=24, pore_size=4, n_pores=(3, 10))
    path = tmp_path / "set.h5"
    with DatasetWriter(path, shape=(2, 24, 24), voxel_size_m=None) as w:
        w.append(np.repeat(sections[:, None], 2, axis=1))
    return path


def test_label_prints_a_summary_and_fills_the_file(dataset, capsys):
    assert main(["label", str(dataset), "--axis", "z", "--workers", "0"]) == 0
    out = capsys.readouterr().out
    assert "6 samples; labelled 6 (ok 6, failed 0), skipped 0" in out
    assert "stokes2d: 6" in out
    with open_dataset(dataset) as ds:
        k = ds.properties(["permeability_lu"])["permeability_lu"][:, 2, 2]
        first = ds.pore(0)[0]
    assert k[0] == pytest.approx(extruded_permeability(first), rel=1e-12)


def test_json_summary_and_resume(dataset, capsys):
    assert main(["label", str(dataset), "--axis", "z", "--workers", "0", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["ok"] == 6 and first["samples_per_second"] > 0
    assert main(["label", str(dataset), "--axis", "z", "--workers", "0", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["labelled"], second["skipped"]) == (0, 6)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--si"], "no voxel size"),
        (["--method", "stokes2d"], "one flow axis"),
        (["--workers", "-2"], "workers"),
    ],
)
def test_user_errors_are_one_line_exit_2(dataset, capsys, extra, message):
    assert main(["label", str(dataset), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("porestudio: error:") and message in err[0]


def test_missing_file(tmp_path, capsys):
    assert main(["label", str(tmp_path / "none.h5")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_second_writer_is_refused(dataset, capsys):
    with campaign_lock(dataset):
        assert main(["label", str(dataset), "--axis", "z", "--workers", "0"]) == 2
    assert "being labelled by another process" in capsys.readouterr().err


def test_console_script_runs_with_the_process_pool(dataset):
    exe = Path(sys.executable).with_name("porestudio")
    proc = subprocess.run(
        [str(exe), "label", str(dataset), "--axis", "z", "--workers", "2"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "labelled 6 (ok 6" in proc.stdout


def test_bad_scheduler_address_is_a_one_line_error(dataset, capsys):
    assert main(["label", str(dataset), "--axis", "z", "--scheduler", "nonsense"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot use the Dask scheduler 'nonsense'" in err[0]
