"""IdentityModule: returns its input, equivariance on 2D/3D/0D gspaces, export, bad input."""

import pickle

import pytest
import torch

from steerable import gspaces, nn

from ._helpers import EXACT
from .test_reshuffle import GSPACES, _input, _type


@pytest.mark.parametrize("space", list(GSPACES))
def test_identity_module(space):
    t = _type(GSPACES[space]())
    module = nn.IdentityModule(t)
    assert module.in_type == module.out_type == t
    x = _input(t)
    assert module(x) is x
    assert module.evaluate_output_shape(tuple(x.shape)) == tuple(x.shape)
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=5)
    assert len(errors) >= 4
    exported = module.export()
    assert type(exported) is torch.nn.Identity and torch.equal(exported(x.tensor), x.tensor)
    assert list(module.state_dict()) == []
    assert pickle.loads(pickle.dumps(module)).in_type == t


def test_identity_module_bad_input():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(TypeError, match="IdentityModule needs a FieldType, got Representation"):
        nn.IdentityModule(gs.regular_repr)
    module = nn.IdentityModule(t)
    with pytest.raises(ValueError, match=r"IdentityModule expects fields of type .*regular.*got .*irrep_0"):
        module(nn.FieldType(gs, [gs.trivial_repr] * 8)(torch.randn(1, 8, 3, 3)))
    with pytest.raises(TypeError, match="IdentityModule expects a GeometricTensor"):
        module(torch.randn(1, 8, 3, 3))
