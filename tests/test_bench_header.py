"""Every docs/bench_*.md records where it ran, through one header (scripts/_machine.py)."""

from __future__ import annotations

import datetime
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _machine():
    spec = importlib.util.spec_from_file_location("_machine", ROOT / "scripts" / "_machine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_header_names_command_date_commit_hardware_and_versions():
    when = datetime.datetime(2026, 12, 6, 18, 30, tzinfo=datetime.UTC)
    lines = _machine().bench_header(["--quick", "--out", "a b.md"], script="scripts/x.py", now=when)
    text = "\n".join(lines)
    assert lines[0] == "* Command: `python scripts/x.py --quick --out 'a b.md'`"
    assert "* Date: 2026-12-06 18:30 UTC" in text
    assert re.search(r"\* Commit: [0-9a-f]{7,} \((clean|dirty: tracked files differ)\)", text)
    assert re.search(r"\* CPU: .+, \d+ logical CPUs", text) and "* GPU: " in text
    versions = next(line for line in lines if line.startswith("* Versions: "))
    for name in ("Python", "numpy", "numba", "torch", "vtk", "h5py"):
        assert f" {name} " in versions, name
    assert lines[-1] == ""


def test_every_benchmark_script_uses_the_shared_header():
    scripts = sorted((ROOT / "scripts").glob("bench_*.py"))
    assert len(scripts) >= 6
    for script in scripts:
        source = script.read_text(encoding="utf-8")
        assert "bench_header(" in source, script.name
        assert "platform.processor()" not in source, script.name  # no private machine line
