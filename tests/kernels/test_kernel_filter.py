"""``basis_filter``: vectorised (dict of arrays -> mask) and escnn-style (one element's dict ->
bool) filters select the same elements; attributes and iteration."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_checks import random_points

from steerable import gspaces as gs
from steerable.kernels import kernels_O3_act_R3

SPACES = {
    "C8": lambda: gs.rot2dOnR2(8),
    "O2": lambda: gs.flipRot2dOnR2(-1, maximum_frequency=3),
    "octa": gs.octaOnR3,
    "SO3": gs.rot3dOnR3,
}


def _reps(space):
    group = space.fibergroup
    if group.continuous:
        rep = group.bl_regular_representation(1)
    else:
        rep = group.regular_representation
    return rep, space.basespace_action + space.trivial_repr


@pytest.mark.parametrize("name", sorted(SPACES))
def test_vectorised_and_per_element_filters_agree(name):
    space = SPACES[name]()
    rin, rout = _reps(space)
    d = space.dimensionality
    rings = [0.0, 1.0, 2.0]
    full = space.build_kernel_basis(rin, rout, rings=rings, sigma=0.6, frequencies_cutoff=2.0)

    def vectorised(a):
        return (a["order"] <= 1) & (a["radius"] > 0)

    def per_element(attr):  # `and` on arrays raises: this is only usable per element
        return attr["order"] <= 1 and attr["radius"] > 0

    def per_element_irreps(attr):  # uses keys only an element's dict has
        return attr["order"] <= 1 and attr["radius"] > 0 and attr["out_irrep"] is not None

    a = space.build_kernel_basis(
        rin, rout, rings=rings, sigma=0.6, basis_filter=vectorised, frequencies_cutoff=2.0
    )
    b = space.build_kernel_basis(
        rin, rout, rings=rings, sigma=0.6, basis_filter=per_element, frequencies_cutoff=2.0
    )
    c = space.build_kernel_basis(
        rin, rout, rings=rings, sigma=0.6, basis_filter=per_element_irreps, frequencies_cutoff=2.0
    )
    mask = vectorised(full.attributes)
    assert 0 < a.dim < full.dim and a.dim == int(mask.sum())
    assert a.dim == b.dim == c.dim
    for key in full.attributes:
        np.testing.assert_array_equal(a.attributes[key], full.attributes[key][mask])
        np.testing.assert_array_equal(b.attributes[key], a.attributes[key])
        np.testing.assert_array_equal(c.attributes[key], a.attributes[key])
    points = random_points(d, 6, seed=1)
    values = full.sample(points)
    np.testing.assert_array_equal(a.sample(points), values[:, mask])
    np.testing.assert_array_equal(b.sample(points), values[:, mask])
    assert np.all(a.attributes["order"] <= 1) and np.all(a.attributes["radius"] > 0)


def test_attributes_and_iteration():
    space = gs.rot2dOnR2(4)
    rep = space.regular_repr
    basis = space.build_kernel_basis(
        rep, space.trivial_repr + space.irrep(1), rings=[0.0, 1.0], sigma=[0.5, 0.7], frequencies_cutoff=2.0
    )
    attrs = list(basis)
    assert len(attrs) == basis.dim == len(basis)
    for n, attr in enumerate(attrs):
        assert attr["radius"] == basis.attributes["radius"][n]
        assert attr["sigma"] == (0.5 if attr["radius"] == 0.0 else 0.7)
        assert attr["out_irrep"] in (space.trivial_repr.id, space.irrep(1).id)
        assert attr["in_irrep"] in rep.irreps
    # the attribute arrays are read-only
    with pytest.raises(ValueError):
        basis.attributes["order"][0] = 5


def test_filter_on_factory_and_filter_to_empty():
    o3 = gs.flipRot3dOnR3().fibergroup
    rep = o3.irrep(1, 1)
    full = kernels_O3_act_R3(rep, rep, [0.0, 1.0, 2.0], 0.6)
    only_radial = kernels_O3_act_R3(rep, rep, [0.0, 1.0, 2.0], 0.6, filter=lambda a: a["order"] == 0)
    assert only_radial.dim == 3 < full.dim
    space = gs.flipRot3dOnR3()
    empty = space.build_kernel_basis(
        rep, rep, rings=[0.0, 1.0], sigma=0.6, basis_filter=lambda a: a["order"] > 10, frequencies_cutoff=2.0
    )
    assert empty.dim == 0
    assert empty.sample(np.ones((2, 3))).shape == (2, 0, 3, 3)
    from steerable.kernels import EmptyBasisException

    with pytest.raises(EmptyBasisException):
        kernels_O3_act_R3(rep, rep, [0.0, 1.0], 0.6, filter=lambda a: a["order"] > 10)
