"""Restriction of representations to subgroups (Res_H^G), irrep by irrep, cached."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._decompose import decompose_matrices
from .representation import Representation
from .subgroups import subgroup_data, subgroup_key

__all__ = ["restrict_representation", "restrict_irrep"]


@lru_cache(maxsize=None)
def _restrict_irrep_cached(group, key, irrep_id):
    sub, include, _ = subgroup_data(group, key)
    d = group._irrep_spec(irrep_id).dim

    def matrices(internals):
        return group._irrep_matrices(irrep_id, [include(h) for h in internals])

    ids, q = decompose_matrices(sub, matrices, d)
    q.setflags(write=False)
    return sub, tuple(ids), q


def restrict_irrep(group, id, irrep_id: tuple):
    """``(H, irreps of H, Q)`` with psi(incl(h)) = Q (+phi_k(h)) Q^T."""
    sub, ids, q = _restrict_irrep_cached(group, subgroup_key(id), irrep_id)
    return sub, list(ids), q.copy()


def restrict_representation(group, id, repr: Representation) -> Representation:
    """The representation ``repr`` of ``group`` seen as a representation of subgroup ``id``."""
    if not isinstance(repr, Representation):
        raise TypeError(f"expected a Representation, got {type(repr).__name__}")
    if repr.group != group:
        raise ValueError(f"representation of {repr.group.name} cannot be restricted from {group.name}")
    sub, _, _ = subgroup_data(group, id)
    blocks, irreps = [], []
    for irrep_id in repr.irreps:
        _, ids, q = restrict_irrep(group, id, irrep_id)
        blocks.append(q)
        irreps.extend(ids)
    size = repr.size
    inner = np.zeros((size, size))
    start = 0
    for b in blocks:
        inner[start : start + b.shape[0], start : start + b.shape[0]] = b
        start += b.shape[0]
    supported = repr.supported_nonlinearities & {"pointwise", "norm", "gated", "concatenated"}
    return Representation(sub, f"restricted_{repr.name}", irreps, repr.change_of_basis @ inner, supported)
