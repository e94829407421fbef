"""R2PointConv / R3PointConv: exact equivariance to arbitrary rotations/reflections of the points
and to permutations, agreement with the numpy kernel basis and with R2Conv on a pixel grid,
gradients in the coordinates, export, state and bad input."""

from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import change_basis, directsum
from steerable.kernels import EmptyBasisException
from steerable.kernels.harmonics import harmonics
from steerable.nn.modules._point_kernel import circular_harmonics
from steerable.nn.modules.harmonic_polynomial import SolidHarmonics
from steerable.pointcloud import radius_graph
from steerable.testing import random_elements

from ._helpers import EXACT, random_orthogonal

# name -> (gspace factory, conv class, extra arguments, elements checked)
GSPACES = {
    "C8": (lambda: gspaces.rot2dOnR2(8), nn.R2PointConv, {}, 8),
    "O2": (lambda: gspaces.flipRot2dOnR2(-1, maximum_frequency=3), nn.R2PointConv, {}, 24),
    "SO2": (lambda: gspaces.rot2dOnR2(-1), nn.R2PointConv, {}, 14),
    "SO3": (lambda: gspaces.rot3dOnR3(), nn.R3PointConv, {"frequencies_cutoff": 1.0}, 12),
    "O3": (lambda: gspaces.flipRot3dOnR3(), nn.R3PointConv, {"frequencies_cutoff": 1.0}, 20),
    "Octa": (lambda: gspaces.octaOnR3(), nn.R3PointConv, {"frequencies_cutoff": 1.0}, 24),
}


def mixed_types(gs, seed: int = 0):
    """(in, out): trivial, a rotated sum of irreps, an irrep and a regular(-like) field."""
    G = gs.fibergroup
    irreps = [G.irrep(*i) for i in G.bl_irreps(2)] if G.continuous else list(G.irreps())
    block = directsum(irreps[:3])
    rotated = change_basis(block, random_orthogonal(block.size, seed), f"rotated{seed}")
    regular = G.bl_regular_representation(1) if G.continuous else gs.regular_repr
    t_in = nn.FieldType(gs, [gs.trivial_repr, rotated, irreps[1], regular])
    t_out = nn.FieldType(gs, [rotated, regular, gs.trivial_repr, irreps[-1]])
    return t_in, t_out


def build(name, **kwargs):
    factory, cls, extra, _ = GSPACES[name]
    t_in, t_out = mixed_types(factory())
    return cls(t_in, t_out, **{"width": 1.0, **extra, **kwargs})


