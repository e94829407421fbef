"""FourierPointwise / FourierELU: exact equivariance on finite groups with their regular grid,
convergence on continuous groups, values against direct implementations, export, state, errors."""

import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from steerable import group, gspaces, nn

from ._helpers import EXACT, assert_equivariant

# Finite groups sampled on all their elements: the grid is permuted by every element, so the
# module is exactly equivariant (float64 rounding only).
FINITE = {
    "C8_R2": (lambda: gspaces.rot2dOnR2(8), 4),
    "D4_R2": (lambda: gspaces.flipRot2dOnR2(4), 8),
    "octa_R3": (lambda: gspaces.octaOnR3(), 24),
    "ico_R3": (lambda: gspaces.icoOnR3(), 12),  # the 12 elements that permute voxels
    "C8_R0": (lambda: gspaces.no_base_space(group.cyclic_group(8)), 8),
    "D4_R0": (lambda: gspaces.no_base_space(group.dihedral_group(4)), 8),
    "octa_R0": (lambda: gspaces.no_base_space(group.octa_group()), 24),
    "ico_R0": (lambda: gspaces.no_base_space(group.ico_group()), 60),
}


def _all_irreps(G):
    return [i.id for i in G.irreps()]


def _spatial(gs):
    return {0: 1, 2: 5, 3: 3}[gs.dimensionality]


@pytest.mark.parametrize("function", ["p_relu", "p_elu"])
@pytest.mark.parametrize("name", sorted(FINITE))
def test_exact_equivariance_finite_groups(name, function):
    gs = FINITE[name][0]()
    G = gs.fibergroup
    module = nn.FourierPointwise(gs, 2, _all_irreps(G), "regular", function=function)
    assert module.grid_size == G.order()
    assert module.in_type == nn.FieldType(gs, [G.spectral_regular_representation(*_all_irreps(G))] * 2)
    assert_equivariant(module, spatial_size=_spatial(gs), n_elements=FINITE[name][1])


@pytest.mark.parametrize("name", ["D4_R2", "octa_R0", "ico_R0"])
def test_exact_equivariance_out_irreps_and_default_grid(name):
    """The default grid of a finite group is all of it; out_irreps is a sub-band."""
    gs = FINITE[name][0]()
    G = gs.fibergroup
    irreps = _all_irreps(G)
    module = nn.FourierELU(gs, 3, irreps, out_irreps=irreps[:2])
    assert module.grid_size == G.order()
    assert module.out_type == nn.FieldType(gs, [G.spectral_regular_representation(*irreps[:2])] * 3)
    assert_equivariant(module, spatial_size=_spatial(gs), n_elements=FINITE[name][1])


@pytest.mark.parametrize(
    "make",
    [lambda: group.dihedral_group(4), group.octa_group, lambda: group.cyclic_group(6)],
    ids=["D4", "octa", "C6"],
)
def test_finite_fourier_transform_conjugates_the_regular_representation(make):
    """On the whole group with normalize=False, A / sqrt(|G|) is an orthogonal map from the
    spectral to the regular representation (in G.elements order): the module is ReLU on the
    regular representation, conjugated by it."""
    G = make()
    irreps = _all_irreps(G)
    module = nn.FourierPointwise(gspaces.no_base_space(G), 1, irreps, normalize=False).double()
    q = module.A.numpy() / np.sqrt(G.order())
    assert np.abs(q.T @ q - np.eye(q.shape[0])).max() < EXACT
    spectral = G.spectral_regular_representation(*irreps)
    regular = G.regular_representation
    for g in G.elements:
        assert np.abs(q @ spectral(g) - regular(g) @ q).max() < EXACT
    x = torch.randn(5, q.shape[0], dtype=torch.float64)
    expected = F.relu(x @ torch.as_tensor(q).T) @ torch.as_tensor(q)
    assert (module(module.in_type(x)).tensor - expected).abs().max() < EXACT


