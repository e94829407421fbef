"""FieldType: value semantics, constructions, fiber representation, transforms of tensors."""

import copy
import pickle

import numpy as np
import pytest
import torch

from steerable import group as G
from steerable import gspaces, nn, testing

from ._helpers import EXACT, mixed


@pytest.fixture
def c8():
    return gspaces.rot2dOnR2(8)


def test_equality_and_hash(c8):
    a = nn.FieldType(c8, [c8.regular_repr, c8.irrep(1)])
    b = nn.FieldType(gspaces.rot2dOnR2(8), [c8.regular_repr, c8.irrep(1)])
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert a != nn.FieldType(c8, [c8.irrep(1), c8.regular_repr])  # order matters
    c4 = gspaces.rot2dOnR2(4)
    assert a != nn.FieldType(c4, [c4.regular_repr, c4.irrep(1)])
    assert a != "not a type"
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.deepcopy(a) == a


def test_sizes_and_fields(c8):
    t = nn.FieldType(c8, [c8.regular_repr, c8.irrep(1), c8.trivial_repr])
    assert t.size == 11 and len(t) == 3
    assert list(t.fields_start) == [0, 8, 10] and list(t.fields_end) == [8, 10, 11]
    assert t.irreps == c8.regular_repr.irreps + [c8.irrep(1).id, c8.trivial_repr.id]
    assert not t.uniform and nn.FieldType(c8, [c8.regular_repr] * 3).uniform
    assert t.representation.size == 11
    np.testing.assert_allclose(t.change_of_basis @ t.change_of_basis.T, np.eye(11), atol=1e-12)
    assert "regular" in repr(t)


def test_addition(c8):
    a = nn.FieldType(c8, [c8.regular_repr])
    b = nn.FieldType(c8, [c8.irrep(2), c8.trivial_repr])
    s = a + b
    assert s.representations == a.representations + b.representations and s.size == 11
    with pytest.raises(ValueError, match="C8_on_R2 and C4_on_R2"):
        a + nn.FieldType(gspaces.rot2dOnR2(4), [gspaces.rot2dOnR2(4).regular_repr])
    with pytest.raises(TypeError, match="can only add FieldTypes, got list"):
        a + [c8.regular_repr]


def test_index_select_sorted_group_by_labels(c8):
    reps = [c8.regular_repr, c8.irrep(1), c8.trivial_repr, c8.irrep(3)]
    t = nn.FieldType(c8, reps)
    assert t.index_select([2, 0]).representations == (reps[2], reps[0])
    with pytest.raises(IndexError, match="out of range"):
        t.index_select([4])
    s, perm = t.sorted()
    assert [r.size for r in s.representations] == [1, 2, 2, 8]
    assert perm == [2, 1, 3, 0]  # stable: irrep(1) before irrep(3)
    groups = t.group_by_labels(["a", "b", "a", "b"])
    assert list(groups) == ["a", "b"]
    assert groups["a"].representations == (reps[0], reps[2])
    assert groups["b"].representations == (reps[1], reps[3])
    with pytest.raises(ValueError, match="one label per field"):
        t.group_by_labels(["a"])


def test_constructor_errors(c8):
    with pytest.raises(TypeError, match="needs a GSpace, got str"):
        nn.FieldType("C8", [c8.regular_repr])
    with pytest.raises(ValueError, match="at least one representation"):
        nn.FieldType(c8, [])
    with pytest.raises(TypeError, match="takes Representations, got int"):
        nn.FieldType(c8, [3])
    c4 = gspaces.rot2dOnR2(4)
    with pytest.raises(ValueError, match="is of C4.*has group C8"):
        nn.FieldType(c8, [c4.regular_repr])


def test_call_wraps_and_validates(c8):
    t = nn.FieldType(c8, [c8.regular_repr, c8.irrep(1)])
    x = t(torch.zeros(2, 10, 5, 5))
    assert isinstance(x, nn.GeometricTensor) and x.type == t
    with pytest.raises(ValueError, match="has 9 channels but the field type .* has 10"):
        t(torch.zeros(2, 9, 5, 5))
    with pytest.raises(ValueError, match="rank 4, got shape \\(10, 5, 5\\)"):
        t(torch.zeros(10, 5, 5))
    with pytest.raises(TypeError, match="wraps a torch.Tensor, got ndarray"):
        t(np.zeros((2, 10, 5, 5)))


GROUP_SPACES = {
    "C8": lambda: gspaces.rot2dOnR2(8),
    "O2": lambda: gspaces.flipRot2dOnR2(-1, maximum_frequency=3),
    "SO3": lambda: gspaces.rot3dOnR3(),
    "ico": gspaces.icoOnR3,
    "SO3xC2_0d": lambda: gspaces.no_base_space(G.direct_product(G.so3_group(1), G.cyclic_group(2))),
}


@pytest.mark.parametrize("name", sorted(GROUP_SPACES))
def test_fiber_representation_is_homomorphism(name):
    gs = GROUP_SPACES[name]()
    group = gs.fibergroup
    reps = [gs.trivial_repr] + [group.irrep(*i) for i in group.bl_irreps(2)][1:3]
    if gs.dimensionality == 2:
        reps = mixed(gs)
    t = nn.FieldType(gs, reps)
    elements = testing.random_elements(group, 5, seed=3)
    mats = {id(g): t.fiber_representation(g) for g in elements}
    np.testing.assert_allclose(t.fiber_representation(group.identity), np.eye(t.size), atol=EXACT)
    for a in elements:
        np.testing.assert_allclose(mats[id(a)] @ mats[id(a)].T, np.eye(t.size), atol=EXACT)
        np.testing.assert_allclose(t.fiber_representation(~a), mats[id(a)].T, atol=EXACT)
        for b in elements:
            np.testing.assert_allclose(mats[id(a)] @ mats[id(b)], t.fiber_representation(a @ b), atol=EXACT)
    # block diagonal, one block per field, equal to each field's representation
    g = elements[0]
    for r, s, e in zip(t.representations, t.fields_start, t.fields_end):
        np.testing.assert_allclose(mats[id(g)][s:e, s:e], r(g), atol=EXACT)


