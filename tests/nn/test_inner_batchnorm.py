"""InnerBatchNorm: per-field statistics, equivariance in train and eval mode, export."""

import numpy as np
import pytest
import torch

from steerable import gspaces, nn

from ._helpers import EXACT


def _types():
    gs = gspaces.flipRot2dOnR2(4)
    return {
        "uniform": nn.FieldType(gs, [gs.regular_repr] * 3),
        "mixed_sizes": nn.FieldType(
            gs, [gs.regular_repr, gs.trivial_repr, gs.quotient_repr((0.0, 1)), gs.trivial_repr]
        ),
    }


def _field_stats(t, x):
    """Per-field mean and biased variance over (batch, the field's channels, space)."""
    means, variances = [], []
    for s, e in zip(t.fields_start, t.fields_end):
        block = x[:, s:e]
        means.append(block.mean())
        variances.append(block.var(unbiased=False))
    return torch.stack(means), torch.stack(variances)


@pytest.mark.parametrize("kind", ["uniform", "mixed_sizes"])
def test_train_mode_normalises_per_field(kind):
    t = _types()[kind]
    bn = nn.InnerBatchNorm(t, momentum=0.25).double()
    scale = torch.linspace(0.5, 3.0, t.size, dtype=torch.float64)[None, :, None, None]
    x = torch.randn(4, t.size, 5, 5, dtype=torch.float64) * scale + 2.0
    y = bn(t(x)).tensor.detach()
    mean, var = _field_stats(t, y)
    assert mean.abs().max() < 1e-12
    np.testing.assert_allclose(var.numpy(), 1.0, atol=1e-4)  # var / (var + eps)
    # channels inside a field are NOT normalised separately: the per-channel spread survives
    assert y[:, 0].std() != pytest.approx(float(y[:, 7].std()), rel=1e-3)
    m, v = _field_stats(t, x)
    sizes = [e - s for s, e in zip(t.fields_start, t.fields_end)]
    counts = torch.tensor([4 * 25 * n for n in sizes], dtype=torch.float64)
    assert torch.allclose(bn.running_mean, 0.25 * m, atol=1e-12)
    assert torch.allclose(bn.running_var, 0.75 + 0.25 * v * counts / (counts - 1), atol=1e-12)
    assert int(bn.num_batches_tracked) == 1


