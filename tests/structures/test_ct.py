"""CT import: formats, voxel size metadata, thresholds, sub-volume streaming, real CT files."""

import logging

import h5py
import numpy as np
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from skimage.filters import threshold_otsu

from porestudio.errors import Cancelled, FormatError, InputError, OutputError
from porestudio.resources import resource_path
from porestudio.structures import ct
from porestudio.structures.dataset import open_dataset
from porestudio.structures.volume import Structure

FIBERFORM = "ct/fiberform_puma/100_fiberform.tif"
BEREA = "ct/berea_openpnm/berea_200_pore0_solid255.tif"
ELECTRODE = "ct/electrode_porespy/sample1_stack.tif"
ELECTRODE_SLICES = "ct/electrode_porespy/slices"


def _imwrite(path, data, **kwargs):
    """tifffile.imwrite of a greyscale stack (never guessed as RGB)."""
    tifffile.imwrite(path, data, photometric="minisblack", **kwargs)


def _grey(shape=(12, 9, 11), dtype=np.uint16, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.normal(100.0, 30.0, shape).astype(dtype)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


# --- formats ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32, np.float64])
@pytest.mark.parametrize("compression", [None, "zlib"])
def test_tiff_stack_round_trips_all_types(tmp_path, dtype, compression):
    data = _grey(dtype=dtype)
    path = tmp_path / "stack.tif"
    _imwrite(path, data, compression=compression)
    grey = ct.read_grey(path)
    assert grey.data.dtype == np.dtype(dtype) and grey.shape == data.shape
    np.testing.assert_array_equal(grey.data, data)
    assert grey.voxel_size_m is None


def test_big_endian_tiff_is_read_in_native_order(tmp_path):
    data = _grey(dtype=np.uint16)
    _imwrite(tmp_path / "be.tif", data, byteorder=">")
    np.testing.assert_array_equal(ct.read_grey(tmp_path / "be.tif").data, data)


def test_stack_written_one_page_at_a_time(tmp_path):
    data = _grey((5, 6, 7), np.uint8)
    with tifffile.TiffWriter(tmp_path / "pages.tif") as tif:  # tifffile sees 5 series
        for page in data:
            tif.write(page, photometric="minisblack", compression="zlib")
    np.testing.assert_array_equal(ct.read_grey(tmp_path / "pages.tif").data, data)


def test_colour_tiff_is_refused(tmp_path):
    tifffile.imwrite(tmp_path / "rgb.tif", np.zeros((4, 8, 8, 3), np.uint8), photometric="rgb")
    with pytest.raises(FormatError, match="colour"):
        ct.read_grey(tmp_path / "rgb.tif")


def test_slice_folder_is_naturally_sorted(tmp_path):
    for z in (1, 2, 10):  # lexical order would be 1, 10, 2
        Image.fromarray(np.full((4, 5), z, np.uint8)).save(tmp_path / f"slice_{z}.png")
    (tmp_path / "notes.txt").write_text("ignored")
    grey = ct.read_grey(tmp_path)
    assert grey.shape == (3, 4, 5)
    assert grey.data[:, 0, 0].tolist() == [1, 2, 10]
    assert ct.natural_key("slice_2.tif") < ct.natural_key("slice_10.tif")


def test_sixteen_bit_png_slices(tmp_path):
    data = _grey((3, 6, 7), np.uint16)
    for z, img in enumerate(data):
        Image.fromarray(img).save(tmp_path / f"s{z}.png")
    np.testing.assert_array_equal(ct.read_grey(tmp_path).data, data)


def test_slice_folder_with_mismatched_slice_is_refused(tmp_path):
    _imwrite(tmp_path / "a1.tif", np.zeros((4, 4), np.uint8))
    _imwrite(tmp_path / "a2.tif", np.zeros((4, 5), np.uint8))
    with pytest.raises(FormatError, match="all slices must match"):
        ct.read_grey(tmp_path)


@pytest.mark.parametrize("order", ["<", ">", "little", "big"])
@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_raw_file(tmp_path, order, dtype):
    data = _grey((5, 6, 7), np.dtype(dtype))
    byte_order = {"little": "<", "big": ">"}.get(order, order)
    (tmp_path / "v.raw").write_bytes(
        data.astype(np.dtype(dtype).newbyteorder(byte_order)).tobytes()
    )
    grey = ct.read_grey(
        tmp_path / "v.raw", raw_shape=(5, 6, 7), raw_dtype=dtype, raw_byte_order=order
    )
    np.testing.assert_array_equal(grey.data, data)


def test_raw_file_of_wrong_size_names_both_sizes(tmp_path):
    (tmp_path / "v.raw").write_bytes(b"\0" * 100)
    with pytest.raises(InputError, match="has 100 bytes but shape .* needs 210"):
        ct.read_grey(tmp_path / "v.raw", raw_shape=(5, 6, 7), raw_dtype="uint8")
    with pytest.raises(InputError, match="shape and dtype"):
        ct.read_grey(tmp_path / "v.raw")


# --- voxel size from metadata -----------------------------------------------------------


@pytest.mark.parametrize(
    "unit, scale", [("um", 1e-6), ("\\u00B5m", 1e-6), ("micron", 1e-6), ("nm", 1e-9), ("mm", 1e-3)]
)
def test_imagej_metric_calibration_is_the_voxel_size(tmp_path, unit, scale):
    path = tmp_path / "ij.tif"
    _imwrite(
        path,
        _grey((4, 5, 6), np.uint8),
        imagej=True,
        resolution=(1 / 2.5, 1 / 2.5),
        metadata={"spacing": 2.5, "unit": unit},
    )
    assert ct.read_grey(path).voxel_size_m == pytest.approx(2.5 * scale)


def test_centimetre_resolution_unit_is_a_voxel_size(tmp_path):
    path = tmp_path / "cm.tif"
    _imwrite(
        path, _grey((3, 4, 5), np.uint8), resolution=(2000.0, 2000.0), resolutionunit="CENTIMETER"
    )
    assert ct.read_grey(path).voxel_size_m == pytest.approx(5e-6)


def test_inch_dpi_is_not_a_voxel_size(tmp_path):
    path = tmp_path / "dpi.tif"
    _imwrite(path, _grey((3, 4, 5), np.uint8), resolution=(300.0, 300.0), resolutionunit="INCH")
    assert ct.read_grey(path).voxel_size_m is None
    assert ct.read_grey(resource_path(FIBERFORM)).voxel_size_m is None  # 100 pixels/inch


# --- thresholds -------------------------------------------------------------------------


def test_binarise_rule_and_invert_are_exact_complements():
    grey = np.arange(10, dtype=np.uint8).reshape(1, 2, 5)
    pore = ct.binarise(grey, 4)
    assert pore.ravel().tolist() == [True] * 4 + [False] * 6  # pore = grey < 4
    np.testing.assert_array_equal(ct.binarise(grey, 4, invert=True), ~pore)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32])
