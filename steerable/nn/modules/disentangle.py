"""DisentangleModule: splits every field into the smallest independent blocks of its
representation (see :func:`steerable.group.disentangle`)."""

from __future__ import annotations

import numpy as np

from ...group.representation import IrreducibleRepresentation, Representation, disentangle
from ..field_type import FieldType, check_field_type
from .reshuffle import ChannelGatherModule

__all__ = ["DisentangleModule"]


def _canonical(rep: Representation) -> Representation:
    """The irrep itself where a block is one irrep acting exactly as that irrep (identity change of
    basis, or any 1x1 sign), so that downstream modules see an irrep (e.g. for norm nonlinearities)."""
    if len(rep.irreps) != 1 or isinstance(rep, IrreducibleRepresentation):
        return rep
    q = rep.change_of_basis
    if rep.size == 1 or np.array_equal(q, np.eye(rep.size)):
        return rep.group.irrep(*rep.irreps[0])
    return rep


class DisentangleModule(ChannelGatherModule):
    """Splits each field into the independent blocks of its representation.

    A representation is stored as ``rho(g) = Q (psi_1(g) + ... + psi_k(g)) Q^T``. When Q only mixes
    some irreps with each other (its sparsity pattern links groups of irreps to disjoint sets of
    channels), :func:`steerable.group.disentangle` finds those groups and a channel permutation
    that makes ``rho`` block-diagonal. This module applies that permutation to every field, so
    each input field becomes several smaller output fields (one per block, in the order returned
    by ``disentangle``; fields stay in input order). A block that is a single irrep acting as the
    irrep itself is typed with the group's irrep. Fields whose Q mixes all their irreps (e.g.
    regular representations) are left as they are. The map is a fixed channel permutation: no
    parameters, and the identity (input returned as is) when nothing moves.

    Args:
        in_type: the field type of the input.

    Shapes:
        - input: ``(B, C, ...)``; output: ``(B, C, ...)`` with the channels permuted
    """

    def __init__(self, in_type: FieldType):
        super().__init__()
        check_field_type(in_type, "DisentangleModule")
        self.in_type = in_type
        splits: dict = {}  # per distinct representation (local: no module-level cache)
        reprs, channels = [], []
        for rep, start in zip(in_type.representations, in_type.fields_start):
            if rep not in splits:
                perm, parts = disentangle(rep)
                splits[rep] = ([int(p) for p in perm], [_canonical(p) for p in parts])
            perm, parts = splits[rep]
            reprs.extend(parts)
            channels.extend(int(start) + p for p in perm)
        self.out_type = FieldType(in_type.gspace, reprs)
        self._set_channels(channels)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}"
