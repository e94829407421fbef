"""Tests for steerable.group.grids: SO(3), sphere and circle grids and quadratures."""

import hashlib
import itertools
import os
import subprocess
import sys
import time
from math import prod
from pathlib import Path

import numpy as np
import pytest

from steerable.group import grids
from steerable.group.grids import (
    SO3_GRID_TYPES,
    SPHERE_GRID_TYPES,
    circle_grid,
    so3_grid,
    so3_quadrature,
    sphere_grid,
    sphere_quadrature,
)

PHI = (1 + 5**0.5) / 2

# (type, args, kwargs, expected size)
SO3_CASES = [
    ("rand", (50,), {}, 50),
    ("rand", (7,), {"seed": 3}, 7),
    ("thomson", (50,), {}, 50),
    ("thomson", (1,), {}, 1),
    ("thomson", (2,), {"steps": 50, "seed": 1}, 2),
    ("thomson_cube", (3,), {}, 72),
    ("thomson_cube", (1,), {"steps": 20}, 24),
    ("ico", (), {}, 60),
    ("cube", (), {}, 24),
    ("tetra", (), {}, 12),
    ("hopf", (100,), {}, 100),
    ("hopf", (7,), {}, 7),
    ("hopf", (1,), {}, 1),
    ("hopf", (6, 5), {}, 30),
    ("fibonacci", (100,), {}, 100),
    ("fibonacci", (1,), {}, 1),
]

SPHERE_CASES = [
    ("fibonacci", (64,), {}, 64),
    ("fibonacci", (1,), {}, 1),
    ("thomson", (40,), {}, 40),
    ("rand", (30,), {"seed": 2}, 30),
    ("ico", (), {}, 12),
    ("cube", (), {}, 6),
    ("tetra", (), {}, 4),
]


# ----------------------------------------------------------------------------- helpers


def quat_to_matrix(q):
    """Independent reference: R v = q v q^* computed via the formula R = (w^2 - |u|^2) I +
    2 u u^T + 2 w [u]_x."""
    q = np.atleast_2d(q)
    u, w = q[:, :3], q[:, 3]
    cross = np.zeros((len(q), 3, 3))
    cross[:, 0, 1], cross[:, 0, 2], cross[:, 1, 2] = -u[:, 2], u[:, 1], -u[:, 0]
    cross -= cross.transpose(0, 2, 1)
    return (
        (w**2 - np.sum(u * u, 1))[:, None, None] * np.eye(3)
        + 2 * u[:, :, None] * u[:, None, :]
        + 2 * w[:, None, None] * cross
    )


def qmul(a, b):
    """Hamilton product, scalar last, written from the (w, x, y, z) table."""
    x1, y1, z1, w1 = np.moveaxis(a, -1, 0)
    x2, y2, z2, w2 = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        ],
        axis=-1,
    )


def rotation_angles(q):
    """Pairwise rotation angles (N, N) with the diagonal set to +inf."""
    c = np.clip(np.abs(q @ q.T), 0.0, 1.0)
    ang = 2 * np.arccos(c)
    np.fill_diagonal(ang, np.inf)
    return ang


def same_rotation_set(a, b, tol=1e-9):
    """True iff the rows of a and b are the same rotations (up to quaternion sign), bijectively."""
    if a.shape != b.shape:
        return False
    match = np.abs(a @ b.T) > 1 - tol
    return bool(np.all(match.sum(0) == 1) and np.all(match.sum(1) == 1))


def is_canonical(q):
    ordered = q[:, [3, 0, 1, 2]]
    first = np.argmax(np.abs(ordered) > 1e-12, axis=1)
    return bool(np.all(ordered[np.arange(len(q)), first] > 0))


def digest(arrays):
    h = hashlib.sha256()
    for a in arrays:
        h.update((np.round(np.asarray(a, dtype=np.float64), 10) + 0.0).tobytes())
    return h.hexdigest()


DETERMINISM_SCRIPT = """
import hashlib, numpy as np
from steerable.group.grids import so3_grid, sphere_grid, so3_quadrature, sphere_quadrature
out = [so3_grid('rand', 20), so3_grid('thomson', 30), so3_grid('thomson_cube', 2),
       so3_grid('hopf', 40), so3_grid('fibonacci', 40), so3_grid('ico'),
       sphere_grid('thomson', 30), sphere_grid('rand', 10), so3_quadrature(3)[0],
       sphere_quadrature(4)[0]]
h = hashlib.sha256()
for a in out:
    h.update((np.round(np.asarray(a, dtype=np.float64), 10) + 0.0).tobytes())
print(h.hexdigest())
"""


