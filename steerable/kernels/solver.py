"""The steerable-kernel constraint solver (ICLR 2022, Algorithm 1), per irrep pair.

A kernel k(x) = phi(|x|) sum_m W[:, :, m] Y_Jm(x/|x|) between irreps psi_out, psi_in of G is
steerable, k(g x) = psi_out(g) k(x) psi_in(g)^T, iff W is a G-invariant of
psi_out (x) psi_in (x) Res_G D_J, D_J the O(d) irrep of the order-J harmonics.

Invariants of that triple product are G-maps T: Res D_J -> psi_out (x) psi_in. With
Res D_J = Q (+phi_k) Q^T and psi_out (x) psi_in = C (+psi_j) C^T (Clebsch-Gordan), every
such map is a sum of C_j E Q_k^T over pairs with psi_j = phi_k and E an endomorphism of
phi_k (1, 2 or 4 of them for types R, C, H). These are orthogonal, so the basis comes out
orthonormal and canonical (Q, C and E are canonical), with no large linear system.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..group.clebsch_gordan import clebsch_gordan_decomposition
from ..group.representation import irrep_of
from .harmonics import harmonic_dim, harmonic_irrep_id

__all__ = ["Embedding", "harmonic_restriction", "irrep_pair_coefficients"]


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


@lru_cache(maxsize=None)
def _pair_coefficients(embedding: Embedding, group, out_id: tuple, in_id: tuple, J: int) -> np.ndarray:
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
    out = np.stack(maps) if maps else np.zeros((0, d_out, d_in, dim_j))
    out.setflags(write=False)
    return out


def irrep_pair_coefficients(embedding: Embedding, group, out_id: tuple, in_id: tuple, J: int) -> np.ndarray:
    """``(k, d_out, d_in, dim_J)`` orthonormal basis of the coefficients W (read-only, cached)."""
    return _pair_coefficients(embedding, group, out_id, in_id, J)
