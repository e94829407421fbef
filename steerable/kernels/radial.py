"""Radial profiles of steerable kernels."""

from __future__ import annotations

import numpy as np

__all__ = ["GaussianRadialProfile"]


class GaussianRadialProfile:
    """Gaussian shells: phi_i(r) = exp(-(r - radii[i])^2 / (2 sigma_i^2)).

    Args:
        radii: ring radii (non-negative).
        sigma: one width for all rings, or one per ring (positive).
    """

    def __init__(self, radii, sigma):
        radii = np.asarray(radii, dtype=np.float64).reshape(-1)
        sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64), radii.shape).copy()
        if radii.size == 0:
            raise ValueError("GaussianRadialProfile needs at least one radius")
        if not np.all(np.isfinite(radii)) or np.any(radii < 0):
            raise ValueError(f"radii must be finite and non-negative, got {radii.tolist()}")
        if not np.all(np.isfinite(sigma)) or np.any(sigma <= 0):
            raise ValueError(f"sigma must be finite and positive, got {sigma.tolist()}")
        radii.setflags(write=False)
        sigma.setflags(write=False)
        self.radii, self.sigma = radii, sigma

    def __len__(self) -> int:
        return self.radii.size

    def __call__(self, r: np.ndarray) -> np.ndarray:
        """``(N, rings)`` profile values at distances ``r`` ``(N,)``."""
        r = np.asarray(r, dtype=np.float64).reshape(-1, 1)
        return np.exp(-0.5 * ((r - self.radii[None]) / self.sigma[None]) ** 2)

    def __eq__(self, other):
        return (
            isinstance(other, GaussianRadialProfile)
            and np.array_equal(self.radii, other.radii)
            and np.array_equal(self.sigma, other.sigma)
        )

    def __hash__(self):
        return hash((self.radii.tobytes(), self.sigma.tobytes()))

    def __repr__(self):
        return f"GaussianRadialProfile(radii={self.radii.tolist()}, sigma={self.sigma.tolist()})"
