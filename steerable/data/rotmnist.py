"""Rotated MNIST (MNIST-rot) rebuilt from the full MNIST, and the same for Fashion-MNIST.

The original MNIST-rot (Larochelle et al., 2007) has 10k training, 2k validation and 50k test
digits, each rotated by an angle drawn uniformly from [0, 2pi). We rebuild it: the 70k MNIST
digits (train then test) are permuted with a fixed seed, the first 62k are kept (10k train,
2k validation, 50k test), each is padded from 28x28 to 29x29 (a zero row and column at the
bottom and right, as in the escnn/e2cnn tutorials, so that pixel (14, 14) is the centre) and
rotated about the centre by its own uniform random angle with bilinear interpolation, then
rounded back to uint8. It matches the original in distribution, not bit for bit.

The plan (which digit, which angle) is drawn once for the full size, so a smaller data set
(``sizes=(n_train, n_val, n_test)``) is exactly a prefix of each split of the full one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .cache import load_or_build
from .mnist import load_fashion_mnist, load_mnist

__all__ = [
    "DATASETS",
    "FULL_SIZES",
    "IMAGE_SIZE",
    "SPLITS",
    "RotatedDigits",
    "rotate_images",
    "rotated_digits",
    "rotated_mnist",
    "rotated_fashion_mnist",
]

SPLITS = ("train", "val", "test")
FULL_SIZES = (10000, 2000, 50000)
IMAGE_SIZE = 29
_VERSION = 1  # bump when the generation procedure changes (it is part of the cache key)
_SOURCES = {"rotmnist": load_mnist, "rotfashion": load_fashion_mnist}
DATASETS = tuple(_SOURCES)


def rotate_images(images: np.ndarray, angles: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Rotate each image about the centre pixel by its angle (radians, counter-clockwise as
    displayed with rows going down), bilinear interpolation, zeros outside.

    A quarter turn equals ``torch.rot90(x, 1, dims=(-2, -1))`` exactly. 28x28 inputs are first
    padded to 29x29 (zero row and column at the bottom and right).

    Shapes:
        - images: ``(N, 28, 28)`` or ``(N, 29, 29)``, any real dtype
        - angles: ``(N,)``
        - output: ``(N, 29, 29)`` float64
    """
    x = np.asarray(images, dtype=np.float64)
    angles = np.asarray(angles, dtype=np.float64).reshape(-1)
    if x.ndim != 3 or x.shape[1:] not in ((28, 28), (IMAGE_SIZE, IMAGE_SIZE)):
        raise ValueError(f"expected images of shape (N, 28, 28) or (N, 29, 29), got {x.shape}")
    if angles.shape[0] != x.shape[0]:
        raise ValueError(f"expected one angle per image ({x.shape[0]}), got {angles.shape[0]}")
    n, m = IMAGE_SIZE, IMAGE_SIZE // 2
    out = np.empty((x.shape[0], n, n))
    offsets = np.arange(n, dtype=np.float64) - m
    dr, dc = offsets[:, None], offsets[None, :]
    for start in range(0, x.shape[0], chunk):
        block = x[start : start + chunk]
        b = block.shape[0]
        # one-pixel zero border all round: clipped out-of-range indices read zeros
        padded = np.zeros((b, n + 2, n + 2))
        padded[:, 1 : 1 + block.shape[1], 1 : 1 + block.shape[2]] = block
        cos, sin = np.cos(angles[start : start + b]), np.sin(angles[start : start + b])
        # exact quarter turns: cos(pi/2) is 6e-17 in floating point, not 0
        cos = np.where(np.abs(cos) < 1e-12, 0.0, cos)[:, None, None]
        sin = np.where(np.abs(sin) < 1e-12, 0.0, sin)[:, None, None]
        src_r = cos * dr + sin * dc + m  # (b, n, n): where each output pixel samples the input
        src_c = -sin * dr + cos * dc + m
        r0, c0 = np.floor(src_r), np.floor(src_c)
        fr, fc = src_r - r0, src_c - c0
        flat = padded.reshape(b, -1)

        out[start : start + b] = (
            (1 - fr) * (1 - fc) * _take(flat, r0, c0, n)
            + (1 - fr) * fc * _take(flat, r0, c0 + 1, n)
            + fr * (1 - fc) * _take(flat, r0 + 1, c0, n)
            + fr * fc * _take(flat, r0 + 1, c0 + 1, n)
        )
    return out


