"""A headless node (no PySide6, pyvistaqt, pyqtgraph) runs the library and every command
but the studio; the studio then says in one line what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUI_PACKAGES = ("PySide6", "pyvistaqt", "pyqtgraph")

# Run porestudio as if the studio extra were not installed: importing any GUI package fails.
_PRELUDE = f"""
import sys
for name in {GUI_PACKAGES!r}:
    sys.modules[name] = None  # 'import name' now raises ImportError, like a missing package
from porestudio.cli import main
"""


def _headless(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _PRELUDE + code],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(cwd)},
        timeout=120,
    )


def test_library_and_commands_run_without_the_gui_packages(tmp_path):
    code = """
import porestudio.structures.generators, porestudio.structures.export
import porestudio.physics.permeability, porestudio.physics.campaign
for argv in (["--help"], ["info", "--help"], ["label", "--help"],
             ["generate", "squares", "--count", "3", "--size", "20", "--depth", "4",
              "--pore-size", "4", "--n-pores", "2", "3", "--out", "s.h5"],
             ["info", "s.h5:-1", "--json"],
             ["export", "s.h5:-1", "--tiff", "last.tif", "--vti", "last.vti"]):
    try:
        code = main(argv)
    except SystemExit as exc:  # --help
        code = exc.code
    assert code == 0, (argv, code)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyvistaqt", "pyqtgraph")
                and sys.modules[m] is not None)
assert not leaked, leaked
print("HEADLESS OK")
"""
    done = _headless(code, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HEADLESS OK" in done.stdout
    assert (tmp_path / "last.tif").stat().st_size > 0 and (tmp_path / "last.vti").exists()


def test_the_studio_says_what_to_install(tmp_path):
    done = _headless("sys.exit(main([]))", tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "pip install 'porestudio[studio]'" in done.stderr
