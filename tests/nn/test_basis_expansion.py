"""BlockBasisExpansion against the naive expansion ``sum_e w_e B_e(x)`` of the numpy basis at the
filter grid: the dense path (uniform field types) and the block-sparse path (mixed types), with
and without a ``basis_filter`` that drops elements."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.kernels import kernel_grid

from ._helpers import mixed


def _types(kind):
    gs = gspaces.rot2dOnR2(8)
    if kind == "uniform":
        return nn.FieldType(gs, [gs.regular_repr] * 3), nn.FieldType(gs, [gs.regular_repr] * 2)
    return nn.FieldType(gs, mixed(gs, seed=0)), nn.FieldType(gs, mixed(gs, seed=1))


@pytest.mark.parametrize("filtered", [False, True])
@pytest.mark.parametrize("kind", ["uniform", "mixed"])
def test_expansion_equals_the_naive_sum(kind, filtered):
    t_in, t_out = _types(kind)
    keep = (lambda a: (a["ring"] != 1) & (a["order"] != 2)) if filtered else None
    conv = nn.R2Conv(t_in, t_out, 5, basis_filter=keep).double()
    assert conv.expansion._dense == (kind == "uniform")
    if filtered:
        full = nn.R2Conv(t_in, t_out, 5)
        assert 0 < conv.basis.dim < full.basis.dim
    with torch.no_grad():
        conv.weights.copy_(torch.randn(conv.weights.shape, dtype=torch.float64))
    points = kernel_grid(5, 2)
    samples = conv.basis.sample(points)  # (P, dim, out, in)
    expected = np.einsum("e,peoi->oip", conv.weights.detach().numpy(), samples)
    got = conv.expansion(conv.weights).detach().numpy()
    assert np.abs(got - expected).max() < 1e-12 * max(1.0, np.abs(expected).max())


@pytest.mark.parametrize("kind", ["uniform", "mixed"])
def test_he_scales_equal_the_per_element_formula(kind):
    """The dense path reads the He scales off one field pair; they equal the per-element
    formula d_o / (N_o |B_e|^2) over the basis' attribute arrays."""
    t_in, t_out = _types(kind)
    conv = nn.R2Conv(t_in, t_out, 5)
    expansion = conv.expansion
    assert conv.basis._attributes is None or kind == "mixed"  # uniform: no per-element arrays yet
    fast = expansion.he_scales()
    reference = expansion._element_he_scales(conv.basis)
    assert fast.shape == (conv.basis.dim,) and np.all(np.isfinite(fast))
    assert np.abs(fast - reference).max() < 1e-12 * np.abs(reference).max()
