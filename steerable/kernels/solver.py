"""The steerable-kernel constraint solver (ICLR 2022, Algorithm 1), per irrep pair.

A kernel k(x) = phi(|x|) sum_m W[:, :, m] Y_Jm(x/|x|) between irreps psi_out, psi_in of G is
steerable, k(g x) = psi_out(g) k(x) psi_in(g)^T, iff W is a G-invariant of
psi_out (x) psi_in (x) Res_G D_J, D_J the O(d) irrep of the order-J harmonics.

Invariants of that triple product are G-maps T: Res D_J -> psi_out (x) psi_in. With
Res D_J = Q (+phi_k) Q^T and psi_out (x) psi_in = C (+psi_j) C^T (Clebsch-Gordan), every
such map is a sum of C_j E Q_k^T over pairs with psi_j = phi_k and E an endomorphism of
phi_k (1, 2 or 4 of them for types R, C, H). These are orthogonal, so the basis comes out
orthonormal and canonical (Q, C and E are canonical), with no large linear system.

For small finite groups acting on the plane there is a cheaper route to the same space: the
group average of psi_out (x) psi_in (x) D_J (the Reynolds projector, at most 8 x 8 in 2D)
read off canonically. It skips the Clebsch-Gordan decomposition and the restriction of D_J,
which dominate the cold build of planar layers.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..group._linalg import canonical_basis
from ..group.clebsch_gordan import clebsch_gordan_decomposition
from ..group.representation import irrep_of
from .harmonics import harmonic_dim, harmonic_irrep_id

__all__ = ["Embedding", "harmonic_restriction", "irrep_pair_coefficients", "irrep_pair_coefficients_upto"]


class Embedding:
    """How a group G sits in O(d): a chain of subgroup steps ((O(d), id1), (H1, id2), ...).

    ``Embedding(d, ())`` with d = 0 is the action on a single point (no harmonics).
    """

    def __init__(self, d: int, chain: tuple):
        self.d = int(d)
        self.chain = tuple(chain)
        self._typed_key = (self.d, _typed(self.chain))
        self._hash = hash(self._typed_key)

    @property
    def group(self):
        """The embedded group (the last subgroup of the chain)."""
        if not self.chain:
            raise ValueError("the embedding of a point has no ambient group")
        grp = self.chain[0][0]
        for g, sgid in self.chain:
            grp = g.subgroup(sgid)[0]
        return grp

    def _key(self):
        # typed: subgroup ids such as (False, False, 4) (C4 about z) and (False, 0.0, 4) (D4)
        # compare equal as plain tuples (False == 0 == 0.0), but are different embeddings
        return self._typed_key

    def __eq__(self, other):
        return isinstance(other, Embedding) and (self is other or self._typed_key == other._typed_key)

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"Embedding(d={self.d}, chain={self.chain})"

    def include(self, element):
        """The O(d) element of a G element."""
        for grp, sgid in reversed(self.chain):
            element = grp.subgroup(sgid)[1](element)
        return element


def _typed(x):
    """``x`` with every leaf tagged by its type (a hashable key that tells False from 0.0)."""
    if isinstance(x, (tuple, list)):
        return (type(x).__name__,) + tuple(_typed(i) for i in x)
    return (type(x).__name__, x)


@lru_cache(maxsize=None)
def harmonic_restriction(embedding: Embedding, J: int):
    """``(G irrep ids, Q)``: the order-J harmonics' O(d) irrep restricted to G."""
    ambient = embedding.chain[0][0]
    rep = irrep_of(ambient, harmonic_irrep_id(embedding.d, J))
    for _, sgid in embedding.chain:
        rep = rep.restrict(sgid)
    q = rep.change_of_basis.copy()
    q.setflags(write=False)
    return tuple(rep.irreps), q


# the Reynolds projector is used when |G| * n^2 (n = d_out d_in dim_J) stays this small
_AVERAGE_BUDGET = 1 << 15


