"""The sample-table filter: the tiny grammar, and the browser on a 48,831-row dataset."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6 import QtCore

from porestudio.gui.model.table_filter import FilterError, evaluate
from porestudio.structures.dataset import DatasetWriter

N_BIG = 48_831  # the size of the paper's CT dataset


@pytest.fixture
def columns():
    n = 8
    return n, {
        "porosity": np.array([0.1, 0.25, 0.3, 0.35, 0.5, 0.22, np.nan, 0.28]),
        "k_zz": np.array([0.5, 1.5, np.nan, 3.0, 9.0, 0.9, 2.0, 1.1]),
        "status": np.array([1, 1, 2, 1, 1, 1, 0, 1], dtype=np.int8),
        "#": np.arange(n),
        "index": np.arange(n),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("porosity > 0.3", [3, 4]),
        ("0.2 < porosity < 0.3 and k_zz > 1", [1, 7]),
        ("0.2<porosity<0.3 && k_zz>1", [1, 7]),
        ("porosity >= 0.3 or k_zz < 0.6", [0, 2, 3, 4]),
        ("not (porosity > 0.2)", [0, 6]),  # NaN is not > 0.2
        ("k_zz == nan", [2]),
        ("k_zz != nan, status = ok", [0, 1, 3, 4, 5, 7]),
        ("status == failed | status == unlabelled", [2, 6]),
        ("index < 2 or # == 7", [0, 1, 7]),
        ("PoRoSiTy > -1e3 AND k_zz <= 1.5", [0, 1, 5, 7]),
        ("(porosity < 0.2 or porosity > 0.4) and k_zz > 0", [0, 4]),
    ],
)
def test_filters_select_the_right_samples(columns, text, expected):
    n, cols = columns
    assert np.flatnonzero(evaluate(text, cols, n)).tolist() == expected


def test_an_empty_filter_keeps_everything(columns):
    n, cols = columns
    assert evaluate("", cols, n) is None and evaluate("   ", cols, n) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("porosity >", "ends too early"),
        ("porosity", "expected a comparison"),
        ("porosity > 0.3 and", "ends too early"),
        ("(porosity > 0.3", "missing ')'"),
        ("porosity > 0.3)", "unexpected ')' at character 15"),
        ("k_ww > 1", "unknown column 'k_ww'"),
        ("1 < 2", "needs a column name"),
        ("porosity > 0.3; import os", "unexpected ';' at character 15"),
        ("__import__('os').system('true') > 1", 'unexpected "\'"'),
        ("porosity > -k_zz", "'-' only goes before numbers"),
    ],
)
def test_malformed_filters_raise_a_clear_message(columns, text, message):
    n, cols = columns
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate(text, cols, n)


@pytest.fixture(scope="module")
def big_dataset(tmp_path_factory):
    """48,831 tiny samples with porosity, k_zz (NaN where labelling failed) and status."""
    rng = np.random.default_rng(3)
    pores = rng.random((N_BIG, 2, 4, 8)) < rng.random(N_BIG)[:, None, None, None]
    porosity = pores.mean(axis=(1, 2, 3))
    k = np.full((N_BIG, 3, 3), np.nan)
    k[:, 2, 2] = 10 * porosity**3
    status = np.ones(N_BIG, dtype=np.int8)
    status[::97], k[::97] = 2, np.nan
    message = np.full(N_BIG, "", dtype=object)
    message[::97] = "did not converge"
    path = tmp_path_factory.mktemp("big") / "big.h5"
    props = {"porosity": porosity, "permeability_lu": k, "label_status": status}
    with DatasetWriter(path, shape=(2, 4, 8), voxel_size_m=None) as w:
        w.append(pores, properties={**props, "label_message": message})
    return path, props


def _open(window, qtbot, path, wait_idle):
    with qtbot.waitSignal(window.viewers.a.rendered, timeout=60_000):
        window.open_dataset(path)
    wait_idle(window.jobs)


def _type_filter(browser, qtbot, text):
    browser.filter_edit.clear()
    qtbot.keyClicks(browser.filter_edit, text)
    qtbot.keyClick(browser.filter_edit, QtCore.Qt.Key.Key_Return)


def test_filtering_48831_rows(window, qtbot, big_dataset, wait_idle, errors, record_property):
    path, props = big_dataset
    _open(window, qtbot, path, wait_idle)
    browser, model = window.browser, window.browser.model
    assert model.rowCount() == N_BIG and browser.count_label.text() == "48,831 samples"
    headers = [model.headerData(i, QtCore.Qt.Orientation.Horizontal) for i in range(6)]
    assert headers[2:] == ["k_xx [voxel²]", "k_yy [voxel²]", "k_zz [voxel²]", "status"]
    _type_filter(browser, qtbot, "0.2 < porosity < 0.3 and k_zz > 0.1")
    phi, kzz = props["porosity"], props["permeability_lu"][:, 2, 2]
    expected = (phi > 0.2) & (phi < 0.3) & (kzz > 0.1)
    assert 0 < expected.sum() < N_BIG
    assert model.rowCount() == expected.sum()
    assert browser.count_label.text() == f"{expected.sum():,} of 48,831 samples"
    shown = model.order
    assert np.array_equal(np.sort(shown), np.flatnonzero(expected))
    record_property("filter_seconds_48831_rows", browser.filter_seconds)
    print(f"\nfilter of {N_BIG} rows: {browser.filter_seconds * 1e3:.2f} ms (eval + model)")
    # the selection moved into the subset, and the viewer and the plot follow it
    selected = browser.selected_sample()
    assert selected == shown[0] and expected[selected]
    wait_idle(window.jobs)
    assert window.viewers.a.structure.provenance["index"] == selected
    assert window.plot.selected == selected
    assert np.array_equal(window.plot.subset, expected)
    started = time.perf_counter()
    window.plot.redraw()
    print(f"plot redraw with the subset: {(time.perf_counter() - started) * 1e3:.1f} ms")
    assert errors.messages == []


def test_a_malformed_filter_shows_an_inline_message(window, qtbot, big_dataset, wait_idle, errors):
    path, props = big_dataset
    _open(window, qtbot, path, wait_idle)
    browser = window.browser
    _type_filter(browser, qtbot, "status == failed")
    failed = int((props["label_status"] == 2).sum())
    assert browser.model.rowCount() == failed
    assert "message" in [c.name for c in browser.model.columns]  # failures: reasons shown
    _type_filter(browser, qtbot, "porosity >")
    assert browser.filter_error.isVisible()
    assert "ends too early" in browser.filter_error.text()
    assert browser.model.rowCount() == failed  # the previous filter stays
    _type_filter(browser, qtbot, "")
    assert not browser.filter_error.isVisible()
    assert browser.model.rowCount() == N_BIG and window.plot.subset is None
    assert errors.messages == []  # inline only, no dialog


def test_sorting_inside_a_filter_and_keeping_the_selection(window, qtbot, big_dataset, wait_idle):
    _open(window, qtbot, big_dataset[0], wait_idle)
    browser, model = window.browser, window.browser.model
    porosity = model.column_values("porosity")
    median = float(np.median(porosity))
    keep = int(np.argmax(porosity))
    browser.select_sample(keep)
    wait_idle(window.jobs)
    _type_filter(browser, qtbot, f"porosity >= {median!r}")
    assert model.rowCount() == int((porosity >= median).sum())
    assert browser.selected_sample() == keep  # still shown: the selection stays
    column = [c.name for c in model.columns].index("porosity")
    browser.view.sortByColumn(column, QtCore.Qt.SortOrder.AscendingOrder)
    shown = porosity[model.order]
    assert np.all(np.diff(shown) >= 0) and np.all(shown >= median)
    assert browser.selected_sample() == keep
    assert model.row_of(int(np.argmin(porosity))) == -1  # filtered out
    assert not browser.select_sample(int(np.argmin(porosity)))
    assert "hidden by the filter" in browser.filter_error.text()
