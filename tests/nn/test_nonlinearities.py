"""Pointwise nonlinearities: equivariance for permutation fields, values, export, errors."""

import pytest
import torch
import torch.nn.functional as F

from steerable import gspaces, nn

from ._helpers import assert_equivariant

MODULES = {
    "ReLU": (lambda t: nn.ReLU(t), F.relu),
    "ELU": (lambda t: nn.ELU(t, alpha=0.7), lambda x: F.elu(x, 0.7)),
    "LeakyReLU": (lambda t: nn.LeakyReLU(t, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    "p_relu": (lambda t: nn.PointwiseNonLinearity(t, "p_relu"), F.relu),
    "p_elu": (lambda t: nn.PointwiseNonLinearity(t, "p_elu"), F.elu),
    "p_sigmoid": (lambda t: nn.PointwiseNonLinearity(t, "p_sigmoid"), torch.sigmoid),
    "p_tanh": (lambda t: nn.PointwiseNonLinearity(t, "p_tanh"), torch.tanh),
}


def _types():
    d4 = gspaces.flipRot2dOnR2(4)
    o = gspaces.octaOnR3()
    return {
        "D4": nn.FieldType(d4, [d4.regular_repr, d4.trivial_repr, d4.quotient_repr((0.0, 1))]),
        "octa": nn.FieldType(o, [o.regular_repr, o.trivial_repr]),
    }


@pytest.mark.parametrize("space", ["D4", "octa"])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_equivariance_values_export(name, space):
    build, reference = MODULES[name]
    t = _types()[space]
    module = build(t)
    assert module.in_type == module.out_type == t
    assert_equivariant(module, spatial_size=3)
    x = torch.randn((2, t.size) + (3,) * t.gspace.dimensionality, dtype=torch.float64)
    y = module(t(x.clone())).tensor
    assert torch.equal(y, reference(x))
    assert torch.equal(module.export()(x.clone()), y)
    assert module.evaluate_output_shape(tuple(x.shape)) == tuple(x.shape)


def test_point_cloud_coords_are_kept():
    gs = gspaces.rot3dOnR3()
    t = nn.FieldType(gs, [gs.trivial_repr] * 3)
    coords = torch.randn(5, 3)
    y = nn.ReLU(t)(nn.GeometricTensor(torch.randn(5, 3), t, coords))
    assert y.coords is coords


def test_inplace_relu_writes_its_input():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr])
    x = torch.randn(1, 4, 3, 3)
    out = nn.ReLU(t, inplace=True)(t(x)).tensor
    assert out.data_ptr() == x.data_ptr() and x.min() >= 0


@pytest.mark.parametrize("name", sorted(MODULES))
def test_rejects_non_permutation_fields(name):
    """A channel-wise function does not commute with irreps or a rotated basis."""
    from steerable.group import change_basis

    gs = gspaces.rot2dOnR2(4)
    q = torch.linalg.qr(torch.randn(4, 4, dtype=torch.float64))[0].numpy()
    rotated = change_basis(gs.regular_repr, q, "rotated_regular")
    for rep, shown in ((gs.irrep(1), "irrep_1"), (rotated, "rotated_regular")):
        with pytest.raises(ValueError, match=f"acts channel by channel.*{shown}"):
            MODULES[name][0](nn.FieldType(gs, [gs.regular_repr, rep]))


def test_unknown_function():
    gs = gspaces.rot2dOnR2(4)
    with pytest.raises(ValueError, match="unknown function 'p_softplus'; valid: .*p_relu"):
        nn.PointwiseNonLinearity(nn.FieldType(gs, [gs.regular_repr]), "p_softplus")


def test_wrong_input():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr])
    relu = nn.ReLU(t)
    with pytest.raises(TypeError, match="expects a GeometricTensor of type .*got Tensor"):
        relu(torch.randn(1, 4, 3, 3))
    with pytest.raises(ValueError, match="expects fields of type .*got"):
        relu(nn.FieldType(gs, [gs.trivial_repr] * 4)(torch.randn(1, 4, 3, 3)))
