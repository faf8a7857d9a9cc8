"""``FILE.h5[:INDEX]``: one parser, one message per kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from porestudio.errors import InputError
from porestudio.structures.naming import (
    SampleRef,
    is_hdf5,
    parse_sample_ref,
    require_exists,
    resolve_index,
)


@pytest.fixture
def h5(tmp_path) -> Path:
    path = tmp_path / "set.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    return path


def test_a_file_with_and_without_an_index(h5):
    assert parse_sample_ref(str(h5)) == SampleRef(h5, None)
    assert parse_sample_ref(f"{h5}:7") == SampleRef(h5, 7)
    assert parse_sample_ref(f"{h5}:-1") == SampleRef(h5, -1)
    assert parse_sample_ref(f"{h5}: 3") == SampleRef(h5, 3)
    assert parse_sample_ref(f"{h5}:-1").label(count=5) == "set.h5:4"


def test_a_name_that_exists_with_a_colon_is_taken_whole(tmp_path):
    odd = tmp_path / "scan:2.tif"
    odd.write_bytes(b"x")
    assert parse_sample_ref(str(odd)) == SampleRef(odd, None)


def test_a_non_integer_index_says_so_for_an_existing_file(h5):
    for bad in ("abc", "1.5", "", "0x3"):
        with pytest.raises(InputError, match=f"'{bad}' in .* is not a sample index") as exc:
            parse_sample_ref(f"{h5}:{bad}")
        assert "set.h5:0 (first) or set.h5:-1 (last)" in str(exc.value)


def test_a_missing_file_has_one_wording(tmp_path):
    gone = tmp_path / "gone.h5"
    for spec in (str(gone), f"{gone}:3", f"{gone}:abc"):
        with pytest.raises(InputError, match=f"^no such file or folder: {gone}$"):
            parse_sample_ref(spec)
    with pytest.raises(InputError, match="^no such file or folder: "):
        require_exists(gone)
    assert parse_sample_ref(f"{gone}:3", must_exist=False) == SampleRef(gone, 3)


def test_indices_count_back_from_the_end():
    assert [resolve_index(i, 5, "s.h5") for i in (0, 4, -1, -5)] == [0, 4, 4, 0]
    for bad in (5, -6):
        with pytest.raises(InputError, match=f"sample {bad} is out of range: s.h5 holds 5"):
            resolve_index(bad, 5, "s.h5")
    with pytest.raises(InputError, match="holds no samples"):
        resolve_index(0, 0, "empty.h5")


def test_hdf5_by_signature_or_suffix(tmp_path, h5):
    assert is_hdf5(h5)
    named = tmp_path / "broken.hdf5"
    named.write_bytes(b"not hdf5")  # opened as a dataset, so the error says it is corrupt
    assert is_hdf5(named)
    tif = tmp_path / "v.tif"
    tif.write_bytes(b"II*\x00")
    assert not is_hdf5(tif) and not is_hdf5(tmp_path)
