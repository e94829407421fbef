"""MaskModule: a circular (spherical) mask that removes the grid's corners."""

from __future__ import annotations

import torch

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["MaskModule"]


class _Mask(torch.nn.Module):
    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, x):
        return x * self.mask


class MaskModule(EquivariantModule):
    """Multiplies the feature map by exp(-(r - R)^2 / sigma^2) outside the radius
    R = S/2 - margin (1 inside), so that rotated inputs lose no information in the corners.

    Args:
        in_type: the field type (2D or 3D gspace).
        S: the spatial size of the (square/cubic) input.
        margin: distance kept from the border.
        sigma: the width of the soft edge.

    Shapes:
        - input/output: ``(B, C, S, S)`` or ``(B, C, S, S, S)``
    """

    def __init__(self, in_type: FieldType, S: int, margin: float = 0.0, sigma: float = 2.0):
        super().__init__()
        check_field_type(in_type, "MaskModule")
        d = in_type.gspace.dimensionality
        if d not in (2, 3):
            raise ValueError(f"MaskModule works on 2D/3D gspaces, got {in_type.gspace.name}")
        self.in_type = self.out_type = in_type
        self.S = int(S)
        c = (S - 1) / 2
        axes = [torch.arange(S, dtype=torch.get_default_dtype()) - c] * d
        r = torch.sqrt(sum(a**2 for a in torch.meshgrid(*axes, indexing="ij")))
        radius = S / 2 - margin
        mask = torch.where(r > radius, torch.exp(-((r - radius) ** 2) / sigma**2), torch.ones_like(r))
        self._mask = _Mask(mask[None, None])

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        tensor = self._check_input(x)
        if tuple(tensor.shape[2:]) != tuple(self._mask.mask.shape[2:]):
            raise ValueError(
                f"MaskModule was built for size {self.S}, got spatial shape {tuple(tensor.shape[2:])}"
            )
        return GeometricTensor(self._mask(tensor), self.out_type)

    def evaluate_output_shape(self, s):
        return tuple(s)

    def export(self):
        return _Mask(self._mask.mask.clone())
