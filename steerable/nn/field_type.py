"""FieldType: the types of the feature fields of a feature map (a list of representations)."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import torch

from ..group.representation import Representation, directsum

__all__ = ["FieldType"]


class FieldType:
    """A list of representations of a gspace's group: one per feature field.

    The channels of a feature map are the concatenation of the fields' channels
    (``size = sum(rep.size)``). FieldTypes are immutable values: equal when their gspace and
    representations are equal.

    Args:
        gspace: the :class:`~steerable.gspaces.GSpace`.
        representations: the fields' representations (of ``gspace.fibergroup``).
    """

    def __init__(self, gspace, representations):
        from ..gspaces.gspace import GSpace

        if not isinstance(gspace, GSpace):
            raise TypeError(f"FieldType needs a GSpace, got {type(gspace).__name__}")
        representations = tuple(representations)
        if not representations:
            raise ValueError("a FieldType needs at least one representation")
        for r in representations:
            if not isinstance(r, Representation):
                raise TypeError(f"FieldType takes Representations, got {type(r).__name__}")
            if r.group != gspace.fibergroup:
                raise ValueError(
                    f"representation {r.name} is of {r.group.name}, but the gspace {gspace.name} "
                    f"has group {gspace.fibergroup.name}"
                )
        self.gspace = gspace
        self.representations = representations
        self.size = sum(r.size for r in representations)
        self._key = (gspace, representations)
        self._hash = hash((gspace, tuple(hash(r) for r in representations)))

    # ------------------------------------------------------------------ value semantics
    def __eq__(self, other) -> bool:
        if self is other:
            return True
        if not isinstance(other, FieldType):
            return NotImplemented
        if self._hash != other._hash:
            return False
        if torch.compiler.is_compiling():
            # the numpy comparison of the changes of basis cannot be traced; the hash covers the
            # gspace and each representation's group, name and irreps
            return True
        return self._key == other._key

    def __hash__(self) -> int:
        return self._hash

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self  # an immutable value: copies of a model share their field types

    def __len__(self) -> int:
        return len(self.representations)

    def __iter__(self):
        return iter(self.representations)

    def __repr__(self) -> str:
        names = [r.name for r in self.representations]
        if len(names) > 6:
            names = names[:3] + [f"... ({len(names)} fields)"] + names[-2:]
        return f"[{self.gspace.name}: {{{', '.join(names)}}}]"

    def __add__(self, other: FieldType) -> FieldType:
        if not isinstance(other, FieldType):
            raise TypeError(f"can only add FieldTypes, got {type(other).__name__}")
        if other.gspace != self.gspace:
            raise ValueError(f"cannot add field types of {self.gspace.name} and {other.gspace.name}")
        return FieldType(self.gspace, self.representations + other.representations)

    def __call__(self, tensor: torch.Tensor, coords=None):
        """Wrap a tensor of this type into a :class:`GeometricTensor`."""
        from .geometric_tensor import GeometricTensor

        return GeometricTensor(tensor, self, coords)

    # ------------------------------------------------------------------ derived data
    @property
    def fibergroup(self):
        return self.gspace.fibergroup

    @cached_property
    def representation(self) -> Representation:
        """The direct sum of the fields' representations."""
        if len(self.representations) == 1:
            return self.representations[0]
        return directsum(list(self.representations), name=f"fieldtype{len(self)}")

    @property
    def irreps(self) -> list:
        return [i for r in self.representations for i in r.irreps]

    @cached_property
    def change_of_basis(self) -> np.ndarray:
        """Block-diagonal change of basis of all fields (numpy)."""
        return self.representation.change_of_basis

    @property
    def uniform(self) -> bool:
        """Whether every field has the same representation."""
        return all(r == self.representations[0] for r in self.representations)

    @cached_property
    def fields_start(self) -> np.ndarray:
        return np.cumsum([0] + [r.size for r in self.representations[:-1]])

    @cached_property
    def fields_end(self) -> np.ndarray:
        return np.cumsum([r.size for r in self.representations])

    @property
    def testing_elements(self):
        return self.gspace.testing_elements

    def fiber_representation(self, element) -> np.ndarray:
        """The ``(size, size)`` matrix by which ``element`` acts on the fibers."""
        mats = [r(element) for r in self.representations]
        out = np.zeros((self.size, self.size))
        for m, s in zip(mats, self.fields_start):
            out[s : s + m.shape[0], s : s + m.shape[0]] = m
        return out

    # ------------------------------------------------------------------ new types
    def restrict(self, id) -> FieldType:
        """The same fields seen as fields of the subgroup ``id``."""
        sub, _, _ = self.gspace.restrict(id)
        return FieldType(sub, [r.restrict(id) for r in self.representations])

    def index_select(self, indices) -> FieldType:
        """The fields at ``indices`` (in that order)."""
        indices = list(indices)
        for i in indices:
            if not 0 <= i < len(self):
                raise IndexError(f"field index {i} out of range for a type with {len(self)} fields")
        return FieldType(self.gspace, [self.representations[i] for i in indices])

    def sorted(self) -> tuple[FieldType, list[int]]:
        """Fields sorted by representation size (stable); returns (type, permutation)."""
        order = sorted(range(len(self)), key=lambda i: self.representations[i].size)
        return self.index_select(order), order

    def group_by_labels(self, labels) -> dict:
        """``{label: FieldType}`` of the fields carrying each label (one label per field)."""
        labels = list(labels)
        if len(labels) != len(self):
            raise ValueError(f"need one label per field ({len(self)}), got {len(labels)}")
        out: dict = {}
        for label in dict.fromkeys(labels):
            out[label] = self.index_select([i for i, lab in enumerate(labels) if lab == label])
        return out

    # ------------------------------------------------------------------ actions on tensors
    def transform_fibers(self, tensor: torch.Tensor, element) -> torch.Tensor:
        """Apply rho(g) to the channel dimension (dim 1) only."""
        rho = torch.as_tensor(self.fiber_representation(element), dtype=tensor.dtype, device=tensor.device)
        return torch.einsum("ij,bj...->bi...", rho, tensor)

    def transform(self, tensor: torch.Tensor, element, coords=None) -> torch.Tensor:
        """The transformed feature map [g f](x) = rho(g) f(g^-1 x).

        Exact (a permutation of pixels/voxels) when g maps the grid onto itself (90-degree
        rotations, axis reflections, the cube's symmetries); otherwise (bi/tri)linear
        interpolation with zeros outside the grid. For point clouds (``coords`` given) the
        coordinates are transformed instead and ``(tensor, coords)`` is returned. Keeps
        gradients and runs on the tensor's device.
        """
        from ._grid_transform import transform_grid

        fibers = self.transform_fibers(tensor, element)
        d = self.gspace.dimensionality
        if d == 0:
            return fibers
        matrix = self.gspace.basespace_matrix(element)
        if coords is not None:
            m = torch.as_tensor(matrix, dtype=coords.dtype, device=coords.device)
            return fibers, coords @ m.T
        return transform_grid(fibers, matrix, d)


def check_field_type(obj, module: str) -> None:
    """A clear ``TypeError`` naming ``module`` unless ``obj`` is a :class:`FieldType`."""
    if not isinstance(obj, FieldType):
        raise TypeError(f"{module} needs a FieldType, got {type(obj).__name__}")


def check_type_pair(in_type, out_type) -> None:
    """``in_type`` and ``out_type`` must be FieldTypes of the same gspace (a layer's input and
    output)."""
    for label, t in (("in_type", in_type), ("out_type", out_type)):
        if not isinstance(t, FieldType):
            raise TypeError(f"{label} must be a FieldType, got {type(t).__name__}")
    if in_type.gspace != out_type.gspace:
        raise ValueError(
            f"in_type and out_type live on different gspaces: {in_type.gspace} and {out_type.gspace}"
        )
