"""Anti-aliased pooling (Gaussian blur + subsampling) in 2D and 3D: equivariance on centred grids,
the filter, values, export to plain Conv/MaxPool, shapes, errors.

The blur is ``2 ceil(3 sigma) + 1`` wide with half of that as padding, so with stride ``s`` the
subsampled positions are centred when ``(n_dense - 1) mod s == 0`` (``n_dense``: the length before
subsampling); the sizes below satisfy it.
"""

import copy
import itertools
import math
import pickle

import pytest
import torch
import torch.nn.functional as F

from steerable import gspaces, nn

from ._helpers import POOLING_SPACES, assert_equivariant, mixed

SPACES = POOLING_SPACES


def permutation_type(space):
    gs = SPACES[space][0]()
    reps = {
        "C4": lambda: [gs.regular_repr, gs.trivial_repr, gs.quotient_repr(2)],
        "C8": lambda: [gs.trivial_repr, gs.regular_repr],
        "D4": lambda: [gs.regular_repr, gs.trivial_repr, gs.quotient_repr((0.0, 1))],
        "octa": lambda: [gs.trivial_repr, gs.regular_repr],
        "SO3": lambda: [gs.trivial_repr] * 2,
    }[space]()
    return nn.FieldType(gs, reps)


def _avg(d):
    return nn.PointwiseAvgPoolAntialiased2D if d == 2 else nn.PointwiseAvgPoolAntialiased3D


def _max(d):
    return nn.PointwiseMaxPoolAntialiased2D if d == 2 else nn.PointwiseMaxPoolAntialiased3D


# name -> (build(in_type, d), centred spatial size per dimensionality)
POOLS = {
    "avg_s2": (lambda t, d: _avg(d)(t, sigma=0.66, stride=2), {2: 9, 3: 5}),
    "avg_s1_p0": (lambda t, d: _avg(d)(t, sigma=0.5, stride=1, padding=0), {2: 7, 3: 6}),
    "max_k2s2": (lambda t, d: _max(d)(t, 2), {2: 8, 3: 6}),
    "max_k3s2p1": (lambda t, d: _max(d)(t, 3, stride=2, padding=1, sigma=0.8), {2: 9, 3: 5}),
    "max_dilated": (lambda t, d: _max(d)(t, 2, stride=2, dilation=2, sigma=0.4), {2: 7, 3: 5}),
}


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
    module = module.double()
    y = module(t(x)).tensor
    assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape))
    plain = module.export()
    assert type(plain).__module__.startswith("torch.nn")
    assert not any(p.requires_grad for p in plain.parameters())
    assert (plain(x) - y).abs().max() <= 1e-12 * y.abs().max()


@pytest.mark.parametrize("space", ["C8", "D4", "octa", "SO3"])
def test_average_accepts_any_field(space):
    gs = SPACES[space][0]()
    t = nn.FieldType(gs, mixed(gs, seed=2))
    d = gs.dimensionality
    build, sizes = POOLS["avg_s2"]
    assert_equivariant(build(t, d), spatial_size=sizes[d], n_elements=SPACES[space][1])


@pytest.mark.parametrize("d", [2, 3])
def test_filter_is_a_normalised_gaussian_invariant_under_the_grid_symmetries(d):
    t = permutation_type("D4" if d == 2 else "octa")
    pool = _avg(d)(t, sigma=0.66, stride=2).double()
    assert pool.filter_size == 5 and pool.padding == (2,) * d and pool.filter.shape == (t.size, 1) + (5,) * d
    f = pool.filter[0, 0]
    assert torch.equal(pool.filter, f.expand_as(pool.filter))
    r = torch.arange(-2, 3, dtype=torch.float64)
    grids = torch.meshgrid(*(r,) * d, indexing="ij")
    expected = torch.exp(-sum(g**2 for g in grids) / (2 * 0.66**2))
    assert torch.allclose(f, expected / expected.sum(), atol=1e-7)
    for perm in itertools.permutations(range(d)):
        assert torch.equal(f.permute(perm), f)
    for axis in range(d):
        assert torch.equal(f.flip(axis), f)
    # a constant input stays constant away from the (zero-padded) border
    x = torch.ones((1, t.size) + (9,) * d, dtype=torch.float64)
    inner = pool(t(x)).tensor[(Ellipsis,) + (slice(1, -1),) * d]
    assert torch.allclose(inner, torch.ones_like(inner))