def cloud(conv, n=20, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    coords = (torch.rand(n, conv.d, generator=gen, dtype=dtype) * 2 - 1) * 1.5 * conv.width
    x = torch.randn(n, conv.in_type.size, generator=gen, dtype=dtype)
    return conv.in_type(x, coords), radius_graph(coords, conv.width, loop=True)


def filter_at(conv, delta: torch.Tensor) -> torch.Tensor:
    """The layer's ``(C_out, C_in)`` kernel at one offset, read off with one-hot inputs."""
    c = conv.in_type.size
    x = torch.cat([torch.eye(c), torch.zeros(c, c)]).double()
    edges = torch.stack([torch.arange(c), torch.arange(c) + c])
    with torch.no_grad():
        y = conv(conv.in_type(x, torch.zeros(2 * c, conv.d).double()), edges, delta.expand(c, -1)).tensor
        bias = conv.expand_parameters()[1]
    y = y[c:] if bias is None else y[c:] - bias
    return y.T


# ---------------------------------------------------------------- equivariance
@pytest.mark.parametrize("name", list(GSPACES))
def test_equivariant_to_rotations_and_permutations(name):
    conv = build(name)
    conv.bias.data.normal_()  # a bias breaks nothing only if it sits on trivial irreps
    x, edges = cloud(conv.double())
    assert conv(x, edges).tensor.abs().max() > 1e-2
    errors = conv.check_equivariance(atol=EXACT, rtol=0.0)
    assert len(errors) == GSPACES[name][3]
    assert max(e for _, e in errors) < EXACT


@pytest.mark.parametrize("name", ["O2", "O3"])
def test_equivariant_with_explicit_edge_delta(name):
    """Arbitrary rotations and reflections acting on given offsets (no coords used)."""
    conv = build(name).double().eval()
    x, edges = cloud(conv, seed=1)
    delta = x.coords[edges[0]] - x.coords[edges[1]]
    y = conv(x, edges, delta).tensor
    for g in random_elements(conv.in_type.fibergroup, 3, seed=5):
        m = torch.as_tensor(conv.in_type.gspace.basespace_matrix(g))
        moved = conv.in_type(conv.in_type.transform_fibers(x.tensor, g), torch.zeros_like(x.coords))
        lhs = conv(moved, edges, delta @ m.T).tensor
        assert (lhs - conv.out_type.transform_fibers(y, g)).abs().max() < EXACT


def test_check_is_not_vacuous():
    """A corrupted kernel (random harmonic coefficients) fails the check."""
    conv = build("SO3").double()
    source = conv.kernel._constants["coefficients"]  # float64 source of the buffer
    source += np.random.default_rng(0).normal(size=source.shape) * 0.1
    with pytest.raises(AssertionError, match="not equivariant"):
        conv.check_equivariance(atol=1e-6, rtol=0.0)


# ---------------------------------------------------------------- the kernel itself
@pytest.mark.parametrize("name", ["C8", "O2", "SO3", "Octa"])
def test_kernel_equals_numpy_basis(name):
    """The torch-sampled kernel equals sum_e w_e B_e(delta) of the numpy basis (field basis),
    at random offsets and at 0; both contraction orders are exercised."""
    conv = build(name).double().eval()
    modes = {p[-1] for p in conv.kernel._plan}
    rng = np.random.default_rng(0)
    w = conv.weights.detach().numpy()
    for delta in [rng.normal(size=conv.d) * 0.7 for _ in range(3)] + [np.zeros(conv.d)]:
        expected = np.einsum("e,eoi->oi", w, conv.basis.sample(delta[None])[0])
        got = filter_at(conv, torch.tensor(delta)).numpy()
        assert np.abs(got - expected).max() < 1e-12
    if name in ("C8", "O2", "Octa"):
        assert modes == {True, False}


def test_basis_filter_drops_elements():
    t_in, t_out = mixed_types(gspaces.rot2dOnR2(8))
    full = nn.R2PointConv(t_in, t_out, width=1.0)
    conv = nn.R2PointConv(t_in, t_out, width=1.0, basis_filter=lambda a: a["ring"] != 1).double().eval()
    assert 0 < conv.basis.dim < full.basis.dim
    delta = np.array([0.4, -0.3])
    expected = np.einsum("e,eoi->oi", conv.weights.detach().numpy(), conv.basis.sample(delta[None])[0])
    assert np.abs(filter_at(conv, torch.tensor(delta)).numpy() - expected).max() < 1e-12
    assert conv.check_equivariance(atol=EXACT, rtol=0.0)


def test_torch_harmonics_equal_numpy():
    rng = np.random.default_rng(1)
    u2 = rng.normal(size=(10, 2))
    u2 /= np.linalg.norm(u2, axis=1, keepdims=True)
    got = circular_harmonics(torch.tensor(u2), 4).numpy()
    expected = np.concatenate([harmonics(2, J, u2) for J in range(5)], axis=1)
    assert np.abs(got - expected).max() < 1e-13
    u3 = rng.normal(size=(10, 3))
    u3 /= np.linalg.norm(u3, axis=1, keepdims=True)
    got = SolidHarmonics(4)(torch.tensor(u3)).numpy()
    expected = np.concatenate([harmonics(3, J, u3) for J in range(5)], axis=1)
    assert np.abs(got - expected).max() < 1e-12


@pytest.mark.parametrize("group", ["C8", "D4"])
def test_equals_r2conv_on_a_pixel_grid(group):
    """Same basis and weights: the point conv on the 3x3 neighbourhoods (with self-loops) of a
    pixel grid is R2Conv with zero padding; this pins the offset convention x_source - x_target."""
    gs = gspaces.rot2dOnR2(8) if group == "C8" else gspaces.flipRot2dOnR2(4)
    t_in = nn.FieldType(gs, [gs.trivial_repr, gs.regular_repr])
    t_out = nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    conv = nn.R2Conv(t_in, t_out, 3, padding=1).double().eval()
    point = nn.R2PointConv(t_in, t_out, rings=[0.0, 1.0], sigma=[0.005, 0.4], frequencies_cutoff=2.0)
    point = point.double().eval()
    assert point.basis.dim == conv.basis.dim
    with torch.no_grad():
        point.weights.copy_(conv.weights)
        conv.bias.normal_()
        point.bias.copy_(conv.bias)
    H = W = 6
    img = torch.randn(1, t_in.size, H, W, dtype=torch.float64)
    rows, cols = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    coords = torch.stack([cols.reshape(-1), -rows.reshape(-1)], dim=1).double()  # x = col, y = -row
    edges = radius_graph(coords, 1.5, loop=True)
    with torch.no_grad():
        expected = conv(t_in(img)).tensor[0].reshape(t_out.size, -1).T
        got = point(t_in(img[0].reshape(t_in.size, -1).T, coords), edges).tensor
    assert (got - expected).abs().max() < 1e-12


# ---------------------------------------------------------------- gradients
def test_gradient_in_coordinates():
    conv = build("SO3").double()
    x, edges = cloud(conv, n=6, seed=3)
    coords = x.coords.clone().requires_grad_(True)

    def f(c):
        return conv(conv.in_type(x.tensor, c), edges).tensor

    assert torch.autograd.gradcheck(f, (coords,), eps=1e-6, atol=1e-6)
    f(coords).pow(2).sum().backward()
    assert torch.isfinite(coords.grad).all() and coords.grad.abs().max() > 0
    assert conv.weights.grad is not None and conv.weights.grad.abs().max() > 0


def test_gradient_2d_and_self_loops_are_finite():
    conv = build("O2").double()
    x, edges = cloud(conv, n=8, seed=2)
    coords = x.coords.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda c: conv(conv.in_type(x.tensor, c), edges).tensor, (coords,), eps=1e-6, atol=1e-6
    )


