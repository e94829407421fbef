"""DisentangleModule: fields split into independent blocks by a channel permutation;
equivariance on 2D/3D/0D gspaces, export, state, bad input."""

import copy
import pickle

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import IrreducibleRepresentation, change_basis, directsum, disentangle, so3_group

from ._helpers import assert_equivariant, random_orthogonal, regular_like, small_irreps

GSPACES = {
    "C8": lambda: gspaces.rot2dOnR2(8),
    "D4": lambda: gspaces.flipRot2dOnR2(4),
    "octa": lambda: gspaces.octaOnR3(),
    "SO3_point": lambda: gspaces.no_base_space(so3_group()),
}


def _reprs(gs):
    """blocky: (two irreps mixed by a random Q) + an irrep + trivial, block-diagonal Q, so three
    blocks; permuted: (a >= 2-dimensional irrep + trivial + an irrep) with shuffled channels."""
    irreps = small_irreps(gs)
    big = next(r for r in irreps if r.size >= 2)
    inner = directsum([irreps[1], irreps[2]])
    rotated = change_basis(inner, random_orthogonal(inner.size, 1), "rotated")
    blocky = directsum([rotated, irreps[-1], gs.trivial_repr], name="blocky")
    base = directsum([big, gs.trivial_repr, irreps[-1]])
    shuffle = np.eye(base.size)[[1, base.size - 1] + list(range(2, base.size - 1)) + [0]]
    permuted = change_basis(base, shuffle, "permuted")
    return blocky, permuted, irreps, big


def _type(gs):
    blocky, permuted, irreps, big = _reprs(gs)
    return nn.FieldType(gs, [blocky, regular_like(gs, L=1), permuted, big])


@pytest.mark.parametrize("space", list(GSPACES))
def test_fields_split_into_blocks(space):
    gs = GSPACES[space]()
    t = _type(gs)
    blocky, permuted, irreps, big = _reprs(gs)
    module = nn.DisentangleModule(t)
    out = module.out_type.representations
    n_reg = len(disentangle(regular_like(gs, L=1))[1])
    assert len(out) == 3 + n_reg + 3 + 1 and module.out_type.size == t.size
    # blocky -> [rotated pair, irrep, trivial]; the two single irreps are typed as the irreps
    assert out[0].irreps == [irreps[1].irreps[0], irreps[2].irreps[0]]
    assert out[1] == irreps[-1] and isinstance(out[1], IrreducibleRepresentation)
    assert out[2] == gs.trivial_repr and "pointwise" in out[2].supported_nonlinearities
    assert out[-1] == big  # an irrep field stays as it is
    for rep in out:  # nothing left to split
        assert len(disentangle(rep)[1]) == 1
    # the output is a channel permutation of the input: field by field, the permuted
    # representation equals the disentangled blocks
    x = t(torch.randn((2, t.size) + (3,) * gs.dimensionality, dtype=torch.float64))
    y = module(x)
    index = module._gather.index
    assert sorted(index.tolist()) == list(range(t.size)) and index.tolist() != list(range(t.size))
    assert torch.equal(y.tensor, x.tensor[:, index])
    for g in t.testing_elements[:4]:
        rho_in = t.fiber_representation(g)
        np.testing.assert_allclose(
            module.out_type.fiber_representation(g), rho_in[np.ix_(index, index)], atol=1e-12
        )
    assert module.evaluate_output_shape(tuple(x.shape)) == tuple(y.shape)


@pytest.mark.parametrize("space", list(GSPACES))
def test_equivariance(space):
    module = nn.DisentangleModule(_type(GSPACES[space]()))
    errors = assert_equivariant(module, spatial_size=5)
    assert len(errors) >= 4


@pytest.mark.parametrize("space", ["D4", "SO3_point"])
def test_export_state_pickle(space):
    gs = GSPACES[space]()
    t = _type(gs)
    module = nn.DisentangleModule(t).double()
    x = t(torch.randn((2, t.size) + (5,) * gs.dimensionality, dtype=torch.float64))
    y = module(x).tensor
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    assert torch.equal(exported(x.tensor), y)
    assert list(module.state_dict()) == []
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert clone.out_type == module.out_type and torch.equal(clone(x).tensor, y)
    assert module.float()(t(x.tensor.float())).tensor.dtype == torch.float32


def test_nothing_to_split_is_the_identity():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.trivial_repr])
    module = nn.DisentangleModule(t)
    assert module.out_type == t
    x = t(torch.randn(2, t.size, 3, 3))
    assert module(x).tensor is x.tensor
    assert type(module.export()) is torch.nn.Identity


def test_bad_input():
    gs = gspaces.rot2dOnR2(8)
    with pytest.raises(TypeError, match="DisentangleModule needs a FieldType, got list"):
        nn.DisentangleModule([gs.regular_repr])
    module = nn.DisentangleModule(_type(gs))
    with pytest.raises(ValueError, match="DisentangleModule expects fields of type"):
        module(module.out_type(torch.randn(1, module.out_type.size, 3, 3)))
