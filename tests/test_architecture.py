"""The house rules: compute code never imports Qt, layers point one way, imports stay light."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter not installed")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_library_import_does_not_pull_qt_torch_or_vtk():
    code = (
        "import sys, porestudio.structures, porestudio.physics, porestudio.units;"
        "heavy = [m for m in ('PySide6', 'torch', 'vtk', 'pyvista', 'numba') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
