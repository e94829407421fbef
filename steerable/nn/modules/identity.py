"""IdentityModule: returns its input unchanged (a placeholder, e.g. an empty shortcut)."""

from __future__ import annotations

import torch

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["IdentityModule"]


class IdentityModule(EquivariantModule):
    """The identity map on feature fields of ``in_type`` (``out_type == in_type``).

    The input GeometricTensor itself is returned (no copy), after checking its type.

    Args:
        in_type: the field type of the input (and of the output).

    Shapes:
        - input: ``(B, C, ...)``; output: the same tensor
    """

    def __init__(self, in_type: FieldType):
        super().__init__()
        check_field_type(in_type, "IdentityModule")
        self.in_type = self.out_type = in_type

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        self._check_input(x)
        return x

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def export(self) -> torch.nn.Identity:
        return torch.nn.Identity()

    def extra_repr(self) -> str:
        return f"{self.in_type}"
