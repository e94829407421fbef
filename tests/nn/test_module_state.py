"""Module state: state_dict portability, train/eval keys, pickle/deepcopy, the eval-mode filter
cache and its invalidation, gradients in eval mode, autocast."""

import copy
import os
import pickle
import subprocess
import sys
import textwrap

import pytest
import torch

from steerable import group as G
from steerable import gspaces, nn

from ._helpers import build_reference_model, field_types

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _learnable_layers():
    """One module per learnable layer kind, each with a non-trivial change of basis."""
    c4 = field_types(gspaces.rot2dOnR2(4))
    octa = gspaces.octaOnR3()
    t3 = nn.FieldType(octa, [octa.trivial_repr, octa.regular_repr])
    so3 = G.so3_group(2)
    g0 = gspaces.no_base_space(so3)
    t0 = nn.FieldType(g0, [so3.trivial_representation, so3.irrep(1), so3.bl_regular_representation(1)])
    return {
        "R2Conv": (
            nn.R2Conv(c4["mixed"], c4["regular"] + c4["trivial"], 3, padding=1),
            (2, c4["mixed"].size, 5, 5),
        ),
        "R3Conv": (nn.R3Conv(t3, t3, 3, padding=1), (1, t3.size, 3, 3, 3)),
        "R2ConvTransposed": (
            nn.R2ConvTransposed(c4["mixed"], c4["regular"], 3, stride=2),
            (2, c4["mixed"].size, 3, 3),
        ),
        "Linear": (nn.Linear(t0, t0), (4, t0.size)),
        "model": (build_reference_model(), (2, 3, 5, 5)),
    }


LAYERS = ["R2Conv", "R3Conv", "R2ConvTransposed", "Linear", "model"]


def _layer(name):
    module, shape = _learnable_layers()[name]
    return module, module.in_type(torch.randn(shape))


@pytest.mark.parametrize("name", LAYERS)
def test_state_dict_keys_same_in_train_and_eval(name):
    module, x = _layer(name)
    train_keys = list(module.state_dict())
    module(x)
    module.eval()
    eval_keys = list(module.state_dict())
    with torch.no_grad():
        module(x)
    after = list(module.state_dict())
    assert train_keys == eval_keys == after
    assert all(not k.endswith(("_cache", "basis", "expansion")) for k in after)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_pickle_and_deepcopy(name, mode):
    module, x = _layer(name)
    with torch.no_grad():
        y_train = module(x).tensor
        module.eval()
        y_eval = module(x).tensor  # fills the filter caches
    caches = [m._cache for m in module.modules() if hasattr(m, "_cache")]
    assert caches and all(c is not None and not c[1][0].requires_grad for c in caches)
    getattr(module, mode)()  # the cache stays until the next train-mode forward: pickled too
    y = y_train if mode == "train" else y_eval
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert clone.training == module.training
        with torch.no_grad():
            assert torch.equal(clone(x).tensor, y)
        with torch.no_grad():  # independent parameters
            next(clone.parameters()).add_(1.0)
        with torch.no_grad():
            assert torch.equal(module(x).tensor, y)
            assert not torch.equal(clone(x).tensor, y)


def _recomputed(module, x):
    flags = [(m, m.recompute) for m in module.modules() if hasattr(m, "recompute")]
    for m, _ in flags:
        m.recompute = True
    try:
        with torch.no_grad():
            return module(x).tensor
    finally:
        for m, flag in flags:
            m.recompute = flag


@pytest.mark.parametrize("name", LAYERS)
def test_cache_invalidated_by_optimiser_load_state_dict_and_to(name):
    module, x = _layer(name)
    optimiser = torch.optim.SGD(module.parameters(), lr=0.05)
    (module(x).tensor ** 2).sum().backward()  # gradients from a train-mode step
    module.eval()
    with torch.no_grad():
        y0 = module(x).tensor
    assert torch.equal(y0, _recomputed(module, x))
    optimiser.step()  # in-place update of the parameters
    with torch.no_grad():
        y1 = module(x).tensor
    assert not torch.allclose(y0, y1)
    assert torch.equal(y1, _recomputed(module, x))
    # load_state_dict with other values
    state = {k: v + 0.1 if v.is_floating_point() else v for k, v in module.state_dict().items()}
    module.load_state_dict(state)
    with torch.no_grad():
        y2 = module(x).tensor
    assert not torch.allclose(y1, y2)
    assert torch.equal(y2, _recomputed(module, x))
    # dtype change
    module.to(torch.float64)
    x64 = module.in_type(x.tensor.double())
    with torch.no_grad():
        y3 = module(x64).tensor
    assert y3.dtype == torch.float64
    assert torch.equal(y3, _recomputed(module, x64))
    assert torch.allclose(y3, y2.double(), rtol=1e-4, atol=1e-5)  # float32 vs float64 of the same model


