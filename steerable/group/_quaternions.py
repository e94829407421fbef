"""Quaternions: scalar-last ``(x, y, z, w)`` unit quaternions for 3D rotations.

``q`` and ``-q`` are the same rotation; :func:`canonical_quaternion` picks the one whose first
component among (w, x, y, z) with magnitude > 1e-12 is positive. Every function accepts any
leading batch shape and returns fresh float64 arrays.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = [
    "canonical_quaternion",
    "quaternion_multiply",
    "quaternion_inverse",
    "quaternion_to_matrix",
    "matrix_to_quaternion",
    "quaternion_to_axis_angle_vector",
    "axis_angle_vector_to_quaternion",
    "quaternion_to_euler",
    "euler_to_quaternion",
    "check_degree",
    "as_array",
]

# Components smaller than this are treated as zero when choosing a quaternion's sign.
_SIGN_TOL = 1e-12


# --- validation helpers ---


def check_degree(l, name: str = "l") -> int:
    if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or l < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {l!r}")
    return int(l)


def as_array(x, last: int, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] != last:
        raise ValueError(f"{what} must have shape (..., {last}), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} must be finite")
    return x


def _as_quaternions(q) -> np.ndarray:
    return as_array(q, 4, "quaternions")


def _normalize_quaternions(q) -> np.ndarray:
    q = _as_quaternions(q)
    n = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(n == 0):
        raise ValueError("zero quaternion does not represent a rotation")
    return q / n


# --- quaternions ---


def canonical_quaternion(q) -> np.ndarray:
    """Normalise quaternions and pick a sign, so that ``q`` and ``-q`` give the same result.

    The sign makes the first component among ``(w, x, y, z)`` (in that priority order) whose
    magnitude exceeds 1e-12 positive.

    Args:
        q: Nonzero quaternions ``(..., 4)`` in ``(x, y, z, w)`` order.

    Returns:
        Unit quaternions ``(..., 4)``. Raises ValueError for zero, non-finite or bad shapes.
    """
    q = _normalize_quaternions(q)
    ordered = q[..., [3, 0, 1, 2]]
    first = np.argmax(np.abs(ordered) > _SIGN_TOL, axis=-1)
    lead = np.take_along_axis(ordered, first[..., None], axis=-1)
    return np.where(lead < 0, -q, q)


def quaternion_multiply(a, b) -> np.ndarray:
    """Hamilton products ``a b`` ``(..., 4)``, not renormalised: the rotation ``R(a) @ R(b)``.

    Args:
        a: Quaternions ``(..., 4)``, ``(x, y, z, w)`` order.
        b: Quaternions ``(..., 4)``; broadcast against ``a``.
    """
    a, b = _as_quaternions(a), _as_quaternions(b)
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    x = aw * bx + ax * bw + ay * bz - az * by
    y = aw * by - ax * bz + ay * bw + az * bx
    z = aw * bz + ax * by - ay * bx + az * bw
    return np.stack([x, y, z, aw * bw - ax * bx - ay * by - az * bz], axis=-1)


def quaternion_inverse(q) -> np.ndarray:
    """Inverse quaternions ``conj(q) / |q|^2`` ``(..., 4)`` (the inverse rotations).

    Args:
        q: Nonzero quaternions ``(..., 4)``.
    """
    q = _as_quaternions(q)
    n2 = np.sum(q * q, axis=-1, keepdims=True)
    if np.any(n2 == 0):
        raise ValueError("zero quaternion has no inverse")
    return q * np.array([-1.0, -1.0, -1.0, 1.0]) / n2


def quaternion_to_matrix(q) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` (acting on column vectors) of quaternions.

    Args:
        q: Nonzero, not necessarily unit, quaternions ``(..., 4)`` in ``(x, y, z, w)`` order.
    """
    x, y, z, w = np.moveaxis(_normalize_quaternions(q), -1, 0)
    rows = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def matrix_to_quaternion(R) -> np.ndarray:
    """Quaternions of rotation matrices (Shepperd's method, canonical sign).

    Of the four algebraically equivalent formulas, each entry uses the one with the largest
    pivot, so there is no cancellation near 180-degree rotations.

    Args:
        R: Rotation matrices ``(..., 3, 3)``.

    Returns:
        Canonical unit quaternions ``(..., 4)`` (see :func:`canonical_quaternion`).
    """
    R = np.asarray(R, dtype=np.float64)
    if R.ndim < 2 or R.shape[-2:] != (3, 3):
        raise ValueError(f"rotation matrices must have shape (..., 3, 3), got {R.shape}")
    if not np.all(np.isfinite(R)):
        raise ValueError("rotation matrices must be finite")
    r = {(i, j): R[..., i, j] for i in range(3) for j in range(3)}
    d0, d1, d2 = r[0, 0], r[1, 1], r[2, 2]
    s01, s02, s12 = r[0, 1] + r[1, 0], r[0, 2] + r[2, 0], r[1, 2] + r[2, 1]
    ax, ay, az = r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]
    # Candidate i is 4 q_i q (i = x, y, z, w); its i-th entry 4 q_i^2 is the pivot.
    cands = np.stack(
        [
            np.stack([1 + d0 - d1 - d2, s01, s02, ax], axis=-1),
            np.stack([s01, 1 - d0 + d1 - d2, s12, ay], axis=-1),
            np.stack([s02, s12, 1 - d0 - d1 + d2, az], axis=-1),
            np.stack([ax, ay, az, 1 + d0 + d1 + d2], axis=-1),
        ],
        axis=-2,
    )
    best = np.argmax(np.diagonal(cands, axis1=-2, axis2=-1), axis=-1)
    q = np.take_along_axis(cands, best[..., None, None], axis=-2)[..., 0, :]
    return canonical_quaternion(q)


