"""R3IcoConv / R3IcoConvTransposed: the orbit basis is steerable in the continuum (any of the 60
rotations, arbitrary points) and the layers are exactly equivariant on the voxel grid."""

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import change_basis, directsum
from steerable.kernels import OrbitKernelBasis
from steerable.kernels.orbit import rotation_axes

from ._helpers import EXACT, assert_equivariant, random_orthogonal

SAMPLES = {"ico": 12, "dodeca": 20, "icosidodeca": 30}


@pytest.fixture(scope="module")
def gs():
    return gspaces.icoOnR3()


def _types(gs):
    G = gs.fibergroup
    block = directsum([G.irrep(1), G.irrep(2)])
    rotated = change_basis(block, random_orthogonal(block.size, 3), "rotated")
    return (
        nn.FieldType(gs, [gs.trivial_repr, G.irrep(1), G.irrep(3)]),
        nn.FieldType(gs, [rotated, G.irrep(4), gs.trivial_repr]),
    )


@pytest.mark.parametrize("samples", sorted(SAMPLES))
def test_polyhedron_vertices(gs, samples):
    mats = gs.basespace_action.matrices(list(gs.fibergroup.elements))
    order = {"ico": 5, "dodeca": 3, "icosidodeca": 2}[samples]
    axes = rotation_axes(mats, order)
    assert axes.shape == (SAMPLES[samples], 3)
    np.testing.assert_allclose(np.linalg.norm(axes, axis=1), 1.0, atol=1e-12)
    # an orbit: every rotation permutes the vertices
    for m in mats[::7]:
        moved = axes @ m.T
        d = np.linalg.norm(moved[:, None] - axes[None], axis=-1)
        assert np.all(d.min(axis=1) < 1e-9)


@pytest.mark.parametrize("samples", sorted(SAMPLES))
def test_orbit_basis_is_steerable_in_the_continuum(gs, samples):
    t_in, t_out = _types(gs)
    conv = nn.R3IcoConv(t_in, t_out, 5, samples=samples)
    basis = conv.basis
    assert isinstance(basis, OrbitKernelBasis)
    pts = np.random.default_rng(0).normal(size=(30, 3)) * 1.5
    values = basis.sample(pts)  # (N, dim, out, in)
    assert np.abs(values).max() > 1e-2
    rin, rout = t_in.representation, t_out.representation
    for g in list(gs.fibergroup.elements)[::5]:
        m = gs.basespace_matrix(g)
        moved = basis.sample(pts @ m.T)
        expected = np.einsum("ab,npbc,dc->npad", rout(g), values, rin(g))
        np.testing.assert_allclose(moved, expected, atol=1e-12)
    # linearly independent (the origin included: ring 0 is a narrow blob there)
    pts = np.concatenate([np.zeros((1, 3)), np.random.default_rng(1).normal(size=(200, 3)) * 1.5])
    flat = conv.basis.sample(pts)
    flat = flat.transpose(1, 0, 2, 3).reshape(basis.dim, -1)
    assert np.linalg.matrix_rank(flat) == basis.dim


@pytest.mark.parametrize("samples", sorted(SAMPLES))
def test_r3icoconv_exact_on_the_voxel_grid(gs, samples):
    t_in, t_out = _types(gs)
    conv = nn.R3IcoConv(t_in, t_out, 3, padding=1, samples=samples)
    assert_equivariant(conv, spatial_size=5, n_elements=12, atol=EXACT)


def test_r3icoconv_regular_and_transposed(gs):
    t_in, _ = _types(gs)
    reg = nn.FieldType(gs, [gs.regular_repr])
    conv = nn.R3IcoConv(t_in, reg, 3, padding=1, stride=2)
    assert_equivariant(conv, spatial_size=5, atol=EXACT)
    tconv = nn.R3IcoConvTransposed(reg, t_in, 3, padding=1, samples="dodeca")
    assert_equivariant(tconv, spatial_size=5, atol=EXACT)
    assert tconv.evaluate_output_shape((1, reg.size, 5, 5, 5)) == (1, t_in.size, 5, 5, 5)


def test_export_and_shapes(gs):
    t_in, t_out = _types(gs)
    conv = nn.R3IcoConv(t_in, t_out, 3, padding=1, padding_mode="circular").double().eval()
    x = torch.randn(2, t_in.size, 6, 6, 6, dtype=torch.float64)
    y = conv(t_in(x)).tensor
    plain = conv.export()
    assert isinstance(plain, torch.nn.Conv3d) and plain.padding_mode == "circular"
    assert torch.allclose(plain(x), y, atol=1e-12, rtol=0)
    assert conv.evaluate_output_shape(tuple(x.shape)) == tuple(y.shape)
    assert "samples='ico'" in repr(conv)


def test_origin_only_ring_gives_intertwiners(gs):
    # with a single ring at radius 0 the kernel is phi(|x|) times a G-intertwiner: for irreps
    # in and out that is Schur's lemma, non-zero only for equal irreps
    G = gs.fibergroup
    t = nn.FieldType(gs, [G.irrep(2), G.irrep(3)])
    conv = nn.R3IcoConv(t, t, 1, rings=[0.0], sigma=[0.6])
    assert conv.basis.dim == 2


def test_bad_input(gs):
    t_in, t_out = _types(gs)
    with pytest.raises(ValueError, match="samples must be one of"):
        nn.R3IcoConv(t_in, t_out, 3, samples="cube")
    octa = gspaces.octaOnR3()
    t = nn.FieldType(octa, [octa.trivial_repr])
    with pytest.raises(ValueError, match="icosahedral gspace"):
        nn.R3IcoConv(t, t, 3)
    with pytest.raises(ValueError, match="icosahedral gspace"):
        nn.R3IcoConvTransposed(t, t, 3)
    with pytest.raises(ValueError, match="unit vector"):
        OrbitKernelBasis(gs, t_in.representation, t_out.representation, [1.0], [0.5], [0.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="finite group acting on R\\^3"):
        so3 = gspaces.rot3dOnR3()
        r = so3.trivial_repr
        OrbitKernelBasis(so3, r, r, [1.0], [0.5], [0.0, 0.0, 1.0])
