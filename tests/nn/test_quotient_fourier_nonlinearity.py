"""QuotientFourierPointwise / QuotientFourierELU: exact on finite quotients, convergent on the
sphere, values against spherical harmonics, export, state, errors."""

import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from steerable import group, gspaces, nn
from steerable.group._so3_math import spherical_harmonics_all

from ._helpers import EXACT, assert_equivariant

# (gspace, subgroup id, number of cosets, number of exact testing elements)
FINITE = {
    "C8/C2_R2": (lambda: gspaces.rot2dOnR2(8), 2, 4, 4),
    "D4/flip_R2": (lambda: gspaces.flipRot2dOnR2(4), (0.0, 1), 4, 8),
    "octa/C4_R3": (lambda: gspaces.octaOnR3(), (False, 4), 6, 24),
    "ico/C2_R0": (lambda: gspaces.no_base_space(group.ico_group()), (False, 2), 30, 60),
}


@pytest.mark.parametrize("function", ["p_relu", "p_elu"])
@pytest.mark.parametrize("name", sorted(FINITE))
def test_exact_equivariance_finite_quotients(name, function):
    """All elements of a finite group as the grid: one sample per coset (duplicates dropped)."""
    make, sgid, cosets, n_elements = FINITE[name]
    gs = make()
    G = gs.fibergroup
    irreps = [i.id for i in G.irreps()]
    module = nn.QuotientFourierPointwise(gs, sgid, 2, irreps, "regular", function=function)
    assert module.grid_size == cosets
    assert module.in_type == nn.FieldType(gs, [G.spectral_quotient_representation(sgid, *irreps)] * 2)
    d = {0: 1, 2: 5, 3: 3}[gs.dimensionality]
    assert_equivariant(module, spatial_size=d, n_elements=n_elements)


@pytest.mark.parametrize("name", ["D4/flip_R2", "octa/C4_R3"])
def test_finite_quotient_conjugates_the_quotient_representation(name):
    """normalize=False, whole group: A / sqrt(|G/H|) is orthogonal and intertwines the spectral
    quotient representation with the permutation of cosets, so the module is ReLU on the
    quotient representation conjugated by it."""
    make, sgid, cosets, _ = FINITE[name]
    G = make().fibergroup
    irreps = [i.id for i in G.irreps()]
    module = nn.QuotientFourierPointwise(gspaces.no_base_space(G), sgid, 1, irreps, normalize=False).double()
    q = module.A.numpy() / np.sqrt(cosets)
    assert q.shape == (cosets, cosets)
    assert np.abs(q.T @ q - np.eye(cosets)).max() < EXACT
    spectral = G.spectral_quotient_representation(sgid, *irreps)
    quotient = G.quotient_representation(sgid)
    for g in G.elements:
        assert np.abs(q @ spectral(g) - quotient(g) @ q).max() < EXACT
    x = torch.randn(4, cosets, dtype=torch.float64)
    expected = F.relu(x @ torch.as_tensor(q).T) @ torch.as_tensor(q)
    assert (module(module.in_type(x)).tensor - expected).abs().max() < EXACT


def test_sphere_values_match_spherical_harmonics():
    """On S^2 = SO(3)/SO(2) the coefficients are those of f(p) = sum_l c_l . Y_l(p) (real
    spherical harmonics of the group layer); compare with a direct implementation."""
    G = group.so3_group()
    L, channels = 2, 3
    grid = G.sphere_grid("thomson", 40)
    module = nn.QuotientFourierELU(gspaces.no_base_space(G), (False, -1), channels, G.bl_irreps(L), grid=grid)
    module = module.double()
    points = np.stack([g.to("MAT") @ np.array([0.0, 0.0, 1.0]) for g in grid])
    Y = torch.as_tensor(spherical_harmonics_all(L, points) / (L + 1))  # unit rows: |Y(p)|^2 = (L+1)^2
    x = torch.randn(5, channels, (L + 1) ** 2, dtype=torch.float64)
    expected = torch.linalg.pinv(Y) @ F.elu(Y @ x.transpose(1, 2))  # (B, dim, C)
    out = module(module.in_type(x.reshape(5, -1))).tensor
    assert (out - expected.transpose(1, 2).reshape(5, -1)).abs().max() < 1e-12


def _relative_error(module, seed=0, n_elements=8):
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


