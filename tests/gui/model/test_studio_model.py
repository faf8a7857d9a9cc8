"""The Qt-free studio model: open a dataset, pick samples, targets, units (no display)."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

from porestudio.errors import InputError
from porestudio.gui.model import StudioModel
from porestudio.gui.model.studio import EVENTS, target_to_lattice
from porestudio.units import MILLIDARCY_M2


def _recorder(studio: StudioModel) -> dict[str, list]:
    seen: dict[str, list] = defaultdict(list)
    for name in EVENTS:
        studio.events[name].connect(lambda e, name=name: seen[name].append(e.value))
    return seen


def test_open_a_dataset_and_pick_two_samples(grf_dataset):
    studio = StudioModel()
    seen = _recorder(studio)
    table = studio.open_dataset(grf_dataset)
    assert seen["dataset"] == [table] and table.count == 5 and table.shape == (24, 24, 24)
    assert studio.voxel_size_m == pytest.approx(2e-6)
    assert studio.pick(1) == (1,)
    assert studio.pick(4, add=True) == (1, 4)
    assert seen["selection"] == [(), (1,), (1, 4)]
    assert studio.pick(-2, add=True) == (4, 3)  # negative indices count back


def test_selection_events_and_refused_second_pick(grf_dataset):
    studio = StudioModel()
    studio.open_dataset(grf_dataset)
    seen = _recorder(studio)
    studio.pick(2)
    with pytest.raises(InputError, match="already picked"):
        studio.pick(2, add=True)
    assert studio.selection == (2,)
    studio.pick(3, add=True)
    studio.pick(0, add=True)  # a third pick keeps the latest two
    assert studio.selection == (3, 0)
    studio.pick(3)  # a plain pick starts over
    assert seen["selection"] == [(2,), (2, 3), (3, 0), (3,)]
    with pytest.raises(InputError, match="out of range"):
        studio.pick(5)
    assert studio.selection == (3,)


def test_show_structures_in_viewers(grf_dataset):
    studio = StudioModel()
    studio.open_dataset(grf_dataset)
    seen = _recorder(studio)
    s = studio.structure(1)
    assert s.provenance["index"] == 1 and s.shape == (24, 24, 24)
    studio.show("A", s)
    studio.show("A", s)  # unchanged: no event
    studio.show("B", studio.structure(2))
    assert [v for v, _ in seen["shown"]] == ["A", "B"]
    assert seen["shown"][0][1] is s
    with pytest.raises(InputError, match="unknown viewer"):
        studio.show("C", s)


def test_no_dataset_gives_clear_errors():
    studio = StudioModel()
    with pytest.raises(InputError, match="no dataset open"):
        studio.pick(0)
    with pytest.raises(InputError, match="no interpolation path"):
        studio.set_step(3)


def test_targets_in_units(grf_dataset):
    studio = StudioModel()
    studio.open_dataset(grf_dataset)
    seen = _recorder(studio)
    studio.set_unit("mD")
    targets = studio.set_targets({"porosity": 0.4, "k_zz": 10.0, "k_xx": float("nan")})
    k_lu = 10.0 * MILLIDARCY_M2 / (2e-6) ** 2
    assert targets == {"porosity": 0.4, "k_zz": pytest.approx(k_lu)}
    assert seen["unit"] == ["mD"] and seen["targets"] == [targets]
    assert studio.k_in_unit(k_lu) == pytest.approx(10.0)
    for bad, match in (({"porosity": 1.2}, "between 0 and 1"), ({"k_qq": 1.0}, "unknown target"),
                       ({"k_zz": -1.0}, "negative"), ({}, "no target")):  # fmt: skip
        with pytest.raises(InputError, match=match):
            studio.set_targets(bad)
    assert studio.targets == targets


def test_units_need_a_voxel_size(squares_dataset, dataset_dir):
    with pytest.raises(InputError, match="needs the voxel size"):
        target_to_lattice("k_zz", 1.0, "m2", None)
    assert target_to_lattice("k_zz", 3.0, "lu", None) == 3.0
    assert target_to_lattice("k_zz", 1e-12, "m2", 1e-6) == pytest.approx(1.0)
    studio = StudioModel()
    with pytest.raises(InputError, match="unknown unit"):
        studio.set_unit("furlong")


def test_a_new_dataset_clears_the_selection(grf_dataset, squares_dataset):
    studio = StudioModel()
    studio.open_dataset(grf_dataset)
    studio.pick(1)
    old = studio.table
    seen = _recorder(studio)
    studio.open_dataset(squares_dataset)
    assert studio.selection == () and seen["selection"] == [()]
    assert studio.table.count == 3 and not old.dataset._h5.id.valid  # the old file is closed
    studio.close()
    assert studio.table is None


def test_the_model_imports_no_qt(grf_dataset):
    code = (
        "import sys\n"
        "from porestudio.gui.model import StudioModel\n"
        "from porestudio.gui.model import render, table_filter\n"
        f"s = StudioModel(); s.open_dataset({str(grf_dataset)!r}); s.pick(0)\n"
        "m = render.build_render_meshes(s.structure(0).pore, mode='voxel')\n"
        "assert m.surface.n_faces > 0\n"
        "qt = ('PySide6', 'pyqtgraph', 'pyvistaqt')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in qt]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_filter_over_table_columns(grf_dataset):
    from porestudio.gui.model.table import table_columns
    from porestudio.gui.model.table_filter import evaluate

    studio = StudioModel()
    table = studio.open_dataset(grf_dataset)
    columns = {c.name: c.values for c in table_columns(table.properties, table.count)}
    mask = evaluate("k_xx > 0", columns, table.count)
    assert np.flatnonzero(mask).tolist() == [1]