def test_otsu_agrees_with_scikit_image(dtype):
    rng = np.random.default_rng(3)
    low = rng.normal(60, 12, 4000)
    high = rng.normal(170, 20, 2000)
    vals = np.concatenate([low, high]).clip(0, 255)
    grey = vals.astype(dtype).reshape(6, 25, 40)
    t_sk = threshold_otsu(grey.astype(np.float64) if dtype == np.float32 else grey)
    pore = ct.binarise(grey)
    reference = grey <= t_sk
    # identical for integers; floats use different bins, so allow a handful of voxels
    assert np.count_nonzero(pore != reference) <= (0 if dtype != np.float32 else 30)


def test_two_level_volume_is_taken_as_is():
    grey = np.where(np.random.default_rng(1).random((4, 5, 6)) < 0.3, 0.25, 7.5)
    assert ct.otsu_threshold(grey) == 7.5  # the upper level: pore = the lower one
    np.testing.assert_array_equal(ct.binarise(grey), grey == 0.25)


def test_single_level_volume_needs_a_threshold(caplog):
    grey = np.full((3, 3, 3), 200, np.uint8)
    with pytest.raises(InputError, match="single grey level"):
        ct.binarise(grey)
    assert not ct.binarise(grey, 100).any()  # all solid is a valid structure


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_in_float_stack_is_a_clear_error(tmp_path, bad):
    data = _grey((6, 4, 4), np.float32)
    data[4, 1, 2] = bad
    _imwrite(tmp_path / "nan.tif", data)
    with pytest.raises(InputError, match="slice z=4"):
        ct.load_structure(tmp_path / "nan.tif")
    with pytest.raises(InputError, match="slice z=4"):
        ct.load_structure(tmp_path / "nan.tif", threshold=100.0)


