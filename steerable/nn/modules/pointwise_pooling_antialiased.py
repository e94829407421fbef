"""Anti-aliased pooling (Zhang, "Making Convolutional Networks Shift-Invariant Again", 2019):
a Gaussian blur before subsampling, channel by channel, on 2D and 3D grids.

The blur is a depthwise convolution with the isotropic Gaussian of std ``sigma`` sampled on a
``(2 ceil(3 sigma) + 1)`` wide grid and normalised to sum 1; the filter is exactly invariant under
the grid's symmetries, so the pools commute with them whenever the subsampling grid is
symmetric about the centre (see :mod:`.pointwise_pooling`).
"""

from __future__ import annotations

import torch

from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from ._pooling_utils import (
    FUNCTIONAL,
    as_tuple,
    check_gspace,
    check_padding,
    check_shape,
    gaussian_filter,
    pool_output_size,
)
from .pointwise_nonlinearity import check_pointwise

__all__ = [
    "PointwiseAvgPoolAntialiased2D",
    "PointwiseAvgPoolAntialiased3D",
    "PointwiseMaxPoolAntialiased2D",
    "PointwiseMaxPoolAntialiased3D",
]


def _check_sigma(sigma) -> float:
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)):
        raise TypeError(f"sigma must be a positive number, got {sigma!r}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    return float(sigma)


class _CeilModePad(torch.nn.Module):
    """Plain-torch ``-inf`` padding before a stride-1 max: ``padding`` on both sides plus, at the
    far end, the positions of the partial windows that torch's ceil mode adds, so that the
    blurred and subsampled map has ``MaxPool(ceil_mode=True)``'s output size."""

    def __init__(self, kernel_size, stride, padding, dilation):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        # F.pad lists the last axis first
        for i in reversed(range(len(self.kernel_size))):
            n, k, st = x.shape[2 + i], self.kernel_size[i], self.stride[i]
            p, dil = self.padding[i], self.dilation[i]
            dense = n + 2 * p - dil * (k - 1)
            m = pool_output_size(n, k, st, p, dil, True)
            pads += [p, p + max(0, (m - 1) * st + 1 - dense)]
        return torch.nn.functional.pad(x, pads, value=float("-inf"))


class _BlurPoolBase(EquivariantModule):
    """Holds the depthwise Gaussian filter ``(C, 1, K, ..., K)`` as a non-persistent buffer."""

    _d = 0

    def _build_filter(self, in_type: FieldType, sigma: float):
        self.sigma = sigma
        kernel, half = gaussian_filter(sigma, self._d, torch.get_default_dtype())
        self.filter_size = 2 * half + 1
        self.register_buffer(
            "filter", kernel.expand(in_type.size, 1, *kernel.shape).contiguous(), persistent=False
        )
        return half

    def _blur(self, x: torch.Tensor, stride, padding) -> torch.Tensor:
        return FUNCTIONAL[self._d][2](x, self.filter, None, stride, padding, 1, self.in_type.size)

    def _blur_conv(self, stride, padding) -> torch.nn.Module:
        cls = torch.nn.Conv2d if self._d == 2 else torch.nn.Conv3d
        c = self.in_type.size
        conv = cls(
            c,
            c,
            self.filter_size,
            stride,
            padding,
            groups=c,
            bias=False,
            dtype=self.filter.dtype,
            device=self.filter.device,
        )
        with torch.no_grad():
            conv.weight.copy_(self.filter)
        conv.weight.requires_grad_(False)
        return conv


class _AvgPoolAntialiasedND(_BlurPoolBase):
    def __init__(self, in_type: FieldType, sigma: float, stride, padding=None):
        super().__init__()
        name, d = type(self).__name__, self._d
        check_gspace(in_type, d, name)
        self.in_type = self.out_type = in_type
        half = self._build_filter(in_type, _check_sigma(sigma))
        self.stride = as_tuple(stride, d, "stride", 1)
        self.padding = (half,) * d if padding is None else as_tuple(padding, d, "padding", 0)
        # historical scalar attributes of the 2D module (square filter)
        self.kernel_size = self.filter_size

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(self._blur(self._check_input(x), self.stride, self.padding), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        s = check_shape(input_shape, self._d, self.in_type.size, type(self).__name__)
        k = self.filter_size
        spatial = tuple(
            pool_output_size(n, k, st, p, 1, False) for n, st, p in zip(s[2:], self.stride, self.padding)
        )
        return (s[0], s[1]) + spatial

    def export(self) -> torch.nn.Module:
        return self._blur_conv(self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"{self.in_type}, sigma={self.sigma}, stride={self.stride}, padding={self.padding}"


class _MaxPoolAntialiasedND(_BlurPoolBase):
    def __init__(
        self,
        in_type: FieldType,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        ceil_mode: bool = False,
        sigma: float = 0.6,
    ):
        super().__init__()
        name, d = type(self).__name__, self._d
        check_gspace(in_type, d, name)
        check_pointwise(in_type, name)
        self.in_type = self.out_type = in_type
        self.kernel_size = as_tuple(kernel_size, d, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else as_tuple(stride, d, "stride", 1)
        self.padding = as_tuple(padding, d, "padding", 0)
        self.dilation = as_tuple(dilation, d, "dilation", 1)
        self.ceil_mode = bool(ceil_mode)
        check_padding(self.padding, self.kernel_size, self.dilation, name)
        self.blur_padding = self._build_filter(in_type, _check_sigma(sigma))
        self._ceil_pad = _CeilModePad(self.kernel_size, self.stride, self.padding, self.dilation)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        t = self._check_input(x)
        max_pool = FUNCTIONAL[self._d][0]
        # the max is evaluated densely (stride 1); subsampling happens in the blur
        if self.ceil_mode:
            t = max_pool(self._ceil_pad(t), self.kernel_size, 1, 0, self.dilation)
        else:
            t = max_pool(t, self.kernel_size, 1, self.padding, self.dilation)
        return GeometricTensor(self._blur(t, self.stride, self.blur_padding), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        s = check_shape(input_shape, self._d, self.in_type.size, type(self).__name__)
        spatial = tuple(
            pool_output_size(n, k, st, p, dil, self.ceil_mode)
            for n, k, st, p, dil in zip(s[2:], self.kernel_size, self.stride, self.padding, self.dilation)
        )
        return (s[0], s[1]) + spatial

    def export(self) -> torch.nn.Module:
        """``MaxPool`` (stride 1) then the fixed Gaussian ``Conv`` (stride ``stride``); in ceil mode
        a small padding module first (its far-end padding depends on the input size)."""
        d = self._d
        pool_cls = torch.nn.MaxPool2d if d == 2 else torch.nn.MaxPool3d
        blur = self._blur_conv(self.stride, self.blur_padding)
        if not self.ceil_mode:
            return torch.nn.Sequential(pool_cls(self.kernel_size, 1, self.padding, self.dilation), blur)
        pad = _CeilModePad(self.kernel_size, self.stride, self.padding, self.dilation)
        return torch.nn.Sequential(pad, pool_cls(self.kernel_size, 1, 0, self.dilation), blur)

    def extra_repr(self) -> str:
        return (
            f"{self.in_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}, "
            f"sigma={self.sigma}"
        )


class PointwiseAvgPoolAntialiased2D(_AvgPoolAntialiasedND):
    """Anti-aliased average pooling: Gaussian blur (std ``sigma``) then subsampling by
    ``stride``, channel by channel (one depthwise convolution). Linear and spatial only, so any
    field type is accepted.

    Args:
        in_type: the field type (of a gspace on R^2).
        sigma: std of the Gaussian, in pixels; the filter is ``2 ceil(3 sigma) + 1`` wide.
        stride: subsampling step (int or pair).
        padding: zero padding (default: half the filter, so that stride 1 keeps the size).

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, H', W')`` with
          ``H' = (H + 2 padding - filter_size) // stride + 1``.
    """

    _d = 2


class PointwiseAvgPoolAntialiased3D(_AvgPoolAntialiasedND):
    """Anti-aliased average pooling on 3D grids (see :class:`PointwiseAvgPoolAntialiased2D`).

    Shapes:
        - input: ``(B, C, D, H, W)``; output: ``(B, C, D', H', W')``.
    """

    _d = 3


class PointwiseMaxPoolAntialiased2D(_MaxPoolAntialiasedND):
    """Anti-aliased max pooling (MaxBlurPool): the max over every window is taken densely
    (stride 1), then a Gaussian blur (std ``sigma``, zero padding of half the filter) is applied
    with stride ``stride``. Every field must support ``'pointwise'``. The output has the size of
    ``torch.nn.MaxPool2d`` with the same arguments.

    Args:
        in_type: the field type (of a gspace on R^2).
        kernel_size: window of the max (int or pair).
        stride: subsampling step (default: ``kernel_size``).
        padding: implicit ``-inf`` padding of the max (at most half the window).
        dilation: spacing of the window's elements.
        ceil_mode: output size as ``MaxPool2d(ceil_mode=True)`` (partial windows at the far end).
        sigma: std of the Gaussian blur, in pixels.

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, H', W')``.
    """

    _d = 2


class PointwiseMaxPoolAntialiased3D(_MaxPoolAntialiasedND):
    """Anti-aliased max pooling on 3D grids (see :class:`PointwiseMaxPoolAntialiased2D`).

    Shapes:
        - input: ``(B, C, D, H, W)``; output: ``(B, C, D', H', W')``.
    """

    _d = 3
