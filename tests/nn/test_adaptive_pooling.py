"""Adaptive average/max pooling in 2D and 3D: equivariance for every grid size (torch's adaptive
windows are symmetric under reflection for any input and output size), export, shapes, errors."""

import copy
import pickle

import pytest
import torch
import torch.nn.functional as F

from steerable import gspaces, nn

from ._helpers import POOLING_SPACES, assert_equivariant, mixed

SPACES = POOLING_SPACES


def permutation_type(gs):
    name = type(gs.fibergroup).__name__
    if name == "CyclicGroup":
        return nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.quotient_repr(2)])
    if name == "DihedralGroup":
        return nn.FieldType(gs, [gs.trivial_repr, gs.quotient_repr((0.0, 1)), gs.regular_repr])
    if gs.fibergroup.continuous:
        return nn.FieldType(gs, [gs.trivial_repr] * 2)
    return nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])


def _cls(kind, d):
    return {
        ("avg", 2): nn.PointwiseAdaptiveAvgPool2D,
        ("avg", 3): nn.PointwiseAdaptiveAvgPool3D,
        ("max", 2): nn.PointwiseAdaptiveMaxPool2D,
        ("max", 3): nn.PointwiseAdaptiveMaxPool3D,
    }[kind, d]


@pytest.mark.parametrize("space", sorted(SPACES))
@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("sizes", [(7, 3), (8, 3), (5, 1)])
def test_equivariance_export_and_shape(kind, space, sizes):
    n, m = sizes
    gs = SPACES[space][0]()
    d = gs.dimensionality
    if d == 3:
        n = n - 2  # keep the 3D grids small
    t = permutation_type(gs)
    module = _cls(kind, d)(t, m)
    assert module.in_type == module.out_type == t
    assert_equivariant(module, spatial_size=n, n_elements=SPACES[space][1])
    x = torch.randn((2, t.size) + (n,) * d, dtype=torch.float64)
    y = module(t(x)).tensor
    assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape)) == (2, t.size) + (m,) * d
    plain = module.export()
    assert type(plain).__module__.startswith("torch.nn")
    assert (plain(x) - y).abs().max() <= 1e-12 * y.abs().max()


@pytest.mark.parametrize("space", ["C8", "D4", "octa", "SO3"])
def test_average_accepts_any_field(space):
    gs = SPACES[space][0]()
    t = nn.FieldType(gs, mixed(gs, seed=4))
    assert_equivariant(_cls("avg", gs.dimensionality)(t, 2), spatial_size=5, n_elements=SPACES[space][1])


@pytest.mark.parametrize("d", [2, 3])
def test_values_and_none_sizes(d):
    gs = gspaces.flipRot2dOnR2(4) if d == 2 else gspaces.octaOnR3()
    t = permutation_type(gs)
    x = torch.randn((2, t.size) + (5, 6, 7)[:d])
    out = (3, None, 2)[:d]
    for kind, fn in (
        ("avg", (F.adaptive_avg_pool2d, F.adaptive_avg_pool3d)),
        ("max", (F.adaptive_max_pool2d, F.adaptive_max_pool3d)),
    ):
        module = _cls(kind, d)(t, out)
        y = module(t(x)).tensor
        assert torch.equal(y, fn[d - 2](x, out))
        assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape)) == (2, t.size, 3, 6, 2)[: 2 + d]


def test_copies_and_empty_state():
    gs = gspaces.octaOnR3()
    t = permutation_type(gs)
    module = nn.PointwiseAdaptiveMaxPool3D(t, 2)
    x = t(torch.randn(1, t.size, 5, 5, 5))
    y = module(x).tensor
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert torch.equal(clone(x).tensor, y)
    assert module.state_dict() == {} and "output_size=(2, 2, 2)" in repr(module)


def test_errors():
    gs, g3 = gspaces.rot2dOnR2(4), gspaces.octaOnR3()
    reg = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(ValueError, match="PointwiseAdaptiveMaxPool2D acts channel by channel.*irrep_1"):
        nn.PointwiseAdaptiveMaxPool2D(nn.FieldType(gs, [gs.irrep(1)]), 2)
    with pytest.raises(ValueError, match="PointwiseAdaptiveMaxPool3D acts channel by channel.*irrep_1"):
        nn.PointwiseAdaptiveMaxPool3D(nn.FieldType(g3, [g3.irrep(1)]), 2)
    with pytest.raises(ValueError, match="PointwiseAdaptiveAvgPool3D works on 3D gspaces, got C4_on_R2"):
        nn.PointwiseAdaptiveAvgPool3D(reg, 2)
    with pytest.raises(ValueError, match="output_size must be >= 1, got 0"):
        nn.PointwiseAdaptiveAvgPool2D(reg, 0)
    with pytest.raises(
        ValueError, match=r"output_size must be an int or a sequence of 2 ints, got \(1, 2, 3\)"
    ):
        nn.PointwiseAdaptiveAvgPool2D(reg, (1, 2, 3))
    with pytest.raises(TypeError, match="needs a FieldType"):
        nn.PointwiseAdaptiveAvgPool2D(gs.regular_repr, 2)
    module = nn.PointwiseAdaptiveAvgPool2D(reg, 2)
    with pytest.raises(ValueError, match=r"expects an input shape \(B, C\) \+ 2 spatial sizes, got \(1, 4\)"):
        module.evaluate_output_shape((1, 4))
    with pytest.raises(TypeError, match="expects a GeometricTensor"):
        module(torch.randn(1, 4, 5, 5))
