"""Shared math of the planar groups (C_N, D_N, SO(2), O(2))."""

from __future__ import annotations

import numpy as np

__all__ = [
    "rotation_matrices",
    "planar_irrep_matrices",
    "wrap_angle",
    "angle_of_rotation_matrix",
    "TOPOLOGICAL_ANGLES",
    "ANGLE_TOL",
    "angle_key",
    "as_int",
]

# Angles whose multiples up to 1024 never all come close to 0 mod 2 pi (checked numerically:
# min over frequency gaps d <= 1024 of max_i |sin(d theta_i / 2)| = 0.19): together they
# generate a dense subgroup of SO(2) and separate all frequencies used in practice.
TOPOLOGICAL_ANGLES = (1.0, float(np.sqrt(2.0)), float(np.sqrt(3.0)))
ANGLE_TOL = 1e-9


def wrap_angle(theta):
    return np.mod(theta, 2 * np.pi)


def angle_key(theta: float) -> float:
    """A canonical float for an angle: wrapped to [0, 2 pi), with values within 1e-12 of
    2 pi folded onto 0 (and -0.0 onto 0.0). Not rounded, so compositions stay exact."""
    t = float(np.mod(float(theta), 2 * np.pi))
    if 2 * np.pi - t < 1e-12:
        t = 0.0
    return t + 0.0


def as_int(value, what: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be an integer, got a bool")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    raise TypeError(f"{what} must be an integer, got {value!r}")


def rotation_matrices(theta) -> np.ndarray:
    """``(N, 2, 2)`` rotation matrices for angles ``(N,)``."""
    theta = np.asarray(theta, dtype=np.float64).reshape(-1)
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def planar_irrep_matrices(k: int, theta, flip=None) -> np.ndarray:
    """``(N, 2, 2)``: R(k theta) F^f with F = diag(1, -1)."""
    mats = rotation_matrices(k * np.asarray(theta, dtype=np.float64))
    if flip is not None:
        flip = np.asarray(flip).reshape(-1).astype(bool)
        mats[flip, :, 1] *= -1
    return mats


def angle_of_rotation_matrix(mat) -> tuple[float, int]:
    """``(theta, flip)`` of a 2x2 orthogonal matrix R(theta) F^flip; ValueError otherwise."""
    mat = np.asarray(mat, dtype=np.float64)
    if mat.shape != (2, 2) or not np.allclose(mat.T @ mat, np.eye(2), atol=1e-8):
        raise ValueError(f"expected an orthogonal 2x2 matrix, got {mat!r}")
    flip = int(np.linalg.det(mat) < 0)
    first_column = mat[:, 0]
    return float(wrap_angle(np.arctan2(first_column[1], first_column[0]))), flip
