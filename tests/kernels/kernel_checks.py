"""Shared helpers of the kernel tests: the gspace catalogue, representation spreads, and the
checks (steerability, linear independence, predicted dimensions) computed independently of
the solver."""

from __future__ import annotations

import numpy as np

from steerable import group as G
from steerable import gspaces as gs
from steerable.kernels import harmonic_irrep_id

ATOL = 1e-9  # float64, exact identities


def _adjoint():
    return G.so3_group().sample(np.random.default_rng(7))


# name -> (factory, subgroup id for a quotient representation (None: no quotient))
GSPACES = {
    # ---- R^2
    "SO2": (lambda: gs.rot2dOnR2(-1, maximum_frequency=4), 3),
    "C1": (lambda: gs.rot2dOnR2(1), None),
    "C3": (lambda: gs.rot2dOnR2(3), None),
    "C8": (lambda: gs.rot2dOnR2(8), 2),
    "O2": (lambda: gs.flipRot2dOnR2(-1, maximum_frequency=4), (None, 2)),
    "O2_axis0": (lambda: gs.flipRot2dOnR2(-1, maximum_frequency=4, axis=0.0), (None, -1)),
    "D1": (lambda: gs.flipRot2dOnR2(1), None),
    "D4": (lambda: gs.flipRot2dOnR2(4), (None, 2)),
    "D6_axis": (lambda: gs.flipRot2dOnR2(6, axis=0.3), (0, 3)),
    "flip": (lambda: gs.flip2dOnR2(), None),
    "flip_axis": (lambda: gs.flip2dOnR2(axis=np.pi / 3), None),
    "trivial2": (gs.trivialOnR2, None),
    # ---- R^3
    "SO3": (lambda: gs.rot3dOnR3(), (False, -1)),
    "O3": (lambda: gs.flipRot3dOnR3(), ("cone", 0.0, -1)),
    "ico": (gs.icoOnR3, (False, 2)),
    "full_ico": (gs.fullIcoOnR3, None),
    "octa": (gs.octaOnR3, (False, 4)),
    "full_octa": (gs.fullOctaOnR3, ("octa", 1)),
    "tetra": (gs.tetraOnR3, (False, 2)),
    "full_tetra": (gs.fullTetraOnR3, "tetra"),
    "pyrito": (gs.pyritoOnR3, ("tetra", 1)),
    "dihedral_O2": (lambda: gs.dihedralOnR3(), (None, 2)),
    "dihedral_D3": (lambda: gs.dihedralOnR3(3, axis=0.4), None),
    "rot2d_SO2": (lambda: gs.rot2dOnR3(), 2),
    "rot2d_C4_adjoint": (lambda: gs.rot2dOnR3(4, adjoint=_adjoint()), 2),
    "conical_O2": (lambda: gs.conicalOnR3(), (None, 2)),
    "conical_D2": (lambda: gs.conicalOnR3(2, axis=0.7), None),
    "mir": (lambda: gs.mirOnR3(), None),
    "full_cylinder": (lambda: gs.fullCylindricalOnR3(), ((None, 2), 1)),
    "full_cylinder_D2": (lambda: gs.fullCylindricalOnR3(2, axis=0.2), None),
    "cylinder": (lambda: gs.cylindricalOnR3(), (2, 1)),
    "cylinder_C3": (lambda: gs.cylindricalOnR3(3), None),
    "inv": (gs.invOnR3, None),
    "trivial3": (gs.trivialOnR3, None),
}

# rings (and their band limit J <= floor(2 r)): orders [0, 2, 4] in 2D, [0, 1, 3] in 3D
RINGS = {2: [0.0, 1.0, 2.0], 3: [0.0, 0.8, 1.6]}
SIGMA = 0.6


