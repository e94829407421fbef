"""R2ConvTransposed / R3ConvTransposed: equivariance, adjointness, export, shapes."""

import pytest
import torch

from steerable import gspaces, nn

from ._helpers import GSPACES_2D, assert_equivariant, field_types
from .test_r3conv import types_3d


@pytest.mark.parametrize(
    "kwargs, size",
    [
        (dict(kernel_size=3), 5),
        (dict(kernel_size=3, stride=2), 5),
        (dict(kernel_size=4, stride=2, padding=1), 5),
        (dict(kernel_size=5, stride=2, padding=2), 4),
        (dict(kernel_size=3, dilation=2, padding=1), 5),
    ],
)
@pytest.mark.parametrize("space", ["C8", "D4", "D4_axis0", "O2", "SO2", "flip", "trivial"])
def test_r2_equivariance(space, kwargs, size):
    """Without output_padding the output grid of a transposed conv is centred: exact."""
    factory, n_elements = GSPACES_2D[space]
    types = field_types(factory())
    conv = nn.R2ConvTransposed(types["mixed"], types["regular"] + types["irreps"], **kwargs)
    assert_equivariant(conv, spatial_size=size, n_elements=n_elements)


def test_r2_groups():
    types = field_types(gspaces.rot2dOnR2(4))
    t_in = types["mixed"] + types["mixed"]
    t_out = types["quotient"] + types["quotient"]
    conv = nn.R2ConvTransposed(t_in, t_out, 3, stride=2, groups=2)
    assert_equivariant(conv, spatial_size=5, n_elements=4)


@pytest.mark.parametrize("space", ["octa", "dihedral4", "O3"])
def test_r3_equivariance(space):
    from .test_r3conv import GSPACES_3D, cube_elements

    factory, n = GSPACES_3D[space]
    gs = factory()
    types = types_3d(gs)
    conv = nn.R3ConvTransposed(types["mixed"], types["irreps"], 3, stride=2)
    elements = cube_elements(gs) if n is None else None
    assert_equivariant(conv, spatial_size=3, elements=elements, n_elements=n or 48)


def test_adjoint_of_conv():
    """conv_transpose(W) is the adjoint of conv(W): the transposed layer's basis is the basis of
    a conv from out_type to in_type, so the same weights give <T x, y> = <x, C y>."""
    types = field_types(gspaces.flipRot2dOnR2(4))
    t_a, t_b = types["mixed"], types["regular"]
    convt = nn.R2ConvTransposed(t_a, t_b, 3, stride=2, padding=1, bias=False).double()
    conv = nn.R2Conv(t_b, t_a, 3, stride=2, padding=1, bias=False).double()
    assert conv.basis.dim == convt.basis.dim
    with torch.no_grad():
        conv.weights.copy_(convt.weights)
    x = torch.randn(2, t_a.size, 4, 4, dtype=torch.float64)
    with torch.no_grad():
        tx = convt(t_a(x)).tensor  # (2, |b|, 7, 7)
        y = torch.randn_like(tx)
        cy = conv(t_b(y)).tensor
    assert cy.shape == x.shape
    lhs, rhs = (tx * y).sum(), (x * cy).sum()
    assert abs(float(lhs - rhs)) <= 1e-12 * float(lhs.abs() + rhs.abs())


@pytest.mark.parametrize("d", [2, 3])
def test_export_and_output_padding(d):
    if d == 2:
        types = field_types(gspaces.rot2dOnR2(8))
        cls, shape = nn.R2ConvTransposed, (2, None, 5, 4)
    else:
        types = types_3d(gspaces.octaOnR3())
        cls, shape = nn.R3ConvTransposed, (2, None, 3, 4, 2)
    conv = cls(types["mixed"], types["regular"], 3, stride=2, padding=1, output_padding=1).double()
    exported = conv.export()
    assert isinstance(exported, torch.nn.ConvTranspose2d if d == 2 else torch.nn.ConvTranspose3d)
    shape = (shape[0], conv.in_type.size) + shape[2:]
    x = torch.randn(shape, dtype=torch.float64)
    for mode in ("train", "eval"):
        getattr(conv, mode)()
        y = conv(conv.in_type(x)).tensor
        assert tuple(y.shape) == conv.evaluate_output_shape(shape)
        assert y.shape[2:] == tuple(2 * n for n in shape[2:])
        assert (y - conv.export()(x)).abs().max() <= 1e-12 * y.abs().max()
