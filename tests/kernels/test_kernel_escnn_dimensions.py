"""With default arguments, kernel spaces have escnn 1.0.11's dimensions (porting keeps the
number of weights). Reference numbers were measured on escnn 1.0.11 as a black box
(``R2Conv``/``R3Conv(in_type, out_type, kernel_size)``, ``basisexpansion.dimension()``)."""

import pytest

import steerable.group as G
from steerable import gspaces, kernels


def _dim(gs, rep, k):
    rings = kernels.default_rings(k, 1.0, gs.dimensionality)
    sigma = kernels.default_sigma(rings, 1.0, k)
    return gs.build_kernel_basis(rep, rep, rings=rings, sigma=sigma, kernel_size=k).dim


@pytest.mark.parametrize(
    "make, fields, k, escnn_dim",
    [
        (lambda: gspaces.rot2dOnR2(8), 16, 5, 22528),
        (lambda: gspaces.flipRot2dOnR2(16), 16, 7, 147456),
        (lambda: gspaces.icoOnR3(), 2, 5, 4560),
        (lambda: gspaces.octaOnR3(), 2, 3, 960),
        (lambda: gspaces.rot2dOnR2(8), 2, 9, 992),
        (lambda: gspaces.rot2dOnR2(8), 2, 4, 160),
    ],
)
def test_regular_fields_match_escnn(make, fields, k, escnn_dim):
    gs = make()
    assert _dim(gs, G.directsum([gs.regular_repr] * fields), k) == escnn_dim


def test_so3_band_limited_regular_matches_escnn():
    gs = gspaces.rot3dOnR3()
    rep = G.directsum([gs.fibergroup.bl_regular_representation(2)] * 8)
    assert _dim(gs, rep, 5) == 25152


@pytest.mark.parametrize(
    "k, escnn_dim", [(1, 31), (3, 180), (4, 149), (5, 329), (7, 534), (9, 895), (11, 1304)]
)
def test_so2_irreps_match_escnn(k, escnn_dim):
    gs = gspaces.rot2dOnR2(-1)
    rep = G.directsum([gs.fibergroup.irrep(i) for i in range(16)])
    assert _dim(gs, rep, k) == escnn_dim


@pytest.mark.parametrize("k, escnn_dim", [(1, 5), (3, 38), (4, 33), (5, 71), (7, 121), (9, 186)])
def test_so3_irreps_match_escnn(k, escnn_dim):
    gs = gspaces.rot3dOnR3()
    rep = G.directsum([gs.fibergroup.irrep(l) for l in range(5)])
    assert _dim(gs, rep, k) == escnn_dim


def test_kernel_size_two_is_not_empty():
    """escnn builds an empty basis for kernel_size=2; ours has the ring through the 4 pixels."""
    gs = gspaces.rot2dOnR2(4)
    assert _dim(gs, gs.regular_repr, 2) > 0
