"""The sample table model: columns, units, sorting (NaN last), selection follows its sample."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from porestudio.gui.table_model import (
    PropertyTableModel,
    format_value,
    load_table,
    sort_order,
    table_columns,
)
from porestudio.units import MILLIDARCY_M2


def test_sort_order_puts_missing_values_last():
    v = np.array([3.0, np.nan, 1.0, 2.0, np.nan])
    assert sort_order(v).tolist()[:3] == [2, 3, 0]
    assert sort_order(v, descending=True).tolist()[:3] == [0, 3, 2]
    assert set(sort_order(v)[3:]) == {1, 4} and set(sort_order(v, True)[3:]) == {1, 4}
    s = np.array(["b", "", "a"])
    assert sort_order(s).tolist() == [2, 0, 1]
    assert sort_order(np.array([2, 0, 1], dtype=np.int8), True).tolist() == [0, 2, 1]


def test_columns_show_scalars_and_the_permeability_diagonal_in_units():
    n = 4
    k = np.zeros((n, 3, 3))
    k[:, 0, 0], k[:, 1, 1], k[:, 2, 2] = 1.0, 2.0, 3.0
    props = {
        "porosity": np.linspace(0.1, 0.4, n),
        "permeability_lu": k,
        "label_message": np.array(["", "", "failed", ""]),
        "other": np.zeros((n, 2)),
    }
    names = [c.name for c in table_columns(props, n)]
    assert names == ["#", "porosity", "k_xx", "k_yy", "k_zz", "message"]
    props["label_status"] = np.ones(n, dtype=np.int8)  # all ok: no message column
    columns = table_columns(props, n)
    assert [c.name for c in columns] == ["#", "porosity", "k_xx", "k_yy", "k_zz", "status"]
    assert columns[-1].text(np.int8(1)) == "ok" and columns[-1].text(np.int8(0)) == "—"
    props["label_status"][2] = 2
    assert [c.name for c in table_columns(props, n)][-2:] == ["status", "message"]
    cols = {c.name: c for c in table_columns(props, n, unit="mD", voxel_size_m=2e-6)}
    assert cols["k_zz"].values[0] == pytest.approx(3.0 * 4e-12 / MILLIDARCY_M2)
    assert cols["k_zz"].header == "k_zz [mD]"
    unknown = {c.name: c for c in table_columns(props, n, unit="mD", voxel_size_m=None)}
    assert unknown["k_zz"].header == "k_zz [voxel²]"  # no voxel size: stays in lattice units


def test_model_sorts_and_keeps_the_selection_on_its_sample(qtbot):
    n = 48_831  # the size of the paper's CT dataset: the model must not care
    rng = np.random.default_rng(1)
    props = {"porosity": rng.random(n)}
    model = PropertyTableModel()
    model.set_columns(table_columns(props, n))
    view = QtWidgets.QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.selectionModel().setCurrentIndex(
        model.index(123, 0), QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    assert model.rowCount() == n and model.columnCount() == 2
    model.sort(1, QtCore.Qt.SortOrder.DescendingOrder)
    top = model.sample_at(0)
    assert props["porosity"][top] == props["porosity"].max()
    assert model.data(model.index(0, 0)) == str(top)
    current = view.selectionModel().currentIndex()
    assert model.sample_at(current.row()) == 123
    assert model.row_of(123) == current.row()


def test_format_value():
    assert format_value(np.nan) == "—"
    assert format_value(0.25) == "0.2500"
    assert format_value(1.5e-13) == "1.500e-13"  # the one formatter (porestudio.formatting)
    assert format_value(np.int64(7)) == "7"


def test_load_table_reads_properties_not_structures(grf_dataset):
    table = load_table(grf_dataset)
    try:
        assert table.count == 5 and table.shape == (24, 24, 24)
        assert table.voxel_size_m == pytest.approx(2e-6)
        assert table.properties["permeability_lu"].shape == (5, 3, 3)
        assert np.isnan(table.properties["permeability_lu"][0]).all()
    finally:
        table.dataset.close()
