"""Pointwise spatial pooling: equivariance on symmetric output grids, export, shapes, errors."""

import pytest
import torch

from steerable import gspaces, nn

from ._helpers import assert_equivariant

CASES = {
    "max_k2s2": (lambda t: nn.PointwiseMaxPool2D(t, 2), 8),
    "max_k3s2p1": (lambda t: nn.PointwiseMaxPool2D(t, 3, stride=2, padding=1), 7),
    "max_dilated": (lambda t: nn.PointwiseMaxPool2D(t, 2, stride=1, dilation=2), 7),
    "avg_k2s2": (lambda t: nn.PointwiseAvgPool2D(t, 2), 8),
    "avg_k3s2p1": (lambda t: nn.PointwiseAvgPool2D(t, 3, stride=2, padding=1), 7),
    "antialiased_s2": (lambda t: nn.PointwiseAvgPoolAntialiased2D(t, sigma=0.66, stride=2), 9),
    "antialiased_s1_p0": (lambda t: nn.PointwiseAvgPoolAntialiased2D(t, sigma=1.0, stride=1, padding=0), 9),
}


def _permutation_type():
    gs = gspaces.flipRot2dOnR2(4)
    return nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.quotient_repr((0.0, 1))])


@pytest.mark.parametrize("case", sorted(CASES))
def test_equivariance_and_export(case):
    build, size = CASES[case]
    t = _permutation_type()
    pool = build(t)
    assert_equivariant(pool, spatial_size=size, n_elements=8)
    x = torch.randn(2, t.size, size, size + 1)
    y = pool(t(x))
    assert y.type == t and tuple(y.shape) == pool.evaluate_output_shape(tuple(x.shape))
    pool_d, x_d = pool.double(), x.double()
    y_d = pool_d(t(x_d)).tensor
    assert (y_d - pool_d.export()(x_d)).abs().max() <= 1e-12 * y_d.abs().max()


@pytest.mark.parametrize("case", ["avg_k2s2", "antialiased_s2"])
def test_linear_pooling_accepts_any_field(case):
    """Averaging is linear and acts on space only: equivariant for every representation."""
    build, size = CASES[case]
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.irrep(1), gs.irrep(3), gs.trivial_repr])
    assert_equivariant(build(t), spatial_size=size, n_elements=4)


def test_antialiased_filter_is_a_normalised_gaussian():
    t = _permutation_type()
    pool = nn.PointwiseAvgPoolAntialiased2D(t, sigma=0.66, stride=2)
    assert pool.kernel_size == 5 and pool.padding == 2
    f = pool.filter[0, 0]
    assert torch.allclose(f.sum(), torch.tensor(1.0)) and torch.equal(f, f.T) and torch.equal(f, f.flip(0))
    x = torch.ones(1, t.size, 9, 9)
    assert torch.allclose(pool(t(x)).tensor[..., 1:-1, 1:-1], torch.ones(1, t.size, 3, 3))


def test_aliases_and_errors():
    assert nn.PointwiseMaxPool is nn.PointwiseMaxPool2D
    assert nn.PointwiseAvgPool is nn.PointwiseAvgPool2D
    assert nn.PointwiseAvgPoolAntialiased is nn.PointwiseAvgPoolAntialiased2D
    gs = gspaces.rot2dOnR2(4)
    with pytest.raises(ValueError, match="PointwiseMaxPool2D acts channel by channel.*irrep_1"):
        nn.PointwiseMaxPool2D(nn.FieldType(gs, [gs.irrep(1)]), 2)
    g3 = gspaces.octaOnR3()
    with pytest.raises(ValueError, match="works on 2D gspaces, got Octa_on_R3"):
        nn.PointwiseAvgPool2D(nn.FieldType(g3, [g3.trivial_repr]), 2)
    with pytest.raises(ValueError, match="sigma must be positive, got 0"):
        nn.PointwiseAvgPoolAntialiased2D(nn.FieldType(gs, [gs.trivial_repr]), sigma=0, stride=2)
    with pytest.raises(TypeError, match="needs a FieldType"):
        nn.PointwiseMaxPool2D(gs.regular_repr, 2)
