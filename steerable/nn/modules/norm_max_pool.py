"""NormMaxPool: in every pooling window, keep each field's vector of largest norm.

For an orthogonal representation |rho(g) v| = |v|, so choosing the vector by its norm commutes
with the fiber action of any representation; moving the windows commutes with the grid's
symmetries when the windows sit symmetrically about the centre (see :mod:`.pointwise_pooling`).
Ties between exactly equal norms are broken by position, which is not equivariant; they do not
occur for generic inputs.
"""

from __future__ import annotations

import numpy as np
import torch

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from ._pooling_utils import FUNCTIONAL, as_tuple, check_padding, check_shape, field_groups, pool_output_size

__all__ = ["NormMaxPool"]


class _FieldNormMaxPool(torch.nn.Module):
    """Plain torch: max pooling of every field's squared norm with ``return_indices``, then a
    gather of the field's channels at the winning positions. Fields of the same size are
    processed together (one pool and one gather per size)."""

    def __init__(self, in_type: FieldType, kernel_size, stride, padding, dilation, ceil_mode):
        super().__init__()
        self.d = in_type.gspace.dimensionality
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode
        groups = field_groups(in_type, [r.size for r in in_type.representations])
        self.group_shapes = []  # (number of fields, field size)
        order = []
        for i, (size, fields, channels) in enumerate(groups):
            self.group_shapes.append((len(fields), size))
            self.register_buffer(f"channels_{i}", torch.as_tensor(channels), persistent=False)
            order.append(channels)
        order = np.concatenate(order)
        # the output is produced group by group; this puts the channels back in place
        self.identity_in = len(groups) == 1
        self.identity_out = bool(np.array_equal(order, np.arange(len(order))))
        self.register_buffer("channel_order", torch.as_tensor(np.argsort(order)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, spatial = x.shape[0], x.shape[2:]
        max_pool = FUNCTIONAL[self.d][0]
        parts = []
        for i, (nf, size) in enumerate(self.group_shapes):
            xs = x if self.identity_in else x.index_select(1, getattr(self, f"channels_{i}"))
            xs = xs.reshape(b, nf, size, -1)  # (B, F, size, N) with N the flattened grid
            sq = xs.pow(2).sum(dim=2).reshape(b, nf, *spatial)  # squared norms: same argmax
            _, idx = max_pool(
                sq, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, True
            )  # (B, F, *out): flat grid index of each window's winner
            out_spatial = idx.shape[2:]
            idx = idx.reshape(b, nf, 1, -1).expand(-1, -1, size, -1)
            parts.append(xs.gather(3, idx).reshape(b, nf * size, *out_spatial))
        out = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        return out if self.identity_out else out.index_select(1, self.channel_order)


class NormMaxPool(EquivariantModule):
    """Max pooling by norm: in each window, every field keeps its vector of largest Euclidean
    norm (all its channels taken at that one position). Works for any representation. The
    arguments besides ``in_type`` are those of ``torch.nn.MaxPool2d`` (``MaxPool3d`` on 3D
    gspaces).

    Args:
        in_type: the field type (of a gspace on R^2 or R^3).
        kernel_size: window size (int or tuple).
        stride: window stride (default: ``kernel_size``).
        padding: implicit padding, never selected (at most half the window).
        dilation: spacing of the window's elements.
        ceil_mode: use ceil instead of floor for the output size.

    Shapes:
        - input: ``(B, C, H, W)`` (or ``(B, C, D, H, W)``); output: ``(B, C, H', W')`` with
          torch's pooling formula.
    """

    def __init__(
        self,
        in_type: FieldType,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        ceil_mode: bool = False,
    ):
        super().__init__()
        check_field_type(in_type, "NormMaxPool")
        d = in_type.gspace.dimensionality
        if d not in (2, 3):
            raise ValueError(f"NormMaxPool works on 2D and 3D gspaces, got {in_type.gspace.name}")
        self.in_type = self.out_type = in_type
        self.kernel_size = as_tuple(kernel_size, d, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else as_tuple(stride, d, "stride", 1)
        self.padding = as_tuple(padding, d, "padding", 0)
        self.dilation = as_tuple(dilation, d, "dilation", 1)
        self.ceil_mode = bool(ceil_mode)
        check_padding(self.padding, self.kernel_size, self.dilation, "NormMaxPool")
        self._pool = _FieldNormMaxPool(
            in_type, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(self._pool(self._check_input(x)), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        d = self.in_type.gspace.dimensionality
        s = check_shape(input_shape, d, self.in_type.size, "NormMaxPool")
        spatial = tuple(
            pool_output_size(n, k, st, p, dil, self.ceil_mode)
            for n, k, st, p, dil in zip(s[2:], self.kernel_size, self.stride, self.padding, self.dilation)
        )
        return (s[0], s[1]) + spatial

    def export(self) -> torch.nn.Module:
        import copy

        return copy.deepcopy(self._pool)

    def extra_repr(self) -> str:
        return (
            f"{self.in_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )
