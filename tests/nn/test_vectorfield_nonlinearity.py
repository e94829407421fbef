"""VectorFieldNonLinearity: regular C_N fields -> planar vectors; exact equivariance (2D, 3D, 0D),
values, export, dtype round trips, errors."""

import copy
import math
import pickle

import pytest
import torch

from steerable import gspaces, nn
from steerable.group import cyclic_group

from ._helpers import EXACT

CASES = {
    "C8": (lambda: gspaces.rot2dOnR2(8), 4),
    "C4": (lambda: gspaces.rot2dOnR2(4), 4),
    "C2": (lambda: gspaces.rot2dOnR2(2), 2),
    "C4_on_R3": (lambda: gspaces.rot2dOnR3(4), 4),
    "C8_point": (lambda: gspaces.no_base_space(cyclic_group(8)), 8),
    "C5_point": (lambda: gspaces.no_base_space(cyclic_group(5)), 5),
}


def _spatial(gs):
    return {0: 1, 2: 5, 3: 3}[gs.dimensionality]


@pytest.mark.parametrize("case", sorted(CASES))
def test_equivariance(case):
    build, n_elements = CASES[case]
    gs = build()
    t = nn.FieldType(gs, [gs.regular_repr] * 3)
    module = nn.VectorFieldNonLinearity(t)
    assert module.out_type == nn.FieldType(gs, [gs.fibergroup.standard_representation()] * 3)
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=_spatial(gs))
    assert len(errors) == n_elements


def _reference(x, n):
    """Loop over fields: max * (cos, sin)(2 pi argmax / N)."""
    out = []
    for f in range(x.shape[1] // n):
        values, index = x[:, f * n : (f + 1) * n].max(dim=1)
        angle = 2 * math.pi * index.double() / n
        out += [values * torch.cos(angle), values * torch.sin(angle)]
    return torch.stack(out, dim=1)


@pytest.mark.parametrize("n", [8, 5])
def test_values_export_and_shapes(n):
    gs = gspaces.rot2dOnR2(n)
    t = nn.FieldType(gs, [gs.regular_repr] * 2)
    module = nn.VectorFieldNonLinearity(t)
    x = torch.randn(2, t.size, 4, 3, dtype=torch.float64)
    y = module(t(x)).tensor
    assert y.shape == (2, 4, 4, 3) == module.evaluate_output_shape(x.shape)
    assert (y - _reference(x, n)).abs().max() < 1e-14
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    assert (exported(x) - y).abs().max() <= 1e-12
    # a field peaked at orientation k points at angle 2 pi k / n with the peak's length
    one = torch.full((1, t.size, 1, 1), -5.0, dtype=torch.float64)
    one[0, 3], one[0, n + 1] = 2.0, 3.0
    v = module(t(one)).tensor[0, :, 0, 0]
    a, b = 2 * math.pi * 3 / n, 2 * math.pi / n
    expected = torch.tensor([2 * math.cos(a), 2 * math.sin(a), 3 * math.cos(b), 3 * math.sin(b)])
    assert torch.allclose(v, expected.double(), atol=1e-15)


def test_dtype_round_trip_stays_exact():
    """The directions are not a float buffer: float32 -> float64 keeps them exact."""
    gs = gspaces.no_base_space(cyclic_group(8))
    t = nn.FieldType(gs, [gs.regular_repr] * 2)
    module = nn.VectorFieldNonLinearity(t).float().double()
    errors = module.check_equivariance(atol=EXACT, rtol=0.0)
    assert len(errors) == 8
    y32 = module.float()(t(torch.randn(3, 16))).tensor
    assert y32.dtype == torch.float32


def test_pickle_deepcopy_state():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr])
    module = nn.VectorFieldNonLinearity(t)
    assert list(module.state_dict()) == []
    x = t(torch.randn(2, 8, 3, 3))
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert torch.equal(clone(x).tensor, module(x).tensor)


def test_flags():
    assert "vectorfield" in gspaces.rot2dOnR2(8).regular_repr.supported_nonlinearities
    assert "vectorfield" not in gspaces.flipRot2dOnR2(4).regular_repr.supported_nonlinearities
    assert "vectorfield" not in gspaces.rot2dOnR2(8).irrep(1).supported_nonlinearities


def test_errors():
    d4 = gspaces.flipRot2dOnR2(4)
    with pytest.raises(ValueError, match="cyclic group C_N \\(N >= 2\\), got D4"):
        nn.VectorFieldNonLinearity(nn.FieldType(d4, [d4.regular_repr]))
    c1 = gspaces.rot2dOnR2(1)
    with pytest.raises(ValueError, match="got C1"):
        nn.VectorFieldNonLinearity(nn.FieldType(c1, [c1.regular_repr]))
    gs = gspaces.rot2dOnR2(8)
    with pytest.raises(ValueError, match="regular fields of C8 .*only, got \\['irrep_1', 'regular'\\]"):
        nn.VectorFieldNonLinearity(nn.FieldType(gs, [gs.regular_repr, gs.irrep(1)]))
    with pytest.raises(ValueError, match="quotient"):
        nn.VectorFieldNonLinearity(nn.FieldType(gs, [gs.quotient_repr(2)]))
    t = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(TypeError, match="no keyword arguments.*\\['inplace'\\]"):
        nn.VectorFieldNonLinearity(t, inplace=True)
    with pytest.raises(TypeError, match="needs a FieldType"):
        nn.VectorFieldNonLinearity(gs.regular_repr)
    module = nn.VectorFieldNonLinearity(t)
    with pytest.raises(ValueError, match="needs a tensor of rank 4"):
        module(t(torch.randn(2, 8)))
    with pytest.raises(ValueError, match="expected 8 channels"):
        module.evaluate_output_shape((2, 16, 3, 3))
