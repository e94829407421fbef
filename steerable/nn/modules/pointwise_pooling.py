"""Spatial max and average pooling applied channel by channel, on 2D and 3D grids.

Pooling acts on space only, so it commutes with the grid's symmetries (90-degree rotations,
reflections, the cube's rotations) whenever the pooling windows are placed symmetrically about
the grid's centre: along every axis ``(n + 2 padding - dilation (kernel_size - 1) - 1)`` must be
a multiple of ``stride`` (then the first window starts as far before the grid as the last one
ends after it). Averaging is linear, so it commutes with the fiber action of any
representation; the max of each channel only commutes with representations that permute
channels (those supporting ``'pointwise'``: trivial, regular, quotient).
"""

from __future__ import annotations

import torch

from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from ._pooling_utils import FUNCTIONAL, as_tuple, check_gspace, check_padding, check_shape, pool_output_size
from .pointwise_nonlinearity import check_pointwise

__all__ = ["PointwiseMaxPool2D", "PointwiseMaxPool3D", "PointwiseAvgPool2D", "PointwiseAvgPool3D"]


class _PointwisePoolND(EquivariantModule):
    """Shared validation, output shape and repr of the channel-wise max/avg pools."""

    _d = 0
    _pointwise_only = False

    def __init__(self, in_type, kernel_size, stride, padding, dilation, ceil_mode):
        super().__init__()
        name, d = type(self).__name__, self._d
        check_gspace(in_type, d, name)
        if self._pointwise_only:
            check_pointwise(in_type, name)
        self.in_type = self.out_type = in_type
        self.kernel_size = as_tuple(kernel_size, d, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else as_tuple(stride, d, "stride", 1)
        self.padding = as_tuple(padding, d, "padding", 0)
        self.dilation = as_tuple(dilation, d, "dilation", 1)
        self.ceil_mode = bool(ceil_mode)
        check_padding(self.padding, self.kernel_size, self.dilation, name)

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        s = check_shape(input_shape, self._d, self.in_type.size, type(self).__name__)
        spatial = tuple(
            pool_output_size(n, k, st, p, dil, self.ceil_mode)
            for n, k, st, p, dil in zip(s[2:], self.kernel_size, self.stride, self.padding, self.dilation)
        )
        return (s[0], s[1]) + spatial

    def extra_repr(self) -> str:
        return (
            f"{self.in_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, ceil_mode={self.ceil_mode}"
        )


class _PointwiseMaxPoolND(_PointwisePoolND):
    _pointwise_only = True

    def __init__(
        self,
        in_type: FieldType,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        ceil_mode: bool = False,
    ):
        super().__init__(in_type, kernel_size, stride, padding, dilation, ceil_mode)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        out = FUNCTIONAL[self._d][0](
            self._check_input(x), self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )
        return GeometricTensor(out, self.out_type)

    def export(self) -> torch.nn.Module:
        cls = torch.nn.MaxPool2d if self._d == 2 else torch.nn.MaxPool3d
        return cls(self.kernel_size, self.stride, self.padding, self.dilation, ceil_mode=self.ceil_mode)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", dilation={self.dilation}"


class _PointwiseAvgPoolND(_PointwisePoolND):
    def __init__(self, in_type: FieldType, kernel_size, stride=None, padding=0, ceil_mode: bool = False):
        super().__init__(in_type, kernel_size, stride, padding, 1, ceil_mode)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        out = FUNCTIONAL[self._d][1](
            self._check_input(x), self.kernel_size, self.stride, self.padding, self.ceil_mode
        )
        return GeometricTensor(out, self.out_type)

    def export(self) -> torch.nn.Module:
        cls = torch.nn.AvgPool2d if self._d == 2 else torch.nn.AvgPool3d
        return cls(self.kernel_size, self.stride, self.padding, self.ceil_mode)


class PointwiseMaxPool2D(_PointwiseMaxPoolND):
    """Max pooling of every channel, as ``torch.nn.MaxPool2d``; every field must support
    ``'pointwise'`` (permutation representations), as for channel-wise nonlinearities.

    Args:
        in_type: the field type (of a gspace on R^2).
        kernel_size: window size (int or pair).
        stride: window stride (default: ``kernel_size``).
        padding: implicit ``-inf`` padding on both sides (at most half the window).
        dilation: spacing of the window's elements.
        ceil_mode: use ceil instead of floor for the output size.

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, H', W')`` with torch's pooling formula.
    """

    _d = 2


class PointwiseMaxPool3D(_PointwiseMaxPoolND):
    """Max pooling of every channel, as ``torch.nn.MaxPool3d`` (see :class:`PointwiseMaxPool2D`).

    Shapes:
        - input: ``(B, C, D, H, W)``; output: ``(B, C, D', H', W')``.
    """

    _d = 3


class PointwiseAvgPool2D(_PointwiseAvgPoolND):
    """Average pooling of every channel, as ``torch.nn.AvgPool2d`` (zero padding counted).
    Averaging is linear and acts on space only, so any field type is accepted.

    Args:
        in_type: the field type (of a gspace on R^2).
        kernel_size: window size (int or pair).
        stride: window stride (default: ``kernel_size``).
        padding: implicit zero padding on both sides (at most half the window).
        ceil_mode: use ceil instead of floor for the output size.

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, H', W')``.
    """

    _d = 2


class PointwiseAvgPool3D(_PointwiseAvgPoolND):
    """Average pooling of every channel, as ``torch.nn.AvgPool3d`` (see :class:`PointwiseAvgPool2D`).

    Shapes:
        - input: ``(B, C, D, H, W)``; output: ``(B, C, D', H', W')``.
    """

    _d = 3
