"""GeometricTensor: transforms, field-aware indexing, split/directsum, restrict, pytree, errors."""

import pytest
import torch
from torch.utils import _pytree as pytree

from steerable import gspaces, nn

from ._helpers import EXACT


@pytest.fixture
def d4_tensor():
    gs = gspaces.flipRot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr, gs.irrep(1, 1), gs.trivial_repr, gs.irrep(1, 0)])
    return t(torch.randn(3, t.size, 5, 5, dtype=torch.float64))


def test_transform_matches_rot90_and_flip(d4_tensor):
    x = d4_tensor
    G = x.type.fibergroup
    for g, spatial in (
        (G.element((0, 1)), lambda t: torch.rot90(t, 1, dims=(2, 3))),
        (G.element((0, 2)), lambda t: torch.rot90(t, 2, dims=(2, 3))),
        (G.element((1, 0)), lambda t: torch.flip(t, dims=(3,))),
        (G.element((1, 1)), lambda t: torch.rot90(torch.flip(t, dims=(3,)), 1, dims=(2, 3))),
    ):
        rho = torch.as_tensor(x.type.fiber_representation(g))
        expected = torch.einsum("ij,bjhw->bihw", rho, spatial(x.tensor))
        y = x.transform(g)
        assert y.type == x.type
        assert (y.tensor - expected).abs().max() < EXACT
        assert torch.equal((g @ x).tensor, y.tensor)
        assert torch.equal(x.transform_fibers(g).tensor, torch.einsum("ij,bjhw->bihw", rho, x.tensor))


def test_transform_is_an_action(d4_tensor):
    x = d4_tensor
    G = x.type.fibergroup
    a, b = G.element((1, 1)), G.element((0, 3))
    assert (x.transform(a @ b).tensor - x.transform(b).transform(a).tensor).abs().max() < EXACT
    assert (x.transform(~a).transform(a).tensor - x.tensor).abs().max() < EXACT


def test_split_does_not_mutate_and_directsum_inverts(d4_tensor):
    x = d4_tensor
    before_type, before = x.type, x.tensor.clone()
    parts = x.split([1, 3])
    assert x.type == before_type and len(x.type) == 4 and torch.equal(x.tensor, before)
    assert [len(p.type) for p in parts] == [1, 2, 1]
    assert [p.tensor.shape[1] for p in parts] == [8, 3, 1]
    assert parts[1].type.representations == x.type.representations[1:3]
    back = nn.tensor_directsum(parts)
    assert back.type == x.type and torch.equal(back.tensor, x.tensor)
    assert x.split([])[0].type == x.type
    with pytest.raises(ValueError, match="invalid split points"):
        x.split([0])
    with pytest.raises(ValueError, match="invalid split points"):
        x.split([5])


def test_directsum_errors(d4_tensor):
    with pytest.raises(ValueError, match="at least one"):
        nn.tensor_directsum([])
    with pytest.raises(TypeError, match="takes GeometricTensors, got Tensor"):
        nn.tensor_directsum([d4_tensor, d4_tensor.tensor])
    other = gspaces.rot2dOnR2(4)
    y = nn.FieldType(other, [other.trivial_repr])(torch.zeros(3, 1, 5, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="cannot add field types"):
        nn.tensor_directsum([d4_tensor, y])


def test_getitem_is_field_aware(d4_tensor):
    x = d4_tensor
    t = x.type
    y = x[:, 1]
    assert y.type.representations == (t.representations[1],)
    assert torch.equal(y.tensor, x.tensor[:, 8:10])
    y = x[:, -1]
    assert torch.equal(y.tensor, x.tensor[:, 11:12])
    y = x[:, [3, 0]]
    assert y.type.representations == (t.representations[3], t.representations[0])
    assert torch.equal(y.tensor, torch.cat([x.tensor[:, 11:12], x.tensor[:, :8]], 1))
    y = x[1:, 1:3, 2:4, ::2]
    assert y.type == t.index_select([1, 2])
    assert torch.equal(y.tensor, x.tensor[1:, 8:11, 2:4, ::2])
    # integers in batch/spatial positions keep the dimension (escnn semantics)
    y = x[0]
    assert y.type == t and torch.equal(y.tensor, x.tensor[:1])
    y = x[-1, 2, 3, -1]
    assert tuple(y.shape) == (1, 1, 1, 1) and float(y.tensor) == float(x.tensor[-1, 10, 3, -1])


def test_restrict_shares_data_and_acts_by_inclusion():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr, gs.irrep(3)])
    x = t(torch.randn(2, t.size, 5, 5, dtype=torch.float64))
    r = x.restrict(2)
    sub, inclusion, _ = gs.restrict(2)
    assert r.tensor is x.tensor and r.type.gspace == sub
    h = sub.fibergroup.element(1)
    assert (r.transform(h).tensor - x.transform(inclusion(h)).tensor).abs().max() < EXACT


