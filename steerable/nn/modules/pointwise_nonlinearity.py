"""Pointwise nonlinearities (ReLU and friends) on fields that support them."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["PointwiseNonLinearity", "ReLU", "ELU", "LeakyReLU", "check_pointwise"]

_FUNCTIONS = {
    "p_relu": (F.relu, torch.nn.ReLU),
    "p_elu": (F.elu, torch.nn.ELU),
    "p_sigmoid": (torch.sigmoid, torch.nn.Sigmoid),
    "p_tanh": (torch.tanh, torch.nn.Tanh),
}


def check_pointwise(in_type: FieldType, module: str) -> None:
    check_field_type(in_type, module)
    bad = [r.name for r in in_type.representations if "pointwise" not in r.supported_nonlinearities]
    if bad:
        raise ValueError(
            f"{module} acts channel by channel, which is only equivariant for representations that "
            f"permute channels (trivial, regular, quotient); these fields do not support it: "
            f"{sorted(set(bad))}"
        )


class PointwiseNonLinearity(EquivariantModule):
    """Applies a scalar function to every channel (equivariant for permutation representations).

    Args:
        in_type: the field type (every representation must support ``'pointwise'``).
        function: ``'p_relu'``, ``'p_elu'``, ``'p_sigmoid'`` or ``'p_tanh'``.

    Shapes:
        - input/output: ``(B, C, ...)``, same shape
    """

    def __init__(self, in_type: FieldType, function: str = "p_relu"):
        super().__init__()
        check_pointwise(in_type, type(self).__name__)
        if function not in _FUNCTIONS:
            raise ValueError(f"unknown function {function!r}; valid: {sorted(_FUNCTIONS)}")
        self.in_type = self.out_type = in_type
        self.function = function

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(_FUNCTIONS[self.function][0](self._check_input(x)), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return tuple(input_shape)

    def export(self) -> torch.nn.Module:
        return _FUNCTIONS[self.function][1]()

    def extra_repr(self):
        return f"{self.function}, {self.in_type}"


class ReLU(EquivariantModule):
    """Pointwise ReLU (see :class:`PointwiseNonLinearity`).

    Shapes:
        - input/output: ``(B, C, ...)``
    """

    def __init__(self, in_type: FieldType, inplace: bool = False):
        super().__init__()
        check_pointwise(in_type, "ReLU")
        self.in_type = self.out_type = in_type
        self.inplace = inplace

    def forward(self, x):
        return GeometricTensor(F.relu(self._check_input(x), inplace=self.inplace), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return tuple(input_shape)

    def export(self):
        return torch.nn.ReLU(inplace=self.inplace)


class ELU(EquivariantModule):
    """Pointwise ELU.

    Shapes:
        - input/output: ``(B, C, ...)``
    """

    def __init__(self, in_type: FieldType, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        check_pointwise(in_type, "ELU")
        self.in_type = self.out_type = in_type
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return GeometricTensor(F.elu(self._check_input(x), self.alpha, self.inplace), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return tuple(input_shape)

    def export(self):
        return torch.nn.ELU(self.alpha, self.inplace)


class LeakyReLU(EquivariantModule):
    """Pointwise LeakyReLU.

    Shapes:
        - input/output: ``(B, C, ...)``
    """

    def __init__(self, in_type: FieldType, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        check_pointwise(in_type, "LeakyReLU")
        self.in_type = self.out_type = in_type
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        out = F.leaky_relu(self._check_input(x), self.negative_slope, self.inplace)
        return GeometricTensor(out, self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return tuple(input_shape)

    def export(self):
        return torch.nn.LeakyReLU(self.negative_slope, self.inplace)