def test_restrict(c8):
    t = nn.FieldType(c8, [c8.regular_repr, c8.irrep(3), c8.trivial_repr])
    r = t.restrict(4)
    sub, inclusion, _ = c8.restrict(4)
    assert r.gspace == sub and r.fibergroup.order() == 4 and r.size == t.size
    for h in sub.fibergroup.elements:
        expected = t.fiber_representation(inclusion(h))
        np.testing.assert_allclose(r.fiber_representation(h), expected, atol=EXACT)
    # the restricted type moves tensors exactly like the original type moves them by inclusion(h)
    x = torch.randn(1, t.size, 5, 5, dtype=torch.float64)
    h = sub.fibergroup.element(1)
    assert torch.allclose(r.transform(x, h), t.transform(x, inclusion(h)), atol=EXACT)


def test_transform_is_rot90_with_fiber_action(c8):
    t = nn.FieldType(c8, [c8.regular_repr, c8.irrep(1), c8.trivial_repr])
    x = torch.randn(2, t.size, 6, 6, dtype=torch.float64)  # even grid: still exact
    for k in range(4):
        g = c8.fibergroup.element(2 * k)  # k quarter turns
        rho = torch.as_tensor(t.fiber_representation(g))
        expected = torch.einsum("ij,bjhw->bihw", rho, torch.rot90(x, k, dims=(2, 3)))
        assert (t.transform(x, g) - expected).abs().max() < EXACT
        assert torch.equal(t.transform_fibers(x, g), torch.einsum("ij,bjhw->bihw", rho, x))


def test_transform_reflections():
    for axis, dims in ((np.pi / 2, (3,)), (0.0, (2,))):
        gs = gspaces.flipRot2dOnR2(4, axis=axis)
        t = nn.FieldType(gs, [gs.trivial_repr])
        x = torch.randn(1, 1, 5, 4)
        flip = gs.fibergroup.element((1, 0))
        assert torch.equal(t.transform(x, flip), torch.flip(x, dims=dims))


def test_transform_3d_quarter_turn():
    gs = gspaces.octaOnR3()
    t = nn.FieldType(gs, [gs.trivial_repr])
    x = torch.randn(1, 1, 3, 4, 4)  # (-Z, -Y, X): a quarter turn about Z needs D2 == D3 only
    about_z = gs.fibergroup.element(np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]), "MAT")
    assert torch.equal(t.transform(x, about_z), torch.rot90(x, 1, dims=(3, 4)))


def test_transform_non_square_grid_error():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.trivial_repr])
    with pytest.raises(ValueError, match="square/cubic grid"):
        t.transform(torch.randn(1, 1, 5, 4), gs.fibergroup.element(1))


def test_transform_off_grid_rotation_interpolates():
    """45 degrees is not a grid symmetry: the spatial part is bilinear interpolation, so only
    approximate. A Gaussian blob (sigma = 2 px) centred at (x, y) = (3, 0) must land at
    (3, 3)/sqrt(2); the bilinear error is at most (h^2 / 8)(|f_xx| + |f_yy|) <= 1/16 here."""
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.trivial_repr])
    c = torch.arange(15, dtype=torch.float64) - 7
    X, Y = c[None, :], -c[:, None]  # columns run along x, rows along -y

    def blob(x0, y0):
        return torch.exp(-((X - x0) ** 2 + (Y - y0) ** 2) / 8)[None, None]

    rotated = t.transform(blob(3.0, 0.0), gs.fibergroup.element(1))
    s = 3 / np.sqrt(2)
    assert (rotated - blob(s, s)).abs().max() < 1 / 16
    assert (rotated - blob(s, -s)).abs().max() > 0.5  # the other sense of rotation is far off
    # the exact path agrees in sense: a quarter turn sends (3, 0) to (0, 3)
    assert torch.equal(t.transform(blob(3.0, 0.0), gs.fibergroup.element(2)), blob(0.0, 3.0))


def test_transform_point_cloud_coordinates():
    gs = gspaces.rot3dOnR3()
    group = gs.fibergroup
    t = nn.FieldType(gs, [gs.trivial_repr, group.irrep(1)])
    feats = torch.randn(6, t.size, dtype=torch.float64)
    coords = torch.randn(6, 3, dtype=torch.float64)
    g = group.sample(np.random.default_rng(4))
    new_feats, new_coords = t.transform(feats, g, coords)
    R = torch.as_tensor(group.standard_representation()(g))
    assert torch.allclose(new_coords, coords @ R.T, atol=EXACT)
    assert torch.allclose(new_feats, feats @ torch.as_tensor(t.fiber_representation(g)).T, atol=EXACT)
    # the vector field (irrep 1 of SO(3) is the standard representation up to basis) rotates like
    # the coordinates: their inner products are invariant
    assert torch.allclose((new_feats[:, 1:] ** 2).sum(1), (feats[:, 1:] ** 2).sum(1), atol=EXACT)
    x = nn.GeometricTensor(feats, t, coords)
    y = x.transform(g)
    assert torch.equal(y.coords, new_coords) and torch.equal(y.tensor, new_feats) and y.type == t