# ---------------------------------------------------------------- bias, groups, defaults
def test_bias_only_on_trivial_irreps():
    conv = build("C8").double().eval()
    n_trivial = sum(1 for i in conv.out_type.irreps if i == conv.in_type.fibergroup.trivial_representation.id)
    assert conv.bias.numel() == n_trivial
    conv.bias.data.normal_()
    x, _ = cloud(conv, n=4)
    out = conv(x, torch.zeros(2, 0, dtype=torch.long)).tensor  # no edges: only the bias
    bias = conv.expand_parameters()[1]
    assert (out - bias).abs().max() == 0 and bias.abs().max() > 0.1
    for g in conv.in_type.fibergroup.elements:
        rho = torch.as_tensor(conv.out_type.fiber_representation(g))
        assert (rho @ bias - bias).abs().max() < EXACT
    gs = conv.in_type.gspace
    no_trivial = nn.FieldType(gs, [gs.irrep(1)])
    assert nn.R2PointConv(conv.in_type, no_trivial, width=1.0).bias is None
    assert nn.R2PointConv(conv.in_type, conv.out_type, width=1.0, bias=False).bias is None


def test_groups_equal_separate_convolutions():
    gs = gspaces.rot2dOnR2(4)
    t_in, t_out = mixed_types(gs)
    conv = nn.R2PointConv(t_in + t_in, t_out + t_out, groups=2, width=1.0).double().eval()
    single = nn.R2PointConv(t_in, t_out, width=1.0).double().eval()
    conv.bias.data.normal_()
    x, edges = cloud(conv, seed=4)
    y = conv(x, edges).tensor
    for g in range(2):
        with torch.no_grad():
            single.weights.copy_(conv.weights.view(2, -1)[g])
            single.bias.copy_(conv.bias.view(2, -1)[g])
            part = x.tensor[:, g * t_in.size : (g + 1) * t_in.size]
            expected = single(t_in(part, x.coords), edges).tensor
        assert (y[:, g * t_out.size : (g + 1) * t_out.size] - expected).abs().max() < 1e-12
    assert conv.check_equivariance(atol=EXACT, rtol=0.0)