def determinism_arrays():
    return [
        so3_grid("rand", 20),
        so3_grid("thomson", 30),
        so3_grid("thomson_cube", 2),
        so3_grid("hopf", 40),
        so3_grid("fibonacci", 40),
        so3_grid("ico"),
        sphere_grid("thomson", 30),
        sphere_grid("rand", 10),
        so3_quadrature(3)[0],
        sphere_quadrature(4)[0],
    ]


# ----------------------------------------------------------------------------- SO(3) grids


@pytest.mark.parametrize("kind,args,kwargs,size", SO3_CASES)
def test_so3_grid_basic_properties(kind, args, kwargs, size):
    q = so3_grid(kind, *args, **kwargs)
    assert q.shape == (size, 4) and q.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-12)
    assert is_canonical(q)
    if size > 1:
        c = np.abs(q @ q.T)
        np.fill_diagonal(c, 0.0)
        assert c.max() < 1 - 1e-9, "two rows are the same rotation"


def test_all_so3_types_are_covered():
    assert set(SO3_GRID_TYPES) == {c[0] for c in SO3_CASES}
    assert set(SPHERE_GRID_TYPES) == {c[0] for c in SPHERE_CASES}


@pytest.mark.parametrize("kind,order", [("ico", 60), ("cube", 24), ("tetra", 12)])
def test_polyhedral_grids_are_groups(kind, order):
    q = so3_grid(kind)
    assert len(q) == order
    np.testing.assert_array_equal(q[0], [0, 0, 0, 1])  # identity first
    products = qmul(q[:, None, :], q[None, :, :]).reshape(-1, 4)
    # Every product is in the set (closure) ...
    assert np.all(np.abs(products @ q.T).max(axis=1) > 1 - 1e-9)
    # ... and inverses (conjugates) too.
    inv = q * np.array([-1, -1, -1, 1])
    assert np.all(np.abs(inv @ q.T).max(axis=1) > 1 - 1e-9)


@pytest.mark.parametrize("kind", ["ico", "cube", "tetra"])
def test_polyhedral_orientation_matches_sphere_grid(kind):
    """The rotation group of a solid permutes its vertices (documented orientation)."""
    R = quat_to_matrix(so3_grid(kind))
    v = sphere_grid(kind)
    images = np.einsum("gij,vj->gvi", R, v)
    dist = np.linalg.norm(images[:, :, None, :] - v[None, None, :, :], axis=-1).min(axis=2)
    assert dist.max() < 1e-12
    # The rotations are proper and orthogonal.
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)


def test_ico_group_has_two_fold_coordinate_axes_and_five_fold_vertex_axes():
    R = quat_to_matrix(so3_grid("ico"))
    for axis in np.eye(3):
        rot_pi = 2 * np.outer(axis, axis) - np.eye(3)
        assert np.abs(R - rot_pi).sum(axis=(1, 2)).min() < 1e-12
    vertex = np.array([0.0, 1.0, PHI]) / np.sqrt(1 + PHI**2)
    fixing = [r for r in R if np.allclose(r @ vertex, vertex, atol=1e-12)]
    assert len(fixing) == 5


def test_tetra_has_three_fold_diagonal_axes():
    R = quat_to_matrix(so3_grid("tetra"))
    cyc = np.array([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]])  # 120 degrees about (1, 1, 1)
    assert np.abs(R - cyc).sum(axis=(1, 2)).min() < 1e-12
    # The 90 degree rotation about z is in the cube group but not in the tetrahedral group.
    rz90 = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    assert np.abs(R - rz90).sum(axis=(1, 2)).min() > 0.5
    assert np.abs(quat_to_matrix(so3_grid("cube")) - rz90).sum(axis=(1, 2)).min() < 1e-12


def test_thomson_cube_is_invariant_under_cube_rotations():
    N = 4
    q = so3_grid("thomson_cube", N)
    cube = so3_grid("cube")
    for g in cube:
        moved = qmul(g[None, :], q)
        assert same_rotation_set(moved, q)
    # The first N rows are the representatives; row g*N + i is cube[g] * rep[i].
    np.testing.assert_allclose(
        np.abs(np.sum(qmul(cube[5][None], q[:N]) * q[5 * N : 6 * N], axis=1)), 1.0, atol=1e-12
    )


