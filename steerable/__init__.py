"""steerable: equivariant deep learning in PyTorch (escnn-compatible).

Subpackages follow the theory stack: ``group`` -> ``kernels`` -> ``gspaces`` -> ``nn``.
Importing ``steerable`` is cheap: subpackages are imported on first use.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"
__all__ = ["group", "kernels", "gspaces", "nn", "testing", "__version__"]


def __getattr__(name):
    if name in ("group", "kernels", "gspaces", "nn", "testing"):
        return importlib.import_module(f"steerable.{name}")
    raise AttributeError(f"module 'steerable' has no attribute {name!r}")
