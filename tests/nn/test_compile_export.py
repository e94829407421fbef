"""torch.compile, torch.export and ONNX export of models built from steerable layers.

Backends: inductor (the default) works on this machine but compiles C++ for ~30 s cold on 2
cores, so the default suite compiles with ``backend="aot_eager"`` (dynamo tracing with
fullgraph=True, AOT autograd, the functionalised graph run eagerly: everything but code
generation) and the inductor tests are marked slow (``make test-slow``).
"""

import copy
import os

import pytest
import torch

from steerable import gspaces, nn

REL = 1e-12  # float64: compiled and eager differ at most by re-association of sums


class PlainModel(torch.nn.Module):
    """R2Conv + InnerBatchNorm + ReLU + GroupPooling, plain tensors in and out."""

    def __init__(self):
        super().__init__()
        gs = gspaces.rot2dOnR2(4)
        self.in_type = nn.FieldType(gs, [gs.trivial_repr])
        hidden = nn.FieldType(gs, [gs.regular_repr] * 2 + [gs.trivial_repr])
        self.conv = nn.R2Conv(self.in_type, hidden, 3, padding=1)
        self.bn = nn.InnerBatchNorm(hidden)
        self.relu = nn.ReLU(hidden)
        self.pool = nn.GroupPooling(hidden)

    def forward(self, x):
        return self.pool(self.relu(self.bn(self.conv(self.in_type(x))))).tensor


def geometric_model():
    gs = gspaces.flipRot2dOnR2(4)
    t_in = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1, 1)])
    hidden = nn.FieldType(gs, [gs.regular_repr] * 2)
    return nn.SequentialModule(
        nn.R2Conv(t_in, hidden, 3, padding=1),
        nn.InnerBatchNorm(hidden),
        nn.ReLU(hidden),
        nn.GroupPooling(hidden),
    )


def _rel(a, b):
    return float(((a - b).abs().max() / b.abs().max()).detach())


def _compare_compiled(model, x, backend):
    """Train (two steps: outputs, gradients, running statistics) then eval, compiled vs eager."""
    eager = copy.deepcopy(model)
    compiled = torch.compile(model, fullgraph=True, backend=backend)
    for _ in range(2):
        y_c, y_e = compiled(x), eager(x)
        y_c = y_c.tensor if isinstance(y_c, nn.GeometricTensor) else y_c
        y_e = y_e.tensor if isinstance(y_e, nn.GeometricTensor) else y_e
        assert _rel(y_c, y_e) < REL
        (y_c**2).sum().backward()
        (y_e**2).sum().backward()
    # relative to the largest gradient: some are exactly zero in exact arithmetic (a bias followed
    # by batch norm) and are rounding noise in both runs
    scale = max(float(q.grad.abs().max()) for q in eager.parameters())
    for (name, p), (_, q) in zip(model.named_parameters(), eager.named_parameters()):
        assert p.grad is not None and float((p.grad - q.grad).abs().max()) < REL * scale, name
    for (name, b), (_, c) in zip(model.named_buffers(), eager.named_buffers()):
        assert torch.allclose(b.double(), c.double(), rtol=REL, atol=0), name
    model.eval()
    eager.eval()
    with torch.no_grad():
        y_c, y_e = compiled(x), eager(x)
    if isinstance(y_c, nn.GeometricTensor):
        assert y_c.type == y_e.type
        y_c, y_e = y_c.tensor, y_e.tensor
    assert _rel(y_c, y_e) < REL


def test_compile_plain_model_aot_eager():
    torch._dynamo.reset()
    model = PlainModel().double()
    _compare_compiled(model, torch.randn(2, 1, 9, 9, dtype=torch.float64), "aot_eager")


def test_compile_geometric_tensor_in_and_out_aot_eager():
    """The SequentialModule itself is compiled: the GeometricTensor input and output cross the
    graph boundary through the pytree registration (fullgraph: no graph break allowed)."""
    torch._dynamo.reset()
    model = geometric_model().double()
    x = model.in_type(torch.randn(2, model.in_type.size, 7, 7, dtype=torch.float64))
    out = torch.compile(model, fullgraph=True, backend="aot_eager")(x)
    assert isinstance(out, nn.GeometricTensor) and out.type == model.out_type
    _compare_compiled(model, x, "aot_eager")


@pytest.mark.slow
def test_compile_inductor():
    torch._dynamo.reset()
    model = PlainModel().double()
    _compare_compiled(model, torch.randn(2, 1, 9, 9, dtype=torch.float64), "inductor")
    torch._dynamo.reset()
    model = geometric_model().double()
    x = model.in_type(torch.randn(2, model.in_type.size, 7, 7, dtype=torch.float64))
    _compare_compiled(model, x, "inductor")


def _trained_eval_model():
    model = geometric_model().double()
    for _ in range(2):  # non-trivial batch-norm statistics
        model(model.in_type(torch.randn(4, model.in_type.size, 7, 7, dtype=torch.float64)))
    return model.eval()


def test_torch_export_of_exported_model():
    model = _trained_eval_model()
    plain = model.export()
    x = torch.randn(2, model.in_type.size, 7, 7, dtype=torch.float64)
    program = torch.export.export(plain, (x,))
    with torch.no_grad():
        expected = model(model.in_type(x)).tensor
    assert _rel(program.module()(x), expected) < REL
    x2 = torch.randn(3, model.in_type.size, 7, 7, dtype=torch.float64)  # another input, same shape rules
    with torch.no_grad():
        assert _rel(torch.export.export(plain, (x2,)).module()(x2), model(model.in_type(x2)).tensor) < REL


def test_torch_export_with_geometric_tensor_input():
    model = _trained_eval_model()
    x = model.in_type(torch.randn(2, model.in_type.size, 7, 7, dtype=torch.float64))
    program = torch.export.export(model, (x,))
    out = program.module()(x)
    assert isinstance(out, nn.GeometricTensor) and out.type == model.out_type
    with torch.no_grad():
        assert _rel(out.tensor, model(x).tensor) < REL


def test_onnx_export_matches_onnxruntime(tmp_path):
    """float32, as ONNX Runtime's CPU convolutions are float32: its kernels sum in another order,
    so agreement is to float32 rounding (1e-5 relative), not bitwise."""
    import onnxruntime

    model = _trained_eval_model().float()
    plain = model.export()
    x = torch.randn(2, model.in_type.size, 7, 7)
    path = os.fspath(tmp_path / "model.onnx")
    torch.onnx.export(plain, (x,), path, dynamo=True, verbose=False)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        expected = model(model.in_type(x)).tensor
    assert out.shape == tuple(expected.shape)
    assert _rel(torch.from_numpy(out), expected) < 1e-5


def test_torch_export_save_and_load_with_geometric_tensor_input(tmp_path):
    """A program whose inputs and outputs are GeometricTensors saves and loads (the field type
    travels in the pytree context) and the loaded program gives the same outputs. The example
    inputs are dropped before saving: torch.export.load reads them with weights_only=True,
    which refuses GeometricTensor objects."""
    model = _trained_eval_model()
    x = model.in_type(torch.randn(2, model.in_type.size, 7, 7, dtype=torch.float64))
    program = torch.export.export(model, (x,))
    program.example_inputs = None
    path = os.fspath(tmp_path / "program.pt2")
    torch.export.save(program, path)
    loaded = torch.export.load(path)
    out = loaded.module()(x)
    assert isinstance(out, nn.GeometricTensor) and out.type == model.out_type
    with torch.no_grad():
        assert _rel(out.tensor, model(x).tensor) < REL
