"""Representations: sums, changes of basis, tensor products, restriction, induction, CG."""

import numpy as np
import pytest

from steerable import group as G
from steerable import testing
from steerable.group import (
    Representation,
    change_basis,
    directsum,
    disentangle,
    homomorphism_space,
)


def _random_orthogonal(n, seed=0):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def test_directsum_and_change_basis_are_representations(group):
    irreps = group.irreps()[:3]
    rho = directsum(irreps)
    testing.assert_homomorphism(rho)
    q = _random_orthogonal(rho.size)
    rho_q = change_basis(rho, q, "rotated")
    testing.assert_homomorphism(rho_q)
    g = group.sample(np.random.default_rng(1))
    np.testing.assert_allclose(rho_q(g), q @ rho(g) @ q.T, atol=1e-12)
    assert rho_q.irreps == rho.irreps
    np.testing.assert_allclose(rho_q.character(g), rho.character(g), atol=1e-9)


def test_tensor_product_is_decomposed_exactly(group):
    irreps = group.irreps()[:3]
    a = directsum(irreps[:2])
    b = irreps[-1]
    t = a.tensor(b)
    elements = testing.testing_elements(group)[:6] + testing.random_elements(group, 3)
    expected = np.stack([np.kron(a(g), b(g)) for g in elements])
    np.testing.assert_allclose(t.matrices(elements), expected, atol=1e-9)


def test_clebsch_gordan_intertwines_and_is_complete(group):
    irreps = group.irreps()[:4]
    elements = testing.testing_elements(group)[:6] + testing.random_elements(group, 3)
    for m in irreps:
        for n in irreps:
            decomposition = group._tensor_product_irreps(m.id, n.id)
            assert sum(group.irrep(*j).size * k for j, k in decomposition) == m.size * n.size
            for j, mult in decomposition:
                c = group._clebsh_gordan_coeff(m.id, n.id, j)
                psi = group.irrep(*j)
                assert c.shape == (m.size, n.size, mult, psi.size)
                for g in elements:
                    left = np.einsum("ai,bj,ijkc->abkc", m(g), n(g), c)
                    right = np.einsum("abkd,dc->abkc", c, psi(g))
                    np.testing.assert_allclose(left, right, atol=1e-9)
                flat = c.reshape(m.size * n.size, mult * psi.size)
                np.testing.assert_allclose(flat.T @ flat, np.eye(mult * psi.size), atol=1e-9)


SUBGROUPS = [
    (lambda: G.cyclic_group(8), [4, 2, 1, 8]),
    (lambda: G.dihedral_group(8), [(None, 4), (0, 4), (1, 2), (3, 1), (None, 1)]),
    (lambda: G.so2_group(4), [4, 1, -1]),
    (lambda: G.o2_group(4), [(None, -1), (None, 3), (0.0, 4), (0.7, 2), (0.3, -1)]),
    (lambda: G.so3_group(3), ["so3", (False, -1), (False, 5), (True, -1), (True, 3), (0.5, 2)]),
    (
        lambda: G.o3_group(2),
        [
            (False, "so3"),
            (True, "so3"),
            (True, False, 4),
            (True, True, -1),
            ("cone", 0.0, -1),
            ("cone", 0.4, 3),
            ("cone", 0.0, 1),
            (False, True, 2),
        ],
    ),
    (lambda: G.full_cylinder_group(2), [((None, -1), 2), ((0.0, 3), 1)]),
]


@pytest.mark.parametrize("make, ids", SUBGROUPS)
def test_restriction_is_consistent(make, ids):
    group = make()
    rho = directsum(group.irreps()[:4])
    for sgid in ids:
        sub, inclusion, restriction = group.subgroup(sgid)
        res = rho.restrict(sgid)
        assert res.group == sub
        testing.assert_homomorphism(res)
        hs = testing.testing_elements(sub)[:8] + testing.random_elements(sub, 4)
        for h in hs:
            g = inclusion(h)
            np.testing.assert_allclose(res(h), rho(g), atol=1e-9)
            assert restriction(g) == h
        # inclusion is a homomorphism
        for a in hs[:4]:
            for b in hs[:4]:
                assert inclusion(a @ b) == inclusion(a) @ inclusion(b)


def test_restriction_rejects_elements_outside_the_subgroup():
    so3 = G.so3_group()
    _, _, restriction = so3.subgroup((False, 4))
    with pytest.raises(ValueError):
        restriction(so3.element(np.array([1.0, 0, 0, 0]), "Q"))  # rotation by pi about x


@pytest.mark.parametrize(
    "make, sgid",
    [
        (lambda: G.dihedral_group(6), (None, 3)),
        (lambda: G.dihedral_group(4), (0, 2)),
        (lambda: G.cyclic_group(6), 2),
        (lambda: G.o2_group(3), (None, -1)),
        (lambda: G.o3_group(2), (False, "so3")),
    ],
)
def test_induced_representation_frobenius_reciprocity(make, sgid):
    group = make()
    sub, _, _ = group.subgroup(sgid)
    for sigma in sub.irreps():
        ind = group.induced_representation(sgid, sigma)
        testing.assert_homomorphism(ind)
        index = ind.size // sigma.size
        assert index * sigma.size == ind.size
        for psi in group.irreps():
            lhs = homomorphism_space(psi, ind).shape[0]
            rhs = homomorphism_space(psi.restrict(sgid), sigma).shape[0]
            assert lhs == rhs, (psi, sigma)


def test_quotient_representation_is_a_permutation_representation():
    D = G.dihedral_group(6)
    q = D.quotient_representation((None, 3))
    assert q.size == 4
    for g in D.elements:
        m = q(g)
        assert np.allclose(np.sort(m.ravel())[-4:], 1) and np.allclose(np.abs(m).sum(0), 1)
    assert "pointwise" in q.supported_nonlinearities
    testing.assert_homomorphism(q)


