"""The fused irrep-basis batch norm (``_irrep_batch_norm``): its hand-written backward against
autograd through the same formula written with plain ops, for slot layouts with and without mean
slots (one or several channels per mean slot), several channels per variance slot, with and
without affine parameters; finite differences once and twice; and the modules that use it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.nn.modules._field_statistics import FieldSpec, PlainFieldNormalisation
from steerable.nn.modules._irrep_batch_norm import IrrepBasisConstants, _forward, irrep_basis_batch_norm


def _random_orthogonal(n, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q


# (mean slots, variance slots) per channel of the irrep basis (-1: no mean)
LAYOUTS = {
    "one mean per slot": ((0, -1, -1, 1, -1), (0, 1, 1, 2, 3)),
    "mean slot of two channels": ((-1, 0, 0, -1, 1), (0, 1, 1, 0, 2)),
    "no means": ((-1, -1, -1, -1, -1), (0, 0, 1, 1, 1)),
    "all centred, one slot": ((0, 0, 1, 1, 1), (0, 0, 0, 0, 0)),
}


def _constants(layout, seed=0):
    mean_slot, var_slot = LAYOUTS[layout]
    n = len(var_slot)
    module = PlainFieldNormalisation(
        [("f", FieldSpec(_random_orthogonal(n, seed), mean_slot, var_slot))], 1e-3, 0.1, True, True, False
    ).double()
    has_means = any(s >= 0 for s in mean_slot)
    get = lambda name: getattr(module, name) if has_means else None  # noqa: E731
    return IrrepBasisConstants(
        module._q0,
        get("_q_mean0"),
        get("_mean_channels0"),
        get("_mean_average_m0"),
        get("_mean_spread0"),
        module._var_average0,
        module._var_spread0,
        module._var_count0,
        1e-3,
    )


def _inputs(c, affine, fields=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    n, v_slots = c.var_spread.shape[1], c.var_spread.shape[0]
    x = torch.randn(4, fields, n, 6, generator=gen, dtype=torch.float64) * 2 + 1.5
    weight = bias = None
    if affine:
        weight = torch.rand(fields, v_slots, generator=gen, dtype=torch.float64) + 0.5
        if c.mean_spread is not None:
            bias = torch.randn(fields, c.mean_spread.shape[0], generator=gen, dtype=torch.float64)
    return x, weight, bias


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_backward_matches_autograd_of_the_plain_formula(layout, affine):
    c = _constants(layout)
    x, weight, bias = _inputs(c, affine)
    leaves = [t.requires_grad_(True) for t in (x, weight, bias) if t is not None]
    grad = torch.randn(x.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    out, mean, var = irrep_basis_batch_norm(x, weight, bias, c)
    fused = torch.autograd.grad(out, leaves, grad)
    ref_out, ref_mean, ref_var = _forward(x, weight, bias, c)[:3]
    reference = torch.autograd.grad(ref_out, leaves, grad)
    assert (out - ref_out).abs().max() < 1e-12
    assert (var - ref_var).abs().max() < 1e-12
    if ref_mean is not None:
        assert (mean - ref_mean).abs().max() < 1e-12
    for a, b in zip(fused, reference):
        assert b.abs().max() > 1e-3  # not vacuous
        assert (a - b).abs().max() < 1e-10


@pytest.mark.parametrize("layout", ["one mean per slot", "mean slot of two channels", "no means"])
def test_gradients_match_finite_differences_twice(layout):
    c = _constants(layout, seed=1)
    x, weight, bias = _inputs(c, True, fields=2)
    args = tuple(t.requires_grad_(True) for t in (x, weight, bias) if t is not None)

    def fn(*ts):
        return irrep_basis_batch_norm(*ts, *([None] * (3 - len(ts))), c)[0]

    assert torch.autograd.gradcheck(fn, args)
    assert torch.autograd.gradgradcheck(fn, args)


def test_normalised_statistics_in_the_irrep_basis():
    """Without affine parameters: centred channels have zero mean, every variance slot unit
    second moment (float64, eps=0)."""
    c = _constants("mean slot of two channels")._replace(eps=0.0)
    x, _, _ = _inputs(c, False)
    out = irrep_basis_batch_norm(x, None, None, c)[0]
    z = torch.einsum("ji,bfjp->bfip", c.q, out)  # Q^T out
    mean_slot, var_slot = LAYOUTS["mean slot of two channels"]
    for slot in set(var_slot):
        channels = [i for i, s in enumerate(var_slot) if s == slot]
        assert float(z[:, :, channels].square().mean(dim=(0, 2, 3)).sub(1).abs().max()) < 1e-12
    for slot in {s for s in mean_slot if s >= 0}:
        channels = [i for i, s in enumerate(mean_slot) if s == slot]
        assert float(z[:, :, channels].mean(dim=(0, 2, 3)).abs().max()) < 1e-12


def test_gnorm_batchnorm_gradients_on_regular_fields():
    """The module's input, weight and bias gradients on C8 regular fields (the benchmark's case,
    whose mean channel is taken as a channel sum) against autograd through the plain formula with
    the matmul projection."""
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr] * 4)
    bn = nn.GNormBatchNorm(t).double().train()
    # the trivial irrep of the regular representation is the channel average: the sum path
    assert bn._groups[0].mean_column == pytest.approx(8**-0.5)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.normal_()
    x = (torch.randn(3, t.size, 4, 4, dtype=torch.float64) + 1.0).requires_grad_(True)
    grad = torch.randn_like(x)
    bn(t(x)).tensor.backward(grad)
    got = [x.grad, bn.weight.grad, bn.bias.grad]
    c = bn.__dict__["_constants"]
    consts = IrrepBasisConstants(
        *(torch.tensor(c[k]) for k in ("_q0", "_q_mean0")),
        bn._mean_channels0,
        *(
            torch.tensor(c[k])
            for k in ("_mean_average_m0", "_mean_spread0", "_var_average0", "_var_spread0", "_var_count0")
        ),
        bn.eps,
    )
    x2 = x.detach().clone().requires_grad_(True)
    w = bn.weight.detach().clone().requires_grad_(True)
    b = bn.bias.detach().clone().requires_grad_(True)
    out = _forward(x2.view(3, 4, 8, 16), w[bn._var_index0], b[bn._mean_index0], consts)[0]
    out.reshape(x.shape).backward(grad)
    for a, ref in zip(got, [x2.grad, w.grad, b.grad]):
        assert (a - ref).abs().max() < 1e-10
