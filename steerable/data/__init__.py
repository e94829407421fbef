"""Benchmark data sets generated from data that ships in packages (no download at run time)."""

from .cache import CACHE_ENV, array_checksum, cache_dir, load_or_build
from .mnist import DataUnavailableError, load_fashion_mnist, load_mnist, read_idx
from .rotmnist import (
    DATASETS,
    FULL_SIZES,
    SPLITS,
    RotatedDigits,
    rotate_images,
    rotated_digits,
    rotated_fashion_mnist,
    rotated_mnist,
)

__all__ = [
    "CACHE_ENV",
    "DATASETS",
    "FULL_SIZES",
    "SPLITS",
    "DataUnavailableError",
    "RotatedDigits",
    "array_checksum",
    "cache_dir",
    "load_fashion_mnist",
    "load_mnist",
    "load_or_build",
    "read_idx",
    "rotate_images",
    "rotated_digits",
    "rotated_fashion_mnist",
    "rotated_mnist",
]