def test_eval_mode_gradients_flow_to_the_weights():
    """model.eval() freezes batch norm, not the weights: with gradients enabled the filter is
    expanded with its autograd graph (the no-grad cache only serves inference)."""
    module, x = _layer("model")
    module.eval()
    with torch.no_grad():
        module(x)  # fill the cache
    reference = copy.deepcopy(module)
    for m in reference.modules():
        if hasattr(m, "recompute"):
            m.recompute = True
    (module(x).tensor ** 2).sum().backward()
    (reference(x).tensor ** 2).sum().backward()
    for (name, p), (_, q) in zip(module.named_parameters(), reference.named_parameters()):
        assert p.grad is not None, name
        assert torch.allclose(p.grad, q.grad, rtol=1e-6, atol=1e-7), name
    assert module[0].weights.grad.abs().max() > 0


SUBPROCESS = textwrap.dedent(
    """
    import sys, torch
    sys.path.insert(0, {tests!r})
    torch.manual_seed(12345)  # a different initialisation: the weights must come from the file
    from nn._helpers import build_reference_model
    model = build_reference_model().double().eval()
    model.load_state_dict(torch.load({state!r}))
    x = torch.load({inputs!r})
    with torch.no_grad():
        torch.save(model(model.in_type(x)).tensor, {out!r})
    """
)


def test_state_dict_round_trip_in_fresh_process(tmp_path):
    """A state_dict saved here gives bit-identical outputs in a new process that builds the model
    anew (different seed, different PYTHONHASHSEED): the basis and parameter order are
    deterministic."""
    torch.manual_seed(0)
    model = build_reference_model().double()
    for _ in range(2):
        model(model.in_type(torch.randn(4, 3, 7, 7, dtype=torch.float64)))
    model.eval()
    x = torch.randn(3, 3, 7, 7, dtype=torch.float64)
    with torch.no_grad():
        expected = model(model.in_type(x)).tensor
    paths = {k: os.fspath(tmp_path / f"{k}.pt") for k in ("state", "inputs", "out")}
    torch.save(model.state_dict(), paths["state"])
    torch.save(x, paths["inputs"])
    env = dict(os.environ, PYTHONHASHSEED="4321", OMP_NUM_THREADS="1")
    script = SUBPROCESS.format(tests=TESTS_DIR, **paths)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    got = torch.load(paths["out"])
    assert got.dtype == torch.float64 and got.shape == expected.shape
    assert (got - expected).abs().max() <= 1e-12 * expected.abs().max()


def _bf16_relative_equivariance_error(f, t_in, x, t_out):
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        y = f(x)
        errors = [
            (f(t_in.transform(x, g)) - t_out.transform(y.float(), g)).abs().max()
            for g in t_in.testing_elements
        ]
    assert y.dtype == torch.bfloat16
    return float(max(errors) / y.float().abs().max())


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_autocast_bf16_runs_and_stays_equivariant(mode):
    """Under CPU autocast the convolutions run in bfloat16 (8-bit mantissa: a relative rounding
    of 2^-8 ~ 3.9e-3 on inputs, filters and outputs). Rounding commutes with the pixel/channel
    permutations of regular fields, but not with the rotated basis of the 'mixed' input, and the
    rotated input is summed in another order: so the error is a few bf16 roundings, < 2^-6 of
    the output scale (measured: ~1.7 roundings). A non-equivariant plain convolution of the same
    size fails that bound."""
    gs = gspaces.flipRot2dOnR2(4)
    types = field_types(gs)
    t_in, hidden = types["mixed"], types["regular"] + types["regular"]
    model = nn.SequentialModule(
        nn.R2Conv(t_in, hidden, 3, padding=1),
        nn.InnerBatchNorm(hidden),
        nn.ReLU(hidden),
        nn.R2Conv(hidden, hidden, 3, padding=1),
        nn.GroupPooling(hidden),
    )
    getattr(model, mode)()
    x = torch.randn(4, t_in.size, 9, 9)
    t_out = model.out_type

    def f(v):
        return model(t_in(v)).tensor

    err = _bf16_relative_equivariance_error(f, t_in, x, t_out)
    assert err < 2**-6
    if mode == "eval":  # the cached float32 filter is valid outside autocast too
        with torch.no_grad():
            model(t_in(x))
            with torch.autocast("cpu", dtype=torch.bfloat16):
                model(t_in(x))
            y32 = model(t_in(x)).tensor
        assert y32.dtype == torch.float32 and torch.equal(y32, _recomputed(model, t_in(x)))
    plain = torch.nn.Conv2d(t_in.size, t_out.size, 3, padding=1)
    assert _bf16_relative_equivariance_error(plain, t_in, x, t_out) > 2**-6