def random_orthogonal(n: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def nontrivial_irreps(group, count: int = 2) -> list:
    """Up to ``count`` non-trivial irreps spread over the listed ones (low and high frequency)."""
    irreps = [irr for irr in group.irreps() if irr.id != group.trivial_representation.id]
    if len(irreps) <= count:
        return irreps
    picks = np.linspace(0, len(irreps) - 1, count).round().astype(int)
    return [irreps[i] for i in sorted(set(picks.tolist()))]


def representation_spread(gspace, quotient_id, seed: int = 0) -> dict:
    """label -> representation: trivial, standard, irreps, regular / band-limited regular,
    quotient, and a direct sum with a random orthogonal change of basis."""
    group = gspace.fibergroup
    reps = {"trivial": group.trivial_representation}
    if gspace.dimensionality > 0:
        reps["standard"] = gspace.basespace_action
    for irr in nontrivial_irreps(group):
        reps[f"irrep{irr.id}"] = irr
    if group.continuous:
        reps["bl_regular1"] = group.bl_regular_representation(1)
        if quotient_id is not None:
            reps["bl_quotient"] = group.bl_quotient_representation(1, quotient_id)
    else:
        if group.order() <= 24:
            reps["regular"] = group.regular_representation
        if quotient_id is not None:
            reps["quotient"] = group.quotient_representation(quotient_id)
    parts = [reps.get("standard", group.trivial_representation), group.trivial_representation]
    parts += [irr for irr in nontrivial_irreps(group, 1)]
    mixed = G.directsum(parts, name="mixed_parts")
    reps["mixed"] = G.change_basis(mixed, random_orthogonal(mixed.size, seed), name="mixed")
    return reps


def base_matrices(gspace, elements) -> np.ndarray:
    return np.stack([gspace.basespace_matrix(g) for g in elements])


def check_elements(group, n_random: int = 3, seed: int = 1) -> list:
    """Testing elements and Haar-random ones: the constraint is exact for every element."""
    rng = np.random.default_rng(seed)
    return list(group.testing_elements()) + [group.sample(rng) for _ in range(n_random)]


def steerability_error(basis, matrices, in_repr, out_repr, elements, points) -> float:
    """max |k(g x) - rho_out(g) k(x) rho_in(g)^T| over elements and points; ``matrices`` are
    the base-space matrices of the elements."""
    points = np.asarray(points, dtype=np.float64)
    n = points.shape[0]
    k = basis.sample(points)  # (N, dim, out, in)
    moved = np.einsum("gij,nj->gni", matrices, points).reshape(-1, points.shape[1])
    k_moved = basis.sample(moved).reshape((len(elements), n) + k.shape[1:])
    r_out = out_repr.matrices(elements)
    r_in = in_repr.matrices(elements)
    expected = np.einsum("gij,ndjk,glk->gndil", r_out, k, r_in, optimize=True)
    return float(np.max(np.abs(k_moved - expected))) if k.size else 0.0


def random_points(d: int, n: int, seed: int, scale: float = 1.3) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)) * scale


def function_rank(basis, d: int, seed: int = 3) -> int:
    """Numerical rank of the basis as functions (values at enough random points)."""
    size = basis.shape[0] * basis.shape[1]
    n = max(8, int(np.ceil(2 * basis.dim / max(size, 1))) + 4)
    values = basis.sample(random_points(d, n, seed))  # (N, dim, out, in)
    matrix = values.transpose(0, 2, 3, 1).reshape(-1, basis.dim)
    s = np.linalg.svd(matrix, compute_uv=False)
    return int(np.sum(s > 1e-8 * s[0])) if s.size else 0


def harmonic_character(gspace, J: int, elements) -> np.ndarray:
    """chi_J(g): the trace of the O(d) harmonic irrep of order J at the embedded element."""
    d = gspace.dimensionality
    ambient = G.o2_group() if d == 2 else G.o3_group()
    irrep = ambient.irrep(*harmonic_irrep_id(d, J))
    return np.array([irrep.character(gspace.embedding.include(g)) for g in elements])


def predicted_count_by_characters(chi_out, chi_in, chi_J) -> int:
    """dim Hom_G(Res D_J, psi_out (x) psi_in) = (1/|G|) sum_g chi_out chi_in chi_J (real characters)."""
    value = float(np.mean(chi_out * chi_in * chi_J))
    count = int(round(value))
    assert abs(value - count) < 1e-8, value
    return count


def predicted_count_by_rank(gspace, out_irrep, in_irrep, J: int, elements) -> int:
    """The number of invariants of psi_out (x) psi_in (x) Res D_J: the null space of the stacked
    (rho(g) - I) over elements generating a dense subgroup."""
    d = gspace.dimensionality
    ambient = G.o2_group() if d == 2 else G.o3_group()
    harm = ambient.irrep(*harmonic_irrep_id(d, J))
    rows = []
    for g in elements:
        m = np.kron(np.kron(out_irrep(g), in_irrep(g)), harm(gspace.embedding.include(g)))
        rows.append(m - np.eye(m.shape[0]))
    s = np.linalg.svd(np.concatenate(rows), compute_uv=False)
    return int(np.sum(s < 1e-8)) + (rows[0].shape[1] - s.size)
