"""Grid conventions, default rings and the band-limiting policy (``max_orders``)."""

from __future__ import annotations

import numpy as np
import pytest

from steerable import group as G
from steerable import gspaces as gs
from steerable.kernels import default_rings, default_sigma, kernel_grid, max_orders


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_kernel_grid_2d_convention(k):
    pts = kernel_grid(k, 2)
    assert pts.shape == (k * k, 2)
    c = (k - 1) / 2
    grid = pts.reshape(k, k, 2)
    for i in range(k):
        for j in range(k):
            np.testing.assert_array_equal(grid[i, j], [j - c, c - i])
    # centred, and dilation scales it
    np.testing.assert_allclose(pts.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(kernel_grid(k, 2, dilation=2.0), 2.0 * pts)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_kernel_grid_3d_convention(k):
    pts = kernel_grid(k, 3)
    assert pts.shape == (k**3, 3)
    c = (k - 1) / 2
    grid = pts.reshape(k, k, k, 3)
    for a in range(k):
        for b in range(k):
            for e in range(k):
                np.testing.assert_array_equal(grid[a, b, e], [e - c, c - b, c - a])


def test_kernel_grid_bad_input():
    for bad in (0, -1):
        with pytest.raises(ValueError):
            kernel_grid(bad, 2)
        with pytest.raises(ValueError):
            default_rings(bad)
    with pytest.raises((TypeError, ValueError)):
        kernel_grid(2.5, 2)
    with pytest.raises(ValueError):
        kernel_grid(3, 4)


@pytest.mark.parametrize(
    "k,expected,sigma",
    [
        (1, [0.0], [0.005]),
        (2, [np.sqrt(2) / 2], [0.6]),  # escnn builds nothing for k = 2; we keep its 4 points
        (3, [0.0, 1.0], [0.005, 0.4]),
        (4, [1.0], [0.4]),  # even sizes have no centre point: no radius-0 ring
        (5, [0.0, 1.0, 2.0], [0.005, 0.6, 0.4]),
        (6, [1.0, 2.0], [0.6, 0.4]),
        (7, [0.0, 1.0, 2.0, 3.0], [0.005, 0.6, 0.6, 0.4]),
    ],
)
def test_default_rings_and_sigma(k, expected, sigma):
    np.testing.assert_allclose(default_rings(k), expected)
    np.testing.assert_allclose(default_rings(k, dilation=2.0), 2.0 * np.array(expected))
    np.testing.assert_allclose(default_sigma(default_rings(k), kernel_size=k), sigma)
    np.testing.assert_allclose(
        default_sigma(default_rings(k), dilation=3.0, kernel_size=k), 3.0 * np.array(sigma)
    )
    # every default ring lies within the grid's extent
    pts = kernel_grid(k, 2)
    assert max(expected) <= np.linalg.norm(pts, axis=1).max() + 1e-12


def test_default_rings_kernel_size_two_in_3d_passes_through_the_corners():
    np.testing.assert_allclose(default_rings(2, dimension=3), [np.sqrt(3) / 2])
    np.testing.assert_allclose(np.linalg.norm(kernel_grid(2, 3), axis=1), np.sqrt(3) / 2)


def test_max_orders_default_policy_2d():
    # escnn 1.0.11's default, measured on escnn: 2 on the outermost ring r = R = k // 2,
    # 2r for odd r, 2r - 1 for even r, floor(2r) off the integers
    assert max_orders([0.0, 1.0], kernel_size=3) == [0, 2]
    assert max_orders([0.0, 1.0, 2.0], kernel_size=5) == [0, 2, 2]
    assert max_orders([0.0, 1.0, 2.0, 3.0], kernel_size=7) == [0, 2, 3, 2]
    assert max_orders([0.0, 1.0, 2.0, 3.0, 4.0], kernel_size=9) == [0, 2, 3, 6, 2]
    assert max_orders([1.0, 2.0], kernel_size=6) == [2, 3]
    assert max_orders([np.sqrt(2) / 2], kernel_size=2) == [1]


def test_max_orders_default_policy_3d():
    # min(2r, R - r + 2)
    assert max_orders([0.0, 1.0, 2.0], kernel_size=5, dimension=3) == [0, 2, 2]
    assert max_orders([0.0, 1.0, 2.0, 3.0, 4.0], kernel_size=9, dimension=3) == [0, 2, 4, 3, 2]
    assert max_orders([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], kernel_size=11, dimension=3) == [0, 2, 4, 4, 3, 2]


def test_max_orders_float_cutoff_floor():
    rings = [0.0, 1.0, 2.0, 3.0]
    assert max_orders(rings, frequencies_cutoff=1.5) == [0, 1, 3, 4]
    assert max_orders(rings, frequencies_cutoff=3.0) == [0, 3, 6, 9]  # floor(F r) at exact integers
    assert max_orders(rings, frequencies_cutoff=0.0) == [0, 0, 0, 0]


def test_max_orders_callable_and_cap():
    rings = [0.0, 1.0, 2.0, 3.0]
    assert max_orders(rings, frequencies_cutoff=lambda r: r**2 + 0.5) == [0, 1, 4, 9]
    assert max_orders(rings, frequencies_cutoff=lambda r: r**2, maximum_frequency=3) == [0, 1, 3, 3]
    assert max_orders(rings, maximum_frequency=1) == [0, 1, 1, 1]
    # r = 0 always carries J = 0 only, whatever the cutoff
    assert max_orders([0.0], frequencies_cutoff=lambda r: 10.0)[0] == 0
    assert max_orders([0.0], frequencies_cutoff=100.0, maximum_frequency=5)[0] == 0


def test_max_orders_dilation():
    # with dilation the cutoff applies to r / dilation
    assert max_orders([0.0, 2.0, 4.0], dilation=2.0) == max_orders([0.0, 1.0, 2.0])


def test_max_orders_bad_cutoff():
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            max_orders([1.0], frequencies_cutoff=bad)
        with pytest.raises(ValueError):  # also when only the origin ring is there
            max_orders([0.0], frequencies_cutoff=bad)
    for bad in (-1, -3):
        with pytest.raises(ValueError):
            max_orders([0.0, 1.0], maximum_frequency=bad)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError):
            max_orders([0.0, 1.0], dilation=bad)
    assert max_orders([0.0, 1.0, 2.0], maximum_frequency=0) == [0, 0, 0]


