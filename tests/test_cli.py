"""The command line's demo runs and reports passing checks."""

import subprocess
import sys


def test_demo_runs_and_passes():
    out = subprocess.run(
        [sys.executable, "-m", "steerable", "demo"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert "all homomorphism checks passed" in out.stdout
    assert "Ico" in out.stdout
    assert "invariance and export checks passed" in out.stdout


def test_unknown_command_fails_clearly():
    out = subprocess.run([sys.executable, "-m", "steerable", "frobnicate"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "invalid choice" in out.stderr