def test_sphere_error_shrinks_with_the_grid():
    """ELU of a band-limited function on the sphere is not band-limited: sampling aliases, so
    equivariance to arbitrary rotations is approximate. Measured relative errors: 3e-2 with 30
    Thomson points, 2.5e-3 with 300; the tolerance is 3x the latter."""
    G = group.so3_group()
    gs = gspaces.no_base_space(G)

    def build(n):
        return nn.QuotientFourierELU(gs, (False, -1), 3, G.bl_irreps(2), grid=G.sphere_grid("thomson", n))

    coarse, fine = _relative_error(build(30)), _relative_error(build(300))
    assert fine < coarse / 5
    assert fine < 8e-3


def test_o3_sphere_and_grid_arguments():
    """O(3)/O(2) is the sphere too; irreps without O(2)-invariant vectors contribute nothing.
    Without ``grid`` the points are the cosets of ``G.grid(...)``."""
    G = group.o3_group()
    gs = gspaces.no_base_space(G)
    module = nn.QuotientFourierELU(
        gs, ("cone", 0.0, -1), 2, G.bl_irreps(2), grid=G.sphere_grid("thomson", 200)
    )
    assert module.in_type.representations[0].irreps == [(0, 0), (1, 1), (0, 2)]
    assert module.in_type.size == 2 * 9
    assert _relative_error(module) < 2e-2
    S = group.so3_group()
    by_args = nn.QuotientFourierELU(
        gspaces.no_base_space(S), (False, -1), 2, S.bl_irreps(1), "thomson", N=100
    )
    assert by_args.grid_size == 100
    assert _relative_error(by_args) < 2e-2


def test_out_irreps_and_3d_exact_cube_symmetries():
    """The 6 cube face centres are closed under the cube's rotations: exact for the voxel
    symmetries on a 3D gspace, with a smaller output band."""
    G = group.so3_group()
    gs = gspaces.rot3dOnR3()
    grid = G.sphere_grid("cube")
    module = nn.QuotientFourierELU(gs, (False, -1), 2, G.bl_irreps(1), grid=grid, out_irreps=[0])
    assert module.out_type.size == 2 and module.in_type.size == 8
    assert_equivariant(module, spatial_size=3, n_elements=24)


def test_export_pickle_state():
    G = group.octa_group()
    gs = gspaces.octaOnR3()
    module = nn.QuotientFourierELU(gs, (False, 4), 2, [i.id for i in G.irreps()]).double().eval()
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    x = torch.randn(2, module.in_type.size, 3, 3, 3, dtype=torch.float64)
    y = module(module.in_type(x)).tensor
    assert (exported(x.clone()) - y).abs().max() < 1e-12
    assert module.state_dict() == {}
    for clone in (pickle.loads(pickle.dumps(module)), copy.deepcopy(module)):
        assert torch.equal(clone(module.in_type(x)).tensor, y)
    assert module.evaluate_output_shape(tuple(x.shape)) == tuple(y.shape)


def test_bad_arguments():
    G = group.so3_group()
    gs = gspaces.no_base_space(G)
    grid = G.sphere_grid("thomson", 20)
    with pytest.raises(ValueError, match=r"invalid SO\(3\) subgroup id \('bogus', 3\)"):
        nn.QuotientFourierELU(gs, ("bogus", 3), 2, G.bl_irreps(1), grid=grid)
    with pytest.raises(ValueError, match="either grid or grid arguments"):
        nn.QuotientFourierELU(gs, (False, -1), 2, G.bl_irreps(1), "thomson", N=20, grid=grid)
    with pytest.raises(TypeError, match="grid must be a non-empty list of GroupElements"):
        nn.QuotientFourierELU(gs, (False, -1), 2, G.bl_irreps(1), grid="thomson")
    with pytest.raises(ValueError, match="grid must contain elements of SO\\(3\\)"):
        nn.QuotientFourierELU(gs, (False, -1), 2, G.bl_irreps(1), grid=group.o3_group().sphere_grid("cube"))
    with pytest.raises(TypeError, match="irreps must be a list"):
        nn.QuotientFourierELU(gs, (False, -1), 2, 1, grid=grid)
    with pytest.raises(ValueError, match="unknown function 'relu'"):
        nn.QuotientFourierPointwise(gs, (False, -1), 2, G.bl_irreps(1), grid=grid, function="relu")
    with pytest.raises(ValueError, match="unknown SO\\(3\\) grid type 'nope'"):
        nn.QuotientFourierELU(gs, (False, -1), 2, G.bl_irreps(1), "nope", N=20)
    O3 = group.o3_group()
    with pytest.raises(ValueError, match="none of the irreps"):
        nn.QuotientFourierELU(
            gspaces.no_base_space(O3), ("cone", 0.0, -1), 2, [(1, 0), (0, 1)], grid=O3.sphere_grid("cube")
        )