@pytest.mark.parametrize("threshold", ["half", float("nan")])
def test_bad_threshold_values(threshold):
    with pytest.raises(InputError, match="threshold"):
        ct.binarise(np.zeros((2, 2, 2)), threshold)


# --- bad files ---------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        ct.read_grey(tmp_path / "nope.tif")


def test_single_2d_slice_is_refused(tmp_path):
    _imwrite(tmp_path / "one.tif", _grey((1, 8, 8), np.uint8)[0])
    with pytest.raises(InputError, match="single 2D slice"):
        ct.load_structure(tmp_path / "one.tif")


def test_not_a_tiff(tmp_path):
    (tmp_path / "junk.tif").write_bytes(b"this is not an image" * 20)
    with pytest.raises(FormatError, match="not a readable TIFF"):
        ct.read_grey(tmp_path / "junk.tif")


@pytest.mark.parametrize("compression", [None, "zlib"])
def test_truncated_tiff(tmp_path, compression):
    path = tmp_path / "cut.tif"
    _imwrite(path, _grey((20, 32, 32), np.uint8), compression=compression)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(FormatError):
        ct.read_grey(path)


def test_empty_volume_is_an_error(tmp_path):
    with pytest.raises(InputError, match="empty"):
        ct.binarise(np.zeros((0, 4, 4), np.uint8), 1)
    (tmp_path / "e.raw").write_bytes(b"")
    with pytest.raises(InputError, match="positive"):
        ct.read_grey(tmp_path / "e.raw", raw_shape=(0, 4, 4), raw_dtype="uint8")


def test_non_positive_voxel_size(tmp_path):
    _imwrite(tmp_path / "v.tif", _grey((3, 4, 5), np.uint8))
    for bad in (0.0, -1e-6):
        with pytest.raises(InputError, match="voxel size"):
            ct.load_structure(tmp_path / "v.tif", voxel_size_m=bad)


# --- sub-volumes: streaming gives exactly the cubes of the full array -----------------


