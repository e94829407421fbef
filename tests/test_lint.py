"""The house style is checked in CI: ruff (pyflakes, pycodestyle, bugbear, isort, pyupgrade)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ruff_is_clean():
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "steerable", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_library_has_no_asserts_or_prints():
    offenders = []
    for folder, _, files in os.walk(os.path.join(ROOT, "steerable")):
        for name in files:
            if not name.endswith(".py") or name in ("testing.py", "__main__.py"):
                continue
            path = os.path.join(folder, name)
            with open(path) as f:
                for number, line in enumerate(f, 1):
                    stripped = line.strip()
                    if stripped.startswith("assert ") or stripped.startswith("print("):
                        offenders.append(f"{path}:{number}: {stripped}")
    assert not offenders, "\n".join(offenders)
