"""e2cnn-style C16 / D16 / D16|5 C16 models, the model registry and the parameter-matched CNN
baseline: invariance on exact grid symmetries, restriction, export, bad arguments."""

import pytest
import torch

from steerable import nn
from steerable.models import (
    MODELS,
    C8SteerableCNN,
    E2MNISTNet,
    build_model,
    cnn_baseline,
    fields_for,
    is_equivariant,
    plain_cnn_parameters,
)

TINY = (2, 2, 2, 2, 2, 2)


def _warm(model):
    with torch.no_grad():
        for _ in range(2):  # non-trivial batch-norm statistics
            model(torch.randn(4, 1, 29, 29))
    return model.eval()


def _change(model, x, transform):
    with torch.no_grad():
        y = model(x)
        return float((model(transform(x)) - y).abs().max() / y.abs().max())


def test_restricted_d16_model_is_c16_invariant_and_not_flip_invariant():
    model = _warm(E2MNISTNet(16, flips=True, restrict=5, fields=TINY))
    kinds = [type(m).__name__ for m in model.features]
    assert kinds.count("RestrictionModule") == 1
    restriction = next(m for m in model.features if isinstance(m, nn.RestrictionModule))
    assert restriction.in_type.fibergroup.order() == 32 and restriction.out_type.fibergroup.order() == 16
    # the restriction sits before the sixth convolution
    convs = [m for m in model.features if isinstance(m, nn.R2Conv)]
    assert convs[5].in_type == restriction.out_type and convs[4].out_type == restriction.in_type
    x = torch.randn(2, 1, 29, 29)
    for k in (1, 2, 3):
        assert _change(model, x, lambda t, k=k: torch.rot90(t, k, dims=(2, 3))) < 1e-5
    # not vacuous: C16 has no reflections, so a transposed input changes the logits
    assert _change(model, x, lambda t: t.transpose(2, 3)) > 1e-3
    with torch.no_grad():
        assert (model.export()(x) - model(x)).abs().max() < 1e-5


def test_d16_model_is_flip_invariant_and_c16_rotation_invariant():
    x = torch.randn(2, 1, 29, 29)
    d16 = _warm(E2MNISTNet(16, flips=True, fields=TINY))
    assert _change(d16, x, lambda t: t.transpose(2, 3)) < 1e-5
    assert _change(d16, x, lambda t: torch.flip(t, dims=(3,))) < 1e-5
    c16 = _warm(E2MNISTNet(16, flips=False, fields=TINY))
    assert _change(c16, x, lambda t: torch.rot90(t, 1, dims=(2, 3))) < 1e-5
    assert _change(c16, x, lambda t: t.transpose(2, 3)) > 1e-3


def test_default_fields_keep_the_tutorial_parameter_budget():
    assert fields_for(8) == (24, 48, 48, 96, 96, 64)
    assert fields_for(32) == (12, 24, 24, 48, 48, 32)
    assert fields_for(16, width=0.25) == (4, 8, 8, 17, 17, 11)
    small = E2MNISTNet(16, flips=True, restrict=5, width=0.25)
    assert small.fields == (3, 6, 6, 12, 12, 11)  # the last layer counts C16 fields


def test_cnn_baseline_has_about_the_c8_models_parameters_and_is_not_invariant():
    widths = (3, 6, 6, 12, 12, 8)
    c8 = C8SteerableCNN(widths=widths)
    n_c8 = sum(p.numel() for p in c8.parameters())
    cnn = cnn_baseline(widths)
    n_cnn = sum(p.numel() for p in cnn.parameters())
    assert abs(n_cnn - n_c8) < 0.05 * n_c8
    assert n_cnn == plain_cnn_parameters(
        [m.out_channels for m in cnn.features if isinstance(m, torch.nn.Conv2d)]
    )
    cnn = _warm(cnn)
    # its first feature maps do not turn with the input (random inputs, globally pooled, would
    # hide it: averages over space barely change)
    x = torch.randn(2, 1, 29, 29)
    with torch.no_grad():
        f = cnn.features[:3](x)
        g = torch.rot90(cnn.features[:3](torch.rot90(x, 1, dims=(2, 3))), -1, dims=(2, 3))
    assert float((f - g).norm() / f.norm()) > 0.1


def test_registry_and_bad_arguments():
    assert set(MODELS) == {"c8", "cnn", "c16", "d16", "d16c16"}
    assert is_equivariant("c8") and not is_equivariant("cnn")
    model = build_model("d16c16", width=0.1)
    assert model(torch.randn(2, 1, 29, 29)).shape == (2, 10)
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        build_model("resnet")
    with pytest.raises(ValueError, match="width > 0"):
        build_model("c8", width=0)
    with pytest.raises(ValueError, match="restrict must be None or a layer count"):
        E2MNISTNet(16, flips=False, restrict=5)
    with pytest.raises(ValueError, match="6 positive field counts"):
        E2MNISTNet(16, fields=(1, 2, 3))