def test_arithmetic(d4_tensor):
    x = d4_tensor
    assert torch.equal((x + x).tensor, 2 * x.tensor) and (x + x).type == x.type
    assert torch.equal((x - x).tensor, torch.zeros_like(x.tensor))
    assert torch.equal((3 * x).tensor, (x * 3).tensor)
    assert torch.equal((x * torch.tensor(2.0, dtype=torch.float64)).tensor, 2 * x.tensor)
    with pytest.raises(TypeError, match="only be multiplied by a scalar"):
        x * torch.ones(3, 1, 1, 1)
    with pytest.raises(ValueError, match="different types"):
        x + x[:, [0, 1, 2, 3][::-1]]
    with pytest.raises(TypeError, match="needs two GeometricTensors, got Tensor"):
        x + x.tensor


def test_to_and_shape(d4_tensor):
    y = d4_tensor.to(torch.float32)
    assert y.type == d4_tensor.type and y.tensor.dtype == torch.float32
    assert d4_tensor.shape == d4_tensor.tensor.shape and d4_tensor.size(1) == 12
    assert "GeometricTensor" in repr(d4_tensor)


def test_constructor_errors():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(TypeError, match="wraps a torch.Tensor, got list"):
        nn.GeometricTensor([[0.0]], t)
    with pytest.raises(TypeError, match="must be a FieldType, got Representation"):
        nn.GeometricTensor(torch.zeros(1, 4, 3, 3), gs.regular_repr)
    with pytest.raises(ValueError, match="rank 4"):
        nn.GeometricTensor(torch.zeros(1, 4, 3), t)
    with pytest.raises(ValueError, match=r"has 3 channels but the field type .* has 4"):
        nn.GeometricTensor(torch.zeros(1, 3, 3, 3), t)
    with pytest.raises(ValueError, match="one row per point"):
        nn.GeometricTensor(torch.zeros(5, 4), t, coords=torch.zeros(4, 2))


def test_pytree_round_trip(d4_tensor):
    leaves, spec = pytree.tree_flatten(d4_tensor)
    tensors = [leaf for leaf in leaves if isinstance(leaf, torch.Tensor)]
    assert len(tensors) == 1 and tensors[0] is d4_tensor.tensor
    back = pytree.tree_unflatten(leaves, spec)
    assert isinstance(back, nn.GeometricTensor) and back.type == d4_tensor.type
    assert back.tensor is d4_tensor.tensor and back.coords is None
    doubled = pytree.tree_map(lambda v: v * 2 if isinstance(v, torch.Tensor) else v, d4_tensor)
    assert isinstance(doubled, nn.GeometricTensor) and torch.equal(doubled.tensor, 2 * d4_tensor.tensor)
    # nested containers and point clouds (coords are a second leaf)
    gs = gspaces.rot3dOnR3()
    t = nn.FieldType(gs, [gs.trivial_repr, gs.fibergroup.irrep(1)])
    cloud = nn.GeometricTensor(torch.randn(7, 4), t, coords=torch.randn(7, 3))
    leaves, spec = pytree.tree_flatten({"a": d4_tensor, "b": [cloud]})
    assert sum(isinstance(v, torch.Tensor) for v in leaves) == 3
    back = pytree.tree_unflatten(leaves, spec)
    assert back["b"][0].type == t and back["b"][0].coords is cloud.coords
    with pytest.raises(ValueError, match="different types"):
        back["a"] + back["b"][0]
