"""Moving feature maps on pixel/voxel grids: [g f](x) = f(g^-1 x) for the spatial part."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["transform_grid", "is_grid_symmetry"]


def is_grid_symmetry(matrix: np.ndarray) -> bool:
    """Whether the d x d matrix permutes the axes with signs (exact on square/cubic grids)."""
    m = np.asarray(matrix)
    return bool(np.allclose(np.round(m), m, atol=1e-9) and np.allclose(np.abs(np.round(m)).sum(0), 1))


def _coords(shape, d):
    """Physical coordinates (x, y[, z]) of every grid index, C order; ``(prod(shape), d)``."""
    axes = [np.arange(n) - (n - 1) / 2 for n in shape]
    mesh = np.meshgrid(*axes, indexing="ij")
    if d == 2:
        rows, cols = mesh
        return np.stack([cols.ravel(), -rows.ravel()], axis=1)
    a, b, e = mesh
    return np.stack([e.ravel(), -b.ravel(), -a.ravel()], axis=1)


def _index_of(coords, shape, d):
    if d == 2:
        cols = coords[:, 0] + (shape[1] - 1) / 2
        rows = (shape[0] - 1) / 2 - coords[:, 1]
        idx = [rows, cols]
    else:
        e = coords[:, 0] + (shape[2] - 1) / 2
        b = (shape[1] - 1) / 2 - coords[:, 1]
        a = (shape[0] - 1) / 2 - coords[:, 2]
        idx = [a, b, e]
    return [np.rint(i).astype(np.int64) for i in idx]


def transform_grid(tensor: torch.Tensor, matrix: np.ndarray, d: int) -> torch.Tensor:
    """Spatially move ``tensor`` ``(B, C, *grid)`` by the d x d matrix of g."""
    shape = tuple(tensor.shape[2:])
    if len(shape) != d:
        raise ValueError(f"expected a tensor with {d} spatial dimensions, got shape {tuple(tensor.shape)}")
    matrix = np.asarray(matrix, dtype=np.float64)
    if is_grid_symmetry(matrix):
        coords = _coords(shape, d)
        source = coords @ np.round(matrix)  # g^-1 x = g^T x for orthogonal g
        idx = _index_of(source, shape, d)
        for _axis, (i, n) in enumerate(zip(idx, shape)):
            if i.min() < 0 or i.max() >= n:
                raise ValueError(
                    f"the transformation maps the grid of shape {shape} outside itself; rotations "
                    f"that swap axes need a square/cubic grid"
                )
        flat = np.ravel_multi_index(idx, shape)
        index = torch.as_tensor(flat, device=tensor.device)
        return tensor.flatten(2).index_select(2, index).reshape(tensor.shape)
    return _interpolate(tensor, matrix, d)


def _interpolate(tensor, matrix, d):
    """Linear interpolation of f(g^-1 x) (zero outside the grid)."""
    import torch.nn.functional as F

    shape = tensor.shape[2:]
    coords = _coords(shape, d) @ matrix  # g^-1 x
    # grid_sample wants (x, y[, z]) normalised to [-1, 1] along (W, H[, D]) with y downwards
    if d == 2:
        gx = coords[:, 0] / ((shape[1] - 1) / 2)
        gy = -coords[:, 1] / ((shape[0] - 1) / 2)
        grid = np.stack([gx, gy], -1).reshape(1, *shape, 2)
    else:
        gx = coords[:, 0] / ((shape[2] - 1) / 2)
        gy = -coords[:, 1] / ((shape[1] - 1) / 2)
        gz = -coords[:, 2] / ((shape[0] - 1) / 2)
        grid = np.stack([gx, gy, gz], -1).reshape(1, *shape, 3)
    grid = torch.as_tensor(grid, dtype=tensor.dtype, device=tensor.device).expand(
        tensor.shape[0], *grid.shape[1:]
    )
    return F.grid_sample(tensor, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
