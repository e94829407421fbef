"""Homogeneous spaces G/H and their harmonic basis."""

from __future__ import annotations

import numpy as np

from .element import GroupElement
from .restriction import restrict_irrep
from .subgroups import subgroup_data, subgroup_key

__all__ = ["HomSpace"]


class HomSpace:
    """The homogeneous space X = G/H of ``G.homspace(id)``.

    By Frobenius reciprocity, L^2(G/H) contains the irrep psi_j of G with multiplicity
    (number of H-invariant vectors of psi_j)/s. Those invariant vectors B_j (``(d_j, m_j)``,
    a canonical orthonormal basis) give the harmonics of X: f(gH) = psi_j(g) B_j.
    """

    def __init__(self, group, id):
        self.G = group
        self.sgid = subgroup_key(id)
        self.H, self._include, self._restrict = subgroup_data(group, self.sgid)

    def __eq__(self, other):
        return isinstance(other, HomSpace) and (self.G, self.sgid) == (other.G, other.sgid)

    def __hash__(self):
        return hash((self.G, self.sgid))

    def __repr__(self):
        return f"HomSpace({self.G.name}/{self.H.name})"

    def _invariants(self, j: tuple) -> np.ndarray:
        j = self.G._irrep_spec(j if isinstance(j, tuple) else (j,)).id
        _, ids, q = restrict_irrep(self.G, self.sgid, j)
        trivial = self.H.trivial_representation.id
        cols, start = [], 0
        for i in ids:
            d = self.H._irrep_spec(i).dim
            if i == trivial:
                cols.append(q[:, start : start + d])
            start += d
        return np.concatenate(cols, axis=1) if cols else np.zeros((q.shape[0], 0))

    def dimension_basis(self, j) -> tuple[int, int, int]:
        """``(dim psi_j, number of H-invariant vectors of psi_j, 1)``."""
        b = self._invariants(j)
        return b.shape[0], b.shape[1], 1

    def basis(self, g: GroupElement, j) -> np.ndarray:
        """Harmonics of order j at the point gH: ``(dim psi_j, m_j)`` = psi_j(g) B_j."""
        self.G._check_element(g)
        j = j if isinstance(j, tuple) else (j,)
        return self.G.irrep(*j)(g) @ self._invariants(j)

    def induced_representation(self, repr=None):
        """Ind_H^G of ``repr`` (default: the trivial representation, i.e. the quotient)."""
        if repr is None:
            return self.G.quotient_representation(self.sgid)
        return self.G.induced_representation(self.sgid, repr)