def _relative_error(module, n_elements=8, seed=0):
    """max |f(g x) - g f(x)| / max |f(x)| over random elements g (fibers only)."""
    rng = np.random.default_rng(seed)
    G = module.in_type.fibergroup
    model = copy.deepcopy(module).double()
    x = model.in_type(torch.randn(6, model.in_type.size, dtype=torch.float64))
    with torch.no_grad():
        y = model(x)
        errors = [
            (model(x.transform(g)).tensor - y.transform(g).tensor).abs().max()
            for g in (G.sample(rng) for _ in range(n_elements))
        ]
    return float(max(errors) / y.tensor.abs().max())


# Continuous groups: ELU of a band-limited function is not band-limited, so sampling it on a
# finite grid aliases the high frequencies back and equivariance to arbitrary elements is only
# approximate. The error must shrink as the grid grows; the tolerances on the large grid are
# about 3x the measured relative errors (SO(2) 7e-5, O(2) 5e-4, SO(3) 3e-3).
CONTINUOUS = {
    "SO2": (lambda: group.so2_group(), 2, dict(type="regular", N=8), dict(type="regular", N=64), 3e-4),
    "O2": (lambda: group.o2_group(), 2, dict(type="regular", N=8), dict(type="regular", N=32), 2e-3),
    "SO3": (lambda: group.so3_group(), 1, dict(type="thomson", N=30), dict(type="thomson", N=300), 1e-2),
}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_groups_error_shrinks_with_the_grid(name):
    make, L, small, large, tol = CONTINUOUS[name]
    G = make()
    gs = gspaces.no_base_space(G)
    coarse = _relative_error(nn.FourierELU(gs, 3, G.bl_irreps(L), **small))
    fine = _relative_error(nn.FourierELU(gs, 3, G.bl_irreps(L), **large))
    assert fine < coarse / 10
    assert fine < tol


def test_so3_l2_error_shrinks():
    G = group.so3_group()
    gs = gspaces.no_base_space(G)
    coarse = _relative_error(nn.FourierELU(gs, 2, G.bl_irreps(2), "ico"))
    fine = _relative_error(nn.FourierELU(gs, 2, G.bl_irreps(2), "thomson", N=300))
    assert fine < coarse / 5 and fine < 4e-2  # measured 2e-1 -> 1.2e-2


@pytest.mark.parametrize(
    "gs, grid, n_elements",
    [
        (lambda: gspaces.rot2dOnR2(-1, maximum_frequency=4), dict(type="regular", N=8), 4),
        (lambda: gspaces.flipRot2dOnR2(-1, maximum_frequency=4), dict(type="regular", N=4), 8),
        (lambda: gspaces.rot3dOnR3(), dict(type="thomson_cube", N=2), 24),
    ],
)
def test_continuous_groups_exact_on_grid_symmetries(gs, grid, n_elements):
    """A grid closed under the voxel/pixel symmetries (the 90-degree rotations divide a regular
    N = 8 circle grid; 'thomson_cube' is closed under the cube's rotations) makes the module
    exactly equivariant to them, on 2D and 3D feature maps."""
    gs = gs()
    module = nn.FourierELU(gs, 2, gs.fibergroup.bl_irreps(2), **grid)
    assert_equivariant(module, spatial_size=_spatial(gs), n_elements=n_elements)


def test_so2_values_match_a_direct_implementation():
    """f(t) = c_0 + sqrt(2) sum_k (c_k1 cos kt + c_k2 sin kt), sampled at 2 pi n / N, ELU'd and
    least-squares fitted, channel by channel."""
    G = group.so2_group()
    L, N, channels = 3, 16, 4
    module = nn.FourierELU(gspaces.no_base_space(G), channels, G.bl_irreps(L), "regular", N=N).double()
    t = 2 * np.pi * np.arange(N) / N
    columns = [np.ones(N)]
    for k in range(1, L + 1):
        columns += [np.sqrt(2) * np.cos(k * t), np.sqrt(2) * np.sin(k * t)]
    A = torch.as_tensor(np.stack(columns, axis=1) / np.sqrt(2 * L + 1))  # normalize=True: unit rows
    A_inv = torch.linalg.pinv(A)
    x = torch.randn(5, channels * (2 * L + 1), dtype=torch.float64)
    expected = torch.cat([A_inv @ F.elu(A @ c.T) for c in x.reshape(5, channels, -1).unbind(1)], dim=0)
    expected = expected.reshape(channels, -1, 5).permute(2, 0, 1).reshape(5, -1)
    assert (module(module.in_type(x)).tensor - expected).abs().max() < 1e-12
    pointwise = nn.FourierPointwise(
        module.in_type.gspace, channels, G.bl_irreps(L), "regular", N=N, function="p_elu"
    )
    assert (pointwise.double()(module.in_type(x)).tensor - expected).abs().max() < 1e-12


