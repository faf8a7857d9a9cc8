import subprocess
import sys

import pytest

from porestudio.cli import build_parser, main


def test_help_describes_the_studio():
    text = build_parser().format_help()
    assert "Without a command, opens the studio" in text
    assert "--screenshot" in text


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("porestudio ")


def test_unknown_command_fails_without_traceback():
    bad = subprocess.run(
        [sys.executable, "-m", "porestudio", "no-such-command"], capture_output=True, text=True
    )
    assert bad.returncode != 0
    assert "invalid choice" in bad.stderr
    assert "Traceback" not in bad.stderr
