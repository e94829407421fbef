"""The basic block of the equivariant wide ResNets of the e2cnn paper (Weiler & Cesa, 2019)."""

from __future__ import annotations

import torch

from .. import nn

__all__ = ["WideBasicBlock"]


class _PlainResidual(torch.nn.Module):
    """``body(x) + shortcut(x)`` on plain tensors (the export of :class:`WideBasicBlock`)."""

    def __init__(self, body: torch.nn.Module, shortcut: torch.nn.Module):
        super().__init__()
        self.body, self.shortcut = body, shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class WideBasicBlock(nn.EquivariantModule):
    """Pre-activation residual block: BN-ReLU-conv-BN-ReLU-(dropout)-conv, plus a shortcut
    (identity, or a 1x1 steerable conv when the type or the stride changes).

    Args:
        in_type, out_type: field types of the block (fields must support pointwise maps:
            trivial, regular or quotient).
        stride: of the first convolution and of the shortcut.
        dropout: ``PointwiseDropout`` probability between the convolutions (0: none).
        kernel_size: of both convolutions (padding keeps the size).

    Shapes:
        - input: ``(B, in_type.size, H, W)``
        - output: ``(B, out_type.size, H', W')`` with ``H' = ceil(H / stride)``
    """

    def __init__(self, in_type, out_type, stride: int = 1, dropout: float = 0.0, kernel_size: int = 3):
        super().__init__()
        self.in_type, self.out_type = in_type, out_type
        pad = kernel_size // 2
        layers = [
            nn.InnerBatchNorm(in_type),
            nn.ReLU(in_type),
            nn.R2Conv(in_type, out_type, kernel_size, padding=pad, stride=stride, bias=False),
            nn.InnerBatchNorm(out_type),
            nn.ReLU(out_type),
        ]
        if dropout > 0:
            layers.append(nn.PointwiseDropout(out_type, p=dropout))
        layers.append(nn.R2Conv(out_type, out_type, kernel_size, padding=pad, bias=False))
        self.body = nn.SequentialModule(*layers)
        if stride != 1 or in_type != out_type:
            self.shortcut = nn.R2Conv(in_type, out_type, 1, stride=stride, bias=False)
        else:
            self.shortcut = nn.IdentityModule(in_type)

    def forward(self, x: nn.GeometricTensor) -> nn.GeometricTensor:
        self._check_input(x)
        return self.body(x) + self.shortcut(x)

    def evaluate_output_shape(self, input_shape):
        return self.body.evaluate_output_shape(input_shape)

    def export(self) -> torch.nn.Module:
        return _PlainResidual(self.body.export(), self.shortcut.export())
