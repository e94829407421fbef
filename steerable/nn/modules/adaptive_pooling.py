"""Adaptive (fixed output size) average and max pooling, channel by channel, on 2D and 3D grids.

torch's adaptive window ``i`` of ``m`` along an axis of length ``n`` is
``[floor(i n / m), ceil((i + 1) n / m))``; reflecting it gives exactly window ``m - 1 - i``, so
adaptive pooling commutes with every reflection of the grid for any ``n`` and ``m``, and with the
rotations that swap axes when the grid and ``output_size`` are the same along those axes.
"""

from __future__ import annotations

import torch

from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from ._pooling_utils import FUNCTIONAL, as_tuple, check_gspace, check_shape
from .pointwise_nonlinearity import check_pointwise

__all__ = [
    "PointwiseAdaptiveAvgPool2D",
    "PointwiseAdaptiveAvgPool3D",
    "PointwiseAdaptiveMaxPool2D",
    "PointwiseAdaptiveMaxPool3D",
]


class _AdaptivePoolND(EquivariantModule):
    _d = 0
    _max = False

    def __init__(self, in_type: FieldType, output_size):
        super().__init__()
        name = type(self).__name__
        check_gspace(in_type, self._d, name)
        if self._max:
            check_pointwise(in_type, name)
        self.in_type = self.out_type = in_type
        # ``None`` keeps the input's size along that axis, as in torch
        self.output_size = as_tuple(output_size, self._d, "output_size", 1, allow_none=True)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        fn = FUNCTIONAL[self._d][4 if self._max else 3]
        return GeometricTensor(fn(self._check_input(x), self.output_size), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        s = check_shape(input_shape, self._d, self.in_type.size, type(self).__name__)
        spatial = tuple(n if m is None else m for n, m in zip(s[2:], self.output_size))
        return (s[0], s[1]) + spatial

    def export(self) -> torch.nn.Module:
        if self._max:
            cls = torch.nn.AdaptiveMaxPool2d if self._d == 2 else torch.nn.AdaptiveMaxPool3d
        else:
            cls = torch.nn.AdaptiveAvgPool2d if self._d == 2 else torch.nn.AdaptiveAvgPool3d
        return cls(self.output_size)

    def extra_repr(self) -> str:
        return f"{self.in_type}, output_size={self.output_size}"


class PointwiseAdaptiveAvgPool2D(_AdaptivePoolND):
    """Adaptive average pooling of every channel, as ``torch.nn.AdaptiveAvgPool2d``. Linear and
    spatial only, so any field type is accepted.

    Args:
        in_type: the field type (of a gspace on R^2).
        output_size: the output's spatial size (int or pair; ``None`` keeps the input's size).

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, *output_size)``.
    """

    _d = 2


class PointwiseAdaptiveAvgPool3D(_AdaptivePoolND):
    """Adaptive average pooling of every channel, as ``torch.nn.AdaptiveAvgPool3d``
    (see :class:`PointwiseAdaptiveAvgPool2D`).

    Shapes:
        - input: ``(B, C, D, H, W)``; output: ``(B, C, *output_size)``.
    """

    _d = 3


class PointwiseAdaptiveMaxPool2D(_AdaptivePoolND):
    """Adaptive max pooling of every channel, as ``torch.nn.AdaptiveMaxPool2d``; every field must
    support ``'pointwise'`` (permutation representations).

    Args:
        in_type: the field type (of a gspace on R^2).
        output_size: the output's spatial size (int or pair; ``None`` keeps the input's size).

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, *output_size)``.
    """

    _d = 2
    _max = True


class PointwiseAdaptiveMaxPool3D(_AdaptivePoolND):
    """Adaptive max pooling of every channel, as ``torch.nn.AdaptiveMaxPool3d``
    (see :class:`PointwiseAdaptiveMaxPool2D`).

    Shapes:
        - input: ``(B, C, D, H, W)``; output: ``(B, C, *output_size)``.
    """

    _d = 3
    _max = True
