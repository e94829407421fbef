"""Segment reductions of plain torch (``index_add_`` / ``scatter_reduce``), as in torch_scatter.

``index`` assigns every slice of ``src`` along ``dim`` to one of ``dim_size`` segments; the result
has ``dim_size`` slices along ``dim``. Empty segments give 0. On CUDA the sums use atomics (the
order of additions is not fixed) unless ``torch.use_deterministic_algorithms(True)``.
"""

from __future__ import annotations

import torch

__all__ = ["scatter_sum", "scatter_mean", "scatter_max"]


def _check(src, index, dim_size, dim) -> tuple[torch.Tensor, int]:
    if not isinstance(src, torch.Tensor) or not isinstance(index, torch.Tensor):
        raise TypeError(f"src and index must be tensors, got {type(src).__name__} and {type(index).__name__}")
    if index.dtype not in (torch.int64, torch.int32) or index.dim() != 1:
        raise ValueError(
            f"index must be a 1-D int64/int32 tensor, got dtype {index.dtype} and shape {tuple(index.shape)}"
        )
    if src.dim() == 0:
        raise ValueError("src must have at least one dimension")
    dim = dim % src.dim()
    if src.shape[dim] != index.shape[0]:
        raise ValueError(
            f"index has {index.shape[0]} entries but src has {src.shape[dim]} slices along dim {dim}"
        )
    if isinstance(dim_size, bool) or not isinstance(dim_size, int) or dim_size < 0:
        raise ValueError(f"dim_size must be a non-negative integer, got {dim_size!r}")
    return index.long(), dim


def scatter_sum(src: torch.Tensor, index: torch.Tensor, dim_size: int, dim: int = 0) -> torch.Tensor:
    """``out[k] = sum of src[e] over e with index[e] == k`` (along ``dim``)."""
    index, dim = _check(src, index, dim_size, dim)
    shape = list(src.shape)
    shape[dim] = dim_size
    return src.new_zeros(shape).index_add_(dim, index, src)


def _counts(index, dim_size, src, dim) -> torch.Tensor:
    count = torch.zeros(dim_size, dtype=src.dtype, device=src.device)
    count.index_add_(0, index, torch.ones_like(index, dtype=src.dtype))
    shape = [1] * src.dim()
    shape[dim] = dim_size
    return count.clamp_(min=1).view(shape)


def scatter_mean(src: torch.Tensor, index: torch.Tensor, dim_size: int, dim: int = 0) -> torch.Tensor:
    """The mean of each segment (0 for empty segments)."""
    index, dim = _check(src, index, dim_size, dim)
    total = scatter_sum(src, index, dim_size, dim)
    return total / _counts(index, dim_size, src, dim)


def scatter_max(src: torch.Tensor, index: torch.Tensor, dim_size: int, dim: int = 0) -> torch.Tensor:
    """The element-wise maximum of each segment (0 for empty segments); values only."""
    index, dim = _check(src, index, dim_size, dim)
    shape = [1] * src.dim()
    shape[dim] = index.shape[0]
    expanded = index.view(shape).expand_as(src)
    out_shape = list(src.shape)
    out_shape[dim] = dim_size
    return src.new_zeros(out_shape).scatter_reduce_(dim, expanded, src, reduce="amax", include_self=False)