def test_default_rings_sigma_and_band_limit():
    t_in, t_out = mixed_types(gspaces.rot2dOnR2(-1))
    conv = nn.R2PointConv(t_in, t_out, width=2.0)
    assert conv.rings.tolist() == [0.0, 1.0, 2.0] and conv.sigma.tolist() == pytest.approx([0.6] * 3)
    orders = {
        r: conv.basis.attributes["order"][conv.basis.attributes["radius"] == r].max() for r in (0, 1, 2)
    }
    assert orders == {0: 0, 1: 2, 2: 4}  # J <= 2 r / spacing
    scaled = nn.R2PointConv(t_in, t_out, width=20.0)  # the basis does not depend on the length unit
    assert scaled.basis.dim == conv.basis.dim
    four = nn.R2PointConv(t_in, t_out, width=3.0, n_rings=4, frequencies_cutoff=1.0)
    assert four.rings.tolist() == [0.0, 1.0, 2.0, 3.0] and four.basis.attributes["order"].max() == 3
    explicit = nn.R2PointConv(t_in, t_out, rings=[0.5, 2.0], sigma=0.3)
    assert explicit.sigma.tolist() == [0.3, 0.3] and explicit.width == 2.0


def test_initialisation_keeps_the_scale():
    """He init: on a lattice with the ring spacing the output has unit-order variance."""
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr] * 4)
    conv = nn.R2PointConv(t, t, width=2.0, n_rings=3)
    grid = torch.stack(torch.meshgrid(torch.arange(12.0), torch.arange(12.0), indexing="ij"), -1).reshape(
        -1, 2
    )
    edges = radius_graph(grid, 2.0, loop=True)
    with torch.no_grad():
        y = conv(t(torch.randn(144, t.size), grid), edges).tensor
    assert 0.5 < float(y.var()) < 8.0


# ---------------------------------------------------------------- export, state, dtypes
def test_export_matches():
    conv = build("Octa").double()
    conv.bias.data.normal_()
    conv.eval()
    x, edges = cloud(conv, seed=6)
    plain = conv.export()
    assert not any(isinstance(m, nn.EquivariantModule) for m in plain.modules())
    with torch.no_grad():
        expected = conv(x, edges).tensor
        assert (plain(x.tensor, x.coords, edges) - expected).abs().max() < 1e-12
        delta = x.coords[edges[0]] - x.coords[edges[1]]
        assert (plain(x.tensor, None, edges, delta) - expected).abs().max() < 1e-12


def test_state_dict_pickle_deepcopy_and_dtypes():
    conv = build("SO2")
    conv.bias.data.normal_()
    assert list(conv.state_dict()) == ["weights", "bias"]
    x, edges = cloud(conv.double().eval(), seed=7)
    y = conv(x, edges).tensor
    fresh = build("SO2").double().eval()
    fresh.load_state_dict(conv.state_dict())
    assert (fresh(x, edges).tensor - y).abs().max() == 0
    assert (copy.deepcopy(conv)(x, edges).tensor - y).abs().max() == 0
    buf = io.BytesIO()
    pickle.dump(conv, buf)
    assert (pickle.loads(buf.getvalue())(x, edges).tensor - y).abs().max() == 0
    conv.train()
    assert (conv(x, edges).tensor - y).abs().max() == 0  # train and eval compute the same
    low = copy.deepcopy(conv).float()
    y32 = low(x.to(torch.float32), edges).tensor
    assert y32.dtype == torch.float32 and (y32.double() - y).abs().max() < 1e-4 * y.abs().max()


def test_eval_cache_follows_weight_updates():
    conv = build("C8").double().eval()
    x, edges = cloud(conv)
    with torch.no_grad():
        y0 = conv(x, edges).tensor
        conv.weights.mul_(2.0)
        y1 = conv(x, edges).tensor
    assert (y1 - 2 * (y0 - conv.expand_parameters()[1]) - conv.expand_parameters()[1]).abs().max() < 1e-12


