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

import numpy as np

from ._quaternions import (  # noqa: F401  (re-exported: the SO(3) numerical core in one place)
    _as_quaternions,
    _normalize_quaternions,
    axis_angle_vector_to_quaternion,
    canonical_quaternion,
    euler_to_quaternion,
    matrix_to_quaternion,
    quaternion_inverse,
    quaternion_multiply,
    quaternion_to_axis_angle_vector,
    quaternion_to_euler,
    quaternion_to_matrix,
)
from ._quaternions import (
    as_array as _as_array,
)
from ._quaternions import (
    check_degree as _check_degree,
)

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


# --- real spherical harmonics ---


def _unit_points(points) -> np.ndarray:
    p = _as_array(points, 3, "points")
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


# --- real Wigner-D ---


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


# Samples per block in wigner_D: keeps the working set in cache and the output writes local.
_WIGNER_BLOCK = 512
# Largest table.size * samples for one BLAS call in wigner_D (see there).
_SERIAL_GEMM_SIZE = 500_000


def _phase_powers(e: np.ndarray, l: int) -> np.ndarray:
    """Powers e^k, k = 1..l, of unit complex numbers ``e`` (N,), shape (l, N); error ~ k ulp."""
    out = np.empty((l, e.shape[0]), dtype=np.complex128)
    out[0] = e
    for k in range(1, l):
        np.multiply(out[k - 1], e, out=out[k])
    return out


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
    """T (2l+1, d, d) with D_y(b) = sum_k feat_k(b) T[k], feat = [1, cos(kb), sin(kb)], k=1..l.

    D_y(b) = X^T D_z(b) X, because R_y(b) = R_x(-90) R_z(b) R_x(-90)^T; here
    D_z(b) = diag(cos(m b)) with entries [m, -m] = -sin(m b) (m = -l..l).
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
    """Real table (4l^2 + 4l + 1, 2l + 1) mapping the b-features to D_y(b) in paired form.

    For m, n > 0 the 2x2 block B of rows (m, -m) and columns (n, -n) is a rotation part P plus
    a reflection part Q (each one complex number): D_z(a) B D_z(c) multiplies P by
    exp(i(m a + n c)) and Q by exp(i(m a - n c)). Row 0 and column 0 pair up the same way.
    So both z-rotations cost two complex multiplications per block. The R = 2l^2 + 2l complex
    rows [P (l*l, m-major), Q (l*l), D[0,n] - i D[0,-n] (l), D[m,0] + i D[-m,0] (l)] are
    stored as R real parts, then R imaginary parts, then the real row of D[0, 0].
    """
    T = _y_rotation_tensor(l)
    pos = np.arange(l + 1, 2 * l + 1)  # m = 1..l
    neg = np.arange(l - 1, -1, -1)  # m = -1..-l
    a = T[:, pos][:, :, pos]
    b = T[:, pos][:, :, neg]
    c = T[:, neg][:, :, pos]
    e = T[:, neg][:, :, neg]
    parts = [
        ((a + e) + 1j * (c - b)) / 2,
        ((a - e) + 1j * (b + c)) / 2,
        T[:, l, pos] - 1j * T[:, l, neg],
        T[:, pos, l] + 1j * T[:, neg, l],
    ]
    cplx = np.concatenate([p.reshape(T.shape[0], -1) for p in parts], axis=1).T
    table = np.concatenate([cplx.real, cplx.imag, T[None, :, l, l]], axis=0)
    table.setflags(write=False)
    return table


def _zyz_phases(q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """exp(i a), exp(i b), exp(i c) with R(q) = R_z(a) R_y(b) R_z(c), for unit q (N, 4).

    From q = (-sin(b/2) sin(d), sin(b/2) cos(d), cos(b/2) sin(s), cos(b/2) cos(s)), where
    s = (a + c) / 2 and d = (a - c) / 2. Near gimbal lock (sin(b/2) or cos(b/2) ~ 0) the
    phase of d (or s) is ill-determined but still unit, and it only enters D through a
    well-determined sum or difference, so the result stays accurate; exact zeros use phase 1.
    """
    x, y, z, w = q.T
    cb, sb = np.hypot(z, w), np.hypot(x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        es = np.where(cb > 0, (w + 1j * z) / cb, 1.0)
        ed = np.where(sb > 0, (y - 1j * x) / sb, 1.0)
    eb = ((cb - sb) * (cb + sb) + 2j * cb * sb) / (cb * cb + sb * sb)
    return es * ed, eb, es * ed.conj()


def wigner_D(l: int, quaternions) -> np.ndarray:
    """Real Wigner-D matrices with ``Y_l(R(q) p) = D_l(q) Y_l(p)``.

    Computed as ``D_z(a) X^T D_z(b) X D_z(c)`` from ZYZ angles, with ``X`` the (cached,
    exactly computed) matrix of a quarter turn about x; errors are at float64 rounding.
    Internally the sample axis is innermost (long vectorised loops) in blocks of samples.

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
    ea, eb, ec = _zyz_phases(q)
    pb = _phase_powers(eb, l)
    feats = np.concatenate([np.ones((1, n)), pb.real, pb.imag])  # [1, cos(kb), sin(kb)]
    pa, pc = _phase_powers(ea, l), _phase_powers(ec, l)
    pc_conj = pc.conj()
    table = _wigner_table(l)
    R, ll = 2 * l * l + 2 * l, l * l
    # BLAS products of at most ~0.5M multiply-adds: OpenBLAS runs those on the calling thread.
    # Waking its worker threads for every block stalls badly when the cores are shared.
    sub = max(8, _SERIAL_GEMM_SIZE // table.size)
    pos, neg = slice(l + 1, None), slice(l - 1, None, -1)
    out = np.empty((n, d, d))
    for start in range(0, n, _WIGNER_BLOCK):
        s = slice(start, min(n, start + _WIGNER_BLOCK))
        m = s.stop - start
        Zr = np.empty((table.shape[0], m))
        for j in range(0, m, sub):
            np.matmul(table, feats[:, start + j : start + min(m, j + sub)], out=Zr[:, j : j + sub])
        Z = np.empty((R, m), dtype=np.complex128)
        Z.real, Z.imag = Zr[:R], Zr[R : 2 * R]
        P, Q = Z[:ll].reshape(l, l, m), Z[ll : 2 * ll].reshape(l, l, m)
        row0, col0 = Z[2 * ll : 2 * ll + l], Z[2 * ll + l :]
        a, c, c_conj = pa[:, s], pc[:, s], pc_conj[:, s]
        P *= a[:, None, :] * c[None, :, :]
        Q *= a[:, None, :] * c_conj[None, :, :]
        row0 *= c
        col0 *= a
        D = out[s].transpose(1, 2, 0)
        # Rotation part P plus reflection part Q back to rows (m, -m) and columns (n, -n).
        np.add(P.real, Q.real, out=D[pos, pos])
        np.subtract(Q.imag, P.imag, out=D[pos, neg])
        np.add(P.imag, Q.imag, out=D[neg, pos])
        np.subtract(P.real, Q.real, out=D[neg, neg])
        D[l, l] = Zr[-1]
        D[l, pos] = row0.real
        np.negative(row0.imag, out=D[l, neg])
        D[pos, l] = col0.real
        D[neg, l] = col0.imag
    return out.reshape(batch + (d, d))


def wigner_D_matrix(l: int, R) -> np.ndarray:
    """:func:`wigner_D` of rotation matrices ``(..., 3, 3)``: ``Y_l(R p) = D_l(R) Y_l(p)``.

    Args:
        l: Degree, non-negative integer.
        R: Rotation matrices ``(..., 3, 3)``.
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


# --- real Clebsch-Gordan coefficients ---


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
            den = (
                f[kmax]
                * f[l1 + l2 - l3 - kmin]
                * f[l1 - m1 - kmin]
                * f[l2 + m2 - kmin]
                * f[l3 - l2 + m1 + kmax]
                * f[l3 - l1 - m2 + kmax]
            )
            num = 0
            for k in range(kmin, kmax + 1):
                term = (
                    f[k]
                    * f[l1 + l2 - l3 - k]
                    * f[l1 - m1 - k]
                    * f[l2 + m2 - k]
                    * f[l3 - l2 + m1 + k]
                    * f[l3 - l1 - m2 + k]
                )
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
    C = (U1 @ Cc.reshape(Cc.shape[0], -1)).reshape(Cc.shape)
    C = (U2 @ C) @ U3.conj().T
    # C is real up to one global phase: divide by the phase of the first largest entry,
    # which also fixes the sign deterministically.
    flat = C.reshape(-1)
    mag = np.abs(flat)
    pivot = int(np.argmax(mag >= mag.max() * (1.0 - 1e-9)))
    C = C * (abs(flat[pivot]) / flat[pivot])
    if np.max(np.abs(C.imag)) > 1e-10:  # pragma: no cover - guards the derivation
        raise RuntimeError("complex-to-real Clebsch-Gordan conversion is not real")
    C = np.ascontiguousarray(C.real) + 0.0  # + 0.0 turns -0.0 into 0.0
    C.setflags(write=False)
    return C


def clebsch_gordan_so3(l1: int, l2: int, l3: int) -> np.ndarray:
    """Real Clebsch-Gordan coefficients of SO(3) in the basis of the real harmonics.

    ``C`` satisfies ``(D_l1(g) (x) D_l2(g)) C_mat = C_mat D_l3(g)`` for every rotation, with
    ``C_mat = C.reshape(d1 d2, d3)``, and ``C_mat^T C_mat = I``. Sign rule: the first entry (in
    C order) whose magnitude is within a relative 1e-9 of the maximum magnitude is positive.

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
        raise ValueError(f"no Clebsch-Gordan coefficients: |{l1} - {l2}| <= {l3} <= {l1} + {l2} is violated")
    return _real_cg(l1, l2, l3).copy()
