"""The command line's self-checks run and pass; the console entry points answer."""

import subprocess
import sys


def test_check_runs_and_passes():
    out = subprocess.run(
        [sys.executable, "-m", "steerable", "check"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert "all homomorphism checks passed" in out.stdout
    assert "Ico" in out.stdout
    assert "invariance and export checks passed" in out.stdout


def test_unknown_command_fails_clearly():
    out = subprocess.run([sys.executable, "-m", "steerable", "frobnicate"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "invalid choice" in out.stderr


def test_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "steerable", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("train", "eval", "report", "demo", "check"):
        assert command in out.stdout
