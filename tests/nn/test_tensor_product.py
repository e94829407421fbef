"""TensorProductModule: equivariance, generality (all equivariant quadratic maps), quadratic
behaviour, export, state, errors."""

import copy
import pickle

import numpy as np
import pytest
import torch

from steerable import group, gspaces, nn
from steerable.kernels import EmptyBasisException

from ._helpers import EXACT, assert_equivariant, mixed, regular_like

GSPACES = {
    "C8": (lambda: gspaces.rot2dOnR2(8), 4),
    "D4": (lambda: gspaces.flipRot2dOnR2(4), 8),
    "SO2": (lambda: gspaces.rot2dOnR2(-1, maximum_frequency=4), 4),
    "O2": (lambda: gspaces.flipRot2dOnR2(-1, maximum_frequency=4), 8),
    "octa": (lambda: gspaces.octaOnR3(), 24),
    "SO3": (lambda: gspaces.rot3dOnR3(), 24),
}


@pytest.mark.parametrize("name", sorted(GSPACES))
def test_equivariance_mixed_types(name):
    """Mixed input and output types (irreps under a random change of basis, regular fields)."""
    make, n_elements = GSPACES[name]
    gs = make()
    t_in = nn.FieldType(gs, mixed(gs, seed=0) + [regular_like(gs, L=1)])
    t_out = nn.FieldType(gs, mixed(gs, seed=1))
    module = nn.TensorProductModule(t_in, t_out)
    assert module.in_type == t_in and module.out_type == t_out
    size = 5 if gs.dimensionality == 2 else 3
    assert_equivariant(module, spatial_size=size, n_elements=n_elements)


@pytest.mark.parametrize("make", [group.so3_group, group.o3_group, group.so2_group, group.o2_group])
def test_arbitrary_elements_on_fibers_are_exact(make):
    """Clebsch-Gordan coefficients are exact, so even for continuous groups every element (not
    only grid symmetries) commutes with the module up to rounding."""
    G = make()
    gs = gspaces.no_base_space(G)
    irreps = [G.irrep(*i) for i in G.bl_irreps(2)]
    t_in = nn.FieldType(gs, irreps + irreps[1:3])
    t_out = nn.FieldType(gs, irreps)
    module = nn.TensorProductModule(t_in, t_out).double()
    rng = np.random.default_rng(0)
    x = t_in(torch.randn(4, t_in.size, dtype=torch.float64))
    with torch.no_grad():
        y = module(x)
        assert y.tensor.abs().max() > 1e-2
        for g in [G.sample(rng) for _ in range(6)]:
            assert (module(x.transform(g)).tensor - y.transform(g).tensor).abs().max() < EXACT


def _dim_quadratic_maps(G, rho_in, rho_out) -> int:
    """dim Hom_G(Sym^2 rho_in, rho_out) by characters: chi_Sym2(g) = (chi(g)^2 + chi(g^2)) / 2."""
    total = 0.0
    for g in G.elements:
        chi = rho_in.character(g)
        sym2 = 0.5 * (chi**2 + rho_in.character(g @ g))
        total += sym2 * rho_out.character(g)
    return round(total / G.order())


@pytest.mark.parametrize("name", ["C8", "D4", "octa"])
def test_spans_all_equivariant_quadratic_maps(name):
    """The maps x -> W_k z(x) over the weight basis span exactly Hom_G(Sym^2(rho_in), rho_out),
    including complex-type irreps (C8), whose features are redundant up to their complex
    structure."""
    gs = GSPACES[name][0]()
    G = gs.fibergroup
    point = gspaces.no_base_space(G)
    t_in = nn.FieldType(point, mixed(point, seed=0))
    t_out = nn.FieldType(point, mixed(point, seed=1) + [point.regular_repr])
    module = nn.TensorProductModule(t_in, t_out, initialize=False).double()
    x = t_in(torch.randn(60, t_in.size, dtype=torch.float64))
    rows = []
    with torch.no_grad():
        for k in range(module.weights.numel()):
            module.weights.zero_()
            module.weights[k] = 1.0
            rows.append(module(x).tensor.reshape(-1))
    rank = torch.linalg.matrix_rank(torch.stack(rows)).item()
    assert rank == _dim_quadratic_maps(G, t_in.representation, t_out.representation) > 0


