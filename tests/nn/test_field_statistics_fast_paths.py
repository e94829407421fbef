"""The fast paths of the field-wise normalisations (``_field_statistics``): a root-mean-square
scaling (no mean removed) and torch's batch/group norm (the field's channel mean removed) give the
same outputs, gradients and running statistics as the general irrep-basis path, and gradients
match finite differences (also through the custom autograd functions, twice)."""

from __future__ import annotations

import copy

import pytest
import torch

from steerable import gspaces, nn


def _types():
    gs = gspaces.rot2dOnR2(8)
    irreps = nn.FieldType(gs, [gs.irrep(1), gs.irrep(2), gs.irrep(3)] * 2)
    return {
        "regular": nn.FieldType(gs, [gs.regular_repr] * 3),
        "irreps": irreps,
        "mixed": nn.FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.trivial_repr, gs.quotient_repr(2)] * 2),
        "induced": nn.FieldType(gs, [gs.induced_repr(4, gs.fibergroup.subgroup(4)[0].irrep(1))] * 2),
        "quotient": nn.FieldType(gs, [gs.quotient_repr(4)] * 2),
        "small": nn.FieldType(gs, [gs.quotient_repr(2), gs.irrep(1), gs.trivial_repr]),
    }


CASES = [
    ("NormBatchNorm", "irreps"),
    ("NormBatchNorm", "quotient"),
    ("InducedNormBatchNorm", "induced"),
    ("InducedNormBatchNorm", "quotient"),
    ("GNormBatchNorm", "mixed"),
    ("IIDBatchNorm2d", "regular"),
    ("IIDBatchNorm2d", "mixed"),
    ("IIDBatchNorm2d", "irreps"),
    ("FieldNorm", "regular"),
    ("FieldNorm", "mixed"),
    ("FieldNorm", "irreps"),
]


def _build(name, kind):
    module = getattr(nn, name)(_types()[kind]).double()
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for pname, p in module.named_parameters():
            p.copy_(
                torch.rand(p.shape, generator=gen, dtype=p.dtype) + 0.5
                if pname == "weight"
                else torch.randn(p.shape, generator=gen, dtype=p.dtype)
            )
    return module


def _general(module):
    slow = copy.deepcopy(module)
    slow._groups = tuple(g._replace(kind="general") for g in slow._groups)
    return slow


@pytest.mark.parametrize("name,kind", CASES)
def test_fast_paths_match_the_general_path(name, kind):
    fast = _build(name, kind)
    assert {g.kind for g in fast._groups} != {"general"}, "no fast path taken: vacuous test"
    slow = _general(fast)
    t = fast.in_type
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(3, t.size, 4, 5, generator=gen, dtype=torch.float64) * 2 + 1.5).requires_grad_(True)
    grad = torch.randn(3, t.size, 4, 5, generator=gen, dtype=torch.float64)
    for mode in ("train", "train", "eval"):
        outs = []
        for m in (fast, slow):
            getattr(m, mode)()
            x.grad = None
            for p in m.parameters():
                p.grad = None
            y = m(t(x)).tensor
            y.backward(grad)
            outs.append((y.detach(), x.grad.clone(), [p.grad.clone() for p in m.parameters()]))
        (y1, g1, p1), (y2, g2, p2) = outs
        assert (y1 - y2).abs().max() < 1e-12
        assert (g1 - g2).abs().max() < 1e-12
        assert all((a - b).abs().max() < 1e-12 for a, b in zip(p1, p2))
        for (k1, b1), (k2, b2) in zip(fast.state_dict().items(), slow.state_dict().items()):
            assert k1 == k2 and (b1.double() - b2.double()).abs().max() < 1e-12, k1


@pytest.mark.parametrize("name", sorted({name for name, _ in CASES}))
def test_gradients_match_finite_differences(name):
    # every path (rms, centred, general with a change of basis) on a small mixed type
    kind = "small" if name != "InducedNormBatchNorm" else "induced"
    module = _build(name, kind).train()
    module.track_running_stats = False  # gradcheck calls the module many times
    t = module.in_type
    x = torch.randn(2, t.size, 2, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) + 0.5
    params = [p for p in module.parameters()]

    def fn(inp, *ps):
        return module(t(inp)).tensor

    assert torch.autograd.gradcheck(fn, (x.requires_grad_(True), *params))
    assert torch.autograd.gradgradcheck(fn, (x, *params))


@pytest.mark.parametrize("name,kind", CASES)
def test_compile_fullgraph_matches_eager(name, kind):
    """Every path (the custom autograd functions included) traces without graph breaks; outputs,
    input gradients and running statistics match eager mode."""
    torch._dynamo.reset()  # the lambda below is one code object for every case: no recompile limit
    eager = _build(name, kind).train()
    compiled_module = copy.deepcopy(eager)
    t = eager.in_type
    compiled = torch.compile(lambda x: compiled_module(t(x)).tensor, fullgraph=True, backend="aot_eager")
    gen = torch.Generator().manual_seed(2)
    x = (torch.randn(2, t.size, 3, 3, generator=gen, dtype=torch.float64) + 1.0).requires_grad_(True)
    grad = torch.randn(x.shape, generator=gen, dtype=torch.float64)
    y1 = eager(t(x)).tensor
    (g1,) = torch.autograd.grad(y1, x, grad)
    y2 = compiled(x)
    (g2,) = torch.autograd.grad(y2, x, grad)
    assert (y1 - y2).abs().max() < 1e-12
    assert (g1 - g2).abs().max() < 1e-12
    for (k1, b1), (k2, b2) in zip(eager.state_dict().items(), compiled_module.state_dict().items()):
        assert k1 == k2 and (b1.double() - b2.double()).abs().max() < 1e-12, k1
