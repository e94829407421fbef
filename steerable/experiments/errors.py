"""Errors the command line reports as one clear line and a non-zero exit status."""

from __future__ import annotations

import importlib.util

__all__ = ["UsageError", "MissingExtraError", "CheckpointMismatchError", "require"]


class UsageError(ValueError):
    """Bad user input (paths, names, option values) detected before anything is written."""


class MissingExtraError(ImportError):
    """An optional dependency is missing; the message names the pip install that fixes it."""


class CheckpointMismatchError(UsageError):
    """A checkpoint does not fit the model it is loaded into."""


def require(module: str, extra: str, purpose: str) -> None:
    """Raise :class:`MissingExtraError` unless ``module`` is importable."""
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(
            f"{purpose} needs {module}, which is not installed: pip install 'steerable[{extra}]'"
        )