def test_thomson_spreads_better_than_random_and_fibonacci():
    n = 100
    t = rotation_angles(so3_grid("thomson", n)).min()
    r = rotation_angles(so3_grid("rand", n)).min()
    f = rotation_angles(so3_grid("fibonacci", n)).min()
    assert t > r and t > f
    assert t > 0.85  # well spread: ~0.92 rad, close to the packing bound for 100 rotations
    tc = rotation_angles(so3_grid("thomson_cube", 4)).min()
    assert tc > rotation_angles(so3_grid("rand", 96)).min()


def test_thomson_small_n_reaches_known_optima():
    # Two rotations: farthest apart at rotation angle pi (orthogonal quaternions).
    q = so3_grid("thomson", 2)
    assert abs(q[0] @ q[1]) < 1e-8
    # 24 rotations: min angle close to the cube group's pi/2.
    assert rotation_angles(so3_grid("thomson", 24)).min() > 1.5


def test_fibonacci_so3_is_nearly_uniform():
    R = quat_to_matrix(so3_grid("fibonacci", 2000))
    assert np.abs(R.mean(axis=0)).max() < 0.01
    second = np.einsum("nij,nkl->ijkl", R, R) / len(R)
    haar = np.einsum("ik,jl->ijkl", np.eye(3), np.eye(3)) / 3
    assert np.abs(second - haar).max() < 0.01


def test_rand_so3_uses_the_seed_and_is_roughly_haar():
    assert not np.allclose(so3_grid("rand", 10, seed=0), so3_grid("rand", 10, seed=1))
    np.testing.assert_array_equal(so3_grid("rand", 10, seed=5), so3_grid("rand", 10, 5))
    R = quat_to_matrix(so3_grid("rand", 4000))
    assert np.abs(R.mean(axis=0)).max() < 0.05


def test_hopf_grid_structure():
    n_s, n_c = 6, 5
    q = so3_grid("hopf", n_s, n_c)
    R = quat_to_matrix(q).reshape(n_s, n_c, 3, 3)
    # Column 2 = R e_z runs over the Fibonacci sphere grid, constant along each fibre.
    expected = np.repeat(sphere_grid("fibonacci", n_s)[:, None], n_c, axis=1)
    np.testing.assert_allclose(R[..., :, 2], expected, atol=1e-12)
    # Along a fibre, consecutive rotations differ by Rz(2 pi / n_c) on the right.
    rel = np.einsum("fkji,fkjl->fkil", R[:, :-1], R[:, 1:])
    a = 2 * np.pi / n_c
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    np.testing.assert_allclose(rel, np.broadcast_to(rz, rel.shape), atol=1e-12)
    # With a single N the fibres hold N points in total, split as evenly as possible.
    z = quat_to_matrix(so3_grid("hopf", 101))[:, :, 2]
    _, counts = np.unique(np.round(z, 9), axis=0, return_counts=True)
    assert counts.sum() == 101 and counts.max() - counts.min() <= 1


# ----------------------------------------------------------------------------- sphere / circle


@pytest.mark.parametrize("kind,args,kwargs,size", SPHERE_CASES)
def test_sphere_grid_basic_properties(kind, args, kwargs, size):
    x = sphere_grid(kind, *args, **kwargs)
    assert x.shape == (size, 3) and x.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-12)
    if size > 1:
        d = np.linalg.norm(x[:, None] - x[None], axis=-1) + np.eye(size)
        assert d.min() > 1e-9


def test_sphere_polyhedra_orientation():
    cube = sphere_grid("cube")
    axes = np.r_[np.eye(3), -np.eye(3)]
    d = np.linalg.norm(cube[:, None] - axes[None], axis=-1)
    assert np.all(np.sum(d < 1e-12, axis=0) == 1) and np.all(np.sum(d < 1e-12, axis=1) == 1)
    tet = sphere_grid("tetra") * np.sqrt(3)
    np.testing.assert_allclose(tet, [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], atol=1e-12)
    ico = sphere_grid("ico") * np.sqrt(1 + PHI**2)
    for v in ([0, 1, PHI], [1, PHI, 0], [PHI, 0, 1], [0, -1, -PHI]):
        assert np.linalg.norm(ico - np.array(v), axis=1).min() < 1e-12
    # Icosahedron: every vertex has exactly 5 nearest neighbours at edge length 2.
    d = np.linalg.norm(ico[:, None] - ico[None], axis=-1)
    assert np.all(np.sum(np.abs(d - 2) < 1e-9, axis=1) == 5)


