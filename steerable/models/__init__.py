"""Reference models."""

from .c8_rotmnist import C8SteerableCNN, PlainCNN

__all__ = ["C8SteerableCNN", "PlainCNN"]
