"""Sampling grids, rings and band-limiting policies for kernels on pixel/voxel grids.

Grid conventions (as escnn): a 2D filter ``(out, in, H, W)`` has its last axis along X and
its second-to-last along -Y; a 3D filter ``(out, in, D1, D2, D3)`` has axes (-Z, -Y, X).

Defaults (documented choices, alias-free on the grid):

* rings: radii 0, 1, ..., (k-1)/2 for odd ``kernel_size`` k; 0.5, 1.5, ..., (k-1)/2 for even k
  (the radii where an even grid has points), scaled by ``dilation``.
* sigma: 0.6 (times ``dilation``) for every ring.
* harmonic orders: on a ring of radius r, orders J <= floor(F r) with F = 2 (the default
  ``frequencies_cutoff``; a ring of radius r has about 2 pi r grid points), and J = 0 at r = 0.
  A float ``frequencies_cutoff`` F means J <= F r; a callable means J <= f(r);
  ``maximum_frequency`` caps every ring.
"""

from __future__ import annotations

import numpy as np

from ..group._planar import as_int

__all__ = ["kernel_grid", "default_rings", "default_sigma", "max_orders", "DEFAULT_FREQUENCIES_CUTOFF"]

DEFAULT_FREQUENCIES_CUTOFF = 2.0
DEFAULT_SIGMA = 0.6


def _check_size(kernel_size) -> int:
    k = as_int(kernel_size, "kernel_size")
    if k < 1:
        raise ValueError(f"kernel_size must be >= 1, got {k}")
    return k


def kernel_grid(kernel_size: int, d: int, dilation: float = 1.0) -> np.ndarray:
    """``(k^d, d)`` coordinates (x, y[, z]) of the filter's grid points in C order of the
    filter's spatial axes."""
    k = _check_size(kernel_size)
    c = (k - 1) / 2
    idx = (np.arange(k) - c) * float(dilation)
    if d == 2:
        rows, cols = np.meshgrid(idx, idx, indexing="ij")  # rows run along -Y
        return np.stack([cols.ravel(), -rows.ravel()], axis=1)
    if d == 3:
        a, b, e = np.meshgrid(idx, idx, idx, indexing="ij")  # axes (-Z, -Y, X)
        return np.stack([e.ravel(), -b.ravel(), -a.ravel()], axis=1)
    raise ValueError(f"kernel grids exist for d = 2, 3, got {d}")


def default_rings(kernel_size: int, dilation: float = 1.0) -> np.ndarray:
    k = _check_size(kernel_size)
    start = 0.0 if k % 2 else 0.5
    return (start + np.arange((k + 1) // 2)) * float(dilation)


def default_sigma(rings, dilation: float = 1.0) -> np.ndarray:
    return np.full(len(rings), DEFAULT_SIGMA * float(dilation))


def max_orders(rings, frequencies_cutoff=None, maximum_frequency=None, dilation: float = 1.0) -> list[int]:
    """The highest harmonic order per ring (see the module docstring)."""
    rings = np.asarray(rings, dtype=np.float64)
    if not (np.isfinite(float(dilation)) and float(dilation) > 0):
        raise ValueError(f"dilation must be a positive number, got {dilation}")
    if maximum_frequency is not None and as_int(maximum_frequency, "maximum_frequency") < 0:
        raise ValueError(f"maximum_frequency must be None or a non-negative integer, got {maximum_frequency}")
    if frequencies_cutoff is not None and not callable(frequencies_cutoff):
        cutoff = float(frequencies_cutoff)
        if not np.isfinite(cutoff) or cutoff < 0:
            raise ValueError(f"frequencies_cutoff must be a non-negative number or a callable, got {cutoff}")
    out = []
    for r in rings / float(dilation):
        if r < 1e-9:
            J = 0
        elif frequencies_cutoff is None:
            J = int(np.floor(DEFAULT_FREQUENCIES_CUTOFF * r + 1e-9))
        elif callable(frequencies_cutoff):
            J = int(np.floor(float(frequencies_cutoff(r)) + 1e-9))
        else:
            cutoff = float(frequencies_cutoff)
            if not np.isfinite(cutoff) or cutoff < 0:
                raise ValueError(f"frequencies_cutoff must be a non-negative number or a callable, got {cutoff}")
            J = int(np.floor(cutoff * r + 1e-9))
        if maximum_frequency is not None:
            J = min(J, as_int(maximum_frequency, "maximum_frequency"))
        out.append(max(J, 0))
    return out
