"""Kernels on a single point (R^0): the equivariant linear maps Hom_G(rho_in, rho_out)."""

from __future__ import annotations

from .basis import EmptyBasisException, SteerableKernelBasis
from .solver import Embedding

__all__ = ["PointBasis", "kernels_on_point"]


class PointBasis(SteerableKernelBasis):
    """The basis of Hom_G(rho_in, rho_out), stored block-sparse by irrep pair like every
    :class:`SteerableKernelBasis`; ``sample(points)`` ignores the points' coordinates."""

    def __init__(self, in_repr, out_repr, basis_filter=None):
        if in_repr.group != out_repr.group:
            raise ValueError(
                f"in_repr and out_repr must be representations of one group, got "
                f"{in_repr.group.name} and {out_repr.group.name}"
            )
        super().__init__(Embedding(0, ()), in_repr.group, in_repr, out_repr, None, None, basis_filter)

    def matrices(self):
        """``(dim, out, in)``: the basis of equivariant matrices."""
        import numpy as np

        return self.sample(np.zeros((1, 0)))[0]


def kernels_on_point(in_repr, out_repr, basis_filter=None) -> PointBasis:
    """Basis of the equivariant linear maps from ``in_repr`` to ``out_repr``.

    Raises:
        EmptyBasisException: if there is none (no irrep in common).
    """
    basis = PointBasis(in_repr, out_repr, basis_filter)
    if basis.dim == 0:
        raise EmptyBasisException(
            f"no equivariant linear map from {in_repr.name} ({in_repr.irreps}) to "
            f"{out_repr.name} ({out_repr.irreps}) of {in_repr.group.name}: they share no irrep"
        )
    return basis
