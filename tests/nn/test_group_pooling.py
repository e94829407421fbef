"""GroupPooling: max over each field's channels, an invariant of permutation fields."""

import pytest
import torch

from steerable import gspaces, nn

from ._helpers import EXACT, assert_equivariant


def _type():
    gs = gspaces.flipRot2dOnR2(4)
    return nn.FieldType(gs, [gs.regular_repr, gs.quotient_repr((0.0, 1)), gs.trivial_repr, gs.regular_repr])


def test_values_and_type():
    t = _type()
    pool = nn.GroupPooling(t)
    assert pool.out_type == nn.FieldType(t.gspace, [t.gspace.trivial_repr] * 4)
    x = torch.randn(2, t.size, 3, 3)
    y = pool(t(x)).tensor
    expected = torch.stack([x[:, s:e].amax(1) for s, e in zip(t.fields_start, t.fields_end)], 1)
    assert torch.equal(y, expected)
    assert tuple(y.shape) == pool.evaluate_output_shape(tuple(x.shape)) == (2, 4, 3, 3)


@pytest.mark.parametrize("space", ["C8", "D4", "octa"])
def test_invariance(space):
    factories = {
        "C8": lambda: gspaces.rot2dOnR2(8),
        "D4": lambda: gspaces.flipRot2dOnR2(4),
        "octa": gspaces.octaOnR3,
    }
    gs = factories[space]()
    t = nn.FieldType(gs, [gs.regular_repr] * 2 + [gs.trivial_repr])
    pool = nn.GroupPooling(t)
    assert_equivariant(pool, spatial_size=5)
    # a pure fiber transformation (no spatial move) leaves the pooled output unchanged (up to the
    # rounding of rho(g) = Q D(g) Q^T, which is a permutation matrix only to ~1e-16)
    x = t(torch.randn(2, t.size, *(3,) * gs.dimensionality, dtype=torch.float64))
    for g in t.testing_elements:
        assert (pool(x.transform_fibers(g)).tensor - pool(x).tensor).abs().max() < EXACT


@pytest.mark.parametrize("uniform", [True, False])
def test_export(uniform):
    t = _type() if not uniform else nn.FieldType(_type().gspace, [_type().gspace.regular_repr] * 3)
    pool = nn.GroupPooling(t)
    x = torch.randn(2, t.size, 4, 5, dtype=torch.float64)
    assert torch.equal(pool(t(x)).tensor, pool.export()(x))


def test_rejects_non_permutation_fields():
    gs = gspaces.rot2dOnR2(4)
    with pytest.raises(ValueError, match="GroupPooling acts channel by channel.*irrep_1"):
        nn.GroupPooling(nn.FieldType(gs, [gs.regular_repr, gs.irrep(1)]))
