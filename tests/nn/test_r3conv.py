"""R3Conv: exact equivariance on the voxel grid for the 3D gspaces, export, shapes."""

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import change_basis, directsum

from ._helpers import EXACT, assert_equivariant, random_orthogonal, signed_permutations

# factory, number of grid-exact testing elements (None: pass the cube's symmetries explicitly)
GSPACES_3D = {
    "SO3": (lambda: gspaces.rot3dOnR3(), None),
    "O3": (lambda: gspaces.flipRot3dOnR3(), None),
    "octa": (gspaces.octaOnR3, 24),
    "full_octa": (gspaces.fullOctaOnR3, 48),
    "ico": (gspaces.icoOnR3, 12),  # the 12 of 60 rotations that map the cube onto itself
    "full_ico": (gspaces.fullIcoOnR3, 24),
    "tetra": (gspaces.tetraOnR3, 12),
    "dihedral4": (lambda: gspaces.dihedralOnR3(4), 8),
    "dihedral_O2": (lambda: gspaces.dihedralOnR3(-1), 8),
    "rot2d4": (lambda: gspaces.rot2dOnR3(4), 4),
    "conical4": (lambda: gspaces.conicalOnR3(4), 8),
    "cylindrical": (lambda: gspaces.cylindricalOnR3(), 8),
    "full_cylindrical4": (lambda: gspaces.fullCylindricalOnR3(4), 16),
    "inv": (gspaces.invOnR3, 2),
    "mirror": (gspaces.mirOnR3, 2),
    "trivial": (gspaces.trivialOnR3, 1),
}


def cube_elements(gs):
    """All 24 (SO(3)) or 48 (O(3)) symmetries of the voxel cube as group elements."""
    G = gs.fibergroup
    mats = signed_permutations(proper=G.name == "SO(3)")
    return [G.element(m, "MAT") for m in mats]


def types_3d(gs) -> dict:
    G = gs.fibergroup
    if G.continuous:
        irreps = [G.irrep(*i) for i in G.bl_irreps(1)]
        regular = G.bl_regular_representation(1)
    else:
        irreps = list(G.irreps())[:3]
        regular = gs.regular_repr if G.order() <= 24 else None
    block = directsum(irreps[:3])
    rotated = change_basis(block, random_orthogonal(block.size, 7), "rotated")
    return {
        "irreps": nn.FieldType(gs, irreps),
        "regular": nn.FieldType(gs, [regular] if regular is not None else irreps[::-1]),
        "mixed": nn.FieldType(gs, [gs.trivial_repr, rotated]),
    }


@pytest.mark.parametrize(
    "pair", [("irreps", "regular"), ("regular", "mixed"), ("mixed", "irreps")], ids=lambda p: f"{p[0]}-{p[1]}"
)
@pytest.mark.parametrize("space", sorted(GSPACES_3D))
def test_equivariance_every_gspace(space, pair):
    """The cube's symmetries permute voxels: exact in float64."""
    factory, n_elements = GSPACES_3D[space]
    gs = factory()
    types = types_3d(gs)
    conv = nn.R3Conv(types[pair[0]], types[pair[1]], kernel_size=3, padding=1)
    elements = cube_elements(gs) if n_elements is None else None
    expected = len(elements) if elements is not None else n_elements
    assert_equivariant(conv, spatial_size=5, elements=elements, n_elements=expected)


def test_so3_bl_regular_2():
    gs = gspaces.rot3dOnR3()
    G = gs.fibergroup
    t_in = nn.FieldType(gs, [gs.trivial_repr, G.irrep(1)])
    t_out = nn.FieldType(gs, [G.bl_regular_representation(2)])
    assert t_out.size == 35
    conv = nn.R3Conv(t_in, t_out, 3, padding=1)
    assert_equivariant(conv, spatial_size=5, elements=cube_elements(gs), n_elements=24)


@pytest.mark.parametrize(
    "kwargs, size",
    [
        (dict(kernel_size=4), 6),
        (dict(kernel_size=3, stride=2, padding=1), 5),
        (dict(kernel_size=3, dilation=2, padding=2), 5),
        (dict(kernel_size=3, padding=1, padding_mode="reflect"), 5),
        (dict(kernel_size=3, padding=1, padding_mode="replicate"), 5),
        (dict(kernel_size=3, padding=1, padding_mode="circular"), 5),
    ],
)
def test_equivariance_geometry_variants(kwargs, size):
    gs = gspaces.fullOctaOnR3()
    types = types_3d(gs)
    conv = nn.R3Conv(types["mixed"], types["irreps"], **kwargs)
    assert_equivariant(conv, spatial_size=size, n_elements=48)


def test_groups():
    gs = gspaces.octaOnR3()
    types = types_3d(gs)
    t_in = types["mixed"] + types["mixed"]
    t_out = types["irreps"] + types["irreps"]
    conv = nn.R3Conv(t_in, t_out, 3, padding=1, groups=2)
    assert_equivariant(conv, spatial_size=5, n_elements=24)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_export(padding_mode):
    gs = gspaces.octaOnR3()
    types = types_3d(gs)
    conv = nn.R3Conv(types["mixed"], types["regular"], 3, padding=(1, 0, 2), padding_mode=padding_mode)
    conv = conv.double()
    for mode in ("train", "eval"):
        getattr(conv, mode)()
        exported = conv.export()
        assert isinstance(exported, torch.nn.Conv3d) and exported.padding_mode == padding_mode
        x = torch.randn(2, conv.in_type.size, 5, 4, 6, dtype=torch.float64)
        y = conv(conv.in_type(x)).tensor
        assert tuple(y.shape) == conv.evaluate_output_shape(x.shape)
        assert (y - exported(x)).abs().max() <= 1e-12 * y.abs().max()


def test_rotation_of_so3_vector_field_is_exact():
    """A trivial -> vector (irrep 1) conv of a radially symmetric input gives a radial field:
    by symmetry, at the centre voxel the output vanishes (it must be fixed by every rotation)."""
    gs = gspaces.rot3dOnR3()
    t_in = nn.FieldType(gs, [gs.trivial_repr])
    t_out = nn.FieldType(gs, [gs.fibergroup.irrep(1)])
    conv = nn.R3Conv(t_in, t_out, 3, padding=1).double()
    c = torch.arange(5, dtype=torch.float64) - 2
    r2 = c[:, None, None] ** 2 + c[None, :, None] ** 2 + c[None, None, :] ** 2
    y = conv(t_in(torch.exp(-r2)[None, None])).tensor
    assert y.abs().max() > 1e-3
    assert y[0, :, 2, 2, 2].abs().max() < EXACT
    np.testing.assert_equal(tuple(y.shape), (1, 3, 5, 5, 5))
