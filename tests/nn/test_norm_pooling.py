"""NormPool (norm of each field) and InducedNormPool (max of the induced blocks' norms):
invariance, values, export, shapes, gradients, errors."""

import copy
import pickle

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import change_basis, so3_group

from ._helpers import EXACT, assert_equivariant, mixed, random_orthogonal

SPACES = {
    "SO2": (lambda: gspaces.rot2dOnR2(-1, maximum_frequency=4), 4),
    "C8": (lambda: gspaces.rot2dOnR2(8), 4),
    "D4": (lambda: gspaces.flipRot2dOnR2(4), 8),
    "octa": (gspaces.octaOnR3, 24),
    "SO3": (gspaces.rot3dOnR3, 24),
}


def induced_type(gs):
    """Induced fields with blocks of sizes 1 and 2, a quotient, in mixed order."""
    G = gs.fibergroup
    if gs.dimensionality == 3:  # octahedral: C4 (index 6) and the tetrahedral subgroup (index 2)
        c4 = G.subgroup((False, 4))[0]
        reps = [
            G.induced_representation((False, 4), c4.irrep(1)),
            gs.quotient_repr("tetra"),
            G.induced_representation((False, 4), c4.irrep(2)),
            G.induced_representation((False, 4), c4.irrep(1)),
        ]
    elif type(G).__name__ == "DihedralGroup":
        flip, rot = G.subgroup((0.0, 1))[0], G.subgroup((None, 4))[0]
        reps = [
            G.induced_representation((None, 4), rot.irrep(1)),
            G.induced_representation((0.0, 1), flip.irrep(1, 0)),
            gs.quotient_repr((0.0, 1)),
            G.induced_representation((None, 4), rot.irrep(1)),
        ]
    else:  # C8 from C4 (index 2)
        c4 = G.subgroup(4)[0]
        reps = [
            G.induced_representation(4, c4.irrep(1)),
            gs.quotient_repr(2),
            G.induced_representation(4, c4.irrep(2)),
        ]
    return nn.FieldType(gs, reps)


def _reference_induced(x, t):
    cols = []
    for r, s, e in zip(t.representations, t.fields_start, t.fields_end):
        blocks = x[:, s:e].reshape(x.shape[0], -1, r.induced_repr.size, *x.shape[2:])
        cols.append(blocks.norm(dim=2).amax(dim=1))
    return torch.stack(cols, 1)


@pytest.mark.parametrize("space", sorted(SPACES))
def test_norm_pool_invariance_values_export(space):
    gs = SPACES[space][0]()
    reps = mixed(gs, seed=6)
    t = nn.FieldType(gs, [reps[1], reps[2], reps[0], reps[1], reps[2]])
    module = nn.NormPool(t)
    assert module.out_type == nn.FieldType(gs, [gs.trivial_repr] * 5)
    assert_equivariant(module, spatial_size=5, n_elements=SPACES[space][1])
    x = torch.randn((2, t.size) + (3,) * gs.dimensionality, dtype=torch.float64)
    y = module(t(x)).tensor
    expected = torch.stack([x[:, s:e].norm(dim=1) for s, e in zip(t.fields_start, t.fields_end)], 1)
    assert torch.allclose(y, expected, rtol=1e-14, atol=0)
    assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape))
    plain = module.export()
    assert not isinstance(plain, nn.EquivariantModule)
    assert (plain(x) - y).abs().max() <= 1e-12 * y.abs().max()


