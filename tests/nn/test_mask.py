"""MaskModule: radial mask, equivariance, export, errors."""

import math

import pytest
import torch

from steerable import gspaces, nn

from ._helpers import assert_equivariant


@pytest.mark.parametrize("space", ["C8", "D4", "octa"])
def test_equivariance(space):
    factories = {
        "C8": lambda: gspaces.rot2dOnR2(8),
        "D4": lambda: gspaces.flipRot2dOnR2(4),
        "octa": gspaces.octaOnR3,
    }
    gs = factories[space]()
    t = nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    mask = nn.MaskModule(t, 7, margin=1)
    assert_equivariant(mask, spatial_size=7)


def test_values_and_export():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.trivial_repr])
    S, margin, sigma = 11, 1.0, 2.0
    mask = nn.MaskModule(t, S, margin=margin, sigma=sigma)
    y = mask(t(torch.ones(1, 1, S, S))).tensor[0, 0]
    assert float(y[5, 5]) == 1.0 and float(y[5, 1]) == 1.0  # inside R = S/2 - margin = 4.5
    r = math.hypot(5, 5)
    assert float(y[0, 0]) == pytest.approx(math.exp(-((r - 4.5) ** 2) / sigma**2), rel=1e-6)
    assert torch.equal(y, y.T) and torch.equal(y, y.flip(0))
    x = torch.randn(2, 1, S, S, dtype=torch.float64)
    m64 = mask.double()
    assert torch.equal(m64(t(x)).tensor, m64.export()(x))


def test_errors():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.trivial_repr])
    mask = nn.MaskModule(t, 9)
    with pytest.raises(ValueError, match=r"built for size 9, got spatial shape \(7, 7\)"):
        mask(t(torch.ones(1, 1, 7, 7)))
    from steerable import group

    g0 = gspaces.no_base_space(group.cyclic_group(4))
    with pytest.raises(ValueError, match="2D/3D gspaces"):
        nn.MaskModule(nn.FieldType(g0, [g0.trivial_repr]), 9)
    with pytest.raises(TypeError, match="needs a FieldType"):
        nn.MaskModule(gs.trivial_repr, 9)
