"""``porestudio import-ct`` and ``porestudio info`` on real CT files and on bad input."""

import json
import os

import h5py
import numpy as np
import pytest
import tifffile

from porestudio.cli import main
from porestudio.resources import resource_path

FIBERFORM = str(resource_path("ct/fiberform_puma/100_fiberform.tif"))
BEREA = str(resource_path("ct/berea_openpnm/berea_200_pore0_solid255.tif"))
SLICES = str(resource_path("ct/electrode_porespy/slices"))


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _json(capsys, *argv):
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


def test_import_berea_whole_and_describe(tmp_path, capsys):
    out = tmp_path / "berea.h5"
    code, text, _ = _run(capsys, "import-ct", BEREA, "--out", str(out))
    assert code == 0 and "1 sample(s) of 200 x 200 x 200" in text and "(binary)" in text
    info = _json(capsys, "info", str(out), "--json")
    assert info["count"] == 1 and info["voxel_size_m"] == pytest.approx(5.345e-6)
    assert info["statistics"]["porosity"]["mean"] == pytest.approx(0.19872, abs=1e-5)
    code, text, _ = _run(capsys, "info", str(out))
    assert code == 0
    assert "samples   1" in text and "5.345e-06 m" in text
    assert all(col in text for col in ("count", "mean", "std", "25%", "50%", "75%", "max"))


def test_import_fiberform_subvolumes_and_sample_info(tmp_path, capsys):
    out = tmp_path / "ff.h5"
    code, text, _ = _run(
        capsys,
        "import-ct",
        FIBERFORM,
        "--out",
        str(out),
        "--subvolume",
        "50",
        "--stride",
        "50",
        "--voxel-size",
        "1.3e-6",
    )
    assert code == 0 and "8 sample(s) of 50 x 50 x 50" in text and "(otsu)" in text
    sample = _json(capsys, "info", str(out), "--index", "7", "--json")
    assert sample["provenance"]["origin_zyx"] == [50, 50, 50]
    assert sample["provenance"]["threshold"] == 109.0
    assert 0 < sample["properties"]["porosity"]["value"] < 1
    code, text, _ = _run(capsys, "info", str(out), "--index", "0")
    assert code == 0 and "sample 0 of 8" in text and "origin_zyx" in text


def test_import_slice_folder_with_threshold_and_invert(tmp_path, capsys):
    plain = _json(capsys, "info", SLICES, "--threshold", "30000", "--json")
    inverted = _json(capsys, "info", SLICES, "--threshold", "30000", "--invert", "--json")
    assert plain["shape_zyx"] == [11, 89, 128] and plain["voxel_size_m"] is None
    assert plain["porosity"] + inverted["porosity"] == pytest.approx(1.0)
    code, _, err = _run(
        capsys,
        "import-ct",
        SLICES,
        "--out",
        str(tmp_path / "e.h5"),
        "--threshold",
        "30000",
        "--subvolume",
        "11,40,40",
        "--stride",
        "11,40,40",
    )
    assert code == 0, err
    with h5py.File(tmp_path / "e.h5") as f:
        assert f["structures/pore_bits"].shape[0] == 2 * 3


def test_import_raw_file(tmp_path, capsys):
    data = np.random.default_rng(0).integers(0, 4000, (8, 9, 10)).astype(">u2")
    (tmp_path / "v.raw").write_bytes(data.tobytes())
    code, _, err = _run(
        capsys,
        "import-ct",
        str(tmp_path / "v.raw"),
        "--out",
        str(tmp_path / "r.h5"),
        "--raw-shape",
        "8,9,10",
        "--raw-dtype",
        "uint16",
        "--raw-byte-order",
        "big",
        "--threshold",
        "2000",
    )
    assert code == 0, err
    info = _json(capsys, "info", str(tmp_path / "r.h5"), "--json")
    assert info["statistics"]["porosity"]["mean"] == pytest.approx((data < 2000).mean())


def test_info_of_a_tiff_volume(capsys):
    info = _json(capsys, "info", BEREA, "--json")
    assert info["porosity"] == pytest.approx(0.19872, abs=1e-5)
    assert info["threshold_method"] == "binary"