def test_out_irreps_trivial_is_the_grid_average():
    """With out_irreps = [trivial] and normalize=False the output is the mean over the grid."""
    G = group.so3_group()
    gs = gspaces.no_base_space(G)
    module = nn.FourierPointwise(
        gs, 3, G.bl_irreps(1), "thomson", N=40, out_irreps=[0], normalize=False
    ).double()
    x = torch.randn(4, 3 * 10, dtype=torch.float64)
    samples = (module.A @ x.reshape(4, 3, 10, 1)).squeeze(-1)  # (B, C, N)
    expected = F.relu(samples).mean(-1)
    assert module.out_type.size == 3
    assert (module(module.in_type(x)).tensor - expected).abs().max() < 1e-12


def test_normalization():
    """normalize=True gives unit rows; for ReLU (homogeneous) only sqrt(dim_out/dim_in) changes."""
    G = group.so2_group()
    gs = gspaces.rot2dOnR2(-1, maximum_frequency=3)
    kw = dict(type="regular", N=12)
    normed = nn.FourierPointwise(gs, 2, G.bl_irreps(3), out_irreps=G.bl_irreps(1), **kw).double()
    raw = nn.FourierPointwise(
        gs, 2, G.bl_irreps(3), out_irreps=G.bl_irreps(1), normalize=False, **kw
    ).double()
    assert torch.allclose(normed.A.norm(dim=1), torch.ones(12, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(raw.A.norm(dim=1), torch.full((12,), 7.0**0.5, dtype=torch.float64), atol=1e-12)
    x = normed.in_type(torch.randn(2, 14, 5, 5, dtype=torch.float64))
    assert torch.allclose(normed(x).tensor, raw(x).tensor * (3 / 7) ** 0.5, atol=1e-12)


def test_input_is_not_modified_and_gradients_flow():
    G = group.so3_group()
    module = nn.FourierELU(gspaces.rot3dOnR3(), 2, G.bl_irreps(1), "thomson", N=30, inplace=True)
    x = torch.randn(2, 20, 3, 3, 3, requires_grad=True)  # 2 x (1 + 3 * 3)
    before = x.detach().clone()
    y = module(module.in_type(x)).tensor
    assert y.shape == (2, 20, 3, 3, 3) and y.dtype == torch.float32
    assert torch.equal(x.detach(), before)
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert module.evaluate_output_shape((2, 20, 3, 3, 3)) == (2, 20, 3, 3, 3)


def test_callable_function():
    G = group.cyclic_group(4)
    gs = gspaces.no_base_space(G)
    module = nn.FourierPointwise(gs, 2, _all_irreps(G), function=torch.tanh).double()
    reference = nn.FourierPointwise(gs, 2, _all_irreps(G), function="p_tanh").double()
    x = module.in_type(torch.randn(3, 8, dtype=torch.float64))
    assert torch.equal(module(x).tensor, reference(x).tensor)


@pytest.mark.parametrize("function", ["p_relu", "p_elu", "p_sigmoid", "p_tanh"])
def test_export(function):
    G = group.so3_group()
    module = nn.FourierPointwise(gspaces.rot3dOnR3(), 2, G.bl_irreps(1), "thomson", N=20, function=function)
    module = module.double().eval()
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    assert dict(exported.named_buffers()).keys() == {"A", "A_inv"}
    assert exported.A.dtype == torch.float64
    x = torch.randn(2, 20, 3, 3, 3, dtype=torch.float64)
    assert (exported(x.clone()) - module(module.in_type(x)).tensor).abs().max() < 1e-12
    plain = nn.FourierPointwise(gspaces.no_base_space(G), 2, G.bl_irreps(1), "thomson", N=20).double()
    v = torch.randn(4, 20, dtype=torch.float64)
    assert (plain.export()(v) - plain(plain.in_type(v)).tensor).abs().max() < 1e-12


def test_float32_to_float64_is_exact_and_state():
    """A module built in float32 and moved to float64 re-derives A from its float64 source;
    the operator has no state (empty state_dict, identical after pickling and deepcopy)."""
    G = group.octa_group()
    gs = gspaces.octaOnR3()
    module = nn.FourierELU(gs, 2, _all_irreps(G))
    assert module.A.dtype == torch.float32
    built64 = nn.FourierELU(gs, 2, _all_irreps(G)).double()
    assert torch.equal(module.double().A, built64.A)
    assert module.state_dict() == {}
    module.load_state_dict(built64.state_dict())
    x = module.in_type(torch.randn(2, 48, 3, 3, 3, dtype=torch.float64))
    for clone in (pickle.loads(pickle.dumps(module)), copy.deepcopy(module)):
        assert torch.equal(clone(x).tensor, module(x).tensor)
        assert clone.in_type == module.in_type and clone.A.dtype == torch.float64


def test_bad_arguments():
    gs = gspaces.no_base_space(group.so3_group())
    G = gs.fibergroup
    with pytest.raises(TypeError, match="irreps must be a list of irrep ids of SO\\(3\\), got 2"):
        nn.FourierELU(gs, 2, 2, "thomson", N=20)
    with pytest.raises(ValueError, match="at least one irrep"):
        nn.FourierELU(gs, 2, [], "thomson", N=20)
    with pytest.raises(ValueError, match="irreps: -1 is not an irrep id of SO\\(3\\)"):
        nn.FourierELU(gs, 2, [0, -1], "thomson", N=20)
    with pytest.raises(ValueError, match="must not repeat an irrep"):
        nn.FourierELU(gs, 2, [0, 1, 1], "thomson", N=20)
    with pytest.raises(ValueError, match="out_irreps: .* is not an irrep id"):
        nn.FourierELU(gs, 2, [0, 1], "thomson", N=20, out_irreps=[(0, 1)])
    with pytest.raises(ValueError, match="unknown function 'p_softplus'; valid: .*p_elu"):
        nn.FourierPointwise(gs, 2, G.bl_irreps(1), "thomson", N=20, function="p_softplus")
    with pytest.raises(ValueError, match="unknown SO\\(3\\) grid type 'hexagonal'"):
        nn.FourierELU(gs, 2, G.bl_irreps(1), "hexagonal", N=20)
    with pytest.raises(ValueError, match="unknown grid type 'thomson' for C8"):
        nn.FourierELU(gspaces.rot2dOnR2(8), 2, [0, 1], "thomson")
    with pytest.raises(ValueError, match="needs grid arguments"):
        nn.FourierELU(gs, 2, G.bl_irreps(1))
    with pytest.raises(ValueError, match="channels must be a positive integer, got 0"):
        nn.FourierELU(gs, 0, G.bl_irreps(1), "thomson", N=20)
    with pytest.raises(TypeError, match="needs a GSpace, got SO3"):
        nn.FourierELU(G, 2, G.bl_irreps(1), "thomson", N=20)


def test_wrong_input():
    gs = gspaces.rot2dOnR2(4)
    module = nn.FourierELU(gs, 1, [0, 1, 2])
    with pytest.raises(TypeError, match="expects a GeometricTensor"):
        module(torch.randn(1, 4, 3, 3))
    with pytest.raises(ValueError, match="expects fields of type"):
        module(nn.FieldType(gs, [gs.regular_repr])(torch.randn(1, 4, 3, 3)))
    with pytest.raises(ValueError, match="expected 1 x 4 = 4 channels"):
        module.export()(torch.randn(1, 8, 3, 3))
