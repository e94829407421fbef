"""Parsing and formatting of 3D rotations for SO(3)-based groups (internal values are
canonical quaternion tuples (x, y, z, w))."""

from __future__ import annotations

import numpy as np

from ._so3_math import (
    axis_angle_vector_to_quaternion,
    canonical_quaternion,
    euler_to_quaternion,
    matrix_to_quaternion,
    quaternion_multiply,
    quaternion_to_axis_angle_vector,
    quaternion_to_euler,
    quaternion_to_matrix,
)

__all__ = [
    "ROTATION_PARAMETRIZATIONS",
    "is_rotation_param",
    "parse_rotation",
    "export_rotation",
    "q_compose",
    "q_invert",
    "q_equal",
    "q_hash",
    "q_key",
    "axis_rotation",
    "IDENTITY_Q",
]

IDENTITY_Q = (0.0, 0.0, 0.0, 1.0)
_EULER_AXES = set("xyzXYZ")
ROTATION_PARAMETRIZATIONS = ("Q", "MAT", "EV", "ZYZ", "zyz", "XYZ", "xyz", "ZXZ", "zxz")


def is_rotation_param(param: str) -> bool:
    if param in ("Q", "MAT", "EV"):
        return True
    return (
        isinstance(param, str)
        and len(param) == 3
        and set(param) <= _EULER_AXES
        and (param.isupper() or param.islower())
        and param[0] != param[1]
        and param[1] != param[2]
    )


def q_key(q) -> tuple:
    """A canonical tuple for a quaternion (unit norm, canonical sign, -0 removed)."""
    q = canonical_quaternion(np.asarray(q, dtype=np.float64))
    return tuple(float(v) + 0.0 for v in q)


def parse_rotation(value, param: str) -> tuple:
    if not is_rotation_param(param):
        raise ValueError(
            f"unknown rotation parametrisation {param!r}; valid: 'Q', 'MAT', 'EV' or a "
            f"3-letter Euler convention such as 'ZYZ' or 'xyz'"
        )
    value = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(value)):
        raise ValueError(f"rotation values must be finite, got {value!r}")
    if param == "Q":
        if value.shape != (4,) or np.linalg.norm(value) < 1e-9:
            raise ValueError(f"a quaternion is a non-zero array of shape (4,), got {value!r}")
        if abs(np.linalg.norm(value) - 1) > 1e-6:
            raise ValueError(f"a rotation quaternion must have unit norm, got norm {np.linalg.norm(value)}")
        return q_key(value)
    if param == "MAT":
        if value.shape != (3, 3) or not np.allclose(value.T @ value, np.eye(3), atol=1e-6):
            raise ValueError(f"expected a 3x3 rotation matrix, got {value!r}")
        if np.linalg.det(value) < 0:
            raise ValueError("the matrix has determinant -1: it is not a rotation")
        return q_key(matrix_to_quaternion(value))
    if value.shape != (3,):
        raise ValueError(f"parametrisation {param!r} takes an array of shape (3,), got {value.shape}")
    if param == "EV":
        return q_key(axis_angle_vector_to_quaternion(value))
    return q_key(euler_to_quaternion(value, param))


def export_rotation(q: tuple, param: str):
    if not is_rotation_param(param):
        raise ValueError(f"unknown rotation parametrisation {param!r}")
    q = np.array(q, dtype=np.float64)
    if param == "Q":
        return q
    if param == "MAT":
        return quaternion_to_matrix(q)
    if param == "EV":
        return quaternion_to_axis_angle_vector(q)
    return quaternion_to_euler(q, param)


def q_compose(a: tuple, b: tuple) -> tuple:
    return q_key(quaternion_multiply(np.array(a), np.array(b)))


def q_invert(a: tuple) -> tuple:
    return q_key((-a[0], -a[1], -a[2], a[3]))


def q_equal(a: tuple, b: tuple, tol: float = 1e-9) -> bool:
    return abs(abs(float(np.dot(a, b))) - 1.0) < tol


def q_hash(a: tuple) -> int:
    return hash(tuple(round(v, 6) + 0.0 for v in a))


def axis_rotation(axis, angle: float) -> tuple:
    """Canonical quaternion of the rotation by ``angle`` about the unit vector ``axis``."""
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    return q_key(np.concatenate([np.sin(angle / 2) * axis, [np.cos(angle / 2)]]))
