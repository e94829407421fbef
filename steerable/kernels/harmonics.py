"""Harmonics on the circle and the sphere, and the O(d) irreps they transform under.

Circle (d = 2): Y_0 = 1 and Y_J(phi) = (cos J phi, sin J phi) for J >= 1. They satisfy
Y_J(g x) = D_J(g) Y_J(x) with D_J the O(2) irrep (0, 0) for J = 0 and (1, J) otherwise
(rotation by theta acts as R(J theta), the reflection (x, y) -> (x, -y) as diag(1, -1)).

Sphere (d = 3): the real spherical harmonics Y_l of :mod:`steerable.group._so3_math`,
Y_l(R x) = D_l(R) Y_l(x); the inversion acts as (-1)^l, so D_l is the O(3) irrep (l mod 2, l).

Both are normalised so that the mean over the circle/sphere of Y_Jm Y_J'm' is delta.
"""

from __future__ import annotations

import numpy as np

from ..group._so3_math import spherical_harmonics

__all__ = ["harmonics", "harmonic_irrep_id", "harmonic_dim", "unit_directions"]


def harmonic_irrep_id(d: int, J: int) -> tuple:
    """The id of the O(d) irrep under which the order-J harmonics transform."""
    if d == 2:
        return (0, 0) if J == 0 else (1, J)
    if d == 3:
        return (J % 2, J)
    raise ValueError(f"harmonics are defined on R^2 and R^3, got d = {d}")


def harmonic_dim(d: int, J: int) -> int:
    return (1 if J == 0 else 2) if d == 2 else 2 * J + 1


def unit_directions(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(radii (N,), directions (N, d))``; the direction of the origin is set to e_1
    (any choice: only J = 0 harmonics are used where the radial profile allows r = 0)."""
    points = np.asarray(points, dtype=np.float64)
    radii = np.linalg.norm(points, axis=-1)
    directions = np.zeros_like(points)
    nonzero = radii > 1e-12
    directions[nonzero] = points[nonzero] / radii[nonzero, None]
    directions[~nonzero, 0] = 1.0
    return radii, directions


def harmonics(d: int, J: int, directions: np.ndarray) -> np.ndarray:
    """``(N, harmonic_dim(d, J))`` harmonics of order J at unit ``directions`` ``(N, d)``."""
    directions = np.asarray(directions, dtype=np.float64)
    if directions.ndim != 2 or directions.shape[1] != d:
        raise ValueError(f"expected directions of shape (N, {d}), got {directions.shape}")
    if d == 2:
        if J == 0:
            return np.ones((directions.shape[0], 1))
        phi = np.arctan2(directions[:, 1], directions[:, 0])
        # sqrt(2) makes the mean of cos^2 and sin^2 over the circle equal 1
        return np.sqrt(2.0) * np.stack([np.cos(J * phi), np.sin(J * phi)], axis=1)
    if d == 3:
        return spherical_harmonics(J, directions)
    raise ValueError(f"harmonics are defined on R^2 and R^3, got d = {d}")
