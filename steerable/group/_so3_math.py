"""Numerical core of SO(3): quaternions, real spherical harmonics, real Wigner-D, real CG.

Pure numpy/scipy in float64. Everything here is a pure function; the few per-degree tables are
cached with ``functools.lru_cache`` and callers always receive fresh arrays.

Conventions (used by the whole library):

* Quaternions are arrays ``(..., 4)`` in scalar-last order ``(x, y, z, w)`` (scipy's order);
  ``q`` and ``-q`` are the same rotation, and :func:`canonical_quaternion` picks one of them.
* Real spherical harmonics ``Y_l`` have components ordered ``m = -l..l``, no Condon-Shortley
  phase (so ``Y_1(p) = sqrt(3) (y, z, x)``) and are orthonormal for the *normalised* uniform
  measure on the sphere: ``mean_sphere(Y_lm Y_l'm') = delta``, hence ``|Y_l(p)|^2 = 2l + 1``.
* Wigner-D: ``Y_l(R p) = D_l(R) Y_l(p)``; ``D_l`` is a real orthogonal representation.
* Clebsch-Gordan: ``(D_l1 (x) D_l2) C = C D_l3`` with ``C`` reshaped to ``(d1 d2, d3)``,
  orthonormal columns; overall sign fixed so that the first largest-magnitude entry of ``C``
  (flattened, C order) is positive.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
from scipy.spatial.transform import Rotation

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
    "spherical_harmonics",
    "spherical_harmonics_all",
    "wigner_D",
    "wigner_D_matrix",
    "so3_lie_generators",
    "clebsch_gordan_so3",
]

# Components smaller than this are treated as zero when choosing a quaternion's sign.
_SIGN_TOL = 1e-12


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _check_degree(l, name: str = "l") -> int:
    if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or l < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {l!r}")
    return int(l)


def _as_quaternions(q) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    if q.ndim < 1 or q.shape[-1] != 4:
        raise ValueError(f"quaternions must have shape (..., 4), got {q.shape}")
    if not np.all(np.isfinite(q)):
        raise ValueError("quaternions must be finite")
    return q


def _normalize_quaternions(q) -> np.ndarray:
    q = _as_quaternions(q)
    n = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(n == 0):
        raise ValueError("zero quaternion does not represent a rotation")
    return q / n


# --------------------------------------------------------------------------------------------
# quaternions
# --------------------------------------------------------------------------------------------


def canonical_quaternion(q) -> np.ndarray:
    """Normalise quaternions and pick a sign, so that ``q`` and ``-q`` give the same result.

    The sign makes the first component among ``(w, x, y, z)`` (in that priority order) whose
    magnitude exceeds 1e-12 positive.

    Args:
        q: Quaternions ``(..., 4)`` in ``(x, y, z, w)`` order, nonzero.

    Returns:
        Unit quaternions ``(..., 4)``.

    Raises:
        ValueError: If the shape is wrong or a quaternion is zero or not finite.
    """
    q = _normalize_quaternions(q)
    ordered = q[..., [3, 0, 1, 2]]
    first = np.argmax(np.abs(ordered) > _SIGN_TOL, axis=-1)
    lead = np.take_along_axis(ordered, first[..., None], axis=-1)
    return np.where(lead < 0, -q, q)


def quaternion_multiply(a, b) -> np.ndarray:
    """Hamilton product ``a b``: the quaternion of the rotation ``R(a) @ R(b)``.

    Args:
        a: Quaternions ``(..., 4)``, ``(x, y, z, w)`` order.
        b: Quaternions ``(..., 4)``; broadcast against ``a``.

    Returns:
        The products ``(..., 4)`` (not renormalised).
    """
    a, b = _as_quaternions(a), _as_quaternions(b)
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        axis=-1,
    )


def quaternion_inverse(q) -> np.ndarray:
    """Inverse quaternion ``conj(q) / |q|^2`` (the inverse rotation for unit ``q``).

    Args:
        q: Nonzero quaternions ``(..., 4)``.

    Returns:
        Inverses ``(..., 4)``.
    """
    q = _as_quaternions(q)
    n2 = np.sum(q * q, axis=-1, keepdims=True)
    if np.any(n2 == 0):
        raise ValueError("zero quaternion has no inverse")
    return q * np.array([-1.0, -1.0, -1.0, 1.0]) / n2


def quaternion_to_matrix(q) -> np.ndarray:
    """Rotation matrices of (not necessarily unit) quaternions.

    Args:
        q: Nonzero quaternions ``(..., 4)``, ``(x, y, z, w)`` order.

    Returns:
        Rotation matrices ``(..., 3, 3)`` acting on column vectors.
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
    r = [[R[..., i, j] for j in range(3)] for i in range(3)]
    tr = r[0][0] + r[1][1] + r[2][2]
    # Four candidates (x, y, z, w), each 4 * (dominant component) * q.
    cands = np.stack(
        [
            np.stack([1 + r[0][0] - r[1][1] - r[2][2], r[0][1] + r[1][0],
                      r[0][2] + r[2][0], r[2][1] - r[1][2]], axis=-1),
            np.stack([r[0][1] + r[1][0], 1 - r[0][0] + r[1][1] - r[2][2],
                      r[1][2] + r[2][1], r[0][2] - r[2][0]], axis=-1),
            np.stack([r[0][2] + r[2][0], r[1][2] + r[2][1],
                      1 - r[0][0] - r[1][1] + r[2][2], r[1][0] - r[0][1]], axis=-1),
            np.stack([r[2][1] - r[1][2], r[0][2] - r[2][0],
                      r[1][0] - r[0][1], 1 + tr], axis=-1),
        ],
        axis=-2,
    )
    pivots = np.stack([cands[..., i, i] for i in range(4)], axis=-1)
    best = np.argmax(pivots, axis=-1)
    q = np.take_along_axis(cands, best[..., None, None], axis=-2)[..., 0, :]
    return canonical_quaternion(q)


