"""The command line's engine: training, evaluation, reports and multi-process training.

``steerable train / eval / report / demo / check`` (see :mod:`steerable.experiments.cli`); the
functions here can also be called from Python. Imported lazily, so that ``steerable --help``
does not load torch.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "CheckpointMismatchError": "errors",
    "MissingExtraError": "errors",
    "UsageError": "errors",
    "accuracy": "evaluate",
    "equivariance_error": "evaluate",
    "evaluate_run": "evaluate",
    "load_checkpoint": "evaluate",
    "PRESETS": "train",
    "TrainConfig": "train",
    "train": "train",
    "make_report": "report",
    "feature_map": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