def test_spectral_representations_multiplicities():
    so3 = G.so3_group()
    reg = so3.bl_regular_representation(2)
    assert [reg.multiplicity(l) for l in range(3)] == [1, 3, 5]
    sphere = so3.bl_sphere_representation(3)
    assert sphere.irreps == [(0,), (1,), (2,), (3,)]
    so2 = G.so2_group()
    assert so2.bl_quotient_representation(6, 3).irreps == [(0,), (3,), (6,)]


def test_homspace_harmonics_are_invariant_under_the_subgroup():
    so3 = G.so3_group()
    X = so3.homspace((False, -1))
    sub, inclusion, _ = so3.subgroup((False, -1))
    for l in range(4):
        assert X.dimension_basis(l)[:2] == (2 * l + 1, 1)
        g = so3.sample(np.random.default_rng(l))
        for h in testing.random_elements(sub, 3):
            np.testing.assert_allclose(X.basis(g @ inclusion(h), l), X.basis(g, l), atol=1e-9)


def test_disentangle_splits_a_permuted_direct_sum():
    so2 = G.so2_group()
    rho = directsum([so2.irrep(1), so2.irrep(0), so2.irrep(2)])
    perm = np.eye(5)[[4, 0, 2, 1, 3]]
    shuffled = change_basis(rho, perm, "shuffled")
    permutation, parts = disentangle(shuffled)
    assert sorted(p.size for p in parts) == [1, 2, 2]
    g = so2.element(0.7)
    full = shuffled(g)[np.ix_(permutation, permutation)]
    expected = directsum(parts)(g)
    np.testing.assert_allclose(full, expected, atol=1e-12)


def test_homomorphism_space_dimension_matches_schur():
    o2 = G.o2_group()
    rho1 = directsum([o2.irrep(1, 1), o2.irrep(0, 0), o2.irrep(1, 1)])
    rho2 = directsum([o2.irrep(1, 1), o2.irrep(1, 0)])
    basis = homomorphism_space(rho1, rho2)
    assert basis.shape == (2, 3, 5)
    for b in basis:
        testing.assert_intertwiner(b, rho2, rho1)


def test_representation_validation_errors():
    so2 = G.so2_group()
    with pytest.raises(ValueError, match="orthogonal"):
        Representation(so2, "bad", [(1,)], 2 * np.eye(2))
    with pytest.raises(ValueError, match="shape"):
        Representation(so2, "bad", [(1,)], np.eye(3))
    with pytest.raises(ValueError, match="frequency"):
        Representation(so2, "bad", [(-1,)], np.eye(2))
    with pytest.raises(TypeError):
        Representation("SO2", "bad", [(1,)], np.eye(2))
    with pytest.raises(ValueError, match="different groups"):
        directsum([so2.irrep(1), G.o2_group().irrep(1, 1)])
    with pytest.raises(ValueError, match="infinite"):
        so2.regular_representation  # noqa: B018
    with pytest.raises(ValueError):
        G.cyclic_group(6).quotient_representation(4)


def test_user_given_finite_group_representation_is_decomposed():
    d4 = G.dihedral_group(4)
    # the permutation action of D4 on the 4 vertices of a square, as a dict
    vertices = np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], dtype=float)
    table = {}
    for g in d4.elements:
        m = g.to("MAT")
        moved = vertices @ m.T
        perm = np.zeros((4, 4))
        for j, v in enumerate(moved):
            perm[np.argmin(np.linalg.norm(vertices - v, axis=1)), j] = 1
        table[g] = perm
    rho = G.representation_from_matrices(d4, table, "square")
    for g in d4.elements:
        np.testing.assert_allclose(rho(g), table[g], atol=1e-12)
    assert sorted(rho.irreps) == sorted([(0, 0), (1, 1), (0, 2)])
    with pytest.raises(ValueError, match="not a representation"):
        G.representation_from_matrices(
            d4, {g: (np.eye(4) if g != d4.element((0, 1)) else table[g]) for g in d4.elements}
        )


def test_user_given_continuous_representation_is_decomposed():
    so3 = G.so3_group()
    rho = G.representation_from_matrices(so3, lambda g: np.kron(g.to("MAT"), g.to("MAT")), "matrices")
    assert sorted(rho.irreps) == [(0,), (1,), (2,)]
    g = so3.sample(np.random.default_rng(5))
    np.testing.assert_allclose(rho(g), np.kron(g.to("MAT"), g.to("MAT")), atol=1e-9)


def test_o3_subgroups_are_the_factory_groups():
    o3 = G.o3_group()
    assert o3.subgroup((True, "ico"))[0] == G.full_ico_group()
    assert o3.subgroup((True, "octa"))[0] == G.full_octa_group()
    assert o3.subgroup((True, "tetra"))[0] == G.pyrito_group()
    assert o3.subgroup((True, False, 4))[0] == G.cylinder_discrete_group(4)
    assert o3.subgroup((True, True, 3))[0] == G.full_cylinder_discrete_group(3)
    assert o3.subgroup((True, False, -1))[0] == G.cylinder_group()
    assert o3.subgroup((True, 0.3, -1))[0] == G.full_cylinder_group()
    assert o3.subgroup("fulltetra")[0] == G.full_tetra_group()
    assert o3.subgroup((False, "ico"))[0] == G.ico_group()
    # the inversion factor acts as -I
    full_ico, inclusion, _ = o3.subgroup((True, "ico"))
    inversion = full_ico.element((full_ico.G1.identity.value, 1))
    np.testing.assert_allclose(inclusion(inversion).to("MAT"), -np.eye(3), atol=1e-12)