def test_sphere_fibonacci_formula_and_thomson_quality():
    x = sphere_grid("fibonacci", 5)
    np.testing.assert_allclose(x[:, 2], 1 - (2 * np.arange(5) + 1) / 5, atol=1e-15)
    ga = np.pi * (3 - np.sqrt(5))
    np.testing.assert_allclose(np.arctan2(x[1, 1], x[1, 0]), ga, atol=1e-12)

    def min_angle(p):
        c = p @ p.T
        np.fill_diagonal(c, -1)
        return np.arccos(np.clip(c.max(), -1, 1))

    t, f, r = (min_angle(sphere_grid(k, 100)) for k in ("thomson", "fibonacci", "rand"))
    assert t > f > r
    # Known optima of the repulsion problem for small N.
    two = sphere_grid("thomson", 2)
    np.testing.assert_allclose(two[0], -two[1], atol=1e-8)
    tet = sphere_grid("thomson", 4)
    c = tet @ tet.T
    np.testing.assert_allclose(c[~np.eye(4, dtype=bool)], -1 / 3, atol=1e-6)
    octa = sphere_grid("thomson", 6)
    assert abs(min_angle(octa) - np.pi / 2) < 1e-6


def test_sphere_rand_seed():
    assert not np.allclose(sphere_grid("rand", 5, seed=0), sphere_grid("rand", 5, seed=1))
    np.testing.assert_array_equal(sphere_grid("rand", 5), sphere_grid("rand", 5, seed=0))


def test_circle_grid():
    np.testing.assert_allclose(circle_grid(4), [0, np.pi / 2, np.pi, 3 * np.pi / 2], atol=1e-15)
    np.testing.assert_allclose(circle_grid(3, offset=0.1), 0.1 + 2 * np.pi * np.arange(3) / 3)
    assert circle_grid(1).shape == (1,) and circle_grid(7).dtype == np.float64


# ----------------------------------------------------------------------------- quadratures


def sphere_monomial_mean(a, b, c):
    """Exact mean of x^a y^b z^c over S^2: prod (e-1)!! / (a+b+c+1)!! for all-even exponents."""
    if a % 2 or b % 2 or c % 2:
        return 0.0

    def dfact(n):
        return prod(range(n, 0, -2)) if n > 0 else 1

    return dfact(a - 1) * dfact(b - 1) * dfact(c - 1) / dfact(a + b + c + 1)


