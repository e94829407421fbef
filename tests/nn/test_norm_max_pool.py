"""NormMaxPool: each field keeps its vector of largest norm per window. Equivariance for any
representation on centred grids (see test_pooling.py for the centring condition), values against
a loop reference, export, shapes, errors."""

import copy
import itertools
import pickle

import pytest
import torch

from steerable import gspaces, nn

from ._helpers import POOLING_SPACES, assert_equivariant, mixed

SPACES = POOLING_SPACES


def any_type(gs):
    """Several sizes, interleaved, with repeated sizes in different places and a change of basis."""
    reps = mixed(gs, seed=5)  # trivial, rotated sum of irreps, an irrep
    return nn.FieldType(gs, [reps[2], reps[1], reps[0], reps[2], gs.trivial_repr, reps[1]])


@pytest.mark.parametrize("space", sorted(SPACES))
@pytest.mark.parametrize(
    "kwargs,sizes",
    [
        (dict(kernel_size=2), {2: 8, 3: 4}),
        (dict(kernel_size=3, stride=2, padding=1), {2: 7, 3: 5}),
        (dict(kernel_size=2, stride=1, dilation=2), {2: 5, 3: 4}),
    ],
)
def test_equivariance_export_and_shape(space, kwargs, sizes):
    gs = SPACES[space][0]()
    d = gs.dimensionality
    t = any_type(gs)
    module = nn.NormMaxPool(t, **kwargs)
    assert module.in_type == module.out_type == t
    assert_equivariant(module, spatial_size=sizes[d], n_elements=SPACES[space][1])
    x = torch.randn((2, t.size) + (sizes[d],) * d, dtype=torch.float64)
    y = module(t(x)).tensor
    assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape))
    plain = module.export()
    assert not isinstance(plain, nn.EquivariantModule)
    assert (plain(x) - y).abs().max() <= 1e-12 * y.abs().max()


def _reference(x, t, k, s, p, dil):
    """Loop over fields and output pixels: the vector of largest norm in each window."""
    b, _, h, w = x.shape
    oh, ow = (h + 2 * p - dil * (k - 1) - 1) // s + 1, (w + 2 * p - dil * (k - 1) - 1) // s + 1
    out = torch.empty(b, t.size, oh, ow, dtype=x.dtype)
    for start, end in zip(t.fields_start, t.fields_end):
        field = x[:, start:end]
        for n, i, j in itertools.product(range(b), range(oh), range(ow)):
            best, best_norm = None, -1.0
            for a, c in itertools.product(range(k), range(k)):
                r, q = i * s - p + a * dil, j * s - p + c * dil
                if 0 <= r < h and 0 <= q < w:
                    v = field[n, :, r, q]
                    if v.norm() > best_norm:
                        best, best_norm = v, v.norm()
            out[n, start:end, i, j] = best
    return out


@pytest.mark.parametrize("k,s,p,dil", [(2, 2, 0, 1), (3, 2, 1, 1), (2, 1, 1, 2)])
def test_values_against_a_loop_reference(k, s, p, dil):
    gs = gspaces.flipRot2dOnR2(4)
    t = any_type(gs)
    x = torch.randn(2, t.size, 5, 6, dtype=torch.float64)
    y = nn.NormMaxPool(t, k, stride=s, padding=p, dilation=dil)(t(x)).tensor
    assert torch.equal(y, _reference(x, t, k, s, p, dil))
    # not a channel-wise max: a field's channels come from one position
    channelwise = torch.nn.functional.max_pool2d(x, k, s, p, dil)
    assert not torch.equal(y, channelwise)


@pytest.mark.parametrize("d", [2, 3])
def test_output_shape_in_ceil_mode_and_uniform_types(d):
    gs = gspaces.rot2dOnR2(8) if d == 2 else gspaces.octaOnR3()
    for t in (any_type(gs), nn.FieldType(gs, [gs.irrep(1)] * 3)):
        module = nn.NormMaxPool(t, (2, 3, 2)[:d], stride=(2, 2, 3)[:d], padding=1, ceil_mode=True)
        for n in (4, 5):
            shape = (2, t.size) + (n, n + 1, n + 2)[:d]
            x = torch.randn(shape, dtype=torch.float64)
            y = module(t(x)).tensor
            assert tuple(y.shape) == module.evaluate_output_shape(shape)
            assert (module.export()(x) - y).abs().max() <= 1e-12 * y.abs().max()


def test_gradient_float32_copies_and_empty_state():
    gs = gspaces.flipRot2dOnR2(4)
    t = any_type(gs)
    module = nn.NormMaxPool(t, 2)
    x = torch.randn(2, t.size, 4, 4, requires_grad=True)
    y = module(t(x)).tensor
    assert y.dtype == torch.float32
    y.sum().backward()
    # exactly one position per window and field receives the gradient
    assert int((x.grad != 0).sum()) == 2 * t.size * 4
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert torch.equal(clone(t(x.detach())).tensor, y.detach())
    assert module.state_dict() == {} and "kernel_size=(2, 2)" in repr(module)


def test_errors():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.irrep(1)])
    with pytest.raises(TypeError, match="NormMaxPool needs a FieldType"):
        nn.NormMaxPool(gs.irrep(1), 2)
    g0 = gspaces.no_base_space(gs.fibergroup)
    with pytest.raises(ValueError, match="NormMaxPool works on 2D and 3D gspaces, got"):
        nn.NormMaxPool(nn.FieldType(g0, [g0.trivial_repr]), 2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1, got 0"):
        nn.NormMaxPool(t, 0)
    with pytest.raises(
        ValueError, match=r"kernel_size must be an int or a sequence of 2 ints, got \[2, 2, 2\]"
    ):
        nn.NormMaxPool(t, [2, 2, 2])
    with pytest.raises(ValueError, match="padding must be at most half the window size"):
        nn.NormMaxPool(t, 2, padding=3)
    module = nn.NormMaxPool(t, 2)
    with pytest.raises(ValueError, match=r"expects an input shape \(B, C\) \+ 2 spatial sizes"):
        module.evaluate_output_shape((1, 2, 4, 4, 4))
    with pytest.raises(ValueError, match="expects fields of type"):
        module(nn.FieldType(gs, [gs.trivial_repr] * 2)(torch.randn(1, 2, 4, 4)))
