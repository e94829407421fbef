"""R2Upsampling and R3Upsampling: interpolation of feature maps to a finer grid."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["R2Upsampling", "R3Upsampling"]

_NEAREST = ("nearest", "nearest-exact")


class _Upsampling(EquivariantModule):
    _d: int = 0
    _modes: tuple = ()

    def __init__(self, in_type, scale_factor, size, mode, align_corners):
        super().__init__()
        name, d = type(self).__name__, self._d
        check_field_type(in_type, name)
        if in_type.gspace.dimensionality != d:
            raise ValueError(f"{name} works on {d}D gspaces, got {in_type.gspace.name}")
        if (scale_factor is None) == (size is None):
            raise ValueError(
                f"{name} needs exactly one of scale_factor and size, got scale_factor={scale_factor!r} "
                f"and size={size!r}"
            )
        if scale_factor is not None:
            # one factor for every axis: a different factor per axis would break the rotations
            if (
                isinstance(scale_factor, bool)
                or not isinstance(scale_factor, (int, float))
                or not scale_factor > 0
            ):
                raise ValueError(f"{name}: scale_factor must be a positive number, got {scale_factor!r}")
            scale_factor = float(scale_factor)
        if size is not None:
            sizes = (size,) * d if isinstance(size, int) and not isinstance(size, bool) else tuple(size)
            if len(sizes) != d or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
                raise ValueError(
                    f"{name}: size must be a positive int or a tuple of {d} of them, got {size!r}"
                )
            size = sizes
        if mode not in self._modes:
            raise ValueError(f"{name}: mode must be one of {list(self._modes)}, got {mode!r}")
        if align_corners is None:  # torch's default spelling
            align_corners = False
        if not isinstance(align_corners, bool):
            raise TypeError(f"{name}: align_corners must be a bool, got {type(align_corners).__name__}")
        if mode in _NEAREST and align_corners:
            raise ValueError(f"{name}: align_corners=True needs an interpolating mode, got mode={mode!r}")
        self.in_type = self.out_type = in_type
        self.scale_factor, self.size, self.mode, self.align_corners = scale_factor, size, mode, align_corners

    def _interpolation_args(self) -> dict:
        return dict(
            size=self.size,
            scale_factor=self.scale_factor,
            mode=self.mode,
            align_corners=None if self.mode in _NEAREST else self.align_corners,
            # sample with the ratio (input size / output size), not 1 / scale_factor: the sampling
            # grid is then symmetric about the centre even when input size * scale_factor is not
            # an integer, which keeps the upsampling exactly equivariant to the grid's symmetries
            recompute_scale_factor=True if self.scale_factor is not None else None,
        )

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        tensor = self._check_input(x)
        if x.coords is not None:
            raise ValueError(f"{type(self).__name__} resamples grids; got a point cloud (coords given)")
        return GeometricTensor(F.interpolate(tensor, **self._interpolation_args()), self.out_type)

    def evaluate_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 + self._d:
            raise ValueError(f"expected a shape (B, C) + {self._d} spatial sizes, got {input_shape}")
        if self.size is not None:
            spatial = self.size
        else:
            spatial = tuple(int(math.floor(float(n) * self.scale_factor)) for n in input_shape[2:])
        return input_shape[:2] + tuple(spatial)

    def export(self) -> torch.nn.Module:
        return torch.nn.Upsample(**self._interpolation_args())

    def extra_repr(self):
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        out = f"{self.in_type}, {what}, mode={self.mode!r}"
        return out if self.mode in _NEAREST else out + f", align_corners={self.align_corners}"


class R2Upsampling(_Upsampling):
    """Upsampling of 2D feature maps (``torch.nn.functional.interpolate``), channel by channel.

    Interpolation is linear in the values and the same for every channel, so it commutes with
    any representation acting on the fibers; on the base space it is exactly equivariant to the
    grid's symmetries (quarter turns and axis reflections of a square input) whenever the
    sampling grid is symmetric about the centre. That holds here for ``'bilinear'`` and
    ``'bicubic'`` with either value of ``align_corners`` (with ``align_corners=True`` the corners
    map to the corners, with ``False`` the pixel centres of the output are placed at
    ``(i + 1/2) * n / m - 1/2``; both maps commute with ``i -> m - 1 - i``), for ``'nearest'``
    with an integer ``scale_factor`` and for ``'nearest-exact'``. Unlike escnn, a non-integer
    ``scale_factor`` samples with the exact ratio of the sizes (``recompute_scale_factor=True``),
    which keeps the grid symmetric; ``'nearest'`` with a non-integer ratio is not symmetric
    (use ``'nearest-exact'``). A non-square output ``size`` breaks the quarter turns.

    Args:
        in_type: the field type (any representations) of a 2D gspace.
        scale_factor: the upsampling factor (one for both axes); or
        size: the output size ``(H', W')`` (or an int for both).
        mode: ``'nearest'``, ``'nearest-exact'``, ``'bilinear'`` or ``'bicubic'``.
        align_corners: as in ``torch.nn.functional.interpolate`` (interpolating modes only).

    Shapes:
        - input: ``(B, C, H, W)``; output: ``(B, C, H', W')``
    """

    _d = 2
    _modes = ("nearest", "nearest-exact", "bilinear", "bicubic")

    def __init__(
        self,
        in_type: FieldType,
        scale_factor: float | None = None,
        size=None,
        mode: str = "bilinear",
        align_corners: bool = False,
    ):
        super().__init__(in_type, scale_factor, size, mode, align_corners)


class R3Upsampling(_Upsampling):
    """Upsampling of 3D feature maps (``torch.nn.functional.interpolate``), channel by channel.

    As :class:`R2Upsampling`: commutes with any representation on the fibers and is exactly
    equivariant to the cube's symmetries of a cubic input for ``'trilinear'`` (either
    ``align_corners``), ``'nearest'`` with an integer ``scale_factor`` and ``'nearest-exact'``.

    Args:
        in_type: the field type (any representations) of a 3D gspace.
        scale_factor: the upsampling factor (one for all axes); or
        size: the output size ``(D1', D2', D3')`` (or an int for all).
        mode: ``'nearest'``, ``'nearest-exact'`` or ``'trilinear'``.
        align_corners: as in ``torch.nn.functional.interpolate`` (interpolating modes only).

    Shapes:
        - input: ``(B, C, D1, D2, D3)``; output: ``(B, C, D1', D2', D3')``
    """

    _d = 3
    _modes = ("nearest", "nearest-exact", "trilinear")

    def __init__(
        self,
        in_type: FieldType,
        scale_factor: float | None = None,
        size=None,
        mode: str = "trilinear",
        align_corners: bool = False,
    ):
        super().__init__(in_type, scale_factor, size, mode, align_corners)
