"""Restriction consistency: a G-steerable kernel is H-steerable for every subgroup H, so the
G basis lies in the span of the H basis of the restricted representations."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_checks import random_orthogonal, random_points

from steerable import group as G
from steerable import gspaces as gs

PAIRS = {
    "O2>SO2": (lambda: gs.flipRot2dOnR2(-1, maximum_frequency=3), (None, -1)),
    "O2>D4": (lambda: gs.flipRot2dOnR2(-1, maximum_frequency=3), (0.0, 4)),
    "D8>C4": (lambda: gs.flipRot2dOnR2(8), (None, 4)),
    "D8>D4": (lambda: gs.flipRot2dOnR2(8, axis=0.2), (0, 4)),
    "SO2>C6": (lambda: gs.rot2dOnR2(-1, maximum_frequency=3), 6),
    "C8>C2": (lambda: gs.rot2dOnR2(8), 2),
    "SO3>octa": (gs.rot3dOnR3, "octa"),
    "SO3>O2": (gs.rot3dOnR3, (True, -1)),
    "O3>SO3": (gs.flipRot3dOnR3, (False, "so3")),
    "O3>conical": (gs.flipRot3dOnR3, ("cone", 0.3, -1)),
    "ico>tetra": (gs.icoOnR3, "tetra"),
    "octa>D4": (gs.octaOnR3, (True, 4)),
    "full_octa>octa": (gs.fullOctaOnR3, ("octa", 1)),
    "full_cylinder>cylinder": (gs.fullCylindricalOnR3, ((None, -1), 2)),
}


def _reps(group, seed):
    """Two small representations with a non-trivial change of basis."""
    irreps = list(group.irreps())[:4]
    a = G.directsum([irreps[-1], group.trivial_representation, irreps[1]], name="a")
    a = G.change_basis(a, random_orthogonal(a.size, seed), name="a_q")
    b = G.directsum(irreps[:3], name="b")
    return a, b


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_restricted_basis_contains_basis(name):
    factory, sgid = PAIRS[name]
    gspace = factory()
    sub, inclusion, restriction = gspace.restrict(sgid)
    d = gspace.dimensionality
    assert sub.dimensionality == d
    # the subgroup acts on R^d through the inclusion
    for h in list(sub.fibergroup.testing_elements())[:6] + [sub.fibergroup.sample(np.random.default_rng(0))]:
        np.testing.assert_allclose(sub.basespace_matrix(h), gspace.basespace_matrix(inclusion(h)), atol=1e-12)
        assert restriction(inclusion(h)) == h
    rin, rout = _reps(gspace.fibergroup, seed=len(name))
    rings = [0.0, 1.0, 2.0]
    basis = gspace.build_kernel_basis(rin, rout, rings=rings, sigma=0.6, maximum_frequency=3)
    sub_basis = sub.build_kernel_basis(
        rin.restrict(sgid), rout.restrict(sgid), rings=rings, sigma=0.6, maximum_frequency=3
    )
    assert 0 < basis.dim <= sub_basis.dim
    points = random_points(d, 30, seed=4)
    big = basis.sample(points).transpose(0, 2, 3, 1).reshape(-1, basis.dim)
    small = sub_basis.sample(points).transpose(0, 2, 3, 1).reshape(-1, sub_basis.dim)
    coeffs, *_ = np.linalg.lstsq(small, big, rcond=None)
    residual = np.abs(small @ coeffs - big).max()
    assert residual < 1e-8, residual


@pytest.mark.parametrize("name", ["O2>SO2", "O3>SO3", "D8>C4", "SO3>octa"])
def test_restriction_is_strictly_larger_for_proper_subgroups(name):
    """The standard -> standard basis grows when the symmetry is reduced."""
    factory, sgid = PAIRS[name]
    gspace = factory()
    sub = gspace.restrict(sgid)[0]
    t, ts = gspace.basespace_action, sub.basespace_action
    rings = [0.0, 1.0, 2.0]
    n_big = gspace.build_kernel_basis(t, t, rings=rings, sigma=0.6, frequencies_cutoff=2.0).dim
    n_small = sub.build_kernel_basis(ts, ts, rings=rings, sigma=0.6, frequencies_cutoff=2.0).dim
    assert n_small > n_big
