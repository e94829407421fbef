"""Models by name, for the command line: ``build_model("c8", width=0.25)``."""

from __future__ import annotations

import torch

__all__ = ["MODELS", "build_model", "is_equivariant"]

# name -> (description, equivariant)
MODELS = {
    "c8": ("C8 regular CNN of the escnn rotated-MNIST tutorial", True),
    "cnn": ("conventional CNN baseline with about the C8 model's parameters", False),
    "c16": ("e2cnn-style C16 regular CNN", True),
    "d16": ("e2cnn-style D16 regular CNN", True),
    "d16c16": ("e2cnn-style D16|5 C16: D16 for 5 layers, restricted to C16 for the last", True),
}


def _c8_widths(width: float) -> tuple[int, ...]:
    from .e2cnn_models import C8_TUTORIAL_FIELDS

    return tuple(max(1, round(w * width)) for w in C8_TUTORIAL_FIELDS)


def build_model(name: str, width: float = 1.0, n_classes: int = 10) -> torch.nn.Module:
    """A freshly initialised model ``name`` (one of ``MODELS``); ``width`` scales its channels."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    if not width > 0:
        raise ValueError(f"expected width > 0, got {width}")
    from .c8_rotmnist import C8SteerableCNN, cnn_baseline
    from .e2cnn_models import E2MNISTNet

    if name == "c8":
        return C8SteerableCNN(n_classes, widths=_c8_widths(width))
    if name == "cnn":
        return cnn_baseline(_c8_widths(width), n_classes)
    if name == "c16":
        return E2MNISTNet(16, flips=False, width=width, n_classes=n_classes)
    if name == "d16":
        return E2MNISTNet(16, flips=True, width=width, n_classes=n_classes)
    return E2MNISTNet(16, flips=True, restrict=5, width=width, n_classes=n_classes)


def is_equivariant(name: str) -> bool:
    return MODELS[name][1]
