"""One file lock for dataset writes and campaigns: refused at once, named, released."""

import subprocess
import sys

import pytest

from porestudio.errors import BusyError
from porestudio.locks import exclusive_lock


def test_a_second_holder_is_refused_with_the_owner_and_the_lock_is_released(tmp_path):
    lock = tmp_path / "set.h5.lock"
    code = (
        "import sys; from porestudio.locks import exclusive_lock\n"
        "with exclusive_lock(sys.argv[1], 'set.h5', 'written'): pass"
    )
    with exclusive_lock(lock, "set.h5", "labelled") as path:
        assert path == lock and lock.read_text() != ""
        busy = r"set.h5 is being labelled by another process \(pid"
        with pytest.raises(BusyError, match=busy), exclusive_lock(lock, "set.h5", "labelled"):
            pass
        other = subprocess.run([sys.executable, "-c", code, str(lock)], capture_output=True,
                               text=True)  # fmt: skip
        assert other.returncode != 0 and "being written by another process (pid" in other.stderr
    assert not lock.exists()
    with exclusive_lock(lock, "set.h5", "written"):  # free again
        assert lock.exists()
