"""IIDBatchNorm1d/2d/3d: one variance per field (trivial irreps centred) against a loop-per-field
reference, equivariance in train and eval mode, point features, export, state, errors."""

import pytest
import torch

from steerable import group, gspaces, nn

from ._helpers import mixed, regular_like
from ._norm_helpers import (
    GSPACES,
    N_ELEMENTS,
    assert_equivariant_modes,
    assert_export_matches,
    assert_float32,
    assert_matches_reference,
    assert_state_round_trip,
    irrep_blocks,
    random_input,
)

CLASSES = {0: nn.IIDBatchNorm1d, 2: nn.IIDBatchNorm2d, 3: nn.IIDBatchNorm3d}


def _type(gs):
    reps = mixed(gs, seed=0) + [regular_like(gs)] + mixed(gs, seed=1)[1:] + mixed(gs, seed=0)[1:2]
    return nn.FieldType(gs, reps)


def _module(gs, **kwargs):
    return CLASSES[gs.dimensionality](_type(gs), **kwargs)


@pytest.mark.parametrize("momentum", [0.3, None])
@pytest.mark.parametrize("space", ["C8", "SO3_0D"])
def test_statistics_match_reference(space, momentum):
    factory, spatial = GSPACES[space]
    bn = _module(factory(), momentum=momentum)
    t = bn.in_type
    trivials = sum(triv for r in t.representations for _, _, triv in irrep_blocks(r))
    assert bn.weight.shape == bn.running_var.shape == (len(t),)
    assert bn.bias.shape == bn.running_mean.shape == (trivials,)
    assert_matches_reference("iid", bn, spatial, momentum)


def test_one_variance_per_field():
    """Unlike GNormBatchNorm, the relative scale of the irreps inside a field is kept."""
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.irrep(1) + gs.irrep(2)])
    x = random_input(t, (5, 5))
    x[:, 2:] *= 5.0
    iid = nn.IIDBatchNorm2d(t, affine=False).double()(t(x)).tensor
    gnorm = nn.GNormBatchNorm(t, affine=False).double()(t(x)).tensor
    assert (iid / x - (iid / x)[0, 0, 0, 0]).abs().max() < 1e-12  # one scale for the field
    assert float((iid**2).mean()) == pytest.approx(1.0, abs=1e-4)
    # the second irrep stays 5x larger than the first (GNormBatchNorm equalises them)
    assert float((iid[:, 2:] ** 2).mean() / (iid[:, :2] ** 2).mean()) > 10
    assert float((gnorm[:, :2] ** 2).mean()) == pytest.approx(float((gnorm[:, 2:] ** 2).mean()), rel=1e-4)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("space", sorted(GSPACES))
def test_equivariance(space, mode):
    factory, spatial = GSPACES[space]
    assert_equivariant_modes(_module(factory()), spatial, N_ELEMENTS[space], modes=(mode,))


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_point_features_any_rotation(mode):
    """IIDBatchNorm1d on (N, C) point features of a 3D gspace: exact for arbitrary rotations."""
    gs = gspaces.rot3dOnR3()
    t = _type(gs)
    bn = nn.IIDBatchNorm1d(t).double()
    getattr(bn, mode)()
    x = t(random_input(t, (), batch=20), coords=torch.randn(20, 3, dtype=torch.float64))
    y = bn(x)
    assert y.coords is x.coords
    for g in [gs.fibergroup.sample() for _ in range(3)]:
        err = (bn(x.transform(g)).tensor - y.transform(g).tensor).abs().max()
        assert err < 1e-12


@pytest.mark.parametrize("space", ["D4", "Octa", "SO3_0D"])
def test_export(space):
    factory, spatial = GSPACES[space]
    assert_export_matches(_module(factory()), spatial)


def test_state_and_dtypes():
    bn = _module(gspaces.flipRot2dOnR2(4))
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert_state_round_trip(bn, (3, 3))
    assert_float32(bn, (3, 3))


def test_errors():
    gs2, gs3 = gspaces.rot2dOnR2(4), gspaces.octaOnR3()
    with pytest.raises(ValueError, match="IIDBatchNorm2d normalises 2D feature maps, got the 3D gspace"):
        nn.IIDBatchNorm2d(_type(gs3))
    with pytest.raises(ValueError, match="IIDBatchNorm3d normalises 3D feature maps, got the 2D gspace"):
        nn.IIDBatchNorm3d(_type(gs2))
    with pytest.raises(TypeError, match="IIDBatchNorm1d needs a FieldType"):
        nn.IIDBatchNorm1d("irrep_1")
    with pytest.raises(ValueError, match="momentum must be None or a number"):
        nn.IIDBatchNorm2d(_type(gs2), momentum="fast")
    t = _type(gs2)
    bn = nn.IIDBatchNorm2d(t)
    points = t(torch.randn(6, t.size), coords=torch.randn(6, 2))
    with pytest.raises(ValueError, match=r"IIDBatchNorm2d expects inputs of rank 4, got shape \(6, "):
        bn(points)
    t0 = nn.FieldType(gspaces.no_base_space(group.so3_group()), [group.so3_group().trivial_representation])
    with pytest.raises(ValueError, match="more than one value per statistic"):
        nn.IIDBatchNorm1d(t0)(t0(torch.randn(1, 1)))