def quaternion_to_axis_angle_vector(q) -> np.ndarray:
    """Axis-angle ('EV') vectors ``axis * angle`` ``(..., 3)``, with ``angle`` in ``[0, pi]``.

    Args:
        q: Nonzero quaternions ``(..., 4)``.
    """
    q = _normalize_quaternions(q)
    q = np.where(q[..., 3:] < 0, -q, q)  # w >= 0 gives angle <= pi
    v, w = q[..., :3], q[..., 3]
    s = np.linalg.norm(v, axis=-1)
    angle = 2.0 * np.arctan2(s, w)
    small = s < 1e-8
    # angle / s, with its Taylor expansion where s is tiny (w ~ 1 there).
    w_safe = np.where(small, w, 1.0)  # w = 0 only for angle pi, where s = 1 is not small
    factor = np.where(
        small, 2.0 / w_safe * (1.0 - s * s / (3.0 * w_safe * w_safe)), angle / np.where(small, 1.0, s)
    )
    return v * factor[..., None]


def axis_angle_vector_to_quaternion(v) -> np.ndarray:
    """Canonical unit quaternions ``(..., 4)`` of axis-angle vectors ``axis * angle``.

    Args:
        v: Vectors ``(..., 3)``.
    """
    v = as_array(v, 3, "axis-angle vectors")
    theta = np.linalg.norm(v, axis=-1)
    # sin(theta / 2) / theta without a division by zero.
    half_sinc = 0.5 * np.sinc(theta / (2.0 * np.pi))
    q = np.concatenate([v * half_sinc[..., None], np.cos(theta / 2.0)[..., None]], axis=-1)
    return canonical_quaternion(q)


def quaternion_to_euler(q, convention: str = "ZYZ") -> np.ndarray:
    """Euler angles of quaternions, for any scipy convention ('ZYZ' intrinsic, 'xyz' extrinsic).

    Gimbal-lock warnings from scipy are silenced: the returned angles are still a valid
    decomposition there.

    Args:
        q: Nonzero quaternions ``(..., 4)``.
        convention: A scipy ``Rotation.as_euler`` sequence.

    Returns:
        Angles ``(..., 3)`` in radians, in scipy's ranges.
    """
    from scipy.spatial.transform import Rotation  # lazy: scipy.spatial costs 0.3 s to import

    q = _normalize_quaternions(q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        angles = Rotation.from_quat(q.reshape(-1, 4)).as_euler(convention)
    return angles.reshape(q.shape[:-1] + (3,))


def euler_to_quaternion(angles, convention: str = "ZYZ") -> np.ndarray:
    """Canonical unit quaternions ``(..., 4)`` of Euler angles (see :func:`quaternion_to_euler`).

    Args:
        angles: Angles ``(..., 3)`` in radians.
        convention: A scipy ``Rotation.from_euler`` sequence.
    """
    from scipy.spatial.transform import Rotation

    angles = as_array(angles, 3, "Euler angles")
    q = Rotation.from_euler(convention, angles.reshape(-1, 3)).as_quat()
    return canonical_quaternion(q.reshape(angles.shape[:-1] + (4,)))
