"""R2Conv: exact equivariance on the pixel grid for every 2D gspace, export, shapes, errors."""

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.kernels import EmptyBasisException

from ._helpers import EXACT, GSPACES_2D, assert_equivariant, field_types, mixed

PAIRS = [
    ("trivial", "regular"),
    ("regular", "irreps"),
    ("irreps", "mixed"),
    ("mixed", "quotient"),
    ("quotient", "trivial"),
    ("mixed", "mixed"),
]


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
@pytest.mark.parametrize("space", sorted(GSPACES_2D))
def test_equivariance_every_gspace(space, pair):
    """Modules are built in float32 and checked in float64 (check_equivariance converts them):
    90-degree rotations and axis reflections permute pixels, so the error is rounding only."""
    factory, n_elements = GSPACES_2D[space]
    gs = factory()
    types = field_types(gs)
    conv = nn.R2Conv(types[pair[0]], types[pair[1]], kernel_size=3, padding=1)
    assert conv.basis.dim > 0
    assert_equivariant(conv, spatial_size=7, n_elements=n_elements)


VARIANTS = {
    "k5": (dict(kernel_size=5, padding=2), 9),
    "k5_nopad": (dict(kernel_size=5), 9),
    "k4_even": (dict(kernel_size=4), 10),
    "k4_even_pad1": (dict(kernel_size=4, padding=1), 10),
    "k2_even": (dict(kernel_size=2), 10),
    "stride2": (dict(kernel_size=3, stride=2), 11),
    "stride2_pad1": (dict(kernel_size=3, stride=2, padding=1), 11),
    "dilation2": (dict(kernel_size=3, dilation=2, padding=2), 9),
    "dilation2_stride2": (dict(kernel_size=3, dilation=2, stride=2, padding=1), 11),
    "tuple_args": (dict(kernel_size=3, padding=(1, 1), stride=(1, 1), dilation=(2, 2)), 9),
    "no_bias": (dict(kernel_size=3, padding=1, bias=False), 7),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("space", ["C8", "D4", "D4_axis0", "O2"])
def test_equivariance_geometry_variants(space, variant):
    """Output grids chosen symmetric: (size + 2 padding - dilation (k - 1) - 1) divisible by stride."""
    kwargs, size = VARIANTS[variant]
    factory, n_elements = GSPACES_2D[space]
    gs = factory()
    types = field_types(gs)
    conv = nn.R2Conv(types["mixed"], types["regular"] + types["irreps"], **kwargs)
    assert_equivariant(conv, spatial_size=size, n_elements=n_elements)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, 2])
def test_equivariance_padding_modes(padding_mode, padding):
    """Every padding mode commutes with the square's symmetries (the padded grid is symmetric)."""
    gs = gspaces.flipRot2dOnR2(4)
    types = field_types(gs)
    conv = nn.R2Conv(types["mixed"], types["regular"], 3, padding=padding, padding_mode=padding_mode)
    assert_equivariant(conv, spatial_size=7, n_elements=8)


@pytest.mark.parametrize("space", ["C4", "D4", "SO2"])
def test_equivariance_groups(space):
    gs = GSPACES_2D[space][0]()
    types = field_types(gs)
    t_in = types["mixed"] + types["mixed"]
    t_out = types["regular"] + types["trivial"] + types["regular"] + types["trivial"]
    conv = nn.R2Conv(t_in, t_out, 3, padding=1, groups=2)
    assert conv.weights.numel() == 2 * conv.basis.dim
    assert_equivariant(conv, spatial_size=7)
    # the two groups are independent: the first output group ignores the second input group
    x = torch.zeros(1, t_in.size, 7, 7)
    x[:, t_in.size // 2 :] = torch.randn(1, t_in.size // 2, 7, 7)
    if conv.bias is not None:
        torch.nn.init.zeros_(conv.bias)
    y = conv(t_in(x)).tensor
    assert y[:, : t_out.size // 2].abs().max() == 0
    assert y[:, t_out.size // 2 :].abs().max() > 0


def test_float64_after_float32_build_is_exact():
    """A layer built in float32 and converted with .double() keeps its kernel basis and change of
    basis at float64 precision (they are re-derived from float64 sources, not cast)."""
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, mixed(gs, seed=1))
    conv32 = nn.R2Conv(t, t, 3, padding=1)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        conv64 = nn.R2Conv(t, t, 3, padding=1)
    finally:
        torch.set_default_dtype(old)
    conv64.load_state_dict(conv32.double().state_dict())
    x = t(torch.randn(2, t.size, 7, 7, dtype=torch.float64))
    assert torch.allclose(conv32(x).tensor, conv64(x).tensor, rtol=0, atol=1e-13)
    assert max(e for _, e in conv32.check_equivariance(atol=EXACT, rtol=0, spatial_size=7)) < EXACT


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_export_every_padding_mode(padding_mode):
    gs = gspaces.rot2dOnR2(4)
    types = field_types(gs)
    conv = nn.R2Conv(
        types["mixed"],
        types["regular"] + types["trivial"],
        3,
        padding=(1, 2),
        padding_mode=padding_mode,
        stride=(1, 2),
    ).double()
    exported = conv.export()
    assert isinstance(exported, torch.nn.Conv2d)
    assert exported.padding_mode == padding_mode
    for mode in ("train", "eval"):
        getattr(conv, mode)()
        exported = conv.export()
        assert exported.training == conv.training
        x = torch.randn(2, conv.in_type.size, 8, 9, dtype=torch.float64)
        y = conv(conv.in_type(x)).tensor
        y_exp = exported(x)
        assert y.shape == y_exp.shape == conv.evaluate_output_shape(x.shape)
        assert (y - y_exp).abs().max() <= 1e-12 * y.abs().max()


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        (dict(kernel_size=3), (2, 4, 9, 11)),
        (dict(kernel_size=5, padding=2, stride=2), (1, 4, 9, 10)),
        (dict(kernel_size=4, padding=(1, 0), dilation=(1, 2)), (1, 4, 10, 10)),
        (dict(kernel_size=3, padding=3, padding_mode="circular", stride=3), (1, 4, 7, 8)),
    ],
)
def test_evaluate_output_shape(kwargs, shape):
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr])
    conv = nn.R2Conv(t, t, **kwargs)
    y = conv(t(torch.randn(shape)))
    assert tuple(y.shape) == conv.evaluate_output_shape(shape)
    assert y.type == conv.out_type


