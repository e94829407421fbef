"""SequentialModule: type checking of the chain, forward, shapes, export of a whole model."""

import pytest
import torch

from steerable import gspaces, nn
from steerable.models import C8SteerableCNN

from ._helpers import assert_equivariant


def _chain():
    gs = gspaces.rot2dOnR2(4)
    t0 = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    t1 = nn.FieldType(gs, [gs.regular_repr] * 2)
    modules = [nn.R2Conv(t0, t1, 3, padding=1), nn.InnerBatchNorm(t1), nn.ReLU(t1), nn.GroupPooling(t1)]
    return gs, t0, t1, modules


def test_forward_is_composition_and_equivariant():
    _, t0, t1, modules = _chain()
    seq = nn.SequentialModule(*modules)
    assert seq.in_type == t0 and seq.out_type == modules[-1].out_type
    assert len(seq) == 4 and seq[1] is modules[1] and seq[-1] is modules[-1]
    x = t0(torch.randn(2, t0.size, 7, 7))
    y = x
    for m in modules:
        y = m(y)
    assert torch.equal(seq(x).tensor, y.tensor)
    assert tuple(seq(x).shape) == seq.evaluate_output_shape(tuple(x.shape))
    seq.eval()
    assert_equivariant(seq, spatial_size=7, n_elements=4)


def test_type_mismatch_names_both_types():
    gs, t0, t1, modules = _chain()
    other = nn.FieldType(gs, [gs.regular_repr] * 3)
    with pytest.raises(
        ValueError,
        match=r"module 1 \(ReLU\) expects .*regular, regular, regular.* but "
        r"module 0 \(R2Conv\) produces .*regular, regular\}",
    ):
        nn.SequentialModule(modules[0], nn.ReLU(other))
    with pytest.raises(TypeError, match="module 1 is a ReLU, not an EquivariantModule"):
        nn.SequentialModule(modules[0], torch.nn.ReLU())
    with pytest.raises(ValueError, match="at least one module"):
        nn.SequentialModule()
    seq = nn.SequentialModule(*modules[:3])
    with pytest.raises(ValueError, match="expects .* the chain ends in"):
        seq.add_module("bad", nn.ReLU(other))
    seq.add_module("pool", modules[3])
    assert seq.out_type == modules[3].out_type
    with pytest.raises(ValueError, match="SequentialModule expects fields of type"):
        seq(t1(torch.randn(1, t1.size, 5, 5)))


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_export_whole_c8_features(mode):
    """The C8 rotated-MNIST feature extractor (narrow widths to stay fast) exports to plain
    Conv2d/BatchNorm2d/ReLU/... modules computing the same function in float64."""
    model = C8SteerableCNN(widths=(3, 4, 4, 5, 5, 4)).double()
    features = model.features
    for _ in range(2):
        features(features.in_type(torch.randn(4, 1, 29, 29, dtype=torch.float64)))
    getattr(model, mode)()
    exported = features.export()
    assert isinstance(exported, torch.nn.Sequential) and exported.training == (mode == "train")
    kinds = {type(m).__name__ for m in exported}
    assert {"Conv2d", "BatchNorm2d", "ReLU"} <= kinds
    assert not any(isinstance(m, nn.EquivariantModule) for m in exported.modules())
    if mode == "eval":
        x = torch.randn(3, 1, 29, 29, dtype=torch.float64)
        with torch.no_grad():
            y = features(features.in_type(x)).tensor
            y_exp = exported(x.clone())  # ReLU(inplace=True) in the model
        assert y.shape == (3, 4, 1, 1)
        assert (y - y_exp).abs().max() <= 1e-12 * y.abs().max()
        with torch.no_grad():
            logits = model(x)
            assert (logits - model.export()(x)).abs().max() <= 1e-12 * logits.abs().max()