def test_evaluate_output_shape_and_repr():
    conv = build("C8")
    assert conv.evaluate_output_shape((5, conv.in_type.size)) == (5, conv.out_type.size)
    with pytest.raises(ValueError, match="expected an input shape"):
        conv.evaluate_output_shape((5, conv.in_type.size + 1))
    assert "rings=[0.0, 0.5, 1.0]" in repr(conv)


# ---------------------------------------------------------------- bad input
def test_bad_input():
    conv = build("C8").double()
    x, edges = cloud(conv)
    image = conv.in_type(torch.randn(1, conv.in_type.size, 5, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="needs a point cloud"):
        conv(image, edges)
    with pytest.raises(TypeError, match="int64"):
        conv(x, edges.double())
    with pytest.raises(TypeError, match=r"\(2, E\)"):
        conv(x, edges.tolist())
    with pytest.raises(ValueError, match=r"shape \(2, E\)"):
        conv(x, edges[0])
    with pytest.raises(ValueError, match=r"shape \(2, E\)"):
        conv(x, torch.cat([edges, edges[:1]]))
    with pytest.raises(ValueError, match="refers to nodes"):
        conv(x, edges + x.tensor.shape[0])
    with pytest.raises(ValueError, match="refers to nodes"):
        conv(x, edges - 1)
    with pytest.raises(ValueError, match="edge_delta must be"):
        conv(x, edges, torch.zeros(edges.shape[1], 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="floating point"):
        conv(x, edges, torch.zeros(edges.shape[1], 2, dtype=torch.long))
    with pytest.raises(ValueError, match="expects fields of type"):
        conv(conv.out_type(torch.zeros(3, conv.out_type.size), torch.zeros(3, 2)), edges[:, :0])
    with pytest.raises(TypeError, match="GeometricTensor"):
        conv(x.tensor, edges)


def test_bad_arguments():
    t_in, t_out = mixed_types(gspaces.rot2dOnR2(8))
    with pytest.raises(ValueError, match="width"):
        nn.R2PointConv(t_in, t_out)
    with pytest.raises(ValueError, match="either rings or width"):
        nn.R2PointConv(t_in, t_out, width=1.0, rings=[0, 1])
    with pytest.raises(ValueError, match="n_rings"):
        nn.R2PointConv(t_in, t_out, width=1.0, n_rings=1)
    with pytest.raises(ValueError, match="width must be"):
        nn.R2PointConv(t_in, t_out, width=-1.0)
    with pytest.raises(ValueError, match="sigma must be"):
        nn.R2PointConv(t_in, t_out, width=1.0, sigma=0.0)
    with pytest.raises(ValueError, match="rings must be"):
        nn.R2PointConv(t_in, t_out, rings=[-1.0, 1.0])
    with pytest.raises(ValueError, match="explicit sigma"):
        nn.R2PointConv(t_in, t_out, rings=[0.0])
    with pytest.raises(ValueError, match="groups"):
        nn.R2PointConv(t_in, t_out, width=1.0, groups=0)
    with pytest.raises(ValueError, match="identical groups"):
        nn.R2PointConv(t_in, t_out, width=1.0, groups=2)
    with pytest.raises(TypeError, match="FieldType"):
        nn.R2PointConv(t_in, "regular", width=1.0)
    with pytest.raises(ValueError, match="R\\^3"):
        nn.R3PointConv(t_in, t_out, width=1.0)
    gs3 = gspaces.rot3dOnR3()
    with pytest.raises(ValueError, match="different gspaces"):
        nn.R2PointConv(t_in, nn.FieldType(gs3, [gs3.trivial_repr]), width=1.0)
    so2 = gspaces.rot2dOnR2(-1)
    with pytest.raises(EmptyBasisException, match="no equivariant kernel"):
        nn.R2PointConv(
            nn.FieldType(so2, [so2.irrep(3)]), nn.FieldType(so2, [so2.trivial_repr]), width=1.0, n_rings=2,
            frequencies_cutoff=1.0,
        )  # fmt: skip
