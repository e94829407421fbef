"""G-spaces: a group G acting on the base space R^d (d = 0, 2, 3) through an embedding in O(d)."""

from __future__ import annotations

import numpy as np

from ..kernels.basis import SteerableKernelBasis
from ..kernels.factories import steerable_basis
from ..kernels.point import PointBasis
from ..kernels.solver import Embedding

__all__ = ["GSpace", "GSpace0D", "GSpace2D", "GSpace3D"]


class GSpace:
    """A group acting on R^d. Build it with the factories (``rot2dOnR2``, ``icoOnR3``, ...).

    Args:
        fibergroup: the group G.
        embedding: how G sits in O(d) (``Embedding(0, ())`` for a point).
        name: a readable name.
    """

    def __init__(self, fibergroup, embedding: Embedding, name: str):
        self.fibergroup = fibergroup
        self.embedding = embedding
        self.dimensionality = embedding.d
        self.name = name

    def __eq__(self, other):
        return (
            isinstance(other, GSpace)
            and self.fibergroup == other.fibergroup
            and self.embedding == other.embedding
        )

    def __hash__(self):
        return hash((self.fibergroup, self.embedding))

    def __repr__(self):
        return self.name

    def type(self, *representations):
        """A :class:`~steerable.nn.FieldType` of this gspace with the given representations.

        (The one place where a lower layer reaches up: escnn's API puts it here.)"""
        from ..nn.field_type import FieldType

        return FieldType(self, representations)

    # ------------------------------------------------------------- representations of G
    @property
    def irreps(self):
        return self.fibergroup.irreps()

    def irrep(self, *id):
        return self.fibergroup.irrep(*id)

    @property
    def trivial_repr(self):
        return self.fibergroup.trivial_representation

    @property
    def regular_repr(self):
        return self.fibergroup.regular_representation

    def quotient_repr(self, subgroup_id):
        return self.fibergroup.quotient_representation(subgroup_id)

    def induced_repr(self, subgroup_id, repr):
        return self.fibergroup.induced_representation(subgroup_id, repr)

    # ------------------------------------------------------------- the action on R^d
    @property
    def basespace_action(self):
        """The representation of G on R^d (coordinates x, y[, z])."""
        if self.dimensionality == 0:
            raise ValueError(f"{self.name} acts on a single point: it has no base-space action")
        ambient = self.embedding.chain[0][0]
        rep = ambient.standard_representation()
        for _, sgid in self.embedding.chain:
            rep = rep.restrict(sgid)
        return rep

    def basespace_matrix(self, g) -> np.ndarray:
        """The d x d matrix by which the element g moves points of R^d."""
        if self.dimensionality == 0:
            return np.zeros((0, 0))
        return self.basespace_action(g)

    @property
    def testing_elements(self):
        """Elements whose action on the pixel/voxel grid is exact (signed permutations of the
        axes): all such elements for finite groups, a selection for continuous ones."""
        group = self.fibergroup
        candidates = group.elements if not group.continuous else list(group.testing_elements())
        if group.continuous:
            if group.name in ("SO(3)", "O(3)"):  # all the cube's symmetries
                candidates += group.grid("cube")
            candidates = list(dict.fromkeys(candidates))
        if self.dimensionality == 0:
            return candidates
        keep = []
        for g in candidates:
            m = self.basespace_matrix(g)
            if np.allclose(np.abs(m).sum(axis=0), 1) and np.allclose(np.round(m), m, atol=1e-9):
                keep.append(g)
        return keep

    # ------------------------------------------------------------- subgroups
    def restrict(self, id):
        """``(gspace of the subgroup, inclusion, restriction)``."""
        sub, inclusion, restriction = self.fibergroup.subgroup(id)
        embedding = Embedding(self.dimensionality, self.embedding.chain + ((self.fibergroup, id),))
        cls = type(self)
        return cls(sub, embedding, f"{self.name}|{sub.name}"), inclusion, restriction

    # ------------------------------------------------------------- kernels
    def build_kernel_basis(
        self,
        in_repr,
        out_repr,
        rings=None,
        sigma=None,
        maximum_frequency=None,
        frequencies_cutoff=None,
        basis_filter=None,
        dilation: float = 1.0,
        kernel_size: int | None = None,
    ) -> SteerableKernelBasis:
        """The basis of steerable kernels from ``in_repr`` to ``out_repr`` on this space.

        On R^0 this is :class:`~steerable.kernels.PointBasis` (rings etc. are ignored); on
        R^d, Gaussian rings of radii ``rings`` and widths ``sigma`` with the band limit of
        :func:`steerable.kernels.bandlimit.max_orders`. May be empty (``dim == 0``).
        """
        for label, rep in (("in_repr", in_repr), ("out_repr", out_repr)):
            if rep.group != self.fibergroup:
                raise ValueError(
                    f"{label} is a representation of {rep.group.name}, but {self.name} is a "
                    f"gspace of {self.fibergroup.name}"
                )
        if self.dimensionality == 0:
            return PointBasis(in_repr, out_repr, basis_filter)
        if rings is None or sigma is None:
            raise ValueError("build_kernel_basis on R^d needs rings and sigma")
        return steerable_basis(
            self.embedding,
            in_repr,
            out_repr,
            rings,
            sigma,
            maximum_frequency,
            frequencies_cutoff,
            basis_filter,
            dilation,
            allow_empty=True,
            kernel_size=kernel_size,
        )


class GSpace0D(GSpace):
    """G acting on a single point (``no_base_space``)."""


class GSpace2D(GSpace):
    """G <= O(2) acting on the plane."""


class GSpace3D(GSpace):
    """G <= O(3) acting on space."""