def quaternion_to_axis_angle_vector(q) -> np.ndarray:
    """Axis-angle ('EV') vectors ``axis * angle`` with ``angle`` in ``[0, pi]``.

    Args:
        q: Nonzero quaternions ``(..., 4)``.

    Returns:
        Vectors ``(..., 3)``.
    """
    q = _normalize_quaternions(q)
    q = np.where(q[..., 3:] < 0, -q, q)  # w >= 0 gives angle <= pi
    v, w = q[..., :3], q[..., 3]
    s = np.linalg.norm(v, axis=-1)
    angle = 2.0 * np.arctan2(s, w)
    small = s < 1e-8
    # angle / s, with its Taylor expansion where s is tiny (w ~ 1 there).
    factor = np.where(
        small, 2.0 / w * (1.0 - s * s / (3.0 * w * w)), angle / np.where(small, 1.0, s)
    )
    return v * factor[..., None]


def axis_angle_vector_to_quaternion(v) -> np.ndarray:
    """Quaternions of axis-angle vectors ``axis * angle``.

    Args:
        v: Vectors ``(..., 3)``.

    Returns:
        Canonical unit quaternions ``(..., 4)``.
    """
    v = np.asarray(v, dtype=np.float64)
    if v.ndim < 1 or v.shape[-1] != 3:
        raise ValueError(f"axis-angle vectors must have shape (..., 3), got {v.shape}")
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
        Angles ``(..., 3)`` in radians.
    """
    q = _normalize_quaternions(q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        angles = Rotation.from_quat(q.reshape(-1, 4)).as_euler(convention)
    return angles.reshape(q.shape[:-1] + (3,))


def euler_to_quaternion(angles, convention: str = "ZYZ") -> np.ndarray:
    """Quaternions of Euler angles (inverse of :func:`quaternion_to_euler`).

    Args:
        angles: Angles ``(..., 3)`` in radians.
        convention: A scipy ``Rotation.from_euler`` sequence.

    Returns:
        Canonical unit quaternions ``(..., 4)``.
    """
    angles = np.asarray(angles, dtype=np.float64)
    if angles.ndim < 1 or angles.shape[-1] != 3:
        raise ValueError(f"Euler angles must have shape (..., 3), got {angles.shape}")
    q = Rotation.from_euler(convention, angles.reshape(-1, 3)).as_quat()
    return canonical_quaternion(q.reshape(angles.shape[:-1] + (4,)))


# --------------------------------------------------------------------------------------------
# real spherical harmonics
# --------------------------------------------------------------------------------------------


def _unit_points(points) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64)
    if p.ndim < 1 or p.shape[-1] != 3:
        raise ValueError(f"points must have shape (..., 3), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("points must be finite")
    # Rescale by the largest coordinate first so that tiny points do not underflow.
    scale = np.max(np.abs(p), axis=-1, keepdims=True)
    if np.any(scale == 0):
        raise ValueError("spherical harmonics are undefined at the zero vector")
    p = p / scale
    return p / np.linalg.norm(p, axis=-1, keepdims=True)


def _sh_columns(L: int, p: np.ndarray, lmin: int) -> np.ndarray:
    """Harmonics of degrees ``lmin..L`` at unit points, concatenated along the last axis.

    Uses Y_lm ~ q_lm(z) Re/Im((x + i y)^m): the factor sin(theta)^m of the associated Legendre
    function is carried by (x + i y)^m, so no angles (and no pole singularity) appear.
    """
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    out = np.empty(p.shape[:-1] + ((L + 1) ** 2 - lmin**2,))
    sqrt2 = math.sqrt(2.0)

    def col(l, m):
        return l * l + l + m - lmin * lmin

    c, s = np.ones_like(x), np.zeros_like(x)  # Re, Im of (x + i y)^m
    q_mm = 1.0  # normalised q_mm is a constant
    for m in range(L + 1):
        if m > 0:
            c, s = x * c - y * s, x * s + y * c
            q_mm *= math.sqrt((2 * m + 1) / (2 * m))
        # Stable three-term recurrence in l for fixed m (fully normalised Legendre functions).
        q_prev, q_cur = None, np.full_like(z, q_mm)
        for l in range(m, L + 1):
            if l == m + 1:
                q_prev, q_cur = q_cur, math.sqrt(2 * m + 3) * z * q_cur
            elif l > m + 1:
                a = math.sqrt((4 * l * l - 1) / (l * l - m * m))
                b = math.sqrt(((l - 1) ** 2 - m * m) / (4 * (l - 1) ** 2 - 1))
                q_prev, q_cur = q_cur, a * (z * q_cur - b * q_prev)
            if l < lmin:
                continue
            if m == 0:
                out[..., col(l, 0)] = q_cur
            else:
                out[..., col(l, m)] = sqrt2 * q_cur * c
                out[..., col(l, -m)] = sqrt2 * q_cur * s
    return out


def spherical_harmonics(l: int, points) -> np.ndarray:
    """Real spherical harmonics of degree ``l`` at the directions of ``points``.

    Args:
        l: Degree, non-negative integer.
        points: Nonzero points ``(..., 3)``; only their directions matter.

    Returns:
        Values ``(..., 2l + 1)``, components ``m = -l..l``, with ``sum_m Y_lm^2 = 2l + 1``.

    Raises:
        ValueError: For a bad degree, a wrong shape, or a zero / non-finite point.
    """
    l = _check_degree(l)
    return _sh_columns(l, _unit_points(points), lmin=l)


def spherical_harmonics_all(L: int, points) -> np.ndarray:
    """Real spherical harmonics of all degrees ``0..L``, concatenated (one recursion).

    Args:
        L: Maximum degree, non-negative integer.
        points: Nonzero points ``(..., 3)``.

    Returns:
        Values ``(..., (L + 1)^2)``; degree ``l`` occupies columns ``l^2 .. (l+1)^2 - 1``.
    """
    L = _check_degree(L, "L")
    return _sh_columns(L, _unit_points(points), lmin=0)


# --------------------------------------------------------------------------------------------
# real Wigner-D
# --------------------------------------------------------------------------------------------


def _sphere_quadrature(degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Points and weights (summing to 1) exact for polynomials of this degree on the sphere."""
    n_theta = degree // 2 + 1  # Gauss-Legendre: exact to degree 2n - 1
    n_phi = degree + 1  # uniform phi: exact for trigonometric degree < n_phi
    t, wt = np.polynomial.legendre.leggauss(n_theta)
    phi = 2.0 * np.pi * np.arange(n_phi) / n_phi
    st = np.sqrt(1.0 - t * t)
    pts = np.stack(
        [np.outer(st, np.cos(phi)), np.outer(st, np.sin(phi)), np.outer(t, np.ones(n_phi))],
        axis=-1,
    ).reshape(-1, 3)
    w = np.repeat(wt / 2.0, n_phi) / n_phi
    return pts, w


