"""Files of a run directory, written atomically (a temporary file renamed into place)."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import torch

from .errors import UsageError

__all__ = ["write_text", "write_json", "write_csv", "save_torch", "read_json", "read_csv", "check_output_dir"]


def write_text(path: Path, text: str) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def write_csv(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_text(path, buf.getvalue())


def save_torch(path: Path, obj) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError as err:
        raise UsageError(
            f"{path} not found: is {Path(path).parent} a run directory of `steerable train`?"
        ) from err
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot read {path}: {err}") from err


def read_csv(path: Path) -> list[dict]:
    """Rows of a CSV file written by :func:`write_csv`, numbers parsed as float (int if whole)."""

    def number(v):
        f = float(v)
        return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f

    try:
        with open(path, newline="") as f:
            return [{k: number(v) for k, v in row.items()} for row in csv.DictReader(f)]
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot read {path}: {err}") from err


def check_output_dir(path: Path) -> None:
    """Fail early (before anything is written) if ``path`` cannot become a writable directory."""
    path = Path(path)
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"cannot create output directory {path}: {probe} exists and is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"cannot create output directory {path}: {probe} is not writable")