def test_norm_pool_without_base_space_and_on_point_clouds():
    """Invariance under arbitrary (not grid) rotations: the fiber action alone."""
    G = so3_group(maximum_frequency=2)
    gs = gspaces.no_base_space(G)
    rot = change_basis(G.irrep(1) + G.irrep(2), random_orthogonal(8, 3), "rot12")
    t = nn.FieldType(gs, [G.irrep(1), rot, G.irrep(0), G.irrep(2)])
    module = nn.NormPool(t)
    x = t(torch.randn(4, t.size, dtype=torch.float64))
    y = module(x).tensor
    rng = np.random.default_rng(0)
    for _ in range(5):
        g = G.sample(rng)
        assert (module(x.transform(g)).tensor - y).abs().max() < EXACT
    assert module.evaluate_output_shape((4, t.size)) == (4, 4)
    g3 = gspaces.rot3dOnR3()
    t3 = nn.FieldType(g3, [g3.irrep(1), g3.irrep(2)])
    coords = torch.randn(6, 3)
    out = nn.NormPool(t3)(nn.GeometricTensor(torch.randn(6, 8), t3, coords))
    assert out.coords is coords and out.shape == (6, 2)


@pytest.mark.parametrize("space", ["C8", "D4", "octa"])
def test_induced_norm_pool_invariance_values_export(space):
    gs = SPACES[space][0]()
    t = induced_type(gs)
    module = nn.InducedNormPool(t)
    assert module.out_type == nn.FieldType(gs, [gs.trivial_repr] * len(t))
    assert_equivariant(module, spatial_size=5, n_elements=SPACES[space][1])
    x = torch.randn((2, t.size) + (3,) * gs.dimensionality, dtype=torch.float64)
    y = module(x=t(x)).tensor
    assert torch.allclose(y, _reference_induced(x, t), rtol=1e-14, atol=0)
    # not the norm of the whole field (that is NormPool)
    assert not torch.allclose(y, nn.NormPool(t)(t(x)).tensor)
    assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape))
    assert (module.export()(x) - y).abs().max() <= 1e-12 * y.abs().max()


def test_induced_blocks_are_permuted_and_rotated():
    """What InducedNormPool relies on: rho(g) maps block i into block sigma_g(i)."""
    gs = gspaces.flipRot2dOnR2(4)
    t = induced_type(gs)
    for r in t.representations:
        k, b = r.size // r.induced_repr.size, r.induced_repr.size
        for g in gs.fibergroup.elements:
            m = np.abs(r(g)).reshape(k, b, k, b).sum(axis=(1, 3))
            assert ((m < 1e-9) | (m > 1e-3)).all() and ((m > 1e-3).sum(0) == 1).all()


def test_gradients_are_finite_at_zero_copies_and_empty_state():
    gs = gspaces.flipRot2dOnR2(4)
    t = induced_type(gs)
    for module in (nn.NormPool(t), nn.InducedNormPool(t)):
        x = torch.zeros(1, t.size, 2, 2, requires_grad=True)
        module(t(x)).tensor.sum().backward()
        assert torch.isfinite(x.grad).all()
        x = t(torch.randn(1, t.size, 3, 3))
        y = module(x).tensor
        for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
            assert torch.equal(clone(x).tensor, y)
        assert module.state_dict() == {}


def test_errors():
    gs = gspaces.rot2dOnR2(8)
    G = gs.fibergroup
    with pytest.raises(TypeError, match="NormPool needs a FieldType"):
        nn.NormPool(gs.regular_repr)
    with pytest.raises(TypeError, match="InducedNormPool needs a FieldType"):
        nn.InducedNormPool([gs.regular_repr])
    with pytest.raises(
        ValueError, match=r"InducedNormPool needs induced representations.*\['irrep_1', 'regular'\]"
    ):
        nn.InducedNormPool(nn.FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.quotient_repr(2)]))
    ind = G.induced_representation(4, G.subgroup(4)[0].irrep(1))
    rotated = change_basis(ind, random_orthogonal(ind.size, 1), "rotated_induced")
    with pytest.raises(ValueError, match="rotated_induced"):
        nn.InducedNormPool(nn.FieldType(gs, [ind, rotated]))
    module = nn.NormPool(nn.FieldType(gs, [ind]))
    with pytest.raises(ValueError, match=r"expects a shape \(B, 4, ...\), got \(1, 3, 5, 5\)"):
        module.evaluate_output_shape((1, 3, 5, 5))
