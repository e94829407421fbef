"""GroupPooling: the maximum over each field's channels, an invariant of permutation fields."""

from __future__ import annotations

import torch

from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from .pointwise_nonlinearity import check_pointwise

__all__ = ["GroupPooling"]


class _FieldMax(torch.nn.Module):
    """Plain-torch max over consecutive channel groups of given sizes (the export)."""

    def __init__(self, sizes):
        super().__init__()
        self.sizes = list(sizes)
        self.uniform = len(set(self.sizes)) == 1

    def forward(self, x):
        if self.uniform:
            s = self.sizes[0]
            return x.reshape(x.shape[0], -1, s, *x.shape[2:]).amax(dim=2)
        parts = torch.split(x, self.sizes, dim=1)
        return torch.cat([p.amax(dim=1, keepdim=True) for p in parts], dim=1)


class GroupPooling(EquivariantModule):
    """Max over the channels of every field: a regular (or quotient, or trivial) field becomes
    one invariant (trivial) channel.

    Shapes:
        - input: ``(B, C, ...)``; output: ``(B, number of fields, ...)``
    """

    def __init__(self, in_type: FieldType):
        super().__init__()
        check_pointwise(in_type, "GroupPooling")
        self.in_type = in_type
        self.out_type = FieldType(in_type.gspace, [in_type.fibergroup.trivial_representation] * len(in_type))
        self._max = _FieldMax([r.size for r in in_type.representations])

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(self._max(self._check_input(x)), self.out_type, x.coords)

    def evaluate_output_shape(self, s):
        return (s[0], len(self.in_type), *s[2:])

    def export(self):
        return _FieldMax(self._max.sizes)
