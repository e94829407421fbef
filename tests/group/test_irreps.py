"""Irreps of every group: homomorphism, orthogonality, types, characters, completeness."""

import numpy as np
import pytest

from steerable import testing


def test_irreps_are_orthogonal_homomorphisms(group):
    for irrep in group.irreps():
        testing.assert_homomorphism(irrep)
        testing.assert_orthogonal(irrep)


def test_irrep_type_matches_endomorphisms(group):
    for irrep in group.irreps():
        endo = irrep.endomorphism_basis()
        s = irrep.sum_of_squares_constituents
        assert endo.shape == (s, irrep.size, irrep.size)
        np.testing.assert_allclose(endo[0], np.eye(irrep.size), atol=1e-12)
        for j in endo[1:]:
            np.testing.assert_allclose(j @ j, -np.eye(irrep.size), atol=1e-9)
            np.testing.assert_allclose(j.T, -j, atol=1e-12)
        for g in list(group.testing_elements())[:6]:
            for e in endo:
                np.testing.assert_allclose(irrep(g) @ e, e @ irrep(g), atol=1e-9)


def test_finite_group_completeness_and_character_orthogonality(finite_group):
    G = finite_group
    elements = G.elements
    assert len(elements) == G.order()
    irreps = G.irreps()
    # sum over real irreps of dim^2 / s counts every complex irrep's dim^2 once
    assert sum(r.size**2 // r.sum_of_squares_constituents for r in irreps) == G.order()
    chars = np.array([[r.character(g) for g in elements] for r in irreps])
    gram = chars @ chars.T / G.order()
    expected = np.diag([r.sum_of_squares_constituents for r in irreps])
    np.testing.assert_allclose(gram, expected, atol=1e-9)


def test_regular_representation_multiplicities(finite_group):
    G = finite_group
    reg = G.regular_representation
    assert reg.size == G.order()
    testing.assert_homomorphism(reg, G.elements[:12])
    # rho_reg(g) is the permutation matrix of left multiplication
    elements = G.elements
    index = {g: i for i, g in enumerate(elements)}
    for g in elements[:6]:
        perm = np.zeros((G.order(), G.order()))
        for j, h in enumerate(elements):
            perm[index[g @ h], j] = 1
        np.testing.assert_allclose(reg(g), perm, atol=1e-9)
    for irrep in G.irreps():
        assert reg.multiplicity(irrep.id) == irrep.size // irrep.sum_of_squares_constituents


def test_irreps_are_pairwise_inequivalent(group):
    from steerable.group import homomorphism_space

    irreps = group.irreps()
    elements = testing.testing_elements(group) + testing.random_elements(group, 6)
    for a in irreps:
        for b in irreps:
            if a.size != b.size:
                continue
            # solve for intertwiners numerically: only a == b admits any
            from steerable.group._linalg import intertwiner_space

            space = intertwiner_space(a.matrices(elements), b.matrices(elements))
            assert (space.shape[0] > 0) == (a.id == b.id), (a, b)
            if a.id == b.id:
                assert space.shape[0] == a.sum_of_squares_constituents
    assert homomorphism_space(irreps[0], irreps[0]).shape[0] == 1


@pytest.mark.parametrize("L", [0, 1, 3])
def test_bl_irreps_are_prefixes(group, L):
    ids = group.bl_irreps(L)
    assert ids == group.bl_irreps(L + 1)[: len(ids)]
    for i in ids:
        assert group.irrep(*i).frequency <= L
