"""ReshuffleModule: field permutation semantics, equivariance on 2D/3D/0D
gspaces with mixed types, export, state, bad input."""

import copy
import pickle

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import so3_group

from ._helpers import assert_equivariant, mixed, regular_like

GSPACES = {
    "C8": lambda: gspaces.rot2dOnR2(8),
    "D4": lambda: gspaces.flipRot2dOnR2(4),
    "octa": lambda: gspaces.octaOnR3(),
    "SO3_point": lambda: gspaces.no_base_space(so3_group()),
}


def _type(gs):
    """trivial, a rotated sum of irreps, an irrep, a regular-like field, trivial: 5 fields."""
    return nn.FieldType(gs, mixed(gs) + [regular_like(gs, L=1), gs.trivial_repr])


def _input(t, dtype=torch.float64):
    return t(torch.randn((2, t.size) + (5,) * t.gspace.dimensionality, dtype=dtype))


@pytest.mark.parametrize("space", list(GSPACES))
def test_output_field_i_is_input_field_permutation_i(space):
    t = _type(GSPACES[space]())
    perm = [3, 0, 4, 2, 1]
    module = nn.ReshuffleModule(t, perm)
    assert module.out_type == t.index_select(perm)
    assert module.out_type.representations == tuple(t.representations[p] for p in perm)
    x = _input(t)
    y = module(x)
    assert y.type == module.out_type
    for i, p in enumerate(perm):
        assert torch.equal(y[:, i].tensor, x[:, p].tensor)
    assert module.evaluate_output_shape(tuple(x.shape)) == tuple(y.shape)
    # the inverse permutation restores the input
    inverse = list(np.argsort(perm))
    assert torch.equal(nn.ReshuffleModule(module.out_type, inverse)(y).tensor, x.tensor)


@pytest.mark.parametrize("space", list(GSPACES))
def test_equivariance(space):
    t = _type(GSPACES[space]())
    module = nn.ReshuffleModule(t, [4, 3, 2, 1, 0])
    errors = assert_equivariant(module, spatial_size=5)
    assert len(errors) >= 4


@pytest.mark.parametrize("space", ["C8", "octa"])
def test_export_state_pickle(space):
    t = _type(GSPACES[space]())
    module = nn.ReshuffleModule(t, [1, 2, 0, 4, 3]).double()
    x = _input(t)
    y = module(x).tensor
    exported = module.export()
    assert type(exported).__name__ == "ChannelPermutation" and not isinstance(exported, nn.EquivariantModule)
    assert torch.equal(exported(x.tensor), y)
    assert list(module.state_dict()) == [] and list(exported.state_dict()) == []
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert clone.out_type == module.out_type and torch.equal(clone(x).tensor, y)
    # float32 and the identity permutation (input tensor returned as is, plain Identity export)
    y32 = module.float()(_input(t, torch.float32))
    assert y32.tensor.dtype == torch.float32
    ident = nn.ReshuffleModule(t, range(len(t)))
    assert ident(x).tensor is x.tensor and ident.out_type == t
    assert type(ident.export()) is torch.nn.Identity


def test_bad_input():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.trivial_repr, gs.regular_repr, gs.irrep(1)])
    with pytest.raises(ValueError, match=r"permutation of the 3 field indices 0..2, got \[0, 1\]"):
        nn.ReshuffleModule(t, [0, 1])
    with pytest.raises(ValueError, match=r"permutation of the 3 field indices 0..2, got \[0, 1, 1\]"):
        nn.ReshuffleModule(t, [0, 1, 1])
    with pytest.raises(ValueError, match=r"permutation of the 3 field indices 0..2, got \[0, 1, 3\]"):
        nn.ReshuffleModule(t, [0, 1, 3])
    with pytest.raises(TypeError, match=r"permutation must contain integers, got \[0, 1.5, 2\]"):
        nn.ReshuffleModule(t, [0, 1.5, 2])
    with pytest.raises(TypeError, match="permutation must be a sequence of field indices, got int"):
        nn.ReshuffleModule(t, 3)
    with pytest.raises(TypeError, match="ReshuffleModule needs a FieldType, got tuple"):
        nn.ReshuffleModule((gs.trivial_repr,), [0])
    module = nn.ReshuffleModule(t, np.array([2, 0, 1]))  # numpy integers are accepted
    assert module.permutation == [2, 0, 1]
    with pytest.raises(ValueError, match="ReshuffleModule expects fields of type"):
        module(module.out_type(torch.randn(1, t.size, 3, 3)))
