"""Helpers shared by the nn tests: gspaces, representative field types, equivariance checks."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from steerable import gspaces, nn
from steerable.group import change_basis, directsum

EXACT = 1e-9  # float64 error bound of exact (grid-permuting) transformations

# every 2D gspace factory, with the number of its elements that map the pixel grid onto itself
GSPACES_2D = {
    "SO2": (lambda: gspaces.rot2dOnR2(-1, maximum_frequency=4), 4),
    "C1": (lambda: gspaces.rot2dOnR2(1), 1),
    "C2": (lambda: gspaces.rot2dOnR2(2), 2),
    "C4": (lambda: gspaces.rot2dOnR2(4), 4),
    "C8": (lambda: gspaces.rot2dOnR2(8), 4),
    "O2": (lambda: gspaces.flipRot2dOnR2(-1, maximum_frequency=4), 8),
    "D1": (lambda: gspaces.flipRot2dOnR2(1), 2),
    "D2": (lambda: gspaces.flipRot2dOnR2(2), 4),
    "D4": (lambda: gspaces.flipRot2dOnR2(4), 8),
    "D8": (lambda: gspaces.flipRot2dOnR2(8), 8),
    "D4_axis0": (lambda: gspaces.flipRot2dOnR2(4, axis=0.0), 8),
    "O2_axis0": (lambda: gspaces.flipRot2dOnR2(-1, maximum_frequency=4, axis=0.0), 8),
    "flip": (lambda: gspaces.flip2dOnR2(), 2),
    "flip_axis0": (lambda: gspaces.flip2dOnR2(axis=0.0), 2),
    "trivial": (lambda: gspaces.trivialOnR2(), 1),
}

# 2D and 3D gspaces of the pooling tests, with the number of their exact grid elements
POOLING_SPACES = {
    "C4": (lambda: gspaces.rot2dOnR2(4), 4),
    "C8": (lambda: gspaces.rot2dOnR2(8), 4),
    "D4": (lambda: gspaces.flipRot2dOnR2(4), 8),
    "octa": (gspaces.octaOnR3, 24),
    "SO3": (gspaces.rot3dOnR3, 24),
}


def random_orthogonal(n: int, seed: int = 0) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def small_irreps(gs, L: int = 2) -> list:
    G = gs.fibergroup
    if G.continuous:
        return [G.irrep(*i) for i in G.bl_irreps(L)]
    return list(G.irreps())


def regular_like(gs, L: int = 2):
    G = gs.fibergroup
    return G.bl_regular_representation(L) if G.continuous else gs.regular_repr


def quotient(gs):
    """A quotient representation G/H for a proper non-trivial subgroup H, or None."""
    G = gs.fibergroup
    name = type(G).__name__
    if name == "CyclicGroup" and G.order() % 2 == 0 and G.order() > 2:
        return gs.quotient_repr(2)  # C_N / C_2
    if name == "DihedralGroup" and G.order() >= 4:
        return gs.quotient_repr((0.0, 1))  # D_N / (a reflection)
    return None


def mixed(gs, seed: int = 0):
    """trivial + (a sum of irreps under a random orthogonal change of basis) + an irrep."""
    irreps = small_irreps(gs)
    block = directsum(irreps[:3])
    rotated = change_basis(block, random_orthogonal(block.size, seed), f"rotated{seed}")
    return [gs.trivial_repr, rotated, irreps[min(1, len(irreps) - 1)]]


def field_types(gs) -> dict:
    """Representative field types of a gspace: name -> FieldType."""
    out = {
        "trivial": nn.FieldType(gs, [gs.trivial_repr] * 2),
        "irreps": nn.FieldType(gs, small_irreps(gs)),
        "regular": nn.FieldType(gs, [regular_like(gs)]),
        "mixed": nn.FieldType(gs, mixed(gs)),
    }
    q = quotient(gs)
    out["quotient"] = nn.FieldType(gs, [q] if q is not None else [regular_like(gs), gs.trivial_repr])
    return out


def assert_equivariant(module, spatial_size: int = 7, elements=None, n_elements=None, atol: float = EXACT):
    """module.check_equivariance in float64 (exact elements), plus checks that make it non-vacuous:
    the output is not zero and the expected number of elements was tested."""
    d = module.in_type.gspace.dimensionality
    x = torch.randn((2, module.in_type.size) + (spatial_size,) * d, dtype=torch.float64)
    with torch.no_grad():
        y = _double_copy(module)(module.in_type(x)).tensor
    assert y.abs().max() > 1e-3, "the module's output is (nearly) zero: the test would be vacuous"
    errors = module.check_equivariance(atol=atol, rtol=0.0, elements=elements, spatial_size=spatial_size)
    if n_elements is not None:
        assert len(errors) == n_elements, f"expected {n_elements} testing elements, got {len(errors)}"
    assert max(e for _, e in errors) <= atol
    return errors


def _double_copy(module):
    import copy

    return copy.deepcopy(module).double().eval()


def signed_permutations(proper: bool) -> list[np.ndarray]:
    """The 48 symmetries of the cube as 3x3 matrices (the 24 rotations if ``proper``)."""
    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            m = np.zeros((3, 3))
            m[np.arange(3), perm] = signs
            if proper and np.linalg.det(m) < 0:
                continue
            out.append(m)
    return out


# ---------------------------------------------------------------- a fixed model (state_dict tests)
def build_reference_model():
    """A small C4 model whose construction involves no randomness beyond the initial weights:
    mixed types with a (seeded) change of basis, block-sparse and dense expansions, batch norm."""
    gs = gspaces.rot2dOnR2(4)
    t_in = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    t_mid = nn.FieldType(gs, mixed(gs, seed=3) + [gs.regular_repr])
    t_reg = nn.FieldType(gs, [gs.regular_repr] * 2)
    return nn.SequentialModule(
        nn.R2Conv(t_in, t_mid, 3, padding=1),
        nn.R2Conv(t_mid, t_reg, 3, padding=1, padding_mode="reflect"),
        nn.InnerBatchNorm(t_reg),
        nn.ReLU(t_reg),
        nn.GroupPooling(t_reg),
    )
