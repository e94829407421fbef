"""Sampling grids, rings and band-limiting policies for kernels on pixel/voxel grids.

Grid conventions (as escnn): a 2D filter ``(out, in, H, W)`` has its last axis along X and
its second-to-last along -Y; a 3D filter ``(out, in, D1, D2, D3)`` has axes (-Z, -Y, X).

Defaults (when the user gives no rings/sigma/frequencies_cutoff) reproduce escnn 1.0.11's
kernel spaces, measured on escnn as a black box (same ring radii, widths and harmonic orders,
hence the same basis dimensions), with k the kernel size and R = floor(k / 2):

* rings: radii 0, 1, ..., floor((k-1)/2); for even k the radius-0 ring (which has no grid point)
  is left out. ``kernel_size=2``, where escnn silently builds an empty basis, gets one ring
  through its 2^d grid points (radius sqrt(d)/2) with harmonic orders <= 1.
* sigma: 0.005 on the ring of radius 0, 0.4 on the outermost ring, 0.6 on the others
  (0.6 for ``kernel_size=2``).
* harmonic orders on a ring of radius r > 0 (J = 0 at r = 0):
  2D: 2 on the outermost ring r = R, otherwise 2r for odd r and 2r - 1 for even r
  (floor(2r) for radii that are not integers); 3D: min(2r, R - r + 2), rings with a negative
  value dropped.
* ``dilation`` stretches the grid, the rings and the widths alike; the orders are those of the
  undilated kernel (escnn raises them with the dilation, which adds aliased, redundant elements).

A float ``frequencies_cutoff`` F means J <= F r (r undilated); a callable means J <= f(r);
``maximum_frequency`` caps every ring.
"""

from __future__ import annotations

import numpy as np

from ..group._planar import as_int

__all__ = ["kernel_grid", "default_rings", "default_sigma", "max_orders"]

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


def default_rings(kernel_size: int, dilation: float = 1.0, dimension: int = 2) -> np.ndarray:
    """Default ring radii (see the module docstring)."""
    k = _check_size(kernel_size)
    if k == 2:
        return np.array([np.sqrt(dimension) / 2]) * float(dilation)
    start = 0 if k % 2 else 1
    return np.arange(start, (k - 1) // 2 + 1, dtype=np.float64) * float(dilation)


def default_sigma(rings, dilation: float = 1.0, kernel_size: int | None = None) -> np.ndarray:
    """Default ring widths: 0.005 at radius 0, 0.4 on the outermost ring, 0.6 elsewhere."""
    rings = np.asarray(rings, dtype=np.float64)
    sigma = np.full(rings.size, DEFAULT_SIGMA)
    if kernel_size != 2 and rings.size:
        sigma[np.argmax(rings)] = 0.4
    sigma[rings < 1e-9] = 0.005
    return sigma * float(dilation)


def _default_order(r: float, R: float, dimension: int) -> int:
    integral = abs(r - round(r)) < 1e-9
    if dimension == 3:
        return int(np.floor(min(2 * r, R - r + 2) + 1e-9))
    if integral and abs(r - R) < 1e-9:
        return 2
    if integral:
        n = int(round(r))
        return 2 * n - (n + 1) % 2
    return int(np.floor(2 * r + 1e-9))


def max_orders(
    rings,
    frequencies_cutoff=None,
    maximum_frequency=None,
    dilation: float = 1.0,
    kernel_size: int | None = None,
    dimension: int = 2,
) -> list[int]:
    """The highest harmonic order per ring (see the module docstring); -1 drops a ring.

    ``kernel_size`` (for the default policy's R; default: the largest ring) and ``dimension``
    (2 or 3) only matter when ``frequencies_cutoff`` is None.
    """
    rings = np.asarray(rings, dtype=np.float64)
    if not (np.isfinite(float(dilation)) and float(dilation) > 0):
        raise ValueError(f"dilation must be a positive number, got {dilation}")
    if maximum_frequency is not None and as_int(maximum_frequency, "maximum_frequency") < 0:
        raise ValueError(f"maximum_frequency must be None or a non-negative integer, got {maximum_frequency}")
    if frequencies_cutoff is not None and not callable(frequencies_cutoff):
        cutoff = float(frequencies_cutoff)
        if not np.isfinite(cutoff) or cutoff < 0:
            raise ValueError(f"frequencies_cutoff must be a non-negative number or a callable, got {cutoff}")
    undilated = rings / float(dilation)
    if kernel_size is not None:
        R = float(_check_size(kernel_size) // 2)
    else:
        R = float(np.round(undilated.max())) if undilated.size else 0.0
    out = []
    for r in undilated:
        if r < 1e-9:
            J = 0
        elif frequencies_cutoff is None:
            J = _default_order(float(r), R, dimension)
        elif callable(frequencies_cutoff):
            J = int(np.floor(float(frequencies_cutoff(r)) + 1e-9))
        else:
            J = int(np.floor(float(frequencies_cutoff) * r + 1e-9))
        if maximum_frequency is not None:
            J = min(J, as_int(maximum_frequency, "maximum_frequency"))
        out.append(max(J, -1))
    return out
