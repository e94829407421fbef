"""Every gspace, a spread of representations: the sampled basis satisfies
k(g x) = rho_out(g) k(x) rho_in(g)^T exactly (float64), for testing and random elements, and
its elements are linearly independent, orthonormal functions on a ring."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_checks import (
    ATOL,
    GSPACES,
    RINGS,
    SIGMA,
    base_matrices,
    check_elements,
    function_rank,
    random_points,
    representation_spread,
    steerability_error,
)

CASES = []
for _name, (_factory, _qid) in GSPACES.items():
    for _label in representation_spread(_factory(), _qid):
        CASES.append((_name, _label))


def _setup(name):
    factory, qid = GSPACES[name]
    gspace = factory()
    return gspace, representation_spread(gspace, qid)


@pytest.mark.parametrize("name,label", CASES, ids=[f"{n}-{lbl}" for n, lbl in CASES])
def test_basis_is_steerable(name, label):
    gspace, reps = _setup(name)
    d = gspace.dimensionality
    rep, mixed = reps[label], reps["mixed"]
    elements = check_elements(gspace.fibergroup)
    matrices = base_matrices(gspace, elements)
    points = np.concatenate([random_points(d, 10, seed=5), np.zeros((1, d))])  # incl. the origin
    for in_repr, out_repr in ((rep, mixed), (mixed, rep)):
        basis = gspace.build_kernel_basis(
            in_repr, out_repr, rings=RINGS[d], sigma=SIGMA, frequencies_cutoff=2.0
        )
        assert basis.dim > 0, (in_repr, out_repr)
        assert basis.shape == (out_repr.size, in_repr.size)
        values = basis.sample(points)
        assert values.shape == (points.shape[0], basis.dim, out_repr.size, in_repr.size)
        assert np.all(np.isfinite(values))
        err = steerability_error(basis, matrices, in_repr, out_repr, elements, points)
        assert err < ATOL, f"{in_repr} -> {out_repr}: steerability error {err:.2e}"
        # linearly independent as functions
        assert function_rank(basis, d) == basis.dim


@pytest.mark.parametrize(
    "name", ["C8", "D6_axis", "SO2", "O2", "SO3", "O3", "octa", "ico", "full_tetra", "cylinder"]
)
def test_basis_between_equal_representations(name):
    """rho -> rho for every representation of a small spread (rho's own endomorphisms at J = 0)."""
    gspace, reps = _setup(name)
    d = gspace.dimensionality
    elements = check_elements(gspace.fibergroup, seed=2)
    matrices = base_matrices(gspace, elements)
    points = random_points(d, 6, seed=6)
    for label in ("standard", "mixed", "bl_regular1", "quotient"):
        if label not in reps or reps[label].size > 12:
            continue
        rep = reps[label]
        basis = gspace.build_kernel_basis(rep, rep, rings=RINGS[d], sigma=SIGMA, frequencies_cutoff=2.0)
        err = steerability_error(basis, matrices, rep, rep, elements, points)
        assert err < ATOL, f"{label}: steerability error {err:.2e}"
        # the J = 0 part on the ring r = 0 is Hom_G(rho, rho) (for G acting faithfully on R^d
        # the ring at the origin carries only J = 0)
        at_origin = np.flatnonzero(basis.attributes["ring"] == 0)
        assert at_origin.size == rep.endomorphism_basis().shape[0]


def _circle_quadrature(radius, n):
    phi = 2 * np.pi * np.arange(n) / n
    return radius * np.stack([np.cos(phi), np.sin(phi)], axis=1), np.full(n, 1.0 / n)


def _sphere_quadrature(radius, degree):
    """Product Gauss-Legendre (cos theta) x uniform (phi) rule, exact up to ``degree``."""
    nz = degree // 2 + 1
    nphi = degree + 1
    z, wz = np.polynomial.legendre.leggauss(nz)
    phi = 2 * np.pi * np.arange(nphi) / nphi
    zz, pp = np.meshgrid(z, phi, indexing="ij")
    s = np.sqrt(1 - zz**2)
    pts = np.stack([s * np.cos(pp), s * np.sin(pp), zz], axis=-1).reshape(-1, 3)
    weights = (wz[:, None] / 2 / nphi * np.ones_like(pp)).ravel()
    return radius * pts, weights


@pytest.mark.parametrize(
    "name", ["SO2", "C8", "O2", "D6_axis", "flip_axis", "SO3", "O3", "ico", "octa", "pyrito", "conical_D2"]
)
def test_basis_is_orthonormal_on_a_ring(name):
    """With one ring of radius r (profile 1 at r), the elements are orthonormal in the
    mean over the circle/sphere of radius r of <k_a(x), k_b(x)>_Frobenius."""
    gspace, reps = _setup(name)
    d = gspace.dimensionality
    r = 1.5
    in_repr, out_repr = reps["mixed"], reps.get("regular", reps.get("bl_regular1", reps["standard"]))
    basis = gspace.build_kernel_basis(in_repr, out_repr, rings=[r], sigma=SIGMA, maximum_frequency=3)
    assert basis.dim > 0
    assert 0 < max(basis.attributes["order"]) <= 3
    if d == 2:
        pts, w = _circle_quadrature(r, 16)
    else:
        pts, w = _sphere_quadrature(r, 8)
    values = basis.sample(pts).reshape(pts.shape[0], basis.dim, -1)
    gram = np.einsum("n,nai,nbi->ab", w, values, values)
    np.testing.assert_allclose(gram, np.eye(basis.dim), atol=1e-10)
