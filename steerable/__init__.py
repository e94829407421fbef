"""steerable: equivariant deep learning in PyTorch (escnn-compatible).

Subpackages follow the theory stack: ``group`` -> ``kernels`` -> ``gspaces`` -> ``nn``.
Importing ``steerable`` is cheap: subpackages are imported on first use.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"
_SUBPACKAGES = ("group", "kernels", "gspaces", "nn", "pointcloud", "models", "data", "experiments", "testing")
__all__ = [*_SUBPACKAGES, "__version__"]


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"steerable.{name}")
    raise AttributeError(f"module 'steerable' has no attribute {name!r}")
