"""FieldDropout (whole fields, any representation) and PointwiseDropout (single channels of
pointwise fields): eval is the identity, what train mode drops, equivariance for a fixed random
state, export, errors."""

import copy
import pickle

import pytest
import torch

from steerable import group, gspaces, nn

from ._helpers import EXACT, mixed, regular_like


def _type(gs):
    return nn.FieldType(gs, mixed(gs) + [regular_like(gs)] + mixed(gs)[1:2])


def _seeded(module, x, seed=3):
    torch.manual_seed(seed)
    return module(x)


@pytest.mark.parametrize("cls", [nn.FieldDropout, nn.PointwiseDropout])
def test_eval_is_identity(cls):
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr]) if cls is nn.PointwiseDropout else _type(gs)
    module = cls(t, p=0.7).eval()
    x = t(torch.randn(2, t.size, 4, 4))
    assert torch.equal(module(x).tensor, x.tensor)
    assert torch.equal(module.export()(x.tensor), x.tensor)


@pytest.mark.parametrize("space", ["D4", "Octa", "SO3_0D"])
def test_field_dropout_drops_whole_fields(space):
    gs, spatial = {
        "D4": (gspaces.flipRot2dOnR2(4), (6, 6)),
        "Octa": (gspaces.octaOnR3(), (4, 4, 4)),
        "SO3_0D": (gspaces.no_base_space(group.so3_group()), ()),
    }[space]
    t = _type(gs)
    p = 0.3
    module = nn.FieldDropout(t, p=p).double()
    x = t(torch.randn(40, t.size, *spatial, dtype=torch.float64))
    y = module(x).tensor
    kept = []
    for s, e in zip(t.fields_start, t.fields_end):
        ratio = y[:, s:e] / x.tensor[:, s:e]
        # per sample and position: the whole field is dropped (0) or kept and scaled by 1 / (1 - p)
        assert (ratio - ratio[:, :1]).abs().max() < 1e-12
        assert ((ratio[:, 0] == 0) | ((ratio[:, 0] - 1 / (1 - p)).abs() < 1e-12)).all()
        kept.append((ratio[:, 0] != 0).double().flatten())
    kept = torch.cat(kept)
    assert 0.6 < float(kept.mean()) < 0.8  # ~ 1 - p (thousands of draws)


def test_field_dropout_equivariance_with_a_fixed_seed():
    """The masks depend only on the shape: for the same random state, dropping commutes with
    rho(g) on the fibers (any representation); without a base space that is the whole action."""
    for gs, spatial, whole in [
        (gspaces.rot2dOnR2(-1, maximum_frequency=3), (5, 5), False),
        (gspaces.rot3dOnR3(), (3, 3, 3), False),
        (gspaces.no_base_space(group.so3_group()), (), True),
    ]:
        t = _type(gs)
        module = nn.FieldDropout(t, p=0.5).double()
        x = t(torch.randn(4, t.size, *spatial, dtype=torch.float64))
        y = _seeded(module, x)
        assert (y.tensor == 0).any() and (y.tensor != 0).any()
        for g in list(t.testing_elements)[:8]:
            moved = x.transform(g) if whole else x.transform_fibers(g)
            expected = y.transform(g) if whole else y.transform_fibers(g)
            assert (_seeded(module, moved).tensor - expected.tensor).abs().max() < EXACT


def test_field_dropout_options_and_export():
    gs = gspaces.rot2dOnR2(4)
    t = _type(gs)
    x = torch.randn(3, t.size, 4, 4, dtype=torch.float64)
    assert torch.equal(nn.FieldDropout(t, p=0.0)(t(x)).tensor, x)
    assert (nn.FieldDropout(t, p=1.0)(t(x)).tensor == 0).all()
    module = nn.FieldDropout(t, p=0.4)
    exported = module.export()
    assert exported.training and not isinstance(exported, nn.EquivariantModule)
    assert torch.equal(_seeded(exported, x), _seeded(module, t(x)).tensor)  # the same masks
    inplace = x.clone()
    out = _seeded(nn.FieldDropout(t, p=0.4, inplace=True), t(inplace)).tensor
    assert out.data_ptr() == inplace.data_ptr() and torch.equal(inplace, _seeded(module, t(x)).tensor)
    assert list(module.state_dict()) == []
    for other in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert torch.equal(_seeded(other, t(x)).tensor, _seeded(module, t(x)).tensor)


def test_pointwise_dropout_train():
    gs = gspaces.flipRot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr, gs.quotient_repr((0.0, 1)), gs.trivial_repr])
    module = nn.PointwiseDropout(t, p=0.25)
    x = torch.rand(20, t.size, 6, 6) + 1.0
    y = module(t(x)).tensor
    dropped = y == 0
    assert 0.2 < float(dropped.float().mean()) < 0.3
    # single channels are dropped: some fields are only partly zero
    per_field = dropped[:, :8].float().mean(1)
    assert ((per_field > 0) & (per_field < 1)).any()
    assert torch.allclose(y[~dropped], x[~dropped] / 0.75)
    exported = module.export()
    assert isinstance(exported, torch.nn.Dropout) and exported.p == 0.25 and exported.training
    assert torch.equal(_seeded(exported, x), _seeded(module, t(x)).tensor)


def test_errors():
    gs = gspaces.rot2dOnR2(4)
    t = _type(gs)
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\], got 1.5"):
        nn.FieldDropout(t, p=1.5)
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\], got -0.1"):
        nn.PointwiseDropout(nn.FieldType(gs, [gs.regular_repr]), p=-0.1)
    with pytest.raises(ValueError, match="PointwiseDropout acts channel by channel.*irrep_1"):
        nn.PointwiseDropout(nn.FieldType(gs, [gs.regular_repr, gs.irrep(1)]))
    with pytest.raises(TypeError, match="FieldDropout needs a FieldType"):
        nn.FieldDropout([gs.regular_repr])
    with pytest.raises(ValueError, match="expects fields of type"):
        nn.FieldDropout(t)(nn.FieldType(gs, [gs.regular_repr])(torch.randn(1, 4, 3, 3)))


def test_field_dropout_fields_of_one_size():
    """Fields of one size take a broadcast product instead of a gathered mask: the same values for
    the same random state, whole fields dropped, in place too, and the export agrees."""
    from steerable.nn.modules.dropout import _field_dropout

    gs = gspaces.flipRot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr] * 5)
    module = nn.FieldDropout(t, p=0.3).double()
    assert module._field_size == 8
    x = torch.randn(6, t.size, 3, 3, dtype=torch.float64)
    torch.manual_seed(3)  # the seed of _seeded
    gathered = _field_dropout(x, module._field_of_channel, 5, None, 0.3, False)
    y = _seeded(module, t(x)).tensor
    assert torch.equal(y, gathered)
    ratio = (y / x).view(6, 5, 8, 3, 3)
    assert (ratio - ratio[:, :, :1]).abs().max() < 1e-12 and (ratio == 0).any()
    assert torch.equal(_seeded(module.export(), x), y)
    inplace = x.clone()
    out = _seeded(nn.FieldDropout(t, p=0.3, inplace=True), t(inplace)).tensor
    assert out.data_ptr() == inplace.data_ptr() and torch.equal(inplace, y)
