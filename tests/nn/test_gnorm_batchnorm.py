"""GNormBatchNorm: statistics per irrep block against a loop-per-field reference, equivariance in
train and eval mode on 2D/3D/0D gspaces with changes of basis, export on 0D/2D/3D inputs (escnn's
export only handles 3D), state, errors."""

import pytest
import torch

from steerable import gspaces, nn

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


def _type(gs):
    """mixed: trivial, a sum of irreps (incl. the trivial one) under a random change of basis, an
    irrep; plus a regular-like field, another rotated sum, and repeated representations."""
    reps = mixed(gs, seed=0) + [regular_like(gs)] + mixed(gs, seed=1)[1:] + mixed(gs, seed=0)[1:2]
    return nn.FieldType(gs, reps)


@pytest.mark.parametrize("momentum", [0.3, None])
@pytest.mark.parametrize("space", ["D4", "SO3_0D"])
def test_statistics_match_reference(space, momentum):
    factory, spatial = GSPACES[space]
    t = _type(factory())
    bn = nn.GNormBatchNorm(t, momentum=momentum)
    blocks = [b for r in t.representations for b in irrep_blocks(r)]
    assert bn.weight.shape == bn.running_var.shape == (len(blocks),)
    assert bn.bias.shape == bn.running_mean.shape == (sum(triv for _, _, triv in blocks),)
    assert_matches_reference("gnorm", bn, spatial, momentum)


def test_irrep_blocks_are_normalised_separately():
    """In the irrep basis, each non-trivial block has unit mean squared value and each trivial
    irrep zero mean and unit variance (batch statistics, affine=False)."""
    gs = gspaces.rot2dOnR2(8)
    t = _type(gs)
    bn = nn.GNormBatchNorm(t, affine=False, eps=0.0).double()
    x = random_input(t, (5, 5), batch=4)
    y = bn(t(x)).tensor
    for rep, s, e in zip(t.representations, t.fields_start, t.fields_end):
        z = torch.einsum("ji,bj...->bi...", torch.tensor(rep.change_of_basis), y[:, s:e])
        for a, b, trivial in irrep_blocks(rep):
            assert float((z[:, a:b] ** 2).mean()) == pytest.approx(1.0, abs=1e-12)
            if trivial:
                assert z[:, a].mean().abs() < 1e-12


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("space", sorted(GSPACES))
def test_equivariance(space, mode):
    factory, spatial = GSPACES[space]
    assert_equivariant_modes(nn.GNormBatchNorm(_type(factory())), spatial, N_ELEMENTS[space], modes=(mode,))


def test_check_equivariance_kit():
    bn = nn.GNormBatchNorm(_type(gspaces.flipRot2dOnR2(4)))
    assert len(bn.check_equivariance(atol=1e-9, rtol=0.0)) == 8


@pytest.mark.parametrize("space", ["C8", "SO3", "SO3_0D"])
def test_export_any_dimensionality(space):
    factory, spatial = GSPACES[space]
    assert_export_matches(nn.GNormBatchNorm(_type(factory())), spatial)


def test_state_and_dtypes():
    bn = nn.GNormBatchNorm(_type(gspaces.rot2dOnR2(8)))
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert_state_round_trip(bn, (3, 3))
    assert_float32(bn, (3, 3))


def test_without_running_stats():
    t = _type(gspaces.rot2dOnR2(4))
    bn = nn.GNormBatchNorm(t, track_running_stats=False).double().eval()
    assert bn.running_var is None and list(bn.state_dict()) == ["weight", "bias"]
    x = random_input(t, (3, 3))
    y = bn(t(x)).tensor
    assert y[:, 0].mean().abs() < 1e-12  # the trivial field is centred with batch statistics
    assert torch.equal(bn.train()(t(x)).tensor, y)


def test_errors():
    gs = gspaces.rot2dOnR2(4)
    t = _type(gs)
    with pytest.raises(TypeError, match="GNormBatchNorm needs a FieldType"):
        nn.GNormBatchNorm(gs.irrep(1))
    with pytest.raises(ValueError, match="eps must be a non-negative number"):
        nn.GNormBatchNorm(t, eps="small")
    with pytest.raises(ValueError, match="momentum must be None or a number"):
        nn.GNormBatchNorm(t, momentum=-0.1)
    bn = nn.GNormBatchNorm(t)
    with pytest.raises(ValueError, match="expects fields of type"):
        bn(nn.FieldType(gs, [gs.regular_repr])(torch.randn(2, 4, 3, 3)))
    t0 = nn.FieldType(gspaces.no_base_space(gs.fibergroup), [gs.trivial_repr])
    with pytest.raises(ValueError, match="more than one value per statistic"):
        nn.GNormBatchNorm(t0)(t0(torch.randn(1, 1)))
    with pytest.raises(ValueError, match="expected an input of shape"):
        bn.export()(torch.randn(5))


def test_autocast_runs_in_float32():
    """Under autocast (bf16) the statistics and the output stay in float32, as torch's batch norm:
    the same values as without autocast, for float32 and bf16 inputs."""
    t = _type(gspaces.rot2dOnR2(8))
    bn = nn.GNormBatchNorm(t).eval()
    x = random_input(t, (4, 4)).float()
    expected = bn(t(x)).tensor
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = bn(t(x)).tensor
        y16 = bn(t(x.bfloat16())).tensor
    assert y.dtype == y16.dtype == torch.float32
    assert torch.equal(y, expected)
    assert (y16 - expected).abs().max() < 0.05 * expected.abs().max()  # only the input was rounded
