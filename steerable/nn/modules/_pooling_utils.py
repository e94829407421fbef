"""Argument validation and output-size arithmetic shared by the spatial pooling modules."""

from __future__ import annotations

import math

import torch.nn.functional as F

from ..field_type import FieldType, check_field_type

__all__ = [
    "FUNCTIONAL",
    "as_tuple",
    "check_gspace",
    "field_groups",
    "check_padding",
    "check_shape",
    "gaussian_filter",
    "pool_output_size",
]

# d -> (max_pool, avg_pool, conv, adaptive_avg, adaptive_max)
FUNCTIONAL = {
    2: (F.max_pool2d, F.avg_pool2d, F.conv2d, F.adaptive_avg_pool2d, F.adaptive_max_pool2d),
    3: (F.max_pool3d, F.avg_pool3d, F.conv3d, F.adaptive_avg_pool3d, F.adaptive_max_pool3d),
}


def check_gspace(in_type, d: int, name: str) -> None:
    """``in_type`` must be a FieldType of a gspace acting on R^d."""
    check_field_type(in_type, name)
    if in_type.gspace.dimensionality != d:
        raise ValueError(f"{name} works on {d}D gspaces, got {in_type.gspace.name}")


def as_tuple(value, d: int, name: str, minimum: int, allow_none: bool = False) -> tuple:
    """An int or a length-``d`` sequence of ints (each >= ``minimum``) as a ``d``-tuple."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * d
    if len(items) != d:
        raise ValueError(f"{name} must be an int or a sequence of {d} ints, got {value!r}")
    for v in items:
        if v is None and allow_none:
            continue
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int or a sequence of {d} ints, got {value!r}")
        if v < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return items


def check_shape(shape, d: int, channels: int, name: str) -> tuple:
    """Validate an input shape ``(B, C, *spatial)`` for ``evaluate_output_shape``."""
    shape = tuple(shape)
    if len(shape) != 2 + d:
        raise ValueError(f"{name} expects an input shape (B, C) + {d} spatial sizes, got {shape}")
    if shape[1] != channels:
        raise ValueError(f"{name} expects {channels} channels, got shape {shape}")
    return shape


def pool_output_size(n: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """Output length of torch's pooling along one axis (the formula of ``torch.nn.MaxPool2d``)."""
    span = n + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    # in ceil mode, the last window must start inside the input or the left padding
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def check_padding(padding: tuple, kernel: tuple, dilation: tuple, name: str) -> None:
    """torch pools need padding <= half the (dilated) window; say so at construction."""
    for p, k, dil in zip(padding, kernel, dilation):
        if 2 * p > dil * (k - 1) + 1:
            raise ValueError(
                f"{name}: padding must be at most half the window size, got padding={padding} "
                f"for kernel_size={kernel} and dilation={dilation}"
            )


def gaussian_filter(sigma: float, d: int, dtype):
    """The isotropic ``d``-dimensional Gaussian of std ``sigma`` on a ``(2 ceil(3 sigma) + 1)^d``
    grid, normalised to sum 1 (computed in float64, then cast). Returns ``(filter, half)``."""
    import torch

    half = int(math.ceil(3 * sigma))
    r = torch.arange(-half, half + 1, dtype=torch.float64)
    # squared radii are sums of integers (exact), so the filter is exactly invariant under the
    # grid's symmetries (axis permutations and reflections)
    r2 = r**2
    for _ in range(d - 1):
        r2 = r2[..., None] + r**2
    kernel = torch.exp(-0.5 * r2 / sigma**2)
    return (kernel / kernel.sum()).to(dtype), half


def field_groups(in_type: FieldType, keys) -> list:
    """The fields grouped by their ``keys`` (one hashable per field), in order of first
    appearance (deterministic): ``[(key, field indices, channel indices)]`` as int64 arrays."""
    import numpy as np

    keys = list(keys)
    groups: dict = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    out = []
    for k, fields in groups.items():
        channels = np.concatenate([np.arange(in_type.fields_start[f], in_type.fields_end[f]) for f in fields])
        out.append((k, np.asarray(fields, dtype=np.int64), channels.astype(np.int64)))
    return out