@pytest.mark.parametrize("kind", ["uniform", "mixed_sizes"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_equivariance(kind, mode):
    t = _types()[kind]
    bn = nn.InnerBatchNorm(t).double()
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.normal_()
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2.0)
    getattr(bn, mode)()
    x = t(torch.randn(3, t.size, 5, 5, dtype=torch.float64))
    y = bn(x)
    for g in t.testing_elements:
        assert (bn(x.transform(g)).tensor - y.transform(g).tensor).abs().max() < EXACT
    assert len(t.testing_elements) == 8


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
def test_options(affine, track):
    t = _types()["mixed_sizes"]
    bn = nn.InnerBatchNorm(t, affine=affine, track_running_stats=track).double().eval()
    assert (bn.weight is not None) == affine and (bn.running_mean is not None) == track
    x = t(torch.randn(4, t.size, 3, 3, dtype=torch.float64) + 5)
    y = bn(x).tensor
    if track:  # eval with fresh running statistics (0, 1): only eps
        assert torch.allclose(y, x.tensor / np.sqrt(1 + 1e-5), atol=1e-12)
    else:  # batch statistics are used in eval mode too
        assert _field_stats(t, y)[0].abs().max() < 1e-12


@pytest.mark.parametrize("kind", ["uniform", "mixed_sizes"])
def test_export_eval(kind):
    t = _types()[kind]
    bn = nn.InnerBatchNorm(t).double()
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.normal_()
    for _ in range(3):
        bn(t(torch.randn(4, t.size, 5, 5, dtype=torch.float64) * 3 + 1))
    bn.eval()
    exported = bn.export()
    assert isinstance(exported, torch.nn.BatchNorm2d) and not exported.training
    assert exported.weight.dtype == torch.float64
    x = torch.randn(2, t.size, 5, 5, dtype=torch.float64)
    y = bn(t(x)).tensor
    assert (y - exported(x)).abs().max() <= 1e-12 * y.abs().max()
    assert int(exported.num_batches_tracked) == 3


def test_state_dict_and_errors():
    t = _types()["mixed_sizes"]
    bn = nn.InnerBatchNorm(t)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert bn.weight.shape == (len(t),)
    gs = t.gspace
    with pytest.raises(ValueError, match="InnerBatchNorm acts channel by channel.*irrep_1,1"):
        nn.InnerBatchNorm(nn.FieldType(gs, [gs.regular_repr, gs.irrep(1, 1)]))
    with pytest.raises(ValueError, match="expects fields of type"):
        bn(_types()["uniform"](torch.randn(2, 24, 3, 3)))


@pytest.mark.parametrize("space", ["octa", "C4_on_point"])
def test_export_3d_and_0d(space):
    from steerable import group

    if space == "octa":
        gs, spatial, cls = gspaces.octaOnR3(), (3, 3, 3), torch.nn.BatchNorm3d
    else:
        gs, spatial, cls = gspaces.no_base_space(group.cyclic_group(4)), (), torch.nn.BatchNorm1d
    t = nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    bn = nn.InnerBatchNorm(t).double()
    for _ in range(2):
        bn(t(torch.randn(4, t.size, *spatial, dtype=torch.float64) + 1))
    bn.eval()
    exported = bn.export()
    assert type(exported) is cls
    x = torch.randn(4, t.size, *spatial, dtype=torch.float64)
    y = bn(t(x)).tensor
    assert (y - exported(x)).abs().max() <= 1e-12 * y.abs().max()
    assert bn.running_mean.shape == (len(t),)


@pytest.mark.parametrize("kind", ["uniform", "mixed_sizes"])
def test_momentum_none_is_a_cumulative_average(kind):
    """momentum=None: after k batches the running statistics are the plain means of the k batch
    statistics (as torch's BatchNorm), in train mode; eval mode uses them and leaves them alone."""
    t = _types()[kind]
    bn = nn.InnerBatchNorm(t, momentum=None).double()
    means, variances = [], []
    sizes = torch.tensor([e - s for s, e in zip(t.fields_start, t.fields_end)], dtype=torch.float64)
    for k in range(3):
        x = torch.randn(4, t.size, 3, 3, dtype=torch.float64) * (k + 1) + k
        bn(t(x))
        m, v = _field_stats(t, x)
        count = 4 * 9 * sizes
        means.append(m)
        variances.append(v * count / (count - 1))
        assert torch.allclose(bn.running_mean, torch.stack(means).mean(0), atol=1e-12)
        assert torch.allclose(bn.running_var, torch.stack(variances).mean(0), atol=1e-12)
    bn.eval()
    x = torch.randn(2, t.size, 3, 3, dtype=torch.float64)
    y = bn(t(x)).tensor
    rm = bn.running_mean.repeat_interleave(sizes.long())[None, :, None, None]
    rv = bn.running_var.repeat_interleave(sizes.long())[None, :, None, None]
    assert (y - (x - rm) / torch.sqrt(rv + 1e-5)).abs().max() < 1e-12
    assert int(bn.num_batches_tracked) == 3
    exported = bn.export()
    assert exported.momentum is None
    assert (exported(x) - y).abs().max() <= 1e-12 * y.abs().max()


def test_momentum_none_fresh_eval_and_errors():
    t = _types()["mixed_sizes"]
    bn = nn.InnerBatchNorm(t, momentum=None).double().eval()  # no batch seen yet: no division by 0
    x = torch.randn(2, t.size, 3, 3, dtype=torch.float64)
    assert torch.allclose(bn(t(x)).tensor, x / np.sqrt(1 + 1e-5), atol=1e-12)
    with pytest.raises(ValueError, match=r"momentum must be None or a number in \[0, 1\], got 2"):
        nn.InnerBatchNorm(t, momentum=2)


@pytest.mark.parametrize("kind", ["uniform", "mixed sizes"])
def test_inplace_relu_after_it_has_the_same_gradients(kind):
    """The output is a fresh tensor, not a view, so ReLU(inplace=True) adds no gradient copies;
    gradients equal those of an out-of-place ReLU."""
    gs = gspaces.rot2dOnR2(4)
    reps = (
        [gs.regular_repr] * 3
        if kind == "uniform"
        else [gs.regular_repr, gs.quotient_repr(2), gs.trivial_repr]
    )
    t = nn.FieldType(gs, reps)
    x = torch.randn(3, t.size, 4, 4, dtype=torch.float64)
    grads = []
    for inplace in (False, True):
        bn = nn.InnerBatchNorm(t).double()
        inp = x.clone().requires_grad_(True)
        y = bn(t(inp))
        assert y.tensor._base is None
        out = nn.ReLU(t, inplace=inplace)(y).tensor
        out.backward(torch.ones_like(out))
        grads.append((inp.grad, bn.weight.grad, bn.bias.grad))
    for a, b in zip(*grads):
        assert torch.equal(a, b)
