import os
import sys

import pytest

from porestudio.atomic import SUFFIXES, atomic_path, check_suffix, check_writable
from porestudio.errors import OutputError


def test_success_replaces_target_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_path(target, overwrite=True) as tmp:
        assert tmp != target and tmp.parent == tmp_path
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # not visible before success
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_failure_keeps_existing_file_and_removes_temp(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"precious")
    with pytest.raises(RuntimeError), atomic_path(target, overwrite=True) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_output_equal_to_input_is_refused(tmp_path):
    src = tmp_path / "in.tif"
    src.write_bytes(b"data")
    with pytest.raises(OutputError, match="same file as the input"):
        check_writable(src, inputs=(src,))
    assert src.read_bytes() == b"data"


def test_missing_folder_and_directory_targets(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        check_writable(tmp_path / "nope" / "x.h5")
    with pytest.raises(OutputError, match="is a directory"):
        check_writable(tmp_path)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root ignores permissions")
def test_unwritable_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"):
            check_writable(ro / "x.h5")
    finally:
        ro.chmod(0o700)


def test_new_files_get_normal_permissions_and_old_modes_are_kept(tmp_path):
    new = tmp_path / "new.bin"
    with atomic_path(new) as tmp:
        tmp.write_bytes(b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask
    old = tmp_path / "old.bin"
    old.write_bytes(b"a")
    old.chmod(0o640)
    with atomic_path(old, overwrite=True) as tmp:
        tmp.write_bytes(b"b")
    assert old.stat().st_mode & 0o777 == 0o640


def test_an_existing_file_is_refused_unless_overwrite(tmp_path):
    target = tmp_path / "labelled.h5"
    target.write_bytes(b"precious labels")
    with (
        pytest.raises(OutputError, match="already exists; give --overwrite") as exc,
        atomic_path(target) as tmp,
    ):
        tmp.write_bytes(b"new")
    assert "\n" not in str(exc.value)
    assert target.read_bytes() == b"precious labels"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.h5"]  # no temp left
    with pytest.raises(OutputError, match="--overwrite"):
        check_writable(target)
    assert check_writable(target, overwrite=True) == target


@pytest.mark.parametrize(
    ("name", "kind"), [("part.obj", "stl"), ("part.png", "tiff"), ("set.txt", "hdf5"), ("x", "vti")]
)
def test_a_suffix_that_does_not_say_what_the_file_is_is_refused(tmp_path, name, kind):
    with pytest.raises(OutputError, match=f"must end in {SUFFIXES[kind][0]}"):
        check_writable(tmp_path / name, suffixes=SUFFIXES[kind])
    with (
        pytest.raises(OutputError, match="must end in"),
        atomic_path(tmp_path / name, suffixes=SUFFIXES[kind]),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_accepted_suffixes_ignore_case_and_the_message_suggests_a_name(tmp_path):
    assert check_suffix(tmp_path / "A.TIFF", SUFFIXES["tiff"]).name == "A.TIFF"
    assert check_writable(tmp_path / "a.HDF5", suffixes=SUFFIXES["hdf5"]).name == "a.HDF5"
    with pytest.raises(OutputError, match=r"got '\.obj'\); e\.g\. part\.stl"):
        check_suffix("part.obj", SUFFIXES["stl"])
