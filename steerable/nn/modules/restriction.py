"""RestrictionModule: sees the fields of a group as fields of one of its subgroups."""

from __future__ import annotations

import torch

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["RestrictionModule"]


class RestrictionModule(EquivariantModule):
    """Restricts the symmetry group to the subgroup ``id`` of ``in_type.gspace.fibergroup``.

    The tensor is returned unchanged; only its type changes to ``in_type.restrict(id)``: every
    representation is restricted to the subgroup, and the gspace becomes the subgroup's gspace
    (``in_type.gspace.restrict(id)[0]``). Use it to break symmetry inside a network, e.g. a D16
    block followed by a C16 block (``id = (None, 16)`` on ``flipRot2dOnR2(16)``).

    The module is equivariant to the subgroup: for every subgroup element ``h`` (acting on the
    input through its inclusion ``g = inclusion(h)``), ``f(g x) = h f(x)``;
    :meth:`check_equivariance` tests exactly this.

    Args:
        in_type: the field type of the input.
        id: the subgroup id, as accepted by ``in_type.gspace.restrict`` (e.g. ``(None, N)`` for
            the rotations C_N of D_N, ``M`` for C_M in C_N, ``(False, -1)`` for SO(2) in SO(3)).

    Shapes:
        - input: ``(B, C, ...)``; output: the same tensor
    """

    def __init__(self, in_type: FieldType, id):
        super().__init__()
        check_field_type(in_type, "RestrictionModule")
        self.in_type = in_type
        self.id = id
        try:
            self.out_type = in_type.restrict(id)
        except (TypeError, ValueError, KeyError, IndexError) as err:
            raise ValueError(
                f"cannot restrict {in_type.gspace.name} (group {in_type.fibergroup.name}) to the "
                f"subgroup {id!r}: {err}"
            ) from err
        # the map from subgroup elements to elements of the original group
        self._inclusion = in_type.gspace.restrict(id)[1]

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(self._check_input(x), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def export(self) -> torch.nn.Identity:
        return torch.nn.Identity()

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type.gspace.name}, id={self.id!r}"

    def _input_element(self, h):
        """The element of the input's group acting as the output-group element ``h``."""
        return self._inclusion(h)