@pytest.mark.parametrize("size, stride", [(5, 5), ((4, 3, 5), (2, 4, 3)), ((3, 6, 6), (7, 5, 4))])
@pytest.mark.parametrize("compression", [None, "zlib"])
def test_streamed_cubes_equal_slicing_and_read_each_slice_once(tmp_path, size, stride, compression):
    data = _grey((23, 17, 19), np.uint16, seed=5)
    path = tmp_path / "vol.tif"
    _imwrite(path, data, compression=compression)
    size3 = (size,) * 3 if isinstance(size, int) else size
    stride3 = (stride,) * 3 if isinstance(stride, int) else stride
    with ct.open_volume(path) as reader:
        cubes = list(ct.iter_subvolumes(reader, size, stride))
        slices_read, max_band = reader.slices_read, reader.max_band
    origins = [
        (z, y, x)
        for z in range(0, 23 - size3[0] + 1, stride3[0])
        for y in range(0, 17 - size3[1] + 1, stride3[1])
        for x in range(0, 19 - size3[2] + 1, stride3[2])
    ]
    assert [o for o, _ in cubes] == origins
    for (z, y, x), cube in cubes:
        np.testing.assert_array_equal(
            cube, data[z : z + size3[0], y : y + size3[1], x : x + size3[2]]
        )
    covered = {z for z0 in {o[0] for o in origins} for z in range(z0, z0 + size3[0])}
    assert slices_read == len(covered)  # every needed slice once, skipped ones never
    assert max_band <= size3[0]  # never more than one band at a time


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(*[st.integers(1, 9)] * 3),
    size=st.tuples(*[st.integers(1, 9)] * 3),
    stride=st.tuples(*[st.integers(1, 9)] * 3),
)
def test_cube_grid_matches_slicing_for_any_geometry(shape, size, stride):
    data = np.arange(np.prod(shape), dtype=np.int32).reshape(shape)
    if any(s > n for s, n in zip(size, shape, strict=True)):
        with pytest.raises(InputError, match="exceeds"):
            list(ct.iter_subvolumes(data, size, stride))
        return
    got = list(ct.iter_subvolumes(data, size, stride))
    counts = [(n - s) // t + 1 for n, s, t in zip(shape, size, stride, strict=True)]
    assert len(got) == int(np.prod(counts))
    for (z, y, x), cube in got:
        np.testing.assert_array_equal(cube, data[z : z + size[0], y : y + size[1], x : x + size[2]])


def test_raw_subvolumes_stream_through_memmap(tmp_path):
    data = _grey((10, 8, 8), np.uint8, seed=2)
    (tmp_path / "v.raw").write_bytes(data.tobytes())
    got = dict(
        ct.iter_subvolumes(tmp_path / "v.raw", 4, 3, raw_shape=(10, 8, 8), raw_dtype="uint8")
    )
    assert set(got) == {(z, y, x) for z in (0, 3, 6) for y in (0, 3) for x in (0, 3)}
    np.testing.assert_array_equal(got[(6, 3, 0)], data[6:10, 3:7, 0:4])


def test_subvolume_larger_than_volume_is_refused():
    with pytest.raises(InputError, match="exceeds"):
        list(ct.iter_subvolumes(np.zeros((4, 4, 4)), 5))
    with pytest.raises(InputError, match="positive whole"):
        list(ct.iter_subvolumes(np.zeros((4, 4, 4)), 2, 0))


# --- structures and datasets ----------------------------------------------------------


def test_load_structure_and_cleaning_options(tmp_path):
    grey = np.zeros((9, 9, 9), np.uint8)  # all pore (dark) ...
    grey[3:6, 3:6, 3:6] = 255  # ... with one floating solid island
    grey[0, 0, 0] = 255
    _imwrite(tmp_path / "g.tif", grey)
    s = ct.load_structure(tmp_path / "g.tif", voxel_size_m=2e-6)
    assert isinstance(s, Structure) and s.voxel_size_m == 2e-6
    assert s.porosity == pytest.approx(1 - 28 / 729)
    assert s.provenance["threshold_method"] == "binary"
    cleaned = ct.load_structure(tmp_path / "g.tif", remove_islands=True)
    assert cleaned.pore[4, 4, 4] and not cleaned.pore[0, 0, 0]  # face-touching solid kept


def test_all_solid_imports_with_a_warning(tmp_path, caplog):
    _imwrite(tmp_path / "s.tif", np.full((3, 4, 5), 9, np.uint8))
    with caplog.at_level(logging.WARNING):
        s = ct.load_structure(tmp_path / "s.tif", threshold=5)
    assert s.porosity == 0.0 and "all solid" in caplog.text


def test_import_ct_writes_the_binarised_cubes(tmp_path):
    data = _grey((12, 10, 10), np.uint16, seed=7)
    _imwrite(tmp_path / "v.tif", data, compression="zlib")
    out = ct.import_ct(
        tmp_path / "v.tif",
        tmp_path / "d.h5",
        size=(6, 5, 5),
        stride=(6, 5, 5),
        threshold=30000,
        voxel_size_m=3e-6,
    )
    with open_dataset(out) as ds:
        assert len(ds) == 8 and ds.shape == (6, 5, 5) and ds.voxel_size_m == 3e-6
        for i in range(len(ds)):
            z, y, x = ds.provenance(i)["origin_zyx"]
            np.testing.assert_array_equal(ds.pore(i), data[z : z + 6, y : y + 5, x : x + 5] < 30000)
        assert ds.provenance(0)["threshold_method"] == "given"
        assert ds.attrs["import"]["grid_counts_zyx"] == [2, 2, 2]


def test_cancelled_import_writes_nothing(tmp_path):
    _imwrite(tmp_path / "v.tif", _grey((8, 8, 8), np.uint8))
    seen = []

    def cancel_after_two(done, total):
        seen.append((done, total))
        if len(seen) > 2:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        ct.import_ct(tmp_path / "v.tif", tmp_path / "d.h5", size=2, progress=cancel_after_two)
    assert not (tmp_path / "d.h5").exists() and len(seen) == 3
    assert all(total == seen[0][1] for _, total in seen)  # one consistent total
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tif"]


def test_failed_import_leaves_the_old_output_untouched(tmp_path):
    data = _grey((4, 4, 4), np.float32)
    data[2, 0, 0] = np.nan
    _imwrite(tmp_path / "nan.tif", data)
    out = tmp_path / "d.h5"
    out.write_bytes(b"previous contents")
    with pytest.raises(InputError, match="NaN"):
        ct.import_ct(tmp_path / "nan.tif", out, overwrite=True)
    assert out.read_bytes() == b"previous contents"
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    with pytest.raises(OutputError, match="same file as the input"):
        ct.import_ct(tmp_path / "nan.tif", tmp_path / "nan.tif")


def test_export_tiff_round_trips_bit_exactly(tmp_path):
    from porestudio.structures import export

    pore = np.random.default_rng(4).random((7, 9, 11)) < 0.4
    export.write_tiff(Structure(pore, 5.345e-6, {"seed": 4}), tmp_path / "s.tif")
    back = ct.load_structure(tmp_path / "s.tif")
    np.testing.assert_array_equal(back.pore, pore)
    assert back.voxel_size_m == pytest.approx(5.345e-6, rel=1e-9)


# --- the real CT volumes in resources/ct -----------------------------------------------


def test_fiberform_otsu_and_puma_threshold():
    grey = ct.read_grey(resource_path(FIBERFORM))
    assert grey.shape == (100, 100, 100) and grey.data.dtype == np.uint8
    t = ct.otsu_threshold(grey)
    assert t == threshold_otsu(grey.data) + 1  # first grey level of the solid class
    s = ct.load_structure(resource_path(FIBERFORM))
    assert s.porosity == pytest.approx(0.846046, abs=1e-6)  # docs/ct_import.md
    puma = ct.load_structure(resource_path(FIBERFORM), threshold=90)
    assert 1 - puma.porosity == pytest.approx(0.16714, abs=1e-5)  # PuMA: solid = grey >= 90


def test_berea_binary_file_is_taken_as_is():
    s = ct.load_structure(resource_path(BEREA))
    assert s.shape == (200, 200, 200)
    assert s.porosity == pytest.approx(0.19872, abs=1e-5)
    assert s.voxel_size_m == pytest.approx(5.345e-6, rel=1e-6)
    assert s.provenance["threshold_method"] == "binary"
    assert s.provenance["voxel_size_source"] == "metadata"


def test_electrode_stack_and_slices_sixteen_bit():
    stack = ct.read_grey(resource_path(ELECTRODE))
    slices = ct.read_grey(resource_path(ELECTRODE_SLICES))
    assert stack.shape == (10, 79, 114) and stack.data.dtype == np.uint16
    assert slices.shape == (11, 89, 128) and slices.data.dtype == np.uint16
    for grey in (stack, slices):
        t = ct.otsu_threshold(grey)
        assert 25000 < t < 31000
        assert 0.5 < ct.binarise(grey, t).mean() < 0.7
        assert ct.binarise(grey, 30000).mean() > 0.9


def test_berea_subvolumes_match_the_whole_volume(tmp_path):
    out = ct.import_ct(resource_path(BEREA), tmp_path / "b.h5", size=100, stride=100)
    whole = ct.load_structure(resource_path(BEREA)).pore
    with open_dataset(out) as ds:
        assert len(ds) == 8 and ds.voxel_size_m == pytest.approx(5.345e-6)
        pores = ds.pores()
    np.testing.assert_array_equal(pores[7], whole[100:, 100:, 100:])
    assert pores.mean() == pytest.approx(0.19872, abs=1e-5)
    assert h5py.is_hdf5(out)
