"""Tests for steerable.group._so3_math: quaternions, real harmonics, Wigner-D, Clebsch-Gordan."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
import scipy.linalg
import scipy.special
from scipy.spatial.transform import Rotation

from steerable.group import _so3_math as so3
from steerable.group._so3_math import (
    axis_angle_vector_to_quaternion,
    canonical_quaternion,
    clebsch_gordan_so3,
    euler_to_quaternion,
    matrix_to_quaternion,
    quaternion_inverse,
    quaternion_multiply,
    quaternion_to_axis_angle_vector,
    quaternion_to_euler,
    quaternion_to_matrix,
    so3_lie_generators,
    spherical_harmonics,
    spherical_harmonics_all,
    wigner_D,
    wigner_D_matrix,
)

EXACT = 1e-12  # "exact to float64 rounding" for matrices of size <= 41


def rng(seed=0):
    return np.random.default_rng(seed)


def random_quaternions(n, seed=0):
    """Uniform random rotations (normalised Gaussian 4-vectors)."""
    q = rng(seed).normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def axis_rotation(axis, angle):
    """Quaternion of the rotation by ``angle`` about a unit axis."""
    axis = np.asarray(axis, dtype=float)
    return np.concatenate([np.sin(angle / 2) * axis, [np.cos(angle / 2)]])


# Rotations at and near gimbal lock of the ZYZ decomposition (beta ~ 0 and beta ~ pi).
def gimbal_quaternions():
    qs = [
        [0.0, 0.0, 0.0, 1.0],  # identity
        [0.0, 0.0, 0.0, -1.0],  # identity, other sign
        axis_rotation([0, 0, 1], 1.234),  # pure z rotation, beta = 0 exactly
        axis_rotation([1, 0, 0], np.pi),  # beta = pi exactly
        axis_rotation([0, 1, 0], np.pi),
        axis_rotation([np.cos(0.7), np.sin(0.7), 0.0], np.pi),
        axis_rotation([0, 0, 1], np.pi),
    ]
    for eps in (1e-9, 1e-13, 1e-17):
        qs.append(euler_to_quaternion([0.3, eps, 1.1]))
        qs.append(euler_to_quaternion([0.3, np.pi - eps, 1.1]))
        qs.append(quaternion_multiply(axis_rotation([0, 0, 1], 2.0), [eps, -eps, 0.0, 1.0]))
    return np.array(qs)


# ----------------------------------------------------------------------------- quaternions


def test_canonical_quaternion_sign_rule():
    q = random_quaternions(50)
    c = canonical_quaternion(q)
    np.testing.assert_allclose(canonical_quaternion(-3.0 * q), c, atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(c, axis=-1), 1.0, atol=1e-15)
    assert np.all(c[:, 3] > 0)
    # w = 0: x decides; w = x = 0: y decides; w, x, y = 0: z decides; tiny w is ignored.
    cases = {
        (0.6, -0.8, 0.0, 0.0): (0.6, -0.8, 0.0, 0.0),
        (-0.6, 0.8, 0.0, 0.0): (0.6, -0.8, 0.0, 0.0),
        (0.0, -0.6, 0.8, 0.0): (0.0, 0.6, -0.8, 0.0),
        (0.0, 0.0, -2.0, 0.0): (0.0, 0.0, 1.0, 0.0),
        (-1.0, 0.0, 0.0, 1e-14): (1.0, 0.0, 0.0, -1e-14),
    }
    for q_in, expected in cases.items():
        np.testing.assert_allclose(canonical_quaternion(q_in), expected, atol=1e-15)


def test_quaternion_matrix_against_scipy_and_round_trip():
    q = random_quaternions(100)
    R = quaternion_to_matrix(3.0 * q)
    np.testing.assert_allclose(R, Rotation.from_quat(q).as_matrix(), atol=1e-14)
    np.testing.assert_allclose(R @ np.swapaxes(R, -1, -2), np.broadcast_to(np.eye(3), R.shape), atol=1e-14)
    np.testing.assert_allclose(matrix_to_quaternion(R), canonical_quaternion(q), atol=1e-14)
    # 180-degree rotations and the identity are the hard cases for matrix -> quaternion.
    special = np.array(
        [axis_rotation(a, np.pi) for a in np.eye(3)]
        + [axis_rotation(np.ones(3) / math.sqrt(3), np.pi), [0, 0, 0, 1.0]]
    )
    back = matrix_to_quaternion(quaternion_to_matrix(special))
    np.testing.assert_allclose(back, canonical_quaternion(special), atol=1e-15)
    assert matrix_to_quaternion(R.reshape(4, 25, 3, 3)).shape == (4, 25, 4)


def test_quaternion_multiply_and_inverse():
    a, b = random_quaternions(40, 1), random_quaternions(40, 2)
    ab = quaternion_multiply(a, b)
    np.testing.assert_allclose(
        quaternion_to_matrix(ab), quaternion_to_matrix(a) @ quaternion_to_matrix(b), atol=1e-14
    )
    expected = (Rotation.from_quat(a) * Rotation.from_quat(b)).as_quat()
    np.testing.assert_allclose(canonical_quaternion(ab), canonical_quaternion(expected), atol=1e-14)
    # broadcasting
    assert quaternion_multiply(a[:, None], b[None, :5]).shape == (40, 5, 4)
    ident = quaternion_multiply(a, quaternion_inverse(a))
    np.testing.assert_allclose(ident, np.broadcast_to([0, 0, 0, 1.0], ident.shape), atol=1e-15)
    np.testing.assert_allclose(
        quaternion_multiply(2.0 * a[0], quaternion_inverse(2.0 * a[0])), [0, 0, 0, 1.0], atol=1e-15
    )


def test_axis_angle_round_trip():
    v = rng(3).normal(size=(100, 3))
    v *= (rng(4).uniform(0, np.pi, size=100) / np.linalg.norm(v, axis=-1))[:, None]
    v[0] = 0.0
    v[1] = [1e-12, -2e-12, 0.5e-12]
    q = axis_angle_vector_to_quaternion(v)
    np.testing.assert_allclose(quaternion_to_axis_angle_vector(q), v, atol=1e-14, rtol=1e-12)
    np.testing.assert_allclose(quaternion_to_axis_angle_vector(-q), v, atol=1e-14, rtol=1e-12)
    np.testing.assert_allclose(quaternion_to_matrix(q), Rotation.from_rotvec(v).as_matrix(), atol=1e-14)
    angles = np.linalg.norm(quaternion_to_axis_angle_vector(random_quaternions(200)), axis=-1)
    assert np.all((angles >= 0) & (angles <= np.pi + 1e-15))
    half_turn = quaternion_to_axis_angle_vector(axis_rotation([0, 1, 0], np.pi))
    np.testing.assert_allclose(np.abs(half_turn), [0, np.pi, 0], atol=1e-15)


@pytest.mark.parametrize("convention", ["ZYZ", "xyz", "ZXZ", "zyx"])
def test_euler_round_trip(convention):
    q = random_quaternions(30, 5)
    angles = quaternion_to_euler(q, convention)
    assert angles.shape == (30, 3)
    np.testing.assert_allclose(euler_to_quaternion(angles, convention), canonical_quaternion(q), atol=1e-13)
    expected = Rotation.from_euler(convention, angles).as_matrix()
    np.testing.assert_allclose(quaternion_to_matrix(q), expected, atol=1e-13)
    assert quaternion_to_euler(q.reshape(5, 6, 4), convention).shape == (5, 6, 3)


def test_zyz_convention_is_rz_ry_rz():
    a, b, c = 0.4, 1.1, -2.3
    Rz = lambda t: Rotation.from_rotvec([0, 0, t]).as_matrix()
    Ry = lambda t: Rotation.from_rotvec([0, t, 0]).as_matrix()
    R = quaternion_to_matrix(euler_to_quaternion([a, b, c], "ZYZ"))
    np.testing.assert_allclose(R, Rz(a) @ Ry(b) @ Rz(c), atol=1e-15)


def test_quaternion_bad_input():
    with pytest.raises(ValueError):
        canonical_quaternion(np.zeros(4))
    with pytest.raises(ValueError):
        quaternion_to_matrix(np.ones(3))
    with pytest.raises(ValueError):
        matrix_to_quaternion(np.eye(4))
    with pytest.raises(ValueError):
        quaternion_multiply(np.ones(4), [np.nan, 0, 0, 1])
    with pytest.raises(ValueError):
        axis_angle_vector_to_quaternion(np.ones(4))


# ----------------------------------------------------------------------- spherical harmonics


def test_harmonics_low_degree_closed_forms():
    p = rng(6).normal(size=(20, 3))
    u = p / np.linalg.norm(p, axis=-1, keepdims=True)
    x, y, z = u.T
    np.testing.assert_allclose(spherical_harmonics(0, p), np.ones((20, 1)), atol=1e-15)
    np.testing.assert_allclose(spherical_harmonics(1, p), math.sqrt(3) * u[:, [1, 2, 0]], atol=1e-15)
    s15 = math.sqrt(15)
    y2 = np.stack(
        [
            s15 * x * y,
            s15 * y * z,
            math.sqrt(5) / 2 * (3 * z * z - 1),
            s15 * x * z,
            s15 / 2 * (x * x - y * y),
        ],
        axis=-1,
    )
    np.testing.assert_allclose(spherical_harmonics(2, p), y2, atol=1e-14)


@pytest.mark.parametrize("l", [3, 7, 12, 20])
def test_harmonics_against_scipy_legendre(l):
    """Y_lm = sqrt(2 - delta_m0) sqrt((2l+1)(l-m)!/(l+m)!) P_l^m(cos t) {cos, sin}(m phi)."""
    p = rng(l).normal(size=(30, 3))
    theta = np.arccos(p[:, 2] / np.linalg.norm(p, axis=-1))
    phi = np.arctan2(p[:, 1], p[:, 0])
    Y = spherical_harmonics(l, p)
    for m in range(0, l + 1):
        norm = math.sqrt((2 - (m == 0)) * (2 * l + 1) * math.factorial(l - m) / math.factorial(l + m))
        # scipy's lpmv includes the Condon-Shortley phase (-1)^m; remove it.
        P = (-1) ** m * scipy.special.lpmv(m, l, np.cos(theta)) * norm
        np.testing.assert_allclose(Y[:, l + m], P * np.cos(m * phi), atol=1e-12)
        if m > 0:
            np.testing.assert_allclose(Y[:, l - m], P * np.sin(m * phi), atol=1e-12)


@pytest.mark.parametrize("l", [0, 1, 5, 13, 20, 30])
def test_harmonics_addition_theorem(l):
    p = rng(7).normal(size=(200, 3))
    p[0] = [0, 0, 1.0]  # poles
    p[1] = [0, 0, -3.0]
    p[2] = [1e-200, 0, 0]  # would underflow without rescaling
    Y = spherical_harmonics(l, p)
    np.testing.assert_allclose(np.sum(Y * Y, axis=-1), 2 * l + 1, rtol=1e-12)


def test_harmonics_orthonormal_by_quadrature():
    L = 12
    # Gauss-Legendre in cos(theta) x uniform phi: exact for degree <= 2L products.
    t, w = np.polynomial.legendre.leggauss(L + 1)
    phi = 2 * np.pi * np.arange(2 * L + 2) / (2 * L + 2)
    st = np.sqrt(1 - t * t)
    pts = np.stack(
        [np.outer(st, np.cos(phi)), np.outer(st, np.sin(phi)), np.outer(t, np.ones_like(phi))], axis=-1
    ).reshape(-1, 3)
    weights = np.repeat(w / 2, phi.size) / phi.size
    Y = spherical_harmonics_all(L, pts)
    gram = (Y * weights[:, None]).T @ Y
    np.testing.assert_allclose(gram, np.eye((L + 1) ** 2), atol=1e-12)


def test_harmonics_all_matches_per_degree_and_shapes():
    p = rng(8).normal(size=(4, 5, 3))
    A = spherical_harmonics_all(6, p)
    assert A.shape == (4, 5, 49)
    for l in range(7):
        np.testing.assert_allclose(A[..., l * l : (l + 1) ** 2], spherical_harmonics(l, p), atol=1e-15)
    np.testing.assert_allclose(spherical_harmonics(3, 7.5 * p), spherical_harmonics(3, p), atol=1e-14)
    assert spherical_harmonics(2, np.array([0.0, 0.0, 2.0])).shape == (5,)


def test_harmonics_bad_input():
    with pytest.raises(ValueError):
        spherical_harmonics(2, np.ones((5, 2)))
    with pytest.raises(ValueError):
        spherical_harmonics(2, np.array([[1.0, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError):
        spherical_harmonics(-1, np.ones((5, 3)))
    with pytest.raises(ValueError):
        spherical_harmonics(1.5, np.ones((5, 3)))
    with pytest.raises(ValueError):
        spherical_harmonics_all(2, np.array([[np.inf, 0, 0]]))


# ------------------------------------------------------------------------------- Wigner-D


@pytest.mark.parametrize("l", range(17))
def test_harmonics_equivariance(l):
    q = random_quaternions(6, 10 + l)
    R = quaternion_to_matrix(q)
    x = rng(11).normal(size=(25, 3))
    D = wigner_D(l, q)
    Yx = spherical_harmonics(l, x)
    for Ri, Di in zip(R, D):
        np.testing.assert_allclose(spherical_harmonics(l, x @ Ri.T), Yx @ Di.T, atol=EXACT)


@pytest.mark.parametrize("l", [0, 1, 2, 5, 9, 12, 16])
def test_wigner_homomorphism_orthogonality_sign(l):
    a, b = random_quaternions(20, 20), random_quaternions(20, 21)
    Da, Db = wigner_D(l, a), wigner_D(l, b)
    np.testing.assert_allclose(wigner_D(l, quaternion_multiply(a, b)), Da @ Db, atol=EXACT)
    eye = np.broadcast_to(np.eye(2 * l + 1), Da.shape)
    np.testing.assert_allclose(Da @ np.swapaxes(Da, 1, 2), eye, atol=EXACT)
    np.testing.assert_allclose(wigner_D(l, -a), Da, atol=0)
    np.testing.assert_allclose(wigner_D(l, 5.0 * a), Da, atol=EXACT)
    np.testing.assert_allclose(wigner_D(l, quaternion_inverse(a)), np.swapaxes(Da, 1, 2), atol=EXACT)


@pytest.mark.parametrize("l", [1, 4, 12, 16])
def test_wigner_near_gimbal_lock(l):
    q = gimbal_quaternions()
    D = wigner_D(l, q)
    # Compare with a route that avoids the singular configuration: D(q) = D(q r) D(r)^T.
    r = np.broadcast_to(random_quaternions(1, 30)[0], q.shape)
    via = wigner_D(l, quaternion_multiply(q, r)) @ np.swapaxes(wigner_D(l, r), 1, 2)
    np.testing.assert_allclose(D, via, atol=EXACT)
    x = rng(31).normal(size=(10, 3))
    for qi, Di in zip(q, D):
        R = quaternion_to_matrix(qi)
        np.testing.assert_allclose(
            spherical_harmonics(l, x @ R.T), spherical_harmonics(l, x) @ Di.T, atol=EXACT
        )
    np.testing.assert_allclose(D[:2], np.broadcast_to(np.eye(2 * l + 1), D[:2].shape), atol=1e-14)


def test_wigner_l1_is_permuted_rotation_matrix():
    q = np.concatenate([random_quaternions(30, 40), gimbal_quaternions()])
    P = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=float)  # (x, y, z) -> (y, z, x)
    np.testing.assert_allclose(wigner_D(1, q), P @ quaternion_to_matrix(q) @ P.T, atol=1e-15)


def test_wigner_shapes_and_matrix_entry_point():
    q = random_quaternions(12, 41).reshape(3, 4, 4)
    D = wigner_D(3, q)
    assert D.shape == (3, 4, 7, 7)
    assert wigner_D(3, q[0, 0]).shape == (7, 7)
    assert wigner_D(0, q).shape == (3, 4, 1, 1)
    np.testing.assert_allclose(wigner_D_matrix(3, quaternion_to_matrix(q)), D, atol=EXACT)
    # Many samples cross the internal block boundary; results must not depend on blocking.
    big = random_quaternions(1300, 42)
    np.testing.assert_allclose(wigner_D(4, big)[1100:], wigner_D(4, big[1100:]), atol=1e-15)


def test_wigner_results_are_fresh_arrays():
    q = random_quaternions(3, 43)
    D1 = wigner_D(5, q)
    D1[...] = 7.0
    assert not np.allclose(wigner_D(5, q), 7.0)


def test_wigner_bad_input():
    with pytest.raises(ValueError):
        wigner_D(2, np.zeros((3, 4)))
    with pytest.raises(ValueError):
        wigner_D(2, np.ones((3, 3)))
    with pytest.raises(ValueError):
        wigner_D(-2, np.ones((3, 4)))
    with pytest.raises(ValueError):
        wigner_D(2.0, np.ones((3, 4)))
    with pytest.raises(ValueError):
        wigner_D_matrix(2, np.eye(2))


def test_wigner_speed_benchmark():
    """l = 0..8 on 10,000 quaternions; printed only (timings depend on the machine)."""
    q = random_quaternions(10_000, 44)
    for l in range(9):
        wigner_D(l, q[:8])  # build the per-degree tables outside the timing
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        out = [wigner_D(l, q) for l in range(9)]
        best = min(best, time.perf_counter() - t0)
    print(f"\nwigner_D l=0..8 on 10k quaternions: {best * 1e3:.1f} ms")
    assert [o.shape for o in out] == [(10_000, 2 * l + 1, 2 * l + 1) for l in range(9)]


@pytest.mark.parametrize("l", [0, 1, 2, 3, 6, 10])
def test_lie_generators(l):
    G = so3_lie_generators(l)
    assert G.shape == (3, 2 * l + 1, 2 * l + 1)
    np.testing.assert_allclose(G, -np.swapaxes(G, 1, 2), atol=0)
    Lx, Ly, Lz = G
    np.testing.assert_allclose(Lx @ Ly - Ly @ Lx, Lz, atol=EXACT)
    np.testing.assert_allclose(Ly @ Lz - Lz @ Ly, Lx, atol=EXACT)
    np.testing.assert_allclose(Lz @ Lx - Lx @ Lz, Ly, atol=EXACT)
    for i, t in itertools.product(range(3), (0.3, -2.0)):
        q = axis_rotation(np.eye(3)[i], t)
        np.testing.assert_allclose(wigner_D(l, q), scipy.linalg.expm(t * G[i]), atol=EXACT)
    # Casimir: L_x^2 + L_y^2 + L_z^2 = -l(l+1) I.
    np.testing.assert_allclose(np.einsum("iab,ibc->ac", G, G), -l * (l + 1) * np.eye(2 * l + 1), atol=1e-11)
    G[...] = 0.0
    assert np.any(so3_lie_generators(l) != 0) or l == 0


def test_lie_generators_l1_are_permuted_so3_basis():
    P = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=float)
    eps = np.zeros((3, 3, 3))
    for i, j, k in itertools.permutations(range(3)):
        eps[i, j, k] = np.linalg.det(np.eye(3)[[i, j, k]])
    np.testing.assert_allclose(so3_lie_generators(1), P @ -eps @ P.T, atol=1e-15)


# ------------------------------------------------------------------------- Clebsch-Gordan

TRIPLES = [(l1, l2, l3) for l1 in range(5) for l2 in range(5) for l3 in range(abs(l1 - l2), l1 + l2 + 1)]


@pytest.mark.parametrize("l1,l2", [(l1, l2) for l1 in range(5) for l2 in range(5)])
def test_clebsch_gordan_intertwines_and_is_orthonormal(l1, l2):
    q = random_quaternions(3, 50 + 5 * l1 + l2)
    D1, D2 = wigner_D(l1, q), wigner_D(l2, q)
    for l3 in range(abs(l1 - l2), l1 + l2 + 1):
        C = clebsch_gordan_so3(l1, l2, l3)
        assert C.shape == (2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1)
        D3 = wigner_D(l3, q)
        lhs = np.einsum("nia,njb,abc->nijc", D1, D2, C)
        rhs = np.einsum("ijk,nkc->nijc", C, D3)
        np.testing.assert_allclose(lhs, rhs, atol=EXACT)
        Cm = C.reshape(-1, 2 * l3 + 1)
        np.testing.assert_allclose(Cm.T @ Cm, np.eye(2 * l3 + 1), atol=EXACT)
        flat = C.ravel()
        first = np.flatnonzero(np.abs(flat) >= np.abs(flat).max() * (1 - 1e-9))[0]
        assert flat[first] > 0


def test_clebsch_gordan_known_values():
    np.testing.assert_allclose(clebsch_gordan_so3(1, 1, 0)[:, :, 0], np.eye(3) / math.sqrt(3), atol=1e-15)
    eps = np.zeros((3, 3, 3))
    for i, j, k in itertools.permutations(range(3)):
        eps[i, j, k] = np.linalg.det(np.eye(3)[[i, j, k]])
    # The real l=1 basis is a cyclic permutation of (x, y, z), which leaves epsilon unchanged.
    np.testing.assert_allclose(clebsch_gordan_so3(1, 1, 1), eps / math.sqrt(2), atol=1e-15)
    for l in range(4):
        np.testing.assert_allclose(clebsch_gordan_so3(l, 0, l)[:, 0, :], np.eye(2 * l + 1), atol=1e-15)
        np.testing.assert_allclose(clebsch_gordan_so3(0, l, l)[0], np.eye(2 * l + 1), atol=1e-15)


@pytest.mark.parametrize("l1,l2,l3", [t for t in TRIPLES if t[0] + t[1] <= 6])
def test_clebsch_gordan_couples_harmonics(l1, l2, l3):
    """sum_ab C[a,b,c] Y_l1a(x) Y_l2b(x) is a fixed multiple of Y_l3c(x), zero if l1+l2+l3 odd."""
    x = rng(60).normal(size=(40, 3))
    C = clebsch_gordan_so3(l1, l2, l3)
    prod = np.einsum("abc,na,nb->nc", C, spherical_harmonics(l1, x), spherical_harmonics(l2, x))
    Y3 = spherical_harmonics(l3, x)
    if (l1 + l2 + l3) % 2:
        np.testing.assert_allclose(prod, 0.0, atol=1e-12)
    else:
        k = np.sum(prod * Y3) / np.sum(Y3 * Y3)
        assert abs(k) > 1e-3
        np.testing.assert_allclose(prod, k * Y3, atol=1e-12)


def test_clebsch_gordan_deterministic_copies_and_errors():
    C1 = clebsch_gordan_so3(3, 2, 4)
    C1[...] = 0.0
    C2, C3 = clebsch_gordan_so3(3, 2, 4), clebsch_gordan_so3(3, 2, 4)
    assert np.any(C2 != 0)
    np.testing.assert_array_equal(C2, C3)
    so3._real_cg.cache_clear()
    np.testing.assert_array_equal(clebsch_gordan_so3(3, 2, 4), C2)
    for bad in [(1, 1, 3), (3, 1, 1), (0, 2, 1), (-1, 1, 0), (1, 1, 1.0)]:
        with pytest.raises(ValueError):
            clebsch_gordan_so3(*bad)


def test_clebsch_gordan_speed_and_larger_degrees():
    so3._real_cg.cache_clear()
    t0 = time.perf_counter()
    for l1, l2 in itertools.product(range(7), repeat=2):
        for l3 in range(abs(l1 - l2), l1 + l2 + 1):
            clebsch_gordan_so3(l1, l2, l3)
    print(f"\nclebsch_gordan_so3 for all l1, l2 <= 6: {(time.perf_counter() - t0) * 1e3:.0f} ms")
    # Exactness does not degrade at larger degrees (integer arithmetic in Racah's formula).
    C = clebsch_gordan_so3(10, 9, 13).reshape(-1, 27)
    np.testing.assert_allclose(C.T @ C, np.eye(27), atol=1e-13)
    q = random_quaternions(2, 61)
    lhs = np.einsum("nia,njb,abc->nijc", wigner_D(10, q), wigner_D(9, q), C.reshape(21, 19, 27))
    rhs = np.einsum("ijk,nkc->nijc", C.reshape(21, 19, 27), wigner_D(13, q))
    np.testing.assert_allclose(lhs, rhs, atol=EXACT)
