"""NormBatchNorm: statistics against a loop-per-field reference, equivariance in train and eval
mode on 2D/3D/0D gspaces, export (any dimensionality), state, errors."""

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import change_basis, directsum

from ._helpers import random_orthogonal, regular_like, small_irreps
from ._norm_helpers import (
    GSPACES,
    N_ELEMENTS,
    assert_equivariant_modes,
    assert_export_matches,
    assert_float32,
    assert_matches_reference,
    assert_state_round_trip,
    random_input,
)


def _norm_type(gs):
    """trivial fields (sizes 1 and 2), irreps, a regular-like field and a sum of irreps under a
    random change of basis (declared to support 'norm'), with repeated representations."""
    irreps = [r for r in small_irreps(gs) if not r.is_trivial()]
    rotated = directsum(irreps[:2])
    rotated = change_basis(rotated, random_orthogonal(rotated.size, 2), "rotated", ("norm",))
    two_trivial = directsum([gs.trivial_repr] * 2, name="trivial2")
    reps = [gs.trivial_repr, irreps[0], rotated, regular_like(gs), two_trivial, irreps[0], gs.trivial_repr]
    return nn.FieldType(gs, reps)


@pytest.mark.parametrize("momentum", [0.3, None])
def test_statistics_match_reference(momentum):
    gs = gspaces.flipRot2dOnR2(4)
    bn = nn.NormBatchNorm(_norm_type(gs), momentum=momentum)
    assert bn.running_mean.shape == (3,)  # one per trivial field
    assert bn.running_var.shape == bn.weight.shape == (7,)  # one per field
    assert bn.bias.shape == (3,)
    assert_matches_reference("norm", bn, (4, 4), momentum)


def test_nontrivial_fields_keep_their_direction():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.irrep(1), gs.irrep(3)])
    bn = nn.NormBatchNorm(t, affine=False).double()
    x = random_input(t, (5, 5))
    y = bn(t(x)).tensor
    ratio = y / x  # one positive scale per field: no centring
    assert (ratio[:, :2] - ratio[0, 0, 0, 0]).abs().max() < 1e-12
    assert ratio.min() > 0
    # the mean squared value per channel of each output field is v / (v + eps) ~ 1
    np.testing.assert_allclose((y**2).mean(dim=(0, 2, 3)).reshape(2, 2).mean(1).numpy(), 1.0, atol=1e-4)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("space", sorted(GSPACES))
def test_equivariance(space, mode):
    factory, spatial = GSPACES[space]
    gs = factory()
    assert_equivariant_modes(nn.NormBatchNorm(_norm_type(gs)), spatial, N_ELEMENTS[space], modes=(mode,))


def test_check_equivariance_kit():
    gs = gspaces.octaOnR3()
    bn = nn.NormBatchNorm(_norm_type(gs))
    errors = bn.check_equivariance(atol=1e-9, rtol=0.0, spatial_size=3)
    assert len(errors) == 24


@pytest.mark.parametrize("space", ["D4", "Octa", "SO3_0D"])
def test_export(space):
    factory, spatial = GSPACES[space]
    assert_export_matches(nn.NormBatchNorm(_norm_type(factory())), spatial)


def test_state_and_dtypes():
    gs = gspaces.rot2dOnR2(8)
    bn = nn.NormBatchNorm(_norm_type(gs))
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert_state_round_trip(bn, (3, 3))
    assert_float32(bn, (3, 3))


def test_no_trivial_field_has_no_bias_or_mean():
    gs = gspaces.rot2dOnR2(8)
    bn = nn.NormBatchNorm(nn.FieldType(gs, [gs.irrep(1), gs.regular_repr]))
    assert bn.bias is None and bn.running_mean is None
    assert list(bn.state_dict()) == ["weight", "running_var", "num_batches_tracked"]


@pytest.mark.parametrize("affine", [True, False])
def test_options(affine):
    gs = gspaces.rot2dOnR2(4)
    t = _norm_type(gs)
    bn = nn.NormBatchNorm(t, affine=affine, track_running_stats=False).double().eval()
    assert (bn.weight is not None) == affine and bn.running_var is None
    assert list(bn.state_dict()) == (["weight", "bias"] if affine else [])
    x = random_input(t, (3, 3))
    y = bn(t(x)).tensor
    # without running statistics, eval mode uses the batch statistics: trivial fields are centred
    assert y[:, 0].mean().abs() < 1e-12 and y[:, -1].mean().abs() < 1e-12
    bn.train()
    assert torch.equal(bn(t(x)).tensor, y)


def test_reset():
    gs = gspaces.rot2dOnR2(4)
    bn = nn.NormBatchNorm(_norm_type(gs))
    bn(bn.in_type(torch.randn(2, bn.in_type.size, 3, 3) + 1))
    assert bn.running_mean.abs().max() > 0
    bn.reset_parameters()
    assert bn.running_mean.abs().max() == 0 and (bn.running_var == 1).all()
    assert int(bn.num_batches_tracked) == 0


def test_errors():
    gs = gspaces.rot2dOnR2(4)
    rotated = change_basis(gs.irrep(1), random_orthogonal(2), "rot_no_norm")
    with pytest.raises(ValueError, match="support 'norm'.*rot_no_norm"):
        nn.NormBatchNorm(nn.FieldType(gs, [gs.irrep(1), rotated]))
    with pytest.raises(TypeError, match="needs a FieldType, got list"):
        nn.NormBatchNorm([gs.irrep(1)])
    t = _norm_type(gs)
    with pytest.raises(ValueError, match="eps must be a non-negative number, got -1"):
        nn.NormBatchNorm(t, eps=-1)
    with pytest.raises(ValueError, match=r"momentum must be None or a number in \[0, 1\], got 1.5"):
        nn.NormBatchNorm(t, momentum=1.5)
    bn = nn.NormBatchNorm(t)
    with pytest.raises(ValueError, match="expects fields of type"):
        bn(nn.FieldType(gs, [gs.irrep(1)])(torch.randn(2, 2, 3, 3)))
    with pytest.raises(TypeError, match="expects a GeometricTensor"):
        bn(torch.randn(2, t.size, 3, 3))
    t0 = nn.FieldType(gspaces.no_base_space(gs.fibergroup), [gs.trivial_repr, gs.irrep(1)])
    with pytest.raises(ValueError, match="more than one value per statistic"):
        nn.NormBatchNorm(t0)(t0(torch.randn(1, 3)))