def test_quadratic_and_symmetric_part():
    """out(a x) = a^2 out(x); one SO(3) vector v -> a scalar is w |v|^2, and no vector output
    exists (v x v = 0: the antisymmetric part is dropped), but two vectors give one (v1 x v2)."""
    G = group.so3_group()
    gs = gspaces.no_base_space(G)
    vec, scalar = G.irrep(1), G.irrep(0)
    module = nn.TensorProductModule(nn.FieldType(gs, [vec]), nn.FieldType(gs, [scalar])).double()
    v = torch.randn(7, 3, dtype=torch.float64)
    out = module(module.in_type(v)).tensor[:, 0]
    ratio = out / v.square().sum(1)
    assert torch.allclose(ratio, ratio[0].expand(7), atol=1e-12) and ratio[0].abs() > 1e-3
    assert torch.allclose(module(module.in_type(2.5 * v)).tensor[:, 0], 6.25 * out, atol=1e-12)
    with pytest.raises(EmptyBasisException, match="no equivariant quadratic map"):
        nn.TensorProductModule(nn.FieldType(gs, [vec]), nn.FieldType(gs, [vec]))
    two = nn.TensorProductModule(nn.FieldType(gs, [vec, vec]), nn.FieldType(gs, [vec]))
    assert two.weights.numel() == 1  # only the cross product
    cross = two.double()(two.in_type(torch.cat([v, v], 1))).tensor
    assert cross.abs().max() < 1e-12


def test_export_state_pickle_and_initialization():
    gs = gspaces.rot2dOnR2(8)
    t_in = nn.FieldType(gs, mixed(gs, seed=0))
    t_out = nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    module = nn.TensorProductModule(t_in, t_out).double().eval()
    x = torch.randn(2, t_in.size, 5, 5, dtype=torch.float64)
    y = module(t_in(x)).tensor
    assert y.shape == (2, 9, 5, 5) == module.evaluate_output_shape(tuple(x.shape))
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    assert (exported(x) - y).abs().max() < 1e-12
    assert list(module.state_dict()) == ["weights"]
    other = nn.TensorProductModule(t_in, t_out).double().eval()
    assert (other(t_in(x)).tensor - y).abs().max() > 1e-6
    other.load_state_dict(module.state_dict())
    assert (other(t_in(x)).tensor - y).abs().max() < 1e-12
    for clone in (pickle.loads(pickle.dumps(module)), copy.deepcopy(module)):
        assert torch.equal(clone(t_in(x)).tensor, y)
    zero = nn.TensorProductModule(t_in, t_out, initialize=False)
    assert zero(t_in(x.float())).tensor.abs().max() == 0


def test_gradients_reach_the_weights():
    gs = gspaces.octaOnR3()
    t = nn.FieldType(gs, [gs.regular_repr])
    module = nn.TensorProductModule(t, nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1)]))
    module(t(torch.randn(1, 24, 3, 3, 3))).tensor.square().sum().backward()
    assert module.weights.grad.abs().sum() > 0


def test_bad_arguments():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(TypeError, match="in_type must be a FieldType, got Representation"):
        nn.TensorProductModule(gs.regular_repr, t)
    other = gspaces.rot2dOnR2(8)
    with pytest.raises(ValueError, match="different gspaces"):
        nn.TensorProductModule(t, nn.FieldType(other, [other.regular_repr]))
    module = nn.TensorProductModule(t, t)
    with pytest.raises(ValueError, match="expects fields of type"):
        module(nn.FieldType(gs, [gs.trivial_repr] * 4)(torch.randn(1, 4, 3, 3)))
    with pytest.raises(ValueError, match="expected an input shape"):
        module.evaluate_output_shape((1, 5, 3, 3))
