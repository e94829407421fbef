"""SequentialModule: type checking of the chain, forward, shapes, export of a whole model."""

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import change_basis, directsum
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


def test_append_slice_iterate():
    _, t0, t1, modules = _chain()
    seq = nn.SequentialModule(*modules[:2])
    assert seq.append(modules[2]) is seq
    assert len(seq) == 3 and seq.out_type == t1 and list(seq) == modules[:3]
    seq.append(modules[3])
    assert seq.out_type == modules[3].out_type and list(seq._modules) == ["0", "1", "2", "3"]
    head = seq[:2]
    assert isinstance(head, nn.SequentialModule) and list(head) == modules[:2] and head[0] is modules[0]
    assert head.out_type == t1
    x = t0(torch.randn(2, t0.size, 5, 5))
    seq.eval()
    assert torch.equal(seq(x).tensor, seq[2:](seq[:2](x)).tensor)
    with pytest.raises(ValueError, match="expects .* the chain ends in"):
        seq.append(nn.ReLU(t1))
    assert len(seq) == 4 and seq.out_type == modules[3].out_type  # nothing was registered


def test_add_module_validates_before_registering():
    gs, t0, t1, modules = _chain()
    seq = nn.SequentialModule(*modules[:3])
    other = nn.FieldType(gs, [gs.regular_repr] * 3)
    with pytest.raises(ValueError, match="expects .* the chain ends in"):
        seq.add_module("bad", nn.ReLU(other))
    assert "bad" not in seq._modules and len(seq) == 3
    with pytest.raises(TypeError, match="holds EquivariantModules, got a ReLU"):
        seq.add_module("plain", torch.nn.ReLU())
    # replacing a module re-checks the whole chain
    seq.add_module("2", nn.ELU(t1))
    assert isinstance(seq[2], nn.ELU)
    with pytest.raises(ValueError, match="expects .* the chain ends in"):
        seq.add_module("1", nn.ReLU(other))
    assert isinstance(seq[1], nn.InnerBatchNorm)


def test_export_chain_of_containers():
    """conv -> MultipleModule -> Reshuffle -> Disentangle -> Identity -> Restriction -> conv exports to
    plain torch modules with the same outputs, and the chain is equivariant to the subgroup."""
    gs = gspaces.flipRot2dOnR2(4)
    t0 = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1, 1)])
    t1 = nn.FieldType(gs, [gs.regular_repr, gs.irrep(1, 1), gs.regular_repr])
    t_reg = nn.FieldType(gs, [gs.regular_repr] * 2)
    t_irr = nn.FieldType(gs, [gs.irrep(1, 1)])
    conv1 = nn.R2Conv(t0, t1, 3, padding=1)
    # a field whose channels interleave an irrep and a trivial one: Disentangle permutes them
    shuffled = change_basis(directsum([gs.irrep(1, 1), gs.trivial_repr]), np.eye(3)[[0, 2, 1]], "shuffled")
    t_mix = nn.FieldType(gs, [shuffled])
    norm_relu = nn.SequentialModule(nn.InnerBatchNorm(t_reg), nn.ReLU(t_reg))
    multiple = nn.MultipleModule(
        t1, ["r", "i", "r"], [(norm_relu, "r"), (nn.R2Conv(t_irr, t_mix, 3, padding=1), "i")]
    )
    reshuffle = nn.ReshuffleModule(multiple.out_type, [2, 0, 1])
    disentangle = nn.DisentangleModule(reshuffle.out_type)
    assert len(disentangle.out_type) == 4 and not disentangle._identity
    restrict = nn.RestrictionModule(disentangle.out_type, (None, 4))
    sub = restrict.out_type.gspace
    conv2 = nn.R2Conv(restrict.out_type, nn.FieldType(sub, [sub.regular_repr, sub.irrep(1)]), 3, padding=1)
    seq = nn.SequentialModule(
        conv1, multiple, reshuffle, disentangle, nn.IdentityModule(disentangle.out_type), restrict, conv2
    ).double()
    for _ in range(2):
        seq(t0(torch.randn(4, t0.size, 5, 5, dtype=torch.float64)))
    seq.eval()
    errors = seq.check_equivariance(atol=1e-9, rtol=0.0, spatial_size=7)
    assert len(errors) == 4 and max(e for _, e in errors) < 1e-9
    exported = seq.export()
    assert not any(isinstance(m, nn.EquivariantModule) for m in exported.modules())
    x = torch.randn(3, t0.size, 7, 7, dtype=torch.float64)
    with torch.no_grad():
        y = seq(t0(x)).tensor
        assert (y - exported(x)).abs().max() <= 1e-12 * y.abs().max()