def _phase_powers(angle: np.ndarray, l: int) -> np.ndarray:
    """exp(i k angle) for k = 1..l, shape (N, l), by repeated multiplication (error ~ k ulp)."""
    e = np.exp(1j * angle)
    return np.cumprod(np.broadcast_to(e[:, None], (angle.shape[0], l)), axis=1)


@functools.lru_cache(maxsize=None)
def _x_quarter_turn(l: int) -> np.ndarray:
    """D_l of the rotation by +90 degrees about x, by exact quadrature of Y(Rp) Y(p)^T."""
    pts, w = _sphere_quadrature(2 * l)
    rot = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    y = _sh_columns(l, pts, l)
    y_rot = _sh_columns(l, pts @ rot.T, l)
    X = (y_rot * w[:, None]).T @ y
    X.setflags(write=False)
    return X


def _y_rotation_tensor(l: int) -> np.ndarray:
    """T (2l+1, d, d) with D_y(b) = sum_k feat_k(b) T[k], feat = [cos(kb) k=0..l, sin(kb) k=1..l].

    D_y(b) = X^T D_z(b) X, since R_y(b) = R_x(-90) R_z(b) R_x(-90)^T, and
    D_z(b) = diag(cos(m b)) - antidiag(sin(m b)) (entry [m, -m] = -sin(m b)).
    """
    X = _x_quarter_turn(l)
    d = 2 * l + 1
    T = np.zeros((d, d, d))
    T[0] = np.outer(X[l], X[l])
    for k in range(1, l + 1):
        xp, xm = X[l + k], X[l - k]
        T[k] = np.outer(xp, xp) + np.outer(xm, xm)
        T[l + k] = np.outer(xm, xp) - np.outer(xp, xm)
    return T