def _table(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    matrices = np.ascontiguousarray(matrices)
    characters = np.trace(matrices, axis1=1, axis2=2).copy()
    matrices.setflags(write=False)
    characters.setflags(write=False)
    return matrices, characters


@lru_cache(maxsize=None)
def _element_table(group, irrep_id: tuple) -> tuple[np.ndarray, np.ndarray]:
    """``(|G|, d, d)`` matrices and ``(|G|,)`` characters of a finite group's irrep on
    ``group.elements`` (read-only)."""
    return _table(irrep_of(group, irrep_id).matrices(group.elements))


@lru_cache(maxsize=None)
def _included_elements(embedding: Embedding) -> tuple:
    """The O(d) images of the finite group's elements."""
    return tuple(embedding.include(g) for g in embedding.group.elements)


@lru_cache(maxsize=None)
def _harmonic_table(embedding: Embedding, J: int) -> tuple[np.ndarray, np.ndarray]:
    """D_J (matrices and characters) on the O(d) images of the finite group's elements."""
    ambient = embedding.chain[0][0]
    included = list(_included_elements(embedding))
    return _table(irrep_of(ambient, harmonic_irrep_id(embedding.d, J)).matrices(included))


def _averaged_coefficients(embedding, group, out_id, in_id, J) -> np.ndarray:
    a, chi_a = _element_table(group, out_id)
    b, chi_b = _element_table(group, in_id)
    h, chi_h = _harmonic_table(embedding, J)
    d_out, d_in, d_j = a.shape[1], b.shape[1], h.shape[1]
    n = d_out * d_in * d_j
    # the number of invariants is the mean of the product's character: most triples have none
    rank = int(round(float(np.dot(chi_a * chi_b, chi_h)) / a.shape[0]))
    if rank == 0:
        return np.zeros((0, d_out, d_in, d_j))
    # W (row-major (o, i, m)) is invariant iff it is fixed by psi_out (x) psi_in (x) D_J
    p = np.einsum("gab,gcd,gef->acebdf", a, b, h, optimize=False).reshape(n, n) / a.shape[0]
    return np.ascontiguousarray(canonical_basis(p, rank).T).reshape(rank, d_out, d_in, d_j)


def _use_average(embedding, group, out_id, in_id, J) -> bool:
    if embedding.d != 2 or group.continuous:
        return False
    n = group._irrep_spec(out_id).dim * group._irrep_spec(in_id).dim * harmonic_dim(2, J)
    return group.order() * n * n <= _AVERAGE_BUDGET


@lru_cache(maxsize=None)
def _pair_coefficients(embedding: Embedding, group, out_id: tuple, in_id: tuple, J: int) -> np.ndarray:
    if _use_average(embedding, group, out_id, in_id, J):
        out = _averaged_coefficients(embedding, group, out_id, in_id, J)
    else:
        out = _cg_coefficients(embedding, group, out_id, in_id, J)
    out.setflags(write=False)
    return out


def _cg_coefficients(embedding: Embedding, group, out_id: tuple, in_id: tuple, J: int) -> np.ndarray:
    d_out = group._irrep_spec(out_id).dim
    d_in = group._irrep_spec(in_id).dim
    if embedding.d == 0:
        if J != 0:
            raise ValueError("on a point only J = 0 exists")
        harmonic_ids, q = (group.trivial_representation.id,), np.eye(1)
    else:
        harmonic_ids, q = harmonic_restriction(embedding, J)
    cg_ids, c = clebsch_gordan_decomposition(group, out_id, in_id)
    cg_starts = np.cumsum([0] + [group._irrep_spec(i).dim for i in cg_ids])
    h_starts = np.cumsum([0] + [group._irrep_spec(i).dim for i in harmonic_ids])
    maps = []
    for k, phi in enumerate(harmonic_ids):
        qk = q[:, h_starts[k] : h_starts[k + 1]]
        endos = irrep_of(group, phi).endomorphism_basis()
        for j, psi in enumerate(cg_ids):
            if psi != phi:
                continue
            cj = c[:, cg_starts[j] : cg_starts[j + 1]]
            for e in endos:
                t = cj @ e @ qk.T / np.sqrt(qk.shape[1])  # unit Frobenius norm
                maps.append(t.reshape(d_out, d_in, q.shape[0]))
    dim_j = 1 if embedding.d == 0 else harmonic_dim(embedding.d, J)
    return np.stack(maps) if maps else np.zeros((0, d_out, d_in, dim_j))


def irrep_pair_coefficients(embedding: Embedding, group, out_id: tuple, in_id: tuple, J: int) -> np.ndarray:
    """``(k, d_out, d_in, dim_J)`` orthonormal basis of the coefficients W (read-only, cached)."""
    return _pair_coefficients(embedding, group, out_id, in_id, J)


@lru_cache(maxsize=None)
def irrep_pair_coefficients_upto(
    embedding: Embedding, group, out_id: tuple, in_id: tuple, J_max: int
) -> tuple:
    """``irrep_pair_coefficients`` for J = 0 .. J_max (a tuple, read-only, cached).

    On the averaged path the numbers of invariants of all orders come from one product of
    characters, and only the orders that have invariants build a projector."""
    if not _use_average(embedding, group, out_id, in_id, J_max):
        return tuple(_pair_coefficients(embedding, group, out_id, in_id, J) for J in range(J_max + 1))
    _, chi_a = _element_table(group, out_id)
    _, chi_b = _element_table(group, in_id)
    chi_h = np.stack([_harmonic_table(embedding, J)[1] for J in range(J_max + 1)])
    ranks = np.rint(chi_h @ (chi_a * chi_b) / chi_a.size).astype(int)
    d_out, d_in = group._irrep_spec(out_id).dim, group._irrep_spec(in_id).dim
    out = []
    for J, rank in enumerate(ranks):
        if rank:
            w = _pair_coefficients(embedding, group, out_id, in_id, J)
        else:
            w = np.zeros((0, d_out, d_in, harmonic_dim(embedding.d, J)))
            w.setflags(write=False)
        out.append(w)
    return tuple(out)
