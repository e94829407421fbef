"""Completeness: per irrep pair, ring and harmonic order J, the number of basis elements equals
dim Hom_G(Res D_J, psi_out (x) psi_in), computed independently of the solver (characters for
finite groups, the null space of the constraint system for continuous ones)."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_checks import (
    GSPACES,
    check_elements,
    harmonic_character,
    predicted_count_by_characters,
    predicted_count_by_rank,
)

from steerable import group as G
from steerable import gspaces as gs
from steerable.kernels import EmptyBasisException, PointBasis, kernels_on_point

RINGS = {2: ([0.0, 1.0, 2.5], 5), 3: ([0.0, 1.0, 2.0], 4)}  # band limits [0, 2, 5] / [0, 2, 4]


def _irrep_sum(group, irreps):
    return G.directsum(irreps, name="irreps")


def _irreps_under_test(group, limit):
    irreps = list(group.irreps())
    return irreps[:limit]


def _counts(basis):
    """(out block, in block, ring, J) -> number of basis elements."""
    a = basis.attributes
    keys = zip(a["out_irrep_idx"], a["in_irrep_idx"], a["ring"], a["order"])
    counts = {}
    for key in keys:
        key = tuple(int(k) for k in key)
        counts[key] = counts.get(key, 0) + 1
    return counts


# gspaces obtained by restriction (a chain of subgroup steps in the embedding)
RESTRICTED = {
    "SO3|octa": lambda: gs.rot3dOnR3().restrict("octa")[0],
    "D8|C4": lambda: gs.flipRot2dOnR2(8).restrict((None, 4))[0],
    "ico|tetra": lambda: gs.icoOnR3().restrict("tetra")[0],
    "O3|so3": lambda: gs.flipRot3dOnR3().restrict((False, "so3"))[0],
    "O2|SO2": lambda: gs.flipRot2dOnR2(-1).restrict((None, -1))[0],
    "O3|cone|D3": lambda: gs.flipRot3dOnR3().restrict(("cone", 0.5, -1))[0].restrict((None, 3))[0],
}
FACTORIES = {**{n: f for n, (f, _) in GSPACES.items()}, **RESTRICTED}
FINITE = [n for n, f in FACTORIES.items() if not f().fibergroup.continuous]
CONTINUOUS = [n for n, f in FACTORIES.items() if f().fibergroup.continuous]


@pytest.mark.parametrize("name", FINITE)
def test_dimension_matches_characters(name):
    gspace = FACTORIES[name]()
    group = gspace.fibergroup
    d = gspace.dimensionality
    rings, _ = RINGS[d]
    irreps = _irreps_under_test(group, 5)
    rep = _irrep_sum(group, irreps)
    basis = gspace.build_kernel_basis(rep, rep, rings=rings, sigma=0.6, frequencies_cutoff=2.0)
    orders = basis.max_orders
    assert list(orders) == ([0, 2, 5] if d == 2 else [0, 2, 4])
    elements = group.elements
    chi = [np.array([irr.character(g) for g in elements]) for irr in irreps]
    chi_J = {J: harmonic_character(gspace, J, elements) for J in range(max(orders) + 1)}
    counts = _counts(basis)
    total = 0
    for o, psi_o in enumerate(irreps):
        for i, psi_i in enumerate(irreps):
            for ring, jmax in enumerate(orders):
                for J in range(jmax + 1):
                    expected = predicted_count_by_characters(chi[o], chi[i], chi_J[J])
                    got = counts.get((o, i, ring, J), 0)
                    assert got == expected, (psi_o, psi_i, ring, J)
                    total += expected
    assert basis.dim == total  # nothing beyond the band limit
    assert max(basis.attributes["order"], default=0) <= max(orders)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_dimension_matches_constraint_rank(name):
    gspace = FACTORIES[name]()
    group = gspace.fibergroup
    d = gspace.dimensionality
    rings, _ = RINGS[d]
    irreps = _irreps_under_test(group, 4)
    rep = _irrep_sum(group, irreps)
    basis = gspace.build_kernel_basis(
        rep, rep, rings=rings, sigma=0.6, maximum_frequency=3, frequencies_cutoff=2.0
    )
    orders = basis.max_orders
    assert list(orders) == [0, 2, 3]
    elements = check_elements(group, n_random=5, seed=11)
    counts = _counts(basis)
    total = 0
    for o, psi_o in enumerate(irreps):
        for i, psi_i in enumerate(irreps):
            expected = [predicted_count_by_rank(gspace, psi_o, psi_i, J, elements) for J in range(4)]
            for ring, jmax in enumerate(orders):
                for J in range(jmax + 1):
                    got = counts.get((o, i, ring, J), 0)
                    assert got == expected[J], (psi_o, psi_i, ring, J)
                    total += expected[J]
    assert basis.dim == total


# known dimensions (rings [0, 1, 2], orders [0, 2, 4] / 3D [0, 2, 4])
@pytest.mark.parametrize(
    "factory,rep,expected",
    [
        # SO(3): l=1 -> l=1 has one element per J in {0, 1, 2}: 1 + 3 + 3
        (gs.rot3dOnR3, lambda s: s.fibergroup.irrep(1), 7),
        # O(3): the vector -> vector kernel has J even only: 1 + 2 + 2
        (gs.flipRot3dOnR3, lambda s: s.fibergroup.irrep(1, 1), 5),
        # SO(2) frequency 1 -> frequency 1: J = 0 (2: the C-type endomorphisms), J = 2 (2)
        (lambda: gs.rot2dOnR2(-1), lambda s: s.fibergroup.irrep(1), 2 + 4 + 4),
        # O(2): J = 0 (1), J = 2 (1)
        (lambda: gs.flipRot2dOnR2(-1), lambda s: s.fibergroup.irrep(1, 1), 1 + 2 + 2),
    ],
)
def test_known_dimensions(factory, rep, expected):
    gspace = factory()
    r = rep(gspace)
    basis = gspace.build_kernel_basis(r, r, rings=[0.0, 1.0, 2.0], sigma=0.6, frequencies_cutoff=2.0)
    assert basis.max_orders == (0, 2, 4)
    assert basis.dim == expected


def test_trivial_group_counts_all_harmonics():
    """For the trivial group every harmonic is allowed: sum over rings of (dims of Y_J) per entry."""
    for gspace, hdim in (
        (gs.trivialOnR2(), lambda J: 1 if J == 0 else 2),
        (gs.trivialOnR3(), lambda J: 2 * J + 1),
    ):
        rep = gspace.fibergroup.regular_representation + gspace.fibergroup.regular_representation
        basis = gspace.build_kernel_basis(rep, rep, rings=[0.0, 1.0, 2.0], sigma=0.6, frequencies_cutoff=2.0)
        per_entry = sum(hdim(J) for jmax in basis.max_orders for J in range(jmax + 1))
        assert basis.dim == 4 * per_entry


# ------------------------------------------------------------------------------ R^0
POINT_GROUPS = {
    "C5": lambda: G.cyclic_group(5),
    "D4": lambda: G.dihedral_group(4),
    "SO2": lambda: G.so2_group(3),
    "O2": lambda: G.o2_group(3),
    "SO3": lambda: G.so3_group(2),
    "O3": lambda: G.o3_group(2),
    "ico": G.ico_group,
    "full_octa": G.full_octa_group,
    "cylinder": lambda: G.cylinder_group(2),
    "double_C3": lambda: G.double_group(G.cyclic_group(3)),
}


def _point_reps(group, seed):
    rng = np.random.default_rng(seed)
    irreps = list(group.irreps())[:4]
    picks = [irreps[i] for i in rng.integers(0, len(irreps), size=4)]
    rep = G.directsum(picks, name="picks")
    q, r = np.linalg.qr(rng.normal(size=(rep.size, rep.size)))
    rep = G.change_basis(rep, q * np.sign(np.diag(r)), name="picks_q")
    if group.continuous:
        return [rep, group.bl_regular_representation(1), group.trivial_representation]
    big = group.regular_representation if group.order() <= 24 else G.directsum(group.irreps(), name="all")
    return [rep, big, group.trivial_representation]


@pytest.mark.parametrize("gname", sorted(POINT_GROUPS))
def test_no_base_space_is_homomorphism_space(gname):
    group = POINT_GROUPS[gname]()
    gspace = gs.no_base_space(group)
    assert gspace.dimensionality == 0
    reps = _point_reps(group, seed=len(gname))
    for rin in reps:
        for rout in reps:
            basis = gspace.build_kernel_basis(rin, rout)
            assert isinstance(basis, PointBasis)
            hom = G.homomorphism_space(rin, rout)  # (k, out, in)
            assert basis.dim == hom.shape[0]
            if not group.continuous:
                chi = np.mean([rin.character(g) * rout.character(g) for g in group.elements])
                assert basis.dim == int(round(chi))
            mats = basis.matrices()
            assert mats.shape == (basis.dim, rout.size, rin.size)
            elements = check_elements(group, n_random=2)
            lhs = np.einsum("gij,kjl->gkil", rout.matrices(elements), mats)
            rhs = np.einsum("kij,gjl->gkil", mats, rin.matrices(elements))
            assert np.abs(lhs - rhs).max(initial=0.0) < 1e-9
            # same span as homomorphism_space, and linearly independent
            if basis.dim:
                flat, ref = mats.reshape(basis.dim, -1), hom.reshape(hom.shape[0], -1)
                assert np.linalg.matrix_rank(flat, tol=1e-8) == basis.dim
                coeffs, *_ = np.linalg.lstsq(ref.T, flat.T, rcond=None)
                assert np.abs(ref.T @ coeffs - flat.T).max() < 1e-9
            # sampling ignores coordinates
            values = basis.sample(np.zeros((3, 0)))
            np.testing.assert_array_equal(values, np.broadcast_to(mats, (3,) + mats.shape))


def test_kernels_on_point_empty_raises():
    group = G.cyclic_group(4)
    with pytest.raises(EmptyBasisException) as err:
        kernels_on_point(group.irrep(1), group.irrep(2))
    assert "irrep_1" in str(err.value) and "irrep_2" in str(err.value)
    assert isinstance(err.value, ValueError)
    # via the gspace, an empty basis is allowed (dim 0)
    assert gs.no_base_space(group).build_kernel_basis(group.irrep(1), group.irrep(2)).dim == 0