def _bad_cases(tmp_path):
    flat = tmp_path / "flat.tif"
    tifffile.imwrite(flat, np.zeros((8, 8), np.uint8), photometric="minisblack")
    corrupt = tmp_path / "corrupt.tif"
    corrupt.write_bytes(b"II*\0" + os.urandom(200))
    nan = tmp_path / "nan.tif"
    data = np.ones((4, 5, 6), np.float32)
    data[1, 2, 3] = np.nan
    tifffile.imwrite(nan, data, photometric="minisblack")
    raw = tmp_path / "v.raw"
    raw.write_bytes(b"\0" * 99)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = 1
    return {
        "missing file": (["import-ct", str(tmp_path / "none.tif")], "no such file"),
        "corrupt tiff": (["import-ct", str(corrupt)], "not a readable TIFF"),
        "2D slice": (["import-ct", str(flat)], "single 2D slice"),
        "NaN": (["import-ct", str(nan)], "NaN values"),
        "raw size": (
            ["import-ct", str(raw), "--raw-shape", "4,5,6", "--raw-dtype", "uint8"],
            "has 99 bytes",
        ),
        "zero voxel": (["import-ct", BEREA, "--voxel-size", "0"], "voxel size"),
        "negative voxel": (["import-ct", BEREA, "--voxel-size=-1e-6"], "voxel size"),
        "too big": (["import-ct", FIBERFORM, "--subvolume", "101"], "exceeds"),
        "stride alone": (["import-ct", FIBERFORM, "--stride", "10"], "--stride needs"),
        "bad threshold": (["import-ct", FIBERFORM, "--threshold", "half"], "threshold"),
        "foreign h5": (["info", str(foreign)], "not a porestudio dataset"),
        "bad index": (["info", "OUT", "--index", "5"], "out of range"),
    }


def test_bad_input_gives_one_line_and_keeps_the_old_output(tmp_path, capsys):
    out = tmp_path / "old.h5"
    main(["import-ct", BEREA, "--out", str(out)])
    capsys.readouterr()
    before = out.read_bytes()
    for name, (argv, message) in _bad_cases(tmp_path).items():
        argv = [str(out) if a == "OUT" else a for a in argv]
        if argv[0] == "import-ct":  # even with --overwrite, a failed import keeps the old file
            argv += ["--out", str(out), "--overwrite"]
        code, _, err = _run(capsys, *argv)
        assert code == 2, name
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, (name, err)
        assert out.read_bytes() == before, name
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_output_equal_to_input_and_unwritable_folder(tmp_path, capsys):
    src = tmp_path / "s.tif"
    tifffile.imwrite(src, np.zeros((3, 4, 5), np.uint8), photometric="minisblack")
    before = src.read_bytes()
    code, _, err = _run(capsys, "import-ct", str(src), "--out", str(src), "--threshold", "1")
    assert code == 2 and "same file as the input" in err and src.read_bytes() == before
    code, _, err = _run(
        capsys, "import-ct", str(src), "--out", str(tmp_path / "no" / "x.h5"), "--threshold", "1"
    )
    assert code == 2 and "does not exist" in err


def test_info_explains_the_full_tensors_of_a_dataset(tmp_path, capsys):
    from porestudio.structures.dataset import DatasetWriter, write_properties

    path = tmp_path / "tensors.h5"
    with DatasetWriter(path, shape=(4, 4, 4), voxel_size_m=None) as writer:
        writer.append(np.ones((2, 4, 4, 4), bool))
    k = np.array([[[2.0, 0.5, 0.0], [-0.3, 1.0, 0.0], [0.0, 0.0, 1.5]], np.eye(3)])
    attrs = {"permeability_lu": {"unit": "voxel^2", "boundary_mode": "kuhn"}}
    write_properties(path, {"permeability_lu": k}, attrs=attrs)
    code, out, _ = _run(capsys, "info", str(path))
    assert code == 0 and "tensors   2 full (kuhn mode)" in out
    assert "the periodic mode gives the symmetric tensor" in out  # 0.41 is large
    code, out, _ = _run(capsys, "info", str(path), "--index", "0")
    assert code == 0 and "permeability_lu [voxel^2] (rows and columns x, y, z):" in out
    assert "asymmetry ‖K−Kᵀ‖/‖K‖ = 0.41" in out and "principal values [voxel^2]" in out
    sample = _json(capsys, "info", str(path), "--index", "1", "--json")
    tensor = sample["properties"]["permeability_lu"]["tensor"]
    assert tensor["asymmetry"] == 0 and tensor["eigenvalues"] == [1.0, 1.0, 1.0]
