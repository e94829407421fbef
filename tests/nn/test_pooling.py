"""Pointwise max/avg pooling in 2D and 3D: equivariance on centred grids, export, shapes, errors.

A strided pool commutes with a grid symmetry only if its windows sit symmetrically about the
grid's centre: along every axis the first window starts ``padding`` before the grid and the last
ends ``(n + 2 padding - dilation (k - 1) - 1) mod stride`` pixels short of the far padded edge, so
that remainder must be 0. The sizes below satisfy it (e.g. k=2, s=2 on 8 or 6; k=3, s=2, p=1 on
7); ``test_off_centre_windows_break_equivariance`` shows that the check fails otherwise.
"""

import copy
import pickle

import pytest
import torch

from steerable import gspaces, nn

from ._helpers import EXACT, POOLING_SPACES, assert_equivariant, mixed

SPACES = POOLING_SPACES


def permutation_type(space):
    """Mixed fields that permute channels (regular, trivial, quotient where there is one)."""
    gs = SPACES[space][0]()
    reps = {
        "C4": lambda: [gs.regular_repr, gs.trivial_repr, gs.quotient_repr(2)],
        "C8": lambda: [gs.regular_repr, gs.trivial_repr, gs.quotient_repr(2)],
        "D4": lambda: [gs.regular_repr, gs.trivial_repr, gs.quotient_repr((0.0, 1))],
        "octa": lambda: [gs.trivial_repr, gs.regular_repr],
        "SO3": lambda: [gs.trivial_repr] * 3,
    }[space]()
    return nn.FieldType(gs, reps)


def any_type(space):
    """Irreps under a random change of basis, plus a trivial field and an irrep."""
    gs = SPACES[space][0]()
    return nn.FieldType(gs, mixed(gs, seed=1))


# name -> (build(in_type, d), spatial size where the windows are centred)
POOLS = {
    "max_k2s2": (lambda t, d: _max(d)(t, 2), {2: 8, 3: 6}),
    "max_k3s2p1": (lambda t, d: _max(d)(t, 3, stride=2, padding=1), {2: 7, 3: 5}),
    "max_k3s1": (lambda t, d: _max(d)(t, 3, stride=1), {2: 6, 3: 4}),
    "max_dilated": (lambda t, d: _max(d)(t, 2, stride=1, dilation=2), {2: 7, 3: 5}),
    "max_ceil": (lambda t, d: _max(d)(t, 3, stride=2, ceil_mode=True), {2: 7, 3: 5}),
    "avg_k2s2": (lambda t, d: _avg(d)(t, 2), {2: 8, 3: 6}),
    "avg_k3s2p1": (lambda t, d: _avg(d)(t, 3, stride=2, padding=1), {2: 7, 3: 5}),
    "avg_tuple": (lambda t, d: _avg(d)(t, (3,) * d, stride=(2,) * d, padding=(1,) * d), {2: 9, 3: 5}),
}


def _max(d):
    return nn.PointwiseMaxPool2D if d == 2 else nn.PointwiseMaxPool3D


def _avg(d):
    return nn.PointwiseAvgPool2D if d == 2 else nn.PointwiseAvgPool3D


@pytest.mark.parametrize("space", sorted(SPACES))
@pytest.mark.parametrize("pool", sorted(POOLS))
def test_equivariance_export_and_shape(pool, space):
    t = permutation_type(space)
    d = t.gspace.dimensionality
    build, sizes = POOLS[pool]
    module = build(t, d)
    assert module.in_type == module.out_type == t
    assert_equivariant(module, spatial_size=sizes[d], n_elements=SPACES[space][1])
    x = torch.randn((2, t.size) + (sizes[d],) * d, dtype=torch.float64)
    y = module(t(x)).tensor
    assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape))
    plain = module.export()
    assert type(plain).__module__.startswith("torch.nn")
    assert (plain(x) - y).abs().max() <= 1e-12 * y.abs().max()


@pytest.mark.parametrize("space", ["C8", "D4", "octa", "SO3"])
@pytest.mark.parametrize("pool", ["avg_k2s2", "avg_k3s2p1"])
def test_average_pooling_accepts_any_field(pool, space):
    """Averaging is linear and acts on space only: equivariant for every representation."""
    t = any_type(space)
    d = t.gspace.dimensionality
    build, sizes = POOLS[pool]
    assert_equivariant(build(t, d), spatial_size=sizes[d], n_elements=SPACES[space][1])


@pytest.mark.parametrize("d", [2, 3])
def test_off_centre_windows_break_equivariance(d):
    """k=2, s=2 on an odd grid drops the last row: the windows are not centred, and a quarter
    turn moves the dropped row to the other side, so the check must fail."""
    t = permutation_type("D4" if d == 2 else "octa")
    with pytest.raises(AssertionError, match="is not equivariant"):
        _max(d)(t, 2).check_equivariance(atol=EXACT, rtol=0.0, spatial_size=5)


