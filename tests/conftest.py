"""Session-wide settings of the test suite.

Qt (PySide6) and VTK objects must be torn down while their application is alive. A refcount
error in one of these C extensions (Python 3.11 aborts with "bool_dealloc: deallocating
True or False" when it finalises the wrong object) made the interpreter abort in the
cyclic garbage collector, mid-run or at exit, after every test had passed. So, once a GUI
test has run, the cyclic collector stays off (reference counting still frees everything
that is not in a cycle), and the process ends with the session's exit status without the
interpreter's own shutdown collection, after every plugin (pytest-xvfb included) has
finished.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import numpy as np
import pytest

_STATUS: dict[str, int] = {}


@pytest.fixture(scope="session")
def grf3d_set(tmp_path_factory) -> Path:
    """24 GRF cubes 8³ labelled with the LBM diagonal, periodic boundaries (written once;
    copy before changing). Shared by the ml, design and studio tests of 3D models."""
    from porestudio.physics.permeability import permeability
    from porestudio.structures import generators
    from porestudio.structures.dataset import DatasetWriter

    pores, ks = [], []
    for i in range(24):
        s = generators.grf(
            i, shape=(8, 8, 8), porosity=0.35 + 0.01 * i, correlation_length_vox=(1.5, 1.5, 3)
        )
        pores.append(s.pore)
        ks.append(np.asarray(permeability(s, mode="periodic").k_lu))
    path = tmp_path_factory.mktemp("grf3d") / "grf3d.h5"
    with DatasetWriter(path, shape=(8, 8, 8), voxel_size_m=1e-5) as w:
        w.append(
            np.stack(pores),
            properties={"permeability_lu": np.stack(ks), "label_status": np.ones(24, np.int8)},
        )
        w.set_property_attrs("permeability_lu", {"boundary_mode": "periodic"})
    return path


def pytest_runtest_setup(item: pytest.Item) -> None:
    if "tests/gui" in str(item.path).replace(os.sep, "/") and gc.isenabled():
        gc.collect()
        gc.disable()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _STATUS["exit"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if "PySide6.QtWidgets" in sys.modules and "exit" in _STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        xvfb = sys.modules.get("pytest_xvfb")
        if xvfb is not None:  # its atexit hook would not run
            xvfb.shutdown_xvfb()
        os._exit(_STATUS["exit"])
