"""Where a benchmark ran: the one header of every ``docs/bench_*.md`` (shared by the scripts here).

:func:`bench_header` is porestudio's counterpart of ``pyvista.Report``: the command line that
made the page, the UTC date, the git commit (and whether the working tree differed from it),
CPU and GPU, the load, and the versions of the libraries the numbers depend on. Nothing here
imports torch, numba or vtk: versions come from the installed packages' metadata.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Distributions whose versions a benchmark page records (absent ones are left out).
LIBRARIES = (
    "numpy",
    "scipy",
    "numba",
    "torch",
    "triton",
    "vtk",
    "pyvista",
    "h5py",
    "PySide6-Essentials",
)


def machine() -> str:
    """CPU model, logical CPU count and kernel, e.g. for a benchmark's header."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def gpus() -> str:
    """GPU names and memory from ``nvidia-smi``, or "none" (no driver, no GPU)."""
    if shutil.which("nvidia-smi") is None:
        return "none"
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "none (nvidia-smi failed)"
    rows = [" ".join(r.split()) for r in out.strip().splitlines() if r.strip()]
    return "; ".join(f"{r.split(',')[0]} ({', '.join(r.split(', ')[1:])})" for r in rows) or "none"


def git_commit(root: Path = ROOT) -> str:
    """``abc1234`` or ``abc1234 (dirty: tracked files differ)``; "unknown" outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    if not head:
        return "unknown"
    return f"{head} (dirty: tracked files differ)" if dirty else f"{head} (clean)"


def versions(libraries: Sequence[str] = LIBRARIES) -> str:
    """``Python 3.11.7, numpy 2.4.6, ...`` for the installed ones of ``libraries``."""
    parts = [f"Python {platform.python_version()}"]
    for name in libraries:
        try:
            parts.append(f"{name.removesuffix('-Essentials')} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    with contextlib.suppress(metadata.PackageNotFoundError):
        parts.append(f"porestudio {metadata.version('porestudio')}")
    return ", ".join(parts)


def bench_header(
    argv: Sequence[str] | None = None,
    *,
    script: str | None = None,
    now: datetime.datetime | None = None,
) -> list[str]:
    """Markdown lines recording where and how a benchmark ran (put them under the title).

    Parameters
    ----------
    argv : sequence of str, optional
        The script's arguments (default ``sys.argv[1:]``).
    script : str, optional
        The script's path relative to the repository (default: from ``sys.argv[0]``).
    now : datetime, optional
        The time to record (default: now, UTC).

    Returns
    -------
    list of str
        Bullet lines and a blank line: command, UTC date, git commit and dirty flag,
        CPU, GPU, load average, library versions.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if script is None:
        path = Path(sys.argv[0]).resolve()
        script = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
    when = (now or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"* Command: `{shlex.join(['python', script, *argv])}`",
        f"* Date: {when:%Y-%m-%d %H:%M} UTC",
        f"* Commit: {git_commit()}",
        f"* CPU: {machine()}",
        f"* GPU: {gpus()}",
        f"* Load average (1/5/15 min) at the start: {load}",
        f"* Versions: {versions()}",
        "",
    ]
