"""A small on-disk cache for generated data sets: one ``.npz`` file per data set, with a checksum.

Files live in the user's cache directory (``$STEERABLE_CACHE_DIR``, else
``$XDG_CACHE_HOME/steerable``, else ``~/.cache/steerable``). A file is written to a temporary
name in the same directory and renamed into place, so a reader never sees a partial file and
two processes writing at once both leave a complete one. On loading, the content checksum
stored in the file is recomputed; a missing, corrupt, truncated or mismatching file is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["cache_dir", "array_checksum", "load_or_build", "CACHE_ENV"]

CACHE_ENV = "STEERABLE_CACHE_DIR"
_CHECKSUM_KEY = "__checksum__"


def cache_dir() -> Path:
    """The directory of steerable's cached data sets (not created here)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "steerable"


def array_checksum(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the arrays' names, dtypes, shapes and bytes (independent of the zip container)."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def _read(path: Path) -> tuple[dict[str, np.ndarray], str]:
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    stored = str(arrays.pop(_CHECKSUM_KEY))
    actual = array_checksum(arrays)
    if stored != actual:
        raise ValueError(f"checksum mismatch: stored {stored[:12]}..., content {actual[:12]}...")
    return arrays, actual


def _write(path: Path, arrays: dict[str, np.ndarray], checksum: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays, **{_CHECKSUM_KEY: np.array(checksum)})
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the cache is a plain shared file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_or_build(
    name: str, build: Callable[[], dict[str, np.ndarray]], *, use_cache: bool = True
) -> tuple[dict[str, np.ndarray], str, Path | None]:
    """Load the cached arrays ``name``, or build them (and cache them when possible).

    Returns ``(arrays, checksum, path)``; ``path`` is ``None`` when nothing is cached (caching
    disabled, or the cache directory is not writable: then a warning says so).
    """
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"expected a plain file name for the cache entry, got {name!r}")
    path = cache_dir() / f"{name}.npz"
    if use_cache and path.exists():
        try:
            arrays, checksum = _read(path)
            return arrays, checksum, path
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            warnings.warn(f"cached data set {path} is unreadable ({err}); rebuilding it", stacklevel=2)
    arrays = build()
    checksum = array_checksum(arrays)
    if not use_cache:
        return arrays, checksum, None
    try:
        _write(path, arrays, checksum)
    except OSError as err:
        warnings.warn(
            f"could not write the data set cache {path} ({err}); set {CACHE_ENV} to a writable directory",
            stacklevel=2,
        )
        return arrays, checksum, None
    return arrays, checksum, path