def _take(flat: np.ndarray, r: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    """Pixels (r, c) of the zero-bordered images ``flat`` (b, (n+2)^2); outside reads zero."""
    b = flat.shape[0]
    ri = np.clip(r, -1, n).astype(np.int64) + 1
    ci = np.clip(c, -1, n).astype(np.int64) + 1
    return np.take_along_axis(flat, (ri * (n + 2) + ci).reshape(b, -1), axis=1).reshape(b, n, n)


def _plan(seed: int, total: int = 70000):
    """Which source digit and which angle each of the 62k positions gets (fixed for a seed)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(total)[: sum(FULL_SIZES)]
    angles = rng.uniform(0.0, 2.0 * np.pi, size=order.size)
    return order, angles


def _check_sizes(sizes) -> tuple[int, int, int]:
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) != 3 or any(s < 1 or s > f for s, f in zip(sizes, FULL_SIZES)):
        raise ValueError(f"expected sizes (train, val, test) between 1 and {FULL_SIZES}, got {sizes}")
    return sizes


def _build(source: str, seed: int, sizes: tuple[int, int, int]) -> dict[str, np.ndarray]:
    raw = _SOURCES[source]()
    images = np.concatenate([raw["train_images"], raw["test_images"]])
    labels = np.concatenate([raw["train_labels"], raw["test_labels"]])
    order, angles = _plan(seed, total=images.shape[0])
    # the splits start at fixed offsets of the full plan; a source smaller than the full data
    # set (synthetic test data) packs the requested sizes instead
    strides = FULL_SIZES if images.shape[0] >= sum(FULL_SIZES) else sizes
    if sum(strides) > images.shape[0]:
        raise ValueError(f"the source has {images.shape[0]} images, fewer than the {sum(strides)} requested")
    arrays, start = {}, 0
    for split, size, full in zip(SPLITS, sizes, strides):
        idx = order[start : start + size]
        ang = angles[start : start + size]
        rotated = rotate_images(images[idx], ang)
        arrays[f"{split}_images"] = np.clip(np.rint(rotated), 0, 255).astype(np.uint8)
        arrays[f"{split}_labels"] = labels[idx].astype(np.int64)
        arrays[f"{split}_angles"] = ang
        arrays[f"{split}_sources"] = idx.astype(np.int64)
        start += full
    return arrays


@dataclass
class RotatedDigits:
    """A rotated digit data set: per split uint8 images ``(N, 29, 29)``, labels, angles
    (radians) and source indices into the 70k original images (train then test)."""

    name: str
    seed: int
    sizes: tuple[int, int, int]
    arrays: dict[str, np.ndarray] = field(repr=False)
    checksum: str
    path: Path | None

    def images(self, split: str) -> np.ndarray:
        return self.arrays[f"{self._split(split)}_images"]

    def labels(self, split: str) -> np.ndarray:
        return self.arrays[f"{self._split(split)}_labels"]

    def angles(self, split: str) -> np.ndarray:
        return self.arrays[f"{self._split(split)}_angles"]

    def sources(self, split: str) -> np.ndarray:
        return self.arrays[f"{self._split(split)}_sources"]

    def tensors(self, split: str):
        """``(x, y)``: float32 images in [0, 1] of shape ``(N, 1, 29, 29)`` and int64 labels."""
        import torch

        x = torch.from_numpy(self.images(split).astype(np.float32) / 255.0).unsqueeze(1)
        return x, torch.from_numpy(self.labels(split))

    def upright(self, split: str, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The unrotated 28x28 source images and labels of the first ``n`` digits of a split."""
        raw = _SOURCES[self.name]()
        images = np.concatenate([raw["train_images"], raw["test_images"]])
        src = self.sources(split)[:n]
        return images[src], self.labels(split)[: len(src)]

    @staticmethod
    def _split(split: str) -> str:
        if split not in SPLITS:
            raise ValueError(f"expected a split in {SPLITS}, got {split!r}")
        return split


def rotated_digits(name: str, seed: int = 0, sizes=FULL_SIZES, use_cache: bool = True) -> RotatedDigits:
    """Build (once; later calls read the cache) the rotated data set ``name`` in ``DATASETS``."""
    if name not in _SOURCES:
        raise ValueError(f"unknown data set {name!r}; expected one of {DATASETS}")
    sizes = _check_sizes(sizes)
    key = f"{name}-v{_VERSION}-seed{int(seed)}-{sizes[0]}-{sizes[1]}-{sizes[2]}"
    arrays, checksum, path = load_or_build(key, lambda: _build(name, int(seed), sizes), use_cache=use_cache)
    return RotatedDigits(name, int(seed), sizes, arrays, checksum, path)


def rotated_mnist(seed: int = 0, sizes=FULL_SIZES, use_cache: bool = True) -> RotatedDigits:
    """Rotated MNIST: 10k train / 2k validation / 50k test by default (see the module docstring)."""
    return rotated_digits("rotmnist", seed, sizes, use_cache)


def rotated_fashion_mnist(seed: int = 0, sizes=FULL_SIZES, use_cache: bool = True) -> RotatedDigits:
    """Rotated Fashion-MNIST, built exactly like rotated MNIST (needs ``dataset-fashion-mnist``)."""
    return rotated_digits("rotfashion", seed, sizes, use_cache)
