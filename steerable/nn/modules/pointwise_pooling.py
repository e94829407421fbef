"""Spatial pooling applied channel by channel (equivariant to the grid's symmetries)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["PointwiseAvgPool2D", "PointwiseAvgPoolAntialiased2D", "PointwiseMaxPool2D"]


def _check_2d(in_type: FieldType, name: str):
    if not isinstance(in_type, FieldType):
        raise TypeError(f"{name} needs a FieldType, got {type(in_type).__name__}")
    if in_type.gspace.dimensionality != 2:
        raise ValueError(f"{name} works on 2D gspaces, got {in_type.gspace.name}")


def _out_size(n, kernel, stride, padding):
    return (n + 2 * padding - kernel) // stride + 1


class PointwiseAvgPool2D(EquivariantModule):
    """Average pooling of every channel (``torch.nn.AvgPool2d``).

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, H', W')``
    """

    def __init__(
        self, in_type: FieldType, kernel_size: int, stride=None, padding: int = 0, ceil_mode: bool = False
    ):
        super().__init__()
        _check_2d(in_type, "PointwiseAvgPool2D")
        self.in_type = self.out_type = in_type
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode

    def forward(self, x):
        out = F.avg_pool2d(self._check_input(x), self.kernel_size, self.stride, self.padding, self.ceil_mode)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, s):
        return (
            s[0],
            s[1],
            _out_size(s[2], self.kernel_size, self.stride, self.padding),
            _out_size(s[3], self.kernel_size, self.stride, self.padding),
        )

    def export(self):
        return torch.nn.AvgPool2d(self.kernel_size, self.stride, self.padding, self.ceil_mode)


class PointwiseMaxPool2D(EquivariantModule):
    """Max pooling of every channel (``torch.nn.MaxPool2d``); only equivariant for
    permutation (pointwise) fields, like every channel-wise nonlinearity.

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, H', W')``
    """

    def __init__(
        self,
        in_type: FieldType,
        kernel_size: int,
        stride=None,
        padding: int = 0,
        dilation: int = 1,
        ceil_mode: bool = False,
    ):
        super().__init__()
        from .pointwise_nonlinearity import check_pointwise

        _check_2d(in_type, "PointwiseMaxPool2D")
        check_pointwise(in_type, "PointwiseMaxPool2D")
        self.in_type = self.out_type = in_type
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation, self.ceil_mode = padding, dilation, ceil_mode

    def forward(self, x):
        out = F.max_pool2d(
            self._check_input(x), self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, s):
        k = self.dilation * (self.kernel_size - 1) + 1
        return (
            s[0],
            s[1],
            _out_size(s[2], k, self.stride, self.padding),
            _out_size(s[3], k, self.stride, self.padding),
        )

    def export(self):
        return torch.nn.MaxPool2d(
            self.kernel_size, self.stride, self.padding, self.dilation, ceil_mode=self.ceil_mode
        )


class PointwiseAvgPoolAntialiased2D(EquivariantModule):
    """Gaussian blur (std ``sigma``) then subsampling by ``stride``: anti-aliased average
    pooling, channel by channel (a depthwise convolution with an isotropic Gaussian filter of
    size 2 ceil(3 sigma) + 1, normalised to sum 1).

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, H', W')``
    """

    def __init__(self, in_type: FieldType, sigma: float, stride: int, padding=None):
        super().__init__()
        _check_2d(in_type, "PointwiseAvgPoolAntialiased2D")
        if not sigma > 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        self.in_type = self.out_type = in_type
        self.sigma, self.stride = float(sigma), int(stride)
        half = int(math.ceil(3 * sigma))
        self.kernel_size = 2 * half + 1
        self.padding = half if padding is None else int(padding)
        r = torch.arange(self.kernel_size, dtype=torch.get_default_dtype()) - half
        g = torch.exp(-0.5 * (r / sigma) ** 2)
        kernel = torch.outer(g, g)
        kernel = kernel / kernel.sum()
        self.register_buffer("filter", kernel.expand(in_type.size, 1, -1, -1).contiguous(), persistent=False)

    def forward(self, x):
        out = F.conv2d(
            self._check_input(x), self.filter, None, self.stride, self.padding, 1, self.in_type.size
        )
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, s):
        return (
            s[0],
            s[1],
            _out_size(s[2], self.kernel_size, self.stride, self.padding),
            _out_size(s[3], self.kernel_size, self.stride, self.padding),
        )

    def export(self):
        conv = torch.nn.Conv2d(
            self.in_type.size,
            self.in_type.size,
            self.kernel_size,
            self.stride,
            self.padding,
            groups=self.in_type.size,
            bias=False,
            dtype=self.filter.dtype,
            device=self.filter.device,
        )
        with torch.no_grad():
            conv.weight.copy_(self.filter)
        conv.weight.requires_grad_(False)
        return conv