@pytest.mark.parametrize("L", range(0, 9))
def test_sphere_quadrature_exact_for_polynomials(L):
    pts, w = sphere_quadrature(L)
    assert pts.shape == ((L // 2 + 1) * (L + 1), 3) and w.shape == (len(pts),)
    assert np.all(w > 0) and abs(w.sum() - 1) < 1e-14
    np.testing.assert_allclose(np.linalg.norm(pts, axis=1), 1.0, atol=1e-14)
    x, y, z = pts.T
    for a, b, c in itertools.product(range(L + 1), repeat=3):
        if a + b + c <= L:
            got = np.sum(w * x**a * y**b * z**c)
            assert abs(got - sphere_monomial_mean(a, b, c)) < 1e-12, (a, b, c)


def test_sphere_quadrature_is_not_exact_beyond_its_degree():
    pts, w = sphere_quadrature(2)
    assert abs(np.sum(w * pts[:, 2] ** 4) - 1 / 5) > 1e-3  # z^4 needs L >= 4
    pts, w = sphere_quadrature(4)
    assert abs(np.sum(w * pts[:, 2] ** 4) - 1 / 5) < 1e-14


@pytest.mark.parametrize("L", range(0, 7))
def test_so3_quadrature_basic(L):
    q, w = so3_quadrature(L)
    assert q.shape == ((L + 1) ** 2 * (L // 2 + 1), 4) and w.shape == (len(q),)
    assert np.all(w > 0) and abs(w.sum() - 1) < 1e-14
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-14)
    assert is_canonical(q)
    if len(q) > 1:
        c = np.abs(q @ q.T)
        np.fill_diagonal(c, 0)
        assert c.max() < 1 - 1e-9


def test_so3_quadrature_haar_moments():
    # First moments: E[R_ij] = 0 (degree 1).
    q, w = so3_quadrature(1)
    R = quat_to_matrix(q)
    assert np.abs(np.einsum("n,nij->ij", w, R)).max() < 1e-12
    # Second moments: E[R_ij R_kl] = delta_ik delta_jl / 3 (degree 2).
    q, w = so3_quadrature(2)
    R = quat_to_matrix(q)
    second = np.einsum("n,nij,nkl->ijkl", w, R, R)
    expected = np.einsum("ik,jl->ijkl", np.eye(3), np.eye(3)) / 3
    assert np.abs(second - expected).max() < 1e-12
    # Third moments: E[R_ij R_kl R_mn] = eps_ikm eps_jln / 6 (degree 3).
    eps = np.zeros((3, 3, 3))
    for (i, j, k), s in zip(itertools.permutations(range(3)), [1, -1, -1, 1, 1, -1], strict=True):
        eps[i, j, k] = s
    q, w = so3_quadrature(3)
    R = quat_to_matrix(q)
    third = np.einsum("n,nij,nkl,nmo->ijklmo", w, R, R, R)
    expected = np.einsum("ikm,jlo->ijklmo", eps, eps) / 6
    assert np.abs(third - expected).max() < 1e-12
    # And degree 2 is really needed for the second moments (the test can fail).
    q, w = so3_quadrature(1)
    R = quat_to_matrix(q)
    haar2 = np.einsum("ik,jl->ijkl", np.eye(3), np.eye(3)) / 3
    assert np.abs(np.einsum("n,nij,nkl->ijkl", w, R, R) - haar2).max() > 1e-3


@pytest.mark.parametrize("L", [4, 5, 6])
def test_so3_quadrature_matches_finer_rule_on_degree_L_polynomials(L):
    """Degree-L polynomials in the entries of R span the Wigner-D entries of degree <= L."""
    q, w = so3_quadrature(L)
    qf, wf = so3_quadrature(2 * L + 2)
    R, Rf = quat_to_matrix(q).reshape(-1, 9), quat_to_matrix(qf).reshape(-1, 9)
    rng = np.random.default_rng(L)
    for _ in range(5):
        idx = rng.integers(0, 9, size=L)
        got = np.sum(w * np.prod(R[:, idx], axis=1))
        ref = np.sum(wf * np.prod(Rf[:, idx], axis=1))
        assert abs(got - ref) < 1e-12


# ----------------------------------------------------------------------------- determinism


def test_repeated_calls_are_identical_and_global_rng_untouched():
    np.random.seed(123)
    state = np.random.get_state()
    first = determinism_arrays()
    second = determinism_arrays()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_same_bytes_in_a_fresh_process():
    root = Path(grids.__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONHASHSEED="987", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", DETERMINISM_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == digest(determinism_arrays())


def test_thomson_is_stable_under_tiny_perturbations():
    """The relaxation contracts: 1e-14 noise in the start changes the result by << 1e-10."""
    x0 = so3_grid("rand", 40)
    x1 = grids._normalise(x0 + 1e-14 * np.random.default_rng(9).standard_normal(x0.shape))
    a = grids._repel(x0, 300, projective=True)
    b = grids._repel(x1, 300, projective=True)
    assert np.abs(np.abs(np.sum(a * b, axis=1)) - 1).max() < 1e-11


def test_thomson_is_fast():
    t0 = time.perf_counter()
    so3_grid("thomson", 100)
    assert time.perf_counter() - t0 < 1.0


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda: so3_grid("nope", 3),
        lambda: so3_grid(None),
        lambda: so3_grid("rand"),
        lambda: so3_grid("rand", 0),
        lambda: so3_grid("rand", -2),
        lambda: so3_grid("rand", 2.5),
        lambda: so3_grid("rand", True),
        lambda: so3_grid("rand", "3"),
        lambda: so3_grid("rand", 3, seed=-1),
        lambda: so3_grid("ico", 3),
        lambda: so3_grid("thomson", 3, steps=-1),
        lambda: so3_grid("thomson", 3, bogus=1),
        lambda: so3_grid("hopf", 3, 0),
        lambda: so3_grid("fibonacci", 0),
        lambda: sphere_grid("healpix", 12),
        lambda: sphere_grid("fibonacci", 0),
        lambda: sphere_grid("cube", 6),
        lambda: sphere_grid("rand", 3, seed=1.5),
        lambda: circle_grid(0),
        lambda: circle_grid(3, offset=float("nan")),
        lambda: circle_grid(3, offset="a"),
        lambda: sphere_quadrature(-1),
        lambda: sphere_quadrature(1.5),
        lambda: so3_quadrature(-1),
        lambda: so3_quadrature(None),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_unknown_type_message_lists_valid_types():
    with pytest.raises(ValueError) as err:
        so3_grid("icosahedron")
    for kind in SO3_GRID_TYPES:
        assert repr(kind) in str(err.value)
    with pytest.raises(ValueError) as err:
        sphere_grid("healpix", 3)
    for kind in SPHERE_GRID_TYPES:
        assert repr(kind) in str(err.value)