@pytest.mark.parametrize("d", [2, 3])
def test_max_values_are_a_blurred_dense_max(d):
    t = permutation_type("C4" if d == 2 else "octa")
    x = torch.randn((2, t.size) + (7,) * d, dtype=torch.float64)
    pool = _max(d)(t, 3, stride=2, padding=1, sigma=0.5).double()
    assert pool.filter_size == 5 and pool.blur_padding == 2
    dense = (F.max_pool2d if d == 2 else F.max_pool3d)(x, 3, 1, 1)
    w = pool.filter  # checked against the Gaussian formula above
    expected = (F.conv2d if d == 2 else F.conv3d)(dense, w, None, 2, 2, 1, t.size)
    assert torch.equal(pool(t(x)).tensor, expected)


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=3, stride=2, ceil_mode=True),
        dict(kernel_size=2, stride=3, ceil_mode=True),
        dict(kernel_size=(2, 3, 2), stride=(2, 1, 3), padding=(1, 0, 1), ceil_mode=True),
        dict(kernel_size=2, stride=2, dilation=2, padding=1),
    ],
)
def test_max_output_size_is_that_of_torch_max_pool(d, kwargs):
    """Same output size as MaxPool with the same arguments (ceil mode included); the export
    (with its size-dependent padding in ceil mode) agrees on every size."""
    t = permutation_type("C4" if d == 2 else "octa")
    kw = {k: (v[:d] if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    module = _max(d)(t, **kw).double()
    plain = module.export()
    torch_pool = (torch.nn.MaxPool2d if d == 2 else torch.nn.MaxPool3d)(**kw)
    for n in (5, 6, 7, 8):
        shape = (1, t.size) + (n, n + 1, n + 2)[:d]
        x = torch.randn(shape, dtype=torch.float64)
        y = module(t(x)).tensor
        assert tuple(y.shape) == module.evaluate_output_shape(shape) == tuple(torch_pool(x).shape)
        assert torch.isfinite(y).all()
        assert (plain(x) - y).abs().max() <= 1e-12 * y.abs().max()


@pytest.mark.parametrize("d", [2, 3])
def test_avg_output_shape(d):
    t = permutation_type("C4" if d == 2 else "octa")
    for kwargs in (
        dict(sigma=0.66, stride=2),
        dict(sigma=1.2, stride=3, padding=3),
        dict(sigma=0.3, stride=1),
    ):
        module = _avg(d)(t, **kwargs)
        for n in (5, 8):
            shape = (2, t.size) + (n, n + 1, n + 3)[:d]
            assert tuple(module(t(torch.randn(shape))).shape) == module.evaluate_output_shape(shape)
    assert _avg(d)(t, sigma=1.0, stride=1).filter_size == 2 * math.ceil(3.0) + 1


def test_dtype_device_copies_and_empty_state():
    t = permutation_type("octa")
    pool = nn.PointwiseMaxPoolAntialiased3D(t, 2)
    assert pool.filter.dtype == torch.float32 and pool.state_dict() == {}
    x = t(torch.randn(1, t.size, 4, 4, 4))
    y = pool(x).tensor
    for clone in (copy.deepcopy(pool), pickle.loads(pickle.dumps(pool))):
        assert torch.equal(clone(x).tensor, y)
    assert pool.double().filter.dtype == torch.float64
    assert "sigma=0.6" in repr(pool)


def test_errors():
    gs, g3 = gspaces.rot2dOnR2(4), gspaces.octaOnR3()
    reg = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(ValueError, match="PointwiseMaxPoolAntialiased2D acts channel by channel.*irrep_1"):
        nn.PointwiseMaxPoolAntialiased2D(nn.FieldType(gs, [gs.irrep(1)]), 2)
    with pytest.raises(ValueError, match="PointwiseMaxPoolAntialiased3D acts channel by channel.*irrep_1"):
        nn.PointwiseMaxPoolAntialiased3D(nn.FieldType(g3, [g3.irrep(1)]), 2)
    with pytest.raises(ValueError, match="works on 3D gspaces, got C4_on_R2"):
        nn.PointwiseAvgPoolAntialiased3D(reg, sigma=1.0, stride=2)
    with pytest.raises(ValueError, match="sigma must be positive, got 0"):
        nn.PointwiseAvgPoolAntialiased2D(reg, sigma=0, stride=2)
    with pytest.raises(ValueError, match="sigma must be positive, got -1"):
        nn.PointwiseMaxPoolAntialiased2D(reg, 2, sigma=-1.0)
    with pytest.raises(TypeError, match="sigma must be a positive number, got '1'"):
        nn.PointwiseAvgPoolAntialiased2D(reg, sigma="1", stride=2)
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        nn.PointwiseAvgPoolAntialiased2D(reg, sigma=1.0, stride=0)
    with pytest.raises(ValueError, match="kernel_size must be >= 1, got 0"):
        nn.PointwiseMaxPoolAntialiased2D(reg, 0)
    with pytest.raises(ValueError, match="padding must be at most half the window size"):
        nn.PointwiseMaxPoolAntialiased2D(reg, 3, padding=2)
    pool = nn.PointwiseAvgPoolAntialiased2D(reg, sigma=1.0, stride=2)
    with pytest.raises(ValueError, match=r"expects an input shape \(B, C\) \+ 2 spatial sizes"):
        pool.evaluate_output_shape((1, 4, 5, 5, 5))
    with pytest.raises(TypeError, match="expects a GeometricTensor"):
        pool(torch.randn(1, 4, 5, 5))