@pytest.mark.parametrize("d", [2, 3])
def test_values_match_torch(d):
    t = permutation_type("D4" if d == 2 else "octa")
    x = torch.randn((2, t.size) + (5, 6, 7)[:d])
    y = _max(d)(t, (2, 3, 2)[:d], stride=(1, 2, 2)[:d], padding=1, ceil_mode=True)(t(x)).tensor
    fn = torch.nn.functional.max_pool2d if d == 2 else torch.nn.functional.max_pool3d
    assert torch.equal(y, fn(x, (2, 3, 2)[:d], (1, 2, 2)[:d], 1, ceil_mode=True))
    y = _avg(d)(t, 3, stride=2, padding=1)(t(x)).tensor
    fn = torch.nn.functional.avg_pool2d if d == 2 else torch.nn.functional.avg_pool3d
    assert torch.equal(y, fn(x, 3, 2, 1))


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=(2, 3, 1), stride=(1, 2, 3), padding=(1, 0, 0), ceil_mode=True),
        dict(kernel_size=3, stride=3, ceil_mode=True),
        dict(kernel_size=2, stride=1, dilation=3, padding=1),
    ],
)
def test_output_shape_matches_actual_shape(d, kwargs):
    t = permutation_type("C4" if d == 2 else "octa")
    kw = {k: (v[:d] if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    for n in (5, 6, 7, 8):
        shape = (1, t.size) + (n, n + 1, n + 3)[:d]
        x = t(torch.randn(shape))
        module = _max(d)(t, **kw)
        assert tuple(module(x).shape) == module.evaluate_output_shape(shape)
        if "dilation" not in kw:
            module = _avg(d)(t, **kw)
            assert tuple(module(x).shape) == module.evaluate_output_shape(shape)


def test_float32_copies_and_empty_state():
    t = permutation_type("octa")
    module = nn.PointwiseMaxPool3D(t, 2)
    x = t(torch.randn(1, t.size, 4, 4, 4))
    y = module(x).tensor
    assert y.dtype == torch.float32
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert torch.equal(clone(x).tensor, y)
    assert module.state_dict() == {}
    assert "kernel_size=(2, 2, 2)" in repr(module)


def test_aliases():
    assert nn.PointwiseMaxPool is nn.PointwiseMaxPool2D
    assert nn.PointwiseAvgPool is nn.PointwiseAvgPool2D
    assert nn.PointwiseAvgPoolAntialiased is nn.PointwiseAvgPoolAntialiased2D
    assert nn.PointwiseMaxPoolAntialiased is nn.PointwiseMaxPoolAntialiased2D
    assert nn.PointwiseAdaptiveAvgPool is nn.PointwiseAdaptiveAvgPool2D
    assert nn.PointwiseAdaptiveMaxPool is nn.PointwiseAdaptiveMaxPool2D


def test_errors():
    gs, g3 = gspaces.rot2dOnR2(4), gspaces.octaOnR3()
    reg, reg3 = nn.FieldType(gs, [gs.regular_repr]), nn.FieldType(g3, [g3.regular_repr])
    with pytest.raises(ValueError, match="PointwiseMaxPool2D acts channel by channel.*irrep_1"):
        nn.PointwiseMaxPool2D(nn.FieldType(gs, [gs.regular_repr, gs.irrep(1)]), 2)
    with pytest.raises(ValueError, match="PointwiseMaxPool3D acts channel by channel.*irrep_1"):
        nn.PointwiseMaxPool3D(nn.FieldType(g3, [g3.irrep(1)]), 2)
    with pytest.raises(ValueError, match="works on 2D gspaces, got Octa_on_R3"):
        nn.PointwiseAvgPool2D(reg3, 2)
    with pytest.raises(ValueError, match="PointwiseMaxPool3D works on 3D gspaces, got C4_on_R2"):
        nn.PointwiseMaxPool3D(reg, 2)
    with pytest.raises(TypeError, match="needs a FieldType"):
        nn.PointwiseMaxPool2D(gs.regular_repr, 2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1, got 0"):
        nn.PointwiseMaxPool2D(reg, 0)
    with pytest.raises(ValueError, match=r"kernel_size must be an int or a sequence of 3 ints, got \(2, 2\)"):
        nn.PointwiseAvgPool3D(reg3, (2, 2))
    with pytest.raises(TypeError, match="kernel_size must be an int or a sequence of 2 ints, got 2.5"):
        nn.PointwiseAvgPool2D(reg, 2.5)
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        nn.PointwiseAvgPool2D(reg, 2, stride=0)
    with pytest.raises(ValueError, match="padding must be at most half the window size"):
        nn.PointwiseMaxPool2D(reg, 2, padding=2)
    pool = nn.PointwiseMaxPool2D(reg, 2)
    with pytest.raises(
        ValueError, match=r"expects an input shape \(B, C\) \+ 2 spatial sizes, got \(1, 4, 5\)"
    ):
        pool.evaluate_output_shape((1, 4, 5))
    with pytest.raises(ValueError, match="expects 4 channels"):
        pool.evaluate_output_shape((1, 3, 5, 5))
    with pytest.raises(TypeError, match="expects a GeometricTensor"):
        pool(torch.randn(1, 4, 4, 4))
    other = nn.FieldType(gs, [gs.trivial_repr] * 4)
    with pytest.raises(ValueError, match="expects fields of type"):
        pool(other(torch.randn(1, 4, 4, 4)))
