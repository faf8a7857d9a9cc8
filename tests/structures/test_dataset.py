"""HDF5 datasets: layout, lazy reading, properties, atomic modification, locking, describe."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from porestudio.errors import BusyError, FormatError, InputError, OutputError
from porestudio.structures import dataset as D
from porestudio.structures.volume import Structure

SHAPE = (6, 7, 11)  # nx not a multiple of 8: exercises the bit packing


def _pores(n, seed=0, shape=SHAPE):
    return np.random.default_rng(seed).random((n, *shape)) < 0.4


def _write(path, pores, voxel=2e-6, **props):
    with D.DatasetWriter(
        path,
        shape=pores.shape[1:],
        voxel_size_m=voxel,
        attrs={"origin": "test", "params": {"a": [1, 2]}},
    ) as w:
        w.append(pores, [{"i": i} for i in range(len(pores))], props or None)
    return path


def _no_temp_files(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".lock"))] == []


def test_round_trip_is_bit_exact_and_lazy(tmp_path):
    pores = _pores(9)
    path = _write(tmp_path / "d.h5", pores)
    with D.open_dataset(path) as ds:
        assert len(ds) == 9 and ds.shape == SHAPE and ds.voxel_size_m == 2e-6
        np.testing.assert_array_equal(ds.pore(4), pores[4])
        np.testing.assert_array_equal(ds.pore(-1), pores[8])
        np.testing.assert_array_equal(ds.pores(2, 5), pores[2:5])
        np.testing.assert_array_equal(ds.pores(), pores)
        s = ds.structure(3)
        assert isinstance(s, Structure) and s.voxel_size_m == 2e-6
        assert s.provenance["i"] == 3 and s.provenance["index"] == 3
        np.testing.assert_allclose(ds.properties()["porosity"], pores.mean(axis=(1, 2, 3)))
        assert ds.attrs["schema_version"] == D.SCHEMA_VERSION
        assert ds.attrs["params"] == {"a": [1, 2]} and ds.attrs["origin"] == "test"
        assert ds.attrs["creator"].startswith("porestudio")
        with pytest.raises(InputError, match="out of range"):
            ds.pore(9)
    assert _no_temp_files(tmp_path)


def test_plain_h5py_reader_as_documented(tmp_path):
    pores = _pores(3)
    path = _write(tmp_path / "d.h5", pores, voxel=None)
    with h5py.File(path, "r") as f:  # docs/dataset_layout.md, without porestudio
        assert f.attrs["format"] == "porestudio-dataset"
        assert np.isnan(f.attrs["voxel_size_m"])
        bits = f["structures/pore_bits"]
        nx = int(bits.attrs["nx"])
        pore = np.unpackbits(bits[1], axis=-1, count=nx).astype(bool)
        prov = json.loads(f["structures/provenance"].asstr()[1])
        assert bits.chunks == (1, *bits.shape[1:]) and bits.compression == "gzip"
    np.testing.assert_array_equal(pore, pores[1])
    assert prov == {"i": 1}


def test_properties_fill_with_nan_and_keep_attributes(tmp_path):
    pores = _pores(5)
    with D.DatasetWriter(tmp_path / "d.h5", shape=SHAPE, voxel_size_m=None) as w:
        w.append(pores[:2])
        w.append(pores[2:4], properties={"permeability_lu": np.ones((2, 3, 3))})
        w.set_property_attrs("permeability_lu", {"method": "lbm", "tensor_mode": "diagonal"})
        w.append(pores[4:])
        assert w.count == 5
    with D.open_dataset(tmp_path / "d.h5") as ds:
        k = ds.properties(["permeability_lu"])["permeability_lu"]
        assert k.shape == (5, 3, 3)
        assert np.isnan(k[[0, 1, 4]]).all() and (k[2:4] == 1).all()
        attrs = ds.property_attrs("permeability_lu")
        assert attrs["unit"] == "voxel^2" and attrs["method"] == "lbm"
        assert ds.voxel_size_m is None
        with pytest.raises(InputError, match="no property"):
            ds.properties(["nope"])


def test_write_properties_with_indices_and_strings(tmp_path):
    path = _write(tmp_path / "d.h5", _pores(6))
    D.write_properties(
        path,
        {"label_status": np.array([1, 2], np.int8), "label_message": np.array(["", "NaN"])},
        indices=[4, 1],
    )
    D.write_properties(
        path,
        {"permeability_lu": np.full((2, 3, 3), 0.5)},
        indices=[2, 3],
        attrs={"permeability_lu": {"method": "stokes2d"}},
    )
    with D.open_dataset(path) as ds:
        p = ds.properties()
        assert p["label_status"].tolist() == [0, 2, 0, 0, 1, 0]
        assert p["label_message"].tolist() == ["", "NaN", "", "", "", ""]
        assert np.isnan(p["permeability_lu"][[0, 1, 4, 5]]).all()
        assert ds.property_attrs("permeability_lu")["method"] == "stokes2d"
    assert _no_temp_files(tmp_path)


@pytest.mark.parametrize(
    "values, kwargs, message",
    [
        ({"porosity": np.zeros(5)}, {}, "rows"),
        ({"porosity": np.zeros(2)}, {"indices": [0, 9]}, "indices"),
        ({"porosity": np.zeros(2)}, {"indices": [1, 1]}, "repeat"),
        ({"bad/name": np.zeros(6)}, {}, "invalid property name"),
        ({"porosity": np.array(["a"] * 6)}, {}, "text and numbers"),
    ],
)
def test_bad_property_writes_leave_the_file_untouched(tmp_path, values, kwargs, message):
    path = _write(tmp_path / "d.h5", _pores(6))
    before = path.read_bytes()
    with pytest.raises(InputError, match=message):
        D.write_properties(path, values, **kwargs)
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path)


def test_append_structures(tmp_path):
    pores = _pores(4)
    path = _write(tmp_path / "d.h5", pores[:2])
    new = [Structure(p, 2e-6, {"new": True}) for p in pores[2:]]
    assert D.append_structures(path, new) == 4
    with D.open_dataset(path) as ds:
        np.testing.assert_array_equal(ds.pores(), pores)
        assert ds.provenance(3) == {"new": True}
        assert ds.properties()["porosity"][3] == pytest.approx(pores[3].mean())
    before = path.read_bytes()
    with pytest.raises(InputError, match="does not fit"):
        D.append_structures(path, [Structure(np.ones((2, 2, 2), bool), 2e-6)])
    with pytest.raises(InputError, match="voxel size"):
        D.append_structures(path, [Structure(pores[0], 3e-6)])
    assert path.read_bytes() == before


def test_writer_error_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = _write(tmp_path / "d.h5", _pores(2))
    before = path.read_bytes()
    with (
        pytest.raises(RuntimeError),
        D.DatasetWriter(path, shape=SHAPE, voxel_size_m=None, overwrite=True) as w,
    ):
        w.append(_pores(3, seed=1))
        raise RuntimeError("killed half-way")
    assert path.read_bytes() == before
    with (
        pytest.raises(InputError, match="boolean"),
        D.DatasetWriter(path, shape=SHAPE, voxel_size_m=None, overwrite=True) as w,
    ):
        w.append(_pores(1).astype(np.uint8))
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path)


def test_second_writer_is_refused_while_one_writes(tmp_path):
    path = _write(tmp_path / "d.h5", _pores(2))
    code = (
        "import sys; from porestudio.structures.dataset import write_properties;"
        "import numpy as np; write_properties(sys.argv[1], {'x': np.zeros(2)})"
    )
    with D.DatasetWriter(path, shape=SHAPE, voxel_size_m=None, overwrite=True) as w:
        w.append(_pores(2))
        assert D.lock_path(path).exists()
        with pytest.raises(BusyError, match="being written by another process"):
            D.write_properties(path, {"x": np.zeros(2)})
        other = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True
        )
        assert other.returncode != 0 and "being written by another process" in other.stderr
    D.write_properties(path, {"x": np.zeros(2)})  # free again after the writer finished
    assert not D.lock_path(path).exists()


def test_unwritable_output(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        D.DatasetWriter(tmp_path / "no" / "d.h5", shape=SHAPE, voxel_size_m=None).__enter__()
    with pytest.raises(InputError, match="voxel size"):
        D.DatasetWriter(tmp_path / "d.h5", shape=SHAPE, voxel_size_m=-1.0)


def test_open_dataset_refuses_foreign_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        D.open_dataset(tmp_path / "missing.h5")
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(FormatError, match="not an HDF5 file"):
        D.open_dataset(tmp_path / "text.h5")
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["images"] = np.zeros((2, 3, 3, 3))
    with pytest.raises(FormatError, match="not a porestudio dataset.*images"):
        D.open_dataset(tmp_path / "foreign.h5")


def test_open_dataset_names_the_missing_part_and_newer_schema(tmp_path):
    path = _write(tmp_path / "d.h5", _pores(2))
    with h5py.File(path, "r+") as f:
        del f["structures/provenance"]
    with pytest.raises(FormatError, match="/structures/provenance is missing"):
        D.open_dataset(path)
    path = _write(tmp_path / "e.h5", _pores(2))
    with h5py.File(path, "r+") as f:
        f.attrs["schema_version"] = D.SCHEMA_VERSION + 1
    with pytest.raises(FormatError, match="newer"):
        D.open_dataset(path)


def test_truncated_dataset_is_a_format_error(tmp_path):
    path = _write(tmp_path / "d.h5", _pores(40, shape=(20, 20, 20)))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(FormatError), D.open_dataset(path) as ds:
        ds.pores()


def test_describe_gives_table3_statistics(tmp_path):
    pores = _pores(8)
    k = np.full((8, 3, 3), np.nan)
    k[:, [0, 1, 2], [0, 1, 2]] = np.arange(24, dtype=float).reshape(8, 3)
    k[7] = np.nan  # not computed
    path = _write(
        tmp_path / "d.h5", pores, permeability_lu=k, label_status=np.array([1] * 7 + [2], np.int8)
    )
    info = D.describe(path)
    json.dumps(info, allow_nan=False)  # strict JSON
    assert info["count"] == 8 and info["shape_zyx"] == list(SHAPE)
    phi = pores.mean(axis=(1, 2, 3))
    row = info["statistics"]["porosity"]
    assert row["count"] == 8
    assert row["mean"] == pytest.approx(phi.mean()) and row["std"] == pytest.approx(phi.std(ddof=1))
    assert row["25%"] == pytest.approx(np.percentile(phi, 25)) and row["max"] == phi.max()
    kxx = info["statistics"]["permeability_lu[xx]"]
    assert kxx["count"] == 7 and kxx["mean"] == pytest.approx(k[:7, 0, 0].mean())
    assert "permeability_lu[xy]" not in info["statistics"]  # off-diagonals never computed
    m2 = info["statistics"]["permeability_m2[zz]"]
    assert m2["unit"] == "m^2" and m2["max"] == pytest.approx(k[:7, 2, 2].max() * 4e-12)
    assert info["label_status"] == {"not_labelled": 0, "ok": 7, "failed": 1, "surrogate": 0}


def test_paper_sized_sample_compresses_well(tmp_path):
    section = np.ones((100, 100), bool)
    section[10:20, 30:40] = section[50:60, 55:65] = False
    extruded = np.broadcast_to(section, (4, 100, 100, 100))
    path = _write(tmp_path / "e.h5", np.ascontiguousarray(extruded))
    assert path.stat().st_size < 4 * 8_000 + 40_000  # a few KB per 100³ extruded sample


def test_set_voxel_size_records_unknown_size_once(tmp_path):
    import numpy as np

    from porestudio.errors import InputError
    from porestudio.structures import dataset

    path = tmp_path / "d.h5"
    with dataset.DatasetWriter(path, shape=(4, 4, 4), voxel_size_m=None) as w:
        w.append(np.ones((2, 4, 4, 4), bool))
    dataset.set_voxel_size(path, 2e-6)
    with dataset.open_dataset(path) as ds:
        assert ds.voxel_size_m == 2e-6
    before = path.read_bytes()
    with pytest.raises(InputError, match="already has a voxel size"):
        dataset.set_voxel_size(path, 3e-6)
    with pytest.raises(InputError):
        dataset.set_voxel_size(path, 0.0)
    assert path.read_bytes() == before
