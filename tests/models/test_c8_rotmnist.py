"""The C8 rotated-MNIST CNN: invariance to quarter turns of the input, export, the plain twin."""

import torch

from steerable.models import C8SteerableCNN, PlainCNN
from steerable.nn import EquivariantModule


def _trained_model():
    model = C8SteerableCNN()
    with torch.no_grad():
        for _ in range(2):  # non-trivial batch-norm statistics
            model(torch.randn(8, 1, 29, 29))
    return model.eval()


def test_invariance_to_quarter_turns_and_export():
    """Quarter turns and the C8 regular fields are exact on the pixel grid, so invariance holds
    up to float32 rounding: the rotated input is summed in another order (1e-5 of the logits'
    scale leaves room for ~100 float32 roundings through 6 convolutions and the head)."""
    model = _trained_model()
    x = torch.randn(2, 1, 29, 29)
    with torch.no_grad():
        logits = model(x)
        scale = logits.abs().max()
        assert logits.shape == (2, 10) and scale > 1e-3
        for k in (1, 2, 3):
            rotated = model(torch.rot90(x, k, dims=(2, 3)))
            assert (rotated - logits).abs().max() <= 1e-5 * scale
        # not vacuous: a transposed (reflected) input is not a rotation of the input and C8 does
        # not contain reflections
        assert (model(x.transpose(2, 3)) - logits).abs().max() > 1e-3 * scale
        exported = model.export()
        assert not any(isinstance(m, EquivariantModule) for m in exported.modules())
        assert (exported(x) - logits).abs().max() <= 1e-6 * scale  # same ops: measured bit-identical


def test_train_step_and_plain_twin():
    model = C8SteerableCNN(widths=(2, 3, 3, 4, 4, 3))
    plain = PlainCNN(channels=(16, 24, 24, 32, 32, 128), pool_out=64)  # 64 fields of 2 channels
    x, labels = torch.randn(4, 1, 29, 29), torch.tensor([0, 1, 2, 3])
    for net in (model, plain):
        out = net(x)
        assert out.shape == (4, 10)
        torch.nn.functional.cross_entropy(out, labels).backward()
        assert all(p.grad is not None for p in net.parameters())
    first = next(model.features[1].parameters())
    assert first.grad.abs().max() > 0