@functools.lru_cache(maxsize=None)
def _wigner_table(l: int) -> np.ndarray:
    """Table mapping the b-features to D_y(b) in 'paired complex' form, shape (2l+1, d^2).

    For m, n > 0 the 2x2 block B of rows (m, -m) and columns (n, -n) is split into a rotation
    part P and a reflection part Q (as complex numbers): D_z(a) B D_z(c) then multiplies P by
    exp(i(m a + n c)) and Q by exp(i(m a - n c)). Row 0 and column 0 pair likewise. This turns
    the two z-rotations into a few complex multiplications instead of many strided passes.
    Layout: [P (l*l complex), Q (l*l complex), row 0 (l complex), column 0 (l complex), D00].
    """
    T = _y_rotation_tensor(l)
    pos = np.arange(l + 1, 2 * l + 1)  # m = 1..l
    neg = np.arange(l - 1, -1, -1)  # m = -1..-l
    a = T[:, pos][:, :, pos]
    b = T[:, pos][:, :, neg]
    c = T[:, neg][:, :, pos]
    e = T[:, neg][:, :, neg]
    parts = [
        np.stack([(a + e) / 2, (c - b) / 2], axis=-1),  # P
        np.stack([(a - e) / 2, (b + c) / 2], axis=-1),  # Q
        np.stack([T[:, l, pos], -T[:, l, neg]], axis=-1),  # row 0: D[0,n] - i D[0,-n]
        np.stack([T[:, pos, l], T[:, neg, l]], axis=-1),  # column 0: D[m,0] + i D[-m,0]
        T[:, l, l],
    ]
    table = np.concatenate([p.reshape(T.shape[0], -1) for p in parts], axis=1)
    table.setflags(write=False)
    return table


