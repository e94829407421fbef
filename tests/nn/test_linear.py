"""Linear on no_base_space: exact equivariance for every group family, completeness, export."""

import numpy as np
import pytest
import torch

from steerable import group as G
from steerable import gspaces, nn, testing
from steerable.group import change_basis, directsum, homomorphism_space
from steerable.kernels import EmptyBasisException

from ._helpers import EXACT, random_orthogonal

GROUPS = {
    "trivial": G.trivial_group,
    "C5": lambda: G.cyclic_group(5),
    "D3": lambda: G.dihedral_group(3),
    "SO2": lambda: G.so2_group(3),
    "O2": lambda: G.o2_group(3),
    "SO3": lambda: G.so3_group(2),
    "O3": lambda: G.o3_group(2),
    "ico": G.ico_group,
    "octa": G.octa_group,
    "tetra": G.tetra_group,
    "full_octa": G.full_octa_group,
    "klein4": G.klein4_group,
    "cylinder": lambda: G.cylinder_group(2),
    "C2xC3": lambda: G.direct_product(G.cyclic_group(2), G.cyclic_group(3)),
    "SO2xC2": lambda: G.direct_product(G.so2_group(2), G.cyclic_group(2)),
    "D2xSO3": lambda: G.direct_product(G.dihedral_group(2), G.so3_group(1)),
    "double_C3": lambda: G.double_group(G.cyclic_group(3)),
}


def types(group):
    gs = gspaces.no_base_space(group)
    if group.continuous:
        irreps = [group.irrep(*i) for i in group.bl_irreps(1)]
        regular = group.bl_regular_representation(1)
    else:
        irreps = list(group.irreps())[:4]
        regular = group.regular_representation if group.order() <= 24 else directsum(irreps)
    block = directsum(irreps[:3])
    rotated = change_basis(block, random_orthogonal(block.size, 11), "rotated")
    t_in = nn.FieldType(gs, [group.trivial_representation, rotated, regular])
    t_out = nn.FieldType(gs, irreps + [regular])
    return t_in, t_out


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_equivariance_random_elements(name):
    """Linear maps have no base space: f(rho_in(g) x) = rho_out(g) f(x) holds to rounding for every
    group element, so Haar-random ones are used (plus the group's testing elements)."""
    group = GROUPS[name]()
    t_in, t_out = types(group)
    lin = nn.Linear(t_in, t_out)
    elements = testing.random_elements(group, 6, seed=1) + testing.testing_elements(group)[:6]
    errors = lin.check_equivariance(atol=EXACT, rtol=0.0, elements=elements)
    assert len(errors) == len(elements) and max(e for _, e in errors) < EXACT
    x = torch.randn(3, t_in.size, dtype=torch.float64)
    assert lin.double()(t_in(x)).tensor.abs().max() > 1e-3


@pytest.mark.parametrize("name", ["C5", "D3", "O2", "SO3", "octa", "SO2xC2"])
def test_basis_spans_all_equivariant_maps(name):
    """The layer is the most general equivariant linear map: the matrices of its basis span
    exactly Hom_G(rho_in, rho_out)."""
    group = GROUPS[name]()
    t_in, t_out = types(group)
    lin = nn.Linear(t_in, t_out, bias=False).double()
    eye = torch.eye(lin.basis.dim, dtype=torch.float64)
    mats = torch.stack([lin.expansion(e)[..., 0] for e in eye]).detach().numpy()
    hom = homomorphism_space(t_in.representation, t_out.representation)
    assert mats.shape[0] == hom.shape[0]
    flat = mats.reshape(mats.shape[0], -1)
    assert np.linalg.matrix_rank(flat, tol=1e-8) == hom.shape[0]
    joint = np.concatenate([flat, hom.reshape(hom.shape[0], -1)])
    assert np.linalg.matrix_rank(joint, tol=1e-8) == hom.shape[0]
    for m in mats[:5]:
        testing.assert_intertwiner(m, t_out.representation, t_in.representation)


def test_bias_is_invariant():
    group = G.dihedral_group(4)
    gs = gspaces.no_base_space(group)
    t_in = nn.FieldType(gs, [group.irrep(1, 1)])
    t_out = nn.FieldType(gs, [group.regular_representation, group.irrep(1, 1), group.trivial_representation])
    lin = nn.Linear(t_in, t_out).double()
    assert lin.bias.numel() == 2
    with torch.no_grad():
        lin.bias.normal_()
    errors = lin.check_equivariance(atol=EXACT, rtol=0.0)
    assert len(errors) == 8
    _, bias = lin.expand_parameters()
    assert bias[8:10].abs().max() == 0  # no bias on the 2-dimensional irrep
    assert bias.abs().max() > 0


def test_export():
    t_in, t_out = types(G.so3_group(2))
    lin = nn.Linear(t_in, t_out).double()
    with torch.no_grad():
        lin.bias.normal_()
    x = torch.randn(5, t_in.size, dtype=torch.float64)
    for mode in ("train", "eval"):
        getattr(lin, mode)()
        exported = lin.export()
        assert isinstance(exported, torch.nn.Linear) and exported.training == lin.training
        y = lin(t_in(x)).tensor
        assert tuple(y.shape) == lin.evaluate_output_shape(tuple(x.shape))
        assert (y - exported(x)).abs().max() <= 1e-12 * y.abs().max()


def test_errors():
    group = G.cyclic_group(4)
    gs = gspaces.no_base_space(group)
    t1 = nn.FieldType(gs, [group.irrep(1)])
    t0 = nn.FieldType(gs, [group.trivial_representation])
    with pytest.raises(EmptyBasisException, match="share no irrep"):
        nn.Linear(t0, t1)
    gs2 = gspaces.rot2dOnR2(4)
    with pytest.raises(ValueError, match="no_base_space"):
        nn.Linear(nn.FieldType(gs2, [gs2.trivial_repr]), nn.FieldType(gs2, [gs2.trivial_repr]))
    with pytest.raises(ValueError, match="different gspaces"):
        c3 = G.cyclic_group(3)
        nn.Linear(t0, nn.FieldType(gspaces.no_base_space(c3), [c3.trivial_representation]))
    with pytest.raises(ValueError, match="basisexpansion"):
        nn.Linear(t1, t1, basisexpansion="dense")
    lin = nn.Linear(t1, t1)
    with pytest.raises(ValueError, match=r"expects fields of type"):
        lin(t0(torch.randn(2, 1)))
    with pytest.raises(ValueError, match=r"expected an input shape \(B, 2\)"):
        lin.evaluate_output_shape((2, 3))