def test_band_limit_reaches_the_basis():
    """The basis carries exactly the orders max_orders allows, per ring."""
    space = gs.rot2dOnR2(-1, maximum_frequency=8)
    rep = space.fibergroup.bl_regular_representation(3)
    rings = [0.0, 1.0, 2.0, 3.0]
    for kwargs, expected in (
        ({}, [0, 2, 3, 2]),  # the default policy (R = the largest ring, 3)
        ({"frequencies_cutoff": 2.0}, [0, 2, 4, 6]),
        ({"frequencies_cutoff": 1.0}, [0, 1, 2, 3]),
        ({"frequencies_cutoff": lambda r: 2 * r + 1}, [0, 3, 5, 7]),
        ({"maximum_frequency": 2, "frequencies_cutoff": 2.0}, [0, 2, 2, 2]),
    ):
        basis = space.build_kernel_basis(rep, rep, rings=rings, sigma=0.6, **kwargs)
        assert list(basis.max_orders) == expected
        a = basis.attributes
        for ring, jmax in enumerate(expected):
            orders = a["order"][a["ring"] == ring]
            # SO(2) bl-regular(3) -> itself: every J <= 6 occurs
            assert sorted(set(orders.tolist())) == list(range(min(jmax, 6) + 1))


def _rot90_element(space):
    for g in space.testing_elements:
        m = space.basespace_matrix(g)
        if space.dimensionality == 2 and np.allclose(m, [[0, -1], [1, 0]]):
            return g
        if space.dimensionality == 3 and np.allclose(m, [[0, -1, 0], [1, 0, 0], [0, 0, 1]]):
            return g
    raise AssertionError("no rotation by +90 degrees among the testing elements")


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_filter_rotation_on_the_pixel_grid(k):
    """Rotating the sampled filter with np.rot90 (counter-clockwise for row 0 at the top) is
    the action of the +90 degree rotation: rot90(F) = F o g^-1 = rho_out(g)^T F rho_in(g)."""
    space = gs.rot2dOnR2(4)
    rep = space.regular_repr
    basis = space.build_kernel_basis(rep, rep, rings=default_rings(k), sigma=default_sigma(default_rings(k)))
    assert basis.dim > 0  # kernel_size 1 and 2 give a non-empty basis
    g = _rot90_element(space)
    values = basis.sample(kernel_grid(k, 2)).reshape(k, k, basis.dim, rep.size, rep.size)
    rotated = np.rot90(values, axes=(0, 1))
    expected = np.einsum("ji,xydjk,kl->xydil", rep(g), values, rep(g))
    np.testing.assert_allclose(rotated, expected, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_filter_rotation_on_the_voxel_grid(k):
    """Volumes have axes (-Z, -Y, X): np.rot90 over the last two axes is +90 degrees about z."""
    space = gs.octaOnR3()
    rep = space.basespace_action
    basis = space.build_kernel_basis(rep, rep, rings=default_rings(k), sigma=default_sigma(default_rings(k)))
    assert basis.dim > 0
    g = _rot90_element(space)
    values = basis.sample(kernel_grid(k, 3)).reshape(k, k, k, basis.dim, 3, 3)
    rotated = np.rot90(values, axes=(1, 2))
    expected = np.einsum("ji,abedjk,kl->abedil", rep(g), values, rep(g))
    np.testing.assert_allclose(rotated, expected, atol=1e-12)


def test_kernel_size_two_is_not_empty():
    """escnn's kernel_size=2 defect: the default ring 0.5 carries J <= 1, so e.g. a scalar ->
    vector kernel exists."""
    space = gs.rot2dOnR2(-1)
    rings = default_rings(2)
    basis = space.build_kernel_basis(
        space.trivial_repr, space.irrep(1), rings=rings, sigma=default_sigma(rings)
    )
    assert basis.dim == 2
    so3 = G.so3_group()
    space3 = gs.rot3dOnR3()
    basis3 = space3.build_kernel_basis(so3.irrep(0), so3.irrep(1), rings=rings, sigma=default_sigma(rings))
    assert basis3.dim == 1
