"""HarmonicPolynomialR3: values, equivariance (SO(3), O(3)), harmonicity, export, errors."""

import copy
import pickle

import numpy as np
import pytest
import torch

from steerable import group, gspaces, nn
from steerable.group._so3_math import spherical_harmonics_all

from ._helpers import EXACT


def test_values_are_the_solid_harmonics():
    """P_l(v) = |v|^l Y_l(v/|v|) with the group layer's real spherical harmonics."""
    L = 5
    module = nn.HarmonicPolynomialR3(L).double()
    v = torch.randn(30, 3, dtype=torch.float64) * 1.5
    out = module(module.in_type(v)).tensor
    r = np.linalg.norm(v.numpy(), axis=1, keepdims=True)
    powers = np.concatenate([np.repeat(r**l, 2 * l + 1, axis=1) for l in range(L + 1)], axis=1)
    expected = spherical_harmonics_all(L, v.numpy()) * powers
    assert out.shape == (30, 36)
    assert np.abs(out.numpy() - expected).max() < 1e-10 * np.abs(expected).max()
    x, y, z = v.unbind(1)
    assert torch.equal(out[:, 0], torch.ones(30, dtype=torch.float64))
    assert torch.allclose(out[:, 1:4], 3**0.5 * torch.stack([y, z, x], 1), atol=1e-13)


@pytest.mark.parametrize("name", ["so3", "o3"])
def test_equivariance_to_random_elements(name):
    """P(g v) = rho_out(g) P(v) for random rotations (and improper ones for O(3)); the input is
    the group's standard representation, the output its bl_sphere_representation(L)."""
    L = 4
    module = nn.HarmonicPolynomialR3(L, group=name).double()
    G = module.in_type.fibergroup
    assert module.in_type == nn.FieldType(gspaces.no_base_space(G), [G.standard_representation()])
    assert module.out_type == nn.FieldType(gspaces.no_base_space(G), [G.bl_sphere_representation(L)])
    v = torch.nn.functional.normalize(torch.randn(10, 3, dtype=torch.float64), dim=1)
    x = module.in_type(v)
    rng = np.random.default_rng(0)
    elements = [G.sample(rng) for _ in range(8)]
    if name == "o3":
        elements.append(G.element((1, G.identity.value[1]), "Q"))  # the inversion
    improper = 0
    with torch.no_grad():
        y = module(x)
        for g in elements:
            improper += int(np.linalg.det(G.standard_representation()(g)) < 0)
            assert (module(x.transform(g)).tensor - y.transform(g).tensor).abs().max() < EXACT
    assert improper > 0 if name == "o3" else improper == 0
    module.check_equivariance(atol=EXACT, rtol=0.0)


def test_o3_parity():
    module = nn.HarmonicPolynomialR3(3, "o3").double()
    assert module.out_type.irreps == [(0, 0), (1, 1), (0, 2), (1, 3)]
    v = torch.randn(5, 3, dtype=torch.float64)
    plus, minus = module(module.in_type(v)).tensor, module(module.in_type(-v)).tensor
    sign = torch.cat([torch.full((2 * l + 1,), (-1.0) ** l, dtype=torch.float64) for l in range(4)])
    assert torch.allclose(minus, plus * sign, atol=1e-13)


def test_harmonic_and_homogeneous():
    """Each output is a harmonic (zero Laplacian) homogeneous polynomial of degree l."""
    L = 3
    harmonics = nn.HarmonicPolynomialR3(L).double().export()
    v = torch.randn(4, 3, dtype=torch.float64)
    for k in range((L + 1) ** 2):
        lap = 0.0
        for i in range(3):
            hess = torch.autograd.functional.hessian(lambda u, k=k: harmonics(u[None])[0, k], v[i])
            lap = max(lap, float(hess.diagonal().sum().abs()))
        assert lap < 1e-10
    degrees = torch.cat([torch.full((2 * l + 1,), float(l), dtype=torch.float64) for l in range(L + 1)])
    assert torch.allclose(harmonics(2.0 * v), harmonics(v) * 2.0**degrees, atol=1e-12)
    origin = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    out = harmonics(origin)
    assert torch.equal(out.detach()[0, 1:], torch.zeros(15, dtype=torch.float64))
    out[0, 1:4].sum().backward()  # smooth at the origin (a polynomial, no normalisation)
    assert torch.isfinite(origin.grad).all() and origin.grad.abs().sum() > 0


def test_export_point_cloud_pickle():
    module = nn.HarmonicPolynomialR3(2, group=group.so3_group())
    coords = torch.randn(6, 3)
    x = nn.GeometricTensor(coords.clone(), module.in_type, coords)
    y = module(x)
    assert y.coords is coords and y.tensor.shape == (6, 9)
    assert module.evaluate_output_shape((6, 3)) == (6, 9)
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    assert torch.equal(exported(coords), y.tensor)
    for clone in (pickle.loads(pickle.dumps(module)), copy.deepcopy(module)):
        assert torch.equal(clone(x).tensor, y.tensor)
    assert module.state_dict() == {}
    assert nn.HarmonicPolynomialR3(0)(module.in_type(coords)).tensor.shape == (6, 1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="L must be a non-negative integer, got -1"):
        nn.HarmonicPolynomialR3(-1)
    with pytest.raises(ValueError, match="L must be a non-negative integer, got 1.5"):
        nn.HarmonicPolynomialR3(1.5)
    with pytest.raises(ValueError, match="group must be 'so3', 'o3' or an SO3/O3 group, got 'so2'"):
        nn.HarmonicPolynomialR3(2, "so2")
    with pytest.raises(TypeError, match="got SO2"):
        nn.HarmonicPolynomialR3(2, group.so2_group())
    module = nn.HarmonicPolynomialR3(2)
    with pytest.raises(ValueError, match="expects fields of type"):
        module(nn.HarmonicPolynomialR3(2, "o3").in_type(torch.randn(2, 3)))
    with pytest.raises(ValueError, match="expected an input shape \\(B, 3\\)"):
        module.evaluate_output_shape((2, 4))