def _zyz_from_quaternions(q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Angles with R(q) = R_z(a) R_y(b) R_z(c).

    For q = (-sin(b/2) sin(d), sin(b/2) cos(d), cos(b/2) sin(s), cos(b/2) cos(s)) with
    s = (a + c) / 2, d = (a - c) / 2. All atan2 forms are scale invariant, and near gimbal
    lock the ill-determined angle only enters through a well-determined sum or difference.
    """
    x, y, z, w = np.moveaxis(q, -1, 0)
    b = 2.0 * np.arctan2(np.hypot(x, y), np.hypot(z, w))
    s = np.arctan2(z, w)
    dlt = np.arctan2(-x, y)
    return s + dlt, b, s - dlt


def wigner_D(l: int, quaternions) -> np.ndarray:
    """Real Wigner-D matrices with ``Y_l(R(q) p) = D_l(q) Y_l(p)``.

    Computed as ``D_z(a) X^T D_z(b) X D_z(c)`` from ZYZ angles, with ``X`` the (cached,
    exactly computed) matrix of a quarter turn about x; errors are at float64 rounding.

    Args:
        l: Degree, non-negative integer.
        quaternions: Nonzero quaternions ``(..., 4)`` in ``(x, y, z, w)`` order.

    Returns:
        Orthogonal matrices ``(..., 2l + 1, 2l + 1)``; ``D(q1 q2) = D(q1) D(q2)``,
        ``D(-q) = D(q)``.
    """
    l = _check_degree(l)
    q = _normalize_quaternions(quaternions)
    batch, d = q.shape[:-1], 2 * l + 1
    q = q.reshape(-1, 4)
    n = q.shape[0]
    if l == 0:
        return np.ones(batch + (1, 1))
    a, b, c = _zyz_from_quaternions(q)
    eb = _phase_powers(b, l)
    feats = np.concatenate([np.ones((n, 1)), eb.real, eb.imag], axis=1)
    flat = feats @ _wigner_table(l)
    ll = l * l
    P = flat[:, : 2 * ll].view(np.complex128).reshape(n, l, l)
    Q = flat[:, 2 * ll : 4 * ll].view(np.complex128).reshape(n, l, l)
    row0 = flat[:, 4 * ll : 4 * ll + 2 * l].view(np.complex128)
    col0 = flat[:, 4 * ll + 2 * l : 4 * ll + 4 * l].view(np.complex128)
    ea, ec = _phase_powers(a, l), _phase_powers(c, l)
    P *= ea[:, :, None] * ec[:, None, :]
    Q *= ea[:, :, None] * ec.conj()[:, None, :]
    row0 *= ec
    col0 *= ea
    D = np.empty((n, d, d))
    pos, neg = slice(l + 1, None), slice(l - 1, None, -1)
    np.add(P.real, Q.real, out=D[:, pos, pos])
    np.subtract(Q.imag, P.imag, out=D[:, pos, neg])
    np.add(P.imag, Q.imag, out=D[:, neg, pos])
    np.subtract(P.real, Q.real, out=D[:, neg, neg])
    D[:, l, l] = flat[:, -1]
    D[:, l, pos] = row0.real
    np.negative(row0.imag, out=D[:, l, neg])
    D[:, pos, l] = col0.real
    D[:, neg, l] = col0.imag
    return D.reshape(batch + (d, d))


def wigner_D_matrix(l: int, R) -> np.ndarray:
    """Real Wigner-D of rotation matrices: ``Y_l(R p) = D_l(R) Y_l(p)``.

    Args:
        l: Degree, non-negative integer.
        R: Rotation matrices ``(..., 3, 3)``.

    Returns:
        Matrices ``(..., 2l + 1, 2l + 1)``.
    """
    return wigner_D(l, matrix_to_quaternion(R))


@functools.lru_cache(maxsize=None)
def _generators(l: int) -> np.ndarray:
    d = 2 * l + 1
    m = np.arange(-l, l + 1, dtype=np.float64)
    Lz = np.zeros((d, d))
    Lz[np.arange(d), np.arange(d)[::-1]] = -m  # derivative of D_z(t) at t = 0
    X = _x_quarter_turn(l)
    Ly = X.T @ Lz @ X
    # R_x(t) = R_y(90) R_z(t) R_y(90)^T.
    Y90 = wigner_D(l, np.array([0.0, math.sqrt(0.5), 0.0, math.sqrt(0.5)]))
    Lx = Y90 @ Lz @ Y90.T
    G = np.stack([Lx, Ly, Lz])
    G = 0.5 * (G - np.swapaxes(G, 1, 2))  # remove rounding asymmetry
    G.setflags(write=False)
    return G


def so3_lie_generators(l: int) -> np.ndarray:
    """Real antisymmetric generators ``L_x, L_y, L_z`` of ``D_l``.

    ``wigner_D(l, rotation by t about e_i) == expm(t L_i)`` and ``[L_x, L_y] = L_z``.

    Args:
        l: Degree, non-negative integer.

    Returns:
        Array ``(3, 2l + 1, 2l + 1)`` (a fresh copy).
    """
    return _generators(_check_degree(l)).copy()


# --------------------------------------------------------------------------------------------
# real Clebsch-Gordan coefficients
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _factorials(n: int) -> tuple[int, ...]:
    f = [1]
    for i in range(1, n + 1):
        f.append(f[-1] * i)
    return tuple(f)


def _complex_cg(l1: int, l2: int, l3: int) -> np.ndarray:
    """Condon-Shortley CG <l1 m1 l2 m2 | l3 m3> by Racah's formula in exact integer arithmetic.

    Each coefficient is sign * sqrt(A / B) with integers A, B; Python's int / int division is
    correctly rounded, so the result is accurate to a couple of ulps for any degree.
    """
    f = _factorials(l1 + l2 + l3 + 1)
    d1, d2, d3 = 2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1
    C = np.zeros((d1, d2, d3))
    tri_num = (2 * l3 + 1) * f[l3 + l1 - l2] * f[l3 - l1 + l2] * f[l1 + l2 - l3]
    tri_den = f[l1 + l2 + l3 + 1]
    for m1 in range(-l1, l1 + 1):
        for m2 in range(max(-l2, -l3 - m1), min(l2, l3 - m1) + 1):
            m3 = m1 + m2
            kmin = max(0, l2 - l3 - m1, l1 - l3 + m2)
            kmax = min(l1 + l2 - l3, l1 - m1, l2 + m2)
            if kmin > kmax:
                continue
            # Common denominator: each factorial at its largest argument over the k range.
            den = (f[kmax] * f[l1 + l2 - l3 - kmin] * f[l1 - m1 - kmin] * f[l2 + m2 - kmin]
                   * f[l3 - l2 + m1 + kmax] * f[l3 - l1 - m2 + kmax])
            num = 0
            for k in range(kmin, kmax + 1):
                term = (f[k] * f[l1 + l2 - l3 - k] * f[l1 - m1 - k] * f[l2 + m2 - k]
                        * f[l3 - l2 + m1 + k] * f[l3 - l1 - m2 + k])
                num += (-1) ** k * (den // term)
            if num == 0:
                continue
            a = tri_num * f[l3 + m3] * f[l3 - m3] * f[l1 - m1] * f[l1 + m1] * f[l2 - m2]
            a *= f[l2 + m2] * num * num
            value = math.sqrt(a / (tri_den * den * den))
            C[m1 + l1, m2 + l2, m3 + l3] = value if num > 0 else -value
    return C


def _complex_to_real(l: int) -> np.ndarray:
    """Unitary U with Y_real = U Y_complex (complex harmonics with Condon-Shortley phase)."""
    d = 2 * l + 1
    U = np.zeros((d, d), dtype=np.complex128)
    U[l, l] = 1.0
    r = 1.0 / math.sqrt(2.0)
    for m in range(1, l + 1):
        sgn = (-1) ** m
        U[l + m, l + m] = sgn * r
        U[l + m, l - m] = r
        U[l - m, l - m] = 1j * r
        U[l - m, l + m] = -1j * sgn * r
    return U


@functools.lru_cache(maxsize=None)
def _real_cg(l1: int, l2: int, l3: int) -> np.ndarray:
    Cc = _complex_cg(l1, l2, l3)
    U1, U2, U3 = _complex_to_real(l1), _complex_to_real(l2), _complex_to_real(l3)
    # C_real = (U1 (x) U2) C_complex U3^dagger intertwines the real representations.
    C = np.einsum("ai,ijk->ajk", U1, Cc)
    C = np.einsum("bj,ajk->abk", U2, C)
    C = np.einsum("abk,ck->abc", C, U3.conj())
    # C is real up to one global phase: divide by the phase of the first largest entry,
    # which also fixes the sign deterministically.
    flat = C.reshape(-1)
    mag = np.abs(flat)
    pivot = int(np.argmax(mag >= mag.max() * (1.0 - 1e-9)))
    C = C * (abs(flat[pivot]) / flat[pivot])
    if np.max(np.abs(C.imag)) > 1e-10:  # pragma: no cover - guards the derivation
        raise RuntimeError("complex-to-real Clebsch-Gordan conversion is not real")
    C = np.ascontiguousarray(C.real)
    C.setflags(write=False)
    return C


def clebsch_gordan_so3(l1: int, l2: int, l3: int) -> np.ndarray:
    """Real Clebsch-Gordan coefficients of SO(3) in the basis of the real harmonics.

    ``C`` satisfies ``(D_l1(g) (x) D_l2(g)) C_mat = C_mat D_l3(g)`` for every rotation, with
    ``C_mat = C.reshape(d1 d2, d3)``, and ``C_mat^T C_mat = I``. Sign rule: the first entry (in
    C order) whose magnitude equals the maximum magnitude is positive.

    Args:
        l1: Degree of the first factor.
        l2: Degree of the second factor.
        l3: Degree of the output, ``|l1 - l2| <= l3 <= l1 + l2``.

    Returns:
        Array ``(2 l1 + 1, 2 l2 + 1, 2 l3 + 1)`` (a fresh copy).

    Raises:
        ValueError: For bad degrees or when the triangle condition fails.
    """
    l1, l2, l3 = _check_degree(l1, "l1"), _check_degree(l2, "l2"), _check_degree(l3, "l3")
    if not abs(l1 - l2) <= l3 <= l1 + l2:
        raise ValueError(f"no Clebsch-Gordan coefficients: |{l1} - {l2}| <= {l3} <= "
                         f"{l1} + {l2} is violated")
    return _real_cg(l1, l2, l3).copy()
