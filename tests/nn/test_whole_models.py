"""Whole networks built from the module library: the C8 tutorial CNN, an SO(3) CNN with
FourierELU, gated and norm nonlinearities, equivariant MLPs (O(2), SO(3)) and a D4 wide-ResNet
block. Each is equivariant, compiles with fullgraph=True to the same outputs as eager, exports
to plain torch with identical outputs, and the export goes through torch.export and ONNX."""

from __future__ import annotations

import copy
import os

import pytest
import torch

from steerable import gspaces, nn
from steerable.group import o2_group, so3_group
from steerable.models import C8SteerableCNN, WideBasicBlock

from ._helpers import EXACT

REL = 1e-12


def so3_cnn():
    gs = gspaces.rot3dOnR3()
    G = gs.fibergroup
    t_in = nn.FieldType(gs, [gs.trivial_repr])
    # the grid of the 24 cube rotations: exactly equivariant to the voxel grid's symmetries
    fourier = nn.FourierELU(gs, 2, G.bl_irreps(1), type="cube")
    gate_in = nn.FieldType(gs, [gs.trivial_repr] * 2 + [G.irrep(1), G.irrep(2)])
    gated = nn.GatedNonLinearity1(gate_in)
    norm_t = nn.FieldType(gs, [G.irrep(1), G.irrep(2)])
    return nn.SequentialModule(
        nn.R3Conv(t_in, fourier.in_type, 3, padding=1),
        fourier,
        nn.R3Conv(fourier.out_type, gate_in, 3, padding=1),
        gated,
        nn.R3Conv(gated.out_type, norm_t, 3, padding=1),
        nn.NormNonLinearity(norm_t, "n_relu"),
        nn.NormPool(norm_t),
    )


def mlp(G, L):
    gs = gspaces.no_base_space(G)
    t_in = nn.FieldType(gs, [G.standard_representation()] * 2)
    fourier = nn.FourierELU(gs, 3, G.bl_irreps(L), *GRIDS[G.name])
    gate_in = nn.FieldType(gs, [gs.trivial_repr] * 2 + [G.irrep(*G.bl_irreps(L)[-1])] * 2)
    gated = nn.GatedNonLinearity1(gate_in)
    return nn.SequentialModule(
        nn.Linear(t_in, fourier.in_type),
        fourier,
        nn.Linear(fourier.out_type, gate_in),
        gated,
        nn.Linear(gated.out_type, gated.out_type),
        nn.NormPool(gated.out_type),
    )


# grids that are subgroups: the Fourier nonlinearity is then exactly equivariant to them
GRIDS = {"O(2)": ("regular", 8), "SO(3)": ("cube",)}


def d4_block():
    gs = gspaces.flipRot2dOnR2(4)
    t_in = nn.FieldType(gs, [gs.regular_repr] * 2)
    t_out = nn.FieldType(gs, [gs.regular_repr] * 3)
    return nn.SequentialModule(WideBasicBlock(t_in, t_out, stride=1), WideBasicBlock(t_out, t_out))


MODELS = {
    "so3_cnn": (so3_cnn, (2, 1, 5, 5, 5)),
    "o2_mlp": (lambda: mlp(o2_group(3), 2), (4, 4)),
    "so3_mlp": (lambda: mlp(so3_group(2), 1), (4, 6)),
    "d4_wrn_block": (d4_block, (2, 16, 9, 9)),
}


def _input(model, shape, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return model.in_type(torch.randn(shape, generator=gen, dtype=torch.float64))


def _trained(name):
    make, shape = MODELS[name]
    torch.manual_seed(0)
    model = make().double()
    with torch.no_grad():
        for s in range(2):  # non-trivial running statistics
            model(_input(model, shape, seed=10 + s))
    return model.eval(), shape


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_equivariant(name):
    """Exact (float64) for the elements the Fourier grids are closed under: the voxel grid's 24
    rotations for the CNN, the grid subgroup itself for the MLPs."""
    model, shape = _trained(name)
    elements = None
    if name.endswith("mlp"):
        G = model.in_type.fibergroup
        elements = G.grid(*GRIDS[G.name])
    x = _input(model, shape)
    with torch.no_grad():
        assert model(x).tensor.abs().max() > 1e-3  # not vacuous
    errors = model.check_equivariance(atol=EXACT, rtol=0.0, elements=elements)
    assert len(errors) >= 8 and max(e for _, e in errors) < EXACT


@pytest.mark.parametrize("name", sorted(MODELS))
def test_compile_fullgraph_matches_eager(name):
    torch._dynamo.reset()
    model, shape = _trained(name)
    model.train()
    eager = copy.deepcopy(model)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    x = _input(model, shape, seed=3)
    y_c, y_e = compiled(x).tensor, eager(x).tensor
    assert _rel(y_c, y_e) < REL
    (y_c**2).sum().backward()
    (y_e**2).sum().backward()
    scale = max(float(q.grad.abs().max()) for q in eager.parameters() if q.grad is not None)
    for (pname, p), (_, q) in zip(model.named_parameters(), eager.named_parameters()):
        if q.grad is None:
            assert p.grad is None, pname
            continue
        assert float((p.grad - q.grad).abs().max()) <= REL * scale, pname
    model.eval()
    eager.eval()
    with torch.no_grad():
        assert _rel(compiled(x).tensor, eager(x).tensor) < REL


def test_c8_tutorial_cnn_compiles():
    torch._dynamo.reset()
    model = C8SteerableCNN().double().eval()
    x = torch.randn(2, 1, 29, 29, dtype=torch.float64)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    with torch.no_grad():
        assert _rel(compiled(x), model(x)) < REL


@pytest.mark.parametrize("name", sorted(MODELS))
def test_export_identical_and_torch_export_runs(name):
    model, shape = _trained(name)
    plain = model.export().eval()
    assert not any(isinstance(m, nn.EquivariantModule) for m in plain.modules())
    x = _input(model, shape, seed=5)
    with torch.no_grad():
        expected = model(x).tensor
        assert _rel(plain(x.tensor), expected) < REL
    program = torch.export.export(plain, (x.tensor,))
    with torch.no_grad():
        assert _rel(program.module()(x.tensor), expected) < REL


@pytest.mark.parametrize("name", ["d4_wrn_block", "so3_mlp"])
def test_onnx_export_runs(name, tmp_path):
    import onnxruntime

    model, shape = _trained(name)
    model = model.float()
    plain = model.export().eval()
    x = torch.randn(shape)
    path = os.fspath(tmp_path / "model.onnx")
    torch.onnx.export(plain, (x,), path, dynamo=True, verbose=False)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        expected = model(model.in_type(x)).tensor
    assert _rel(torch.from_numpy(out), expected) < 1e-5
