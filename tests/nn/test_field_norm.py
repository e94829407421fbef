"""FieldNorm: per-sample statistics of each field (over its channels and the positions) against a
direct computation, equivariance, export, state, errors."""

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
    assert_state_round_trip,
    irrep_blocks,
    random_input,
    randomise,
)


def _type(gs):
    reps = mixed(gs, seed=0) + [regular_like(gs)] + mixed(gs, seed=1)[1:] + mixed(gs, seed=0)[1:2]
    return nn.FieldType(gs, reps)


def _direct(t, x, weight, bias, eps):
    """Loop over samples and fields: centre the trivial irreps (mean over positions), divide by
    the root of (mean over positions of |centred|^2 / size + eps)."""
    y = torch.empty_like(x)
    bi = 0
    for b in range(x.shape[0]):
        bi = 0
        for i, (rep, s, e) in enumerate(zip(t.representations, t.fields_start, t.fields_end)):
            q = torch.tensor(rep.change_of_basis)
            z = torch.einsum("ji,j...->i...", q, x[b, s:e]).clone()
            shift = torch.zeros_like(z)
            for a, _, trivial in irrep_blocks(rep):
                if trivial:
                    z[a] -= z[a].mean()
                    shift[a] = bias[bi]
                    bi += 1
            v = (z**2).sum() / z.numel()
            y[b, s:e] = torch.einsum("ij,j...->i...", q, z * weight[i] / torch.sqrt(v + eps) + shift)
    return y


@pytest.mark.parametrize("space", ["D4", "Octa", "SO3_0D"])
def test_matches_direct_computation(space):
    factory, spatial = GSPACES[space]
    t = _type(factory())
    fn = nn.FieldNorm(t, eps=1e-3).double()
    randomise(fn)
    assert fn.weight.shape == (len(t),) and fn.running_var is None
    x = random_input(t, spatial)
    expected = _direct(t, x, fn.weight.detach(), fn.bias.detach(), 1e-3)
    for mode in ("train", "eval"):  # no running statistics: both modes agree
        getattr(fn, mode)()
        assert (fn(t(x)).tensor - expected).abs().max() < 1e-12
    # per sample: the other samples of the batch do not matter
    assert (fn(t(x[:1])).tensor - expected[:1]).abs().max() < 1e-12


def test_trivial_only_field_without_positions_becomes_its_bias():
    gs = gspaces.no_base_space(group.cyclic_group(4))
    t = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    fn = nn.FieldNorm(t).double()
    with torch.no_grad():
        fn.bias.fill_(0.7)
    y = fn(t(torch.randn(5, 3, dtype=torch.float64))).tensor
    assert (y[:, 0] - 0.7).abs().max() < 1e-12
    assert ((y[:, 1:] ** 2).sum(1) / 2 - 1).abs().max() < 1e-4  # unit mean square per channel


@pytest.mark.parametrize("space", sorted(GSPACES))
def test_equivariance(space):
    factory, spatial = GSPACES[space]
    assert_equivariant_modes(nn.FieldNorm(_type(factory())), spatial, N_ELEMENTS[space], modes=("train",))


def test_check_equivariance_kit():
    fn = nn.FieldNorm(_type(gspaces.rot2dOnR2(-1, maximum_frequency=3)))
    assert len(fn.check_equivariance(atol=1e-9, rtol=0.0)) == 4


@pytest.mark.parametrize("space", ["C8", "SO3", "SO3_0D"])
def test_export(space):
    factory, spatial = GSPACES[space]
    assert_export_matches(nn.FieldNorm(_type(factory())), spatial)


def test_state_and_dtypes():
    fn = nn.FieldNorm(_type(gspaces.rot2dOnR2(8)))
    assert list(fn.state_dict()) == ["weight", "bias"]
    assert_state_round_trip(fn, (3, 3))
    assert_float32(fn, (3, 3))
    assert list(nn.FieldNorm(fn.in_type, affine=False).state_dict()) == []


def test_errors():
    gs = gspaces.rot2dOnR2(4)
    with pytest.raises(TypeError, match="FieldNorm needs a FieldType"):
        nn.FieldNorm(None)
    with pytest.raises(ValueError, match="eps must be a non-negative number, got -0.1"):
        nn.FieldNorm(_type(gs), eps=-0.1)
    fn = nn.FieldNorm(_type(gs))
    with pytest.raises(TypeError, match="expects a GeometricTensor"):
        fn(torch.randn(2, fn.in_type.size, 3, 3))