def test_kernel_size_2_is_not_empty():
    """escnn silently builds an empty basis for kernel_size=2; the basis here is non-empty."""
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr])
    conv = nn.R2Conv(t, t, 2)
    assert conv.basis.dim > 0
    assert conv.expand_parameters()[0].abs().max() > 0


def test_empty_basis_raises():
    gs = gspaces.rot2dOnR2(4)
    t_in = nn.FieldType(gs, [gs.trivial_repr])
    t_out = nn.FieldType(gs, [gs.irrep(1)])
    with pytest.raises(EmptyBasisException, match="no equivariant kernel"):
        nn.R2Conv(t_in, t_out, 1)
    assert issubclass(EmptyBasisException, ValueError)


def test_dilation_samples_the_dilated_filter():
    """With dilation d the filter is the undilated one spread out: same basis size as d=1 and an
    exactly equivariant layer (the band limit is taken at the undilated radii)."""
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr, gs.irrep(1)])
    dims = {d: nn.R2Conv(t, t, 5, dilation=d).basis.dim for d in (1, 2, 3)}
    assert dims[1] == dims[2] == dims[3]


def test_bias_only_on_trivial_fields():
    gs = gspaces.rot2dOnR2(4)
    t_out = nn.FieldType(gs, [gs.irrep(1), gs.regular_repr, gs.trivial_repr])
    conv = nn.R2Conv(nn.FieldType(gs, [gs.trivial_repr]), t_out, 3)
    # one trivial irrep in the regular field + the trivial field
    assert conv.bias.numel() == 2
    with torch.no_grad():
        conv.weights.zero_()
        conv.bias.fill_(1.0)
    y = conv(conv.in_type(torch.randn(1, 1, 5, 5))).tensor
    assert y[:, :2].abs().max() == 0  # the irrep(1) field gets no bias
    np.testing.assert_allclose(y[0, 2:6, 0, 0].detach().numpy(), 0.5)  # regular: (1,1,1,1)/sqrt(4)
    assert float(y[0, 6, 0, 0].detach()) == 1.0


def test_reset_parameters_changes_weights_and_keeps_equivariance():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr])
    conv = nn.R2Conv(t, t, 3, padding=1)
    before = conv.weights.detach().clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.weights)
    assert conv.weights.std() > 0
    assert_equivariant(conv, spatial_size=7, n_elements=4)


def test_bad_inputs_raise_clear_errors():
    c4 = gspaces.rot2dOnR2(4)
    c8 = gspaces.rot2dOnR2(8)
    t = nn.FieldType(c4, [c4.regular_repr, c4.irrep(1)])
    t_reg = nn.FieldType(c4, [c4.regular_repr])
    conv = nn.R2Conv(t, t_reg, 3)
    with pytest.raises(
        ValueError,
        match=r"R2Conv expects fields of type \[C4_on_R2: \{regular, irrep_1\}\], "
        r"got \[C4_on_R2: \{regular\}\]",
    ):
        conv(t_reg(torch.randn(1, 4, 5, 5)))
    with pytest.raises(TypeError, match=r"expects a GeometricTensor of type .*, got Tensor; wrap tensors"):
        conv(torch.randn(1, 6, 5, 5))
    with pytest.raises(ValueError, match="different gspaces: C4_on_R2 and C8_on_R2"):
        nn.R2Conv(t, nn.FieldType(c8, [c8.regular_repr]), 3)
    with pytest.raises(TypeError, match="in_type must be a FieldType, got Representation"):
        nn.R2Conv(c4.regular_repr, t_reg, 3)
    with pytest.raises(ValueError, match="groups=2 does not divide the 3 fields of in_type"):
        nn.R2Conv(nn.FieldType(c4, [c4.regular_repr] * 3), t_reg + t_reg, 3, groups=2)
    with pytest.raises(ValueError, match="groups=2, in_type must consist of 2 identical groups"):
        nn.R2Conv(t, nn.FieldType(c4, [c4.regular_repr] * 2), 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer, got 0"):
        nn.R2Conv(t, t_reg, 3, groups=0)
    with pytest.raises(
        ValueError,
        match=r"padding_mode must be one of \('zeros', 'reflect', 'replicate', "
        r"'circular'\), got 'mirror'",
    ):
        nn.R2Conv(t, t_reg, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="R3Conv needs a gspace on R\\^3, got C4_on_R2"):
        nn.R3Conv(t, t_reg, 3)
    with pytest.raises(ValueError, match="kernel_size must be >= 1, got 0"):
        nn.R2Conv(t, t_reg, 0)
    with pytest.raises(ValueError, match=r"expected an input shape \(B, 6, ...2 dims\), got \(1, 4, 5, 5\)"):
        conv.evaluate_output_shape((1, 4, 5, 5))
    with pytest.raises(ValueError, match="maximum_offset is not supported"):
        nn.R2Conv(t, t_reg, 3, maximum_offset=1)
