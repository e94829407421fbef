"""Neighbourhood graphs of point clouds in plain torch (scipy's cKDTree for large clouds on CPU).

Conventions (PyTorch Geometric's ``edge_index``, flow source -> target): ``edge_index`` is a
``(2, E)`` int64 tensor whose row 0 holds the source (neighbour) j and row 1 the target (centre) i
of every edge j -> i; messages flow from j to i. Edges are sorted by target, then by source, so
the output is the same for every method, device and thread count (a deterministic function of
the points). ``batch`` (``(N,)`` int, optional) assigns points to clouds; edges never cross clouds.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["radius_graph", "knn_graph"]

_KDTREE_MIN_POINTS = 4096  # 'auto': from this many points on CPU, cKDTree beats dense blocks
_BLOCK_ENTRIES = 1 << 22  # entries of one (targets x points) distance block in the dense path
_METHODS = ("auto", "dense", "kdtree")


def _check_coords(coords, batch):
    if not isinstance(coords, torch.Tensor):
        raise TypeError(f"coords must be a torch.Tensor, got {type(coords).__name__}")
    if coords.dim() != 2 or not coords.is_floating_point():
        raise ValueError(
            f"coords must be a floating (N, d) tensor, got dtype {coords.dtype} "
            f"and shape {tuple(coords.shape)}"
        )
    if batch is not None:
        if not isinstance(batch, torch.Tensor) or batch.dtype not in (torch.int64, torch.int32):
            raise TypeError(
                f"batch must be an int64/int32 tensor, got {getattr(batch, 'dtype', type(batch))}"
            )
        if batch.shape != (coords.shape[0],):
            raise ValueError(
                f"batch must have shape ({coords.shape[0]},) (one entry per point), got {tuple(batch.shape)}"
            )
        batch = batch.to(coords.device).long()
    return batch


def _choose(method, coords) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if method == "auto":
        big = coords.shape[0] >= _KDTREE_MIN_POINTS and coords.device.type == "cpu"
        return "kdtree" if big else "dense"
    return method


def _sort_edges(src, dst, n) -> torch.Tensor:
    order = torch.argsort(dst * n + src)
    return torch.stack([src[order], dst[order]])


def _keep_nearest(src, dst, dist2, k, n):
    """Of each target's edges, the k nearest sources (ties: the smaller source index)."""
    order = torch.argsort(src, stable=True)
    order = order[torch.argsort(dist2[order], stable=True)]
    order = order[torch.argsort(dst[order], stable=True)]  # by target, then distance, then source
    src, dst = src[order], dst[order]
    counts = torch.bincount(dst, minlength=n)
    first = torch.cumsum(counts, 0) - counts
    rank = torch.arange(dst.numel(), device=dst.device) - first[dst]
    keep = rank < k
    return src[keep], dst[keep]


def _dense_pairs(coords, r2, batch, loop):
    """(src, dst, dist2) of all pairs within distance^2 <= r2, by blocks of targets."""
    n = coords.shape[0]
    step = max(1, _BLOCK_ENTRIES // max(1, n * coords.shape[1]))
    srcs, dsts, dists = [], [], []
    for start in range(0, n, step):
        block = coords[start : start + step]
        d2 = ((block[:, None, :] - coords[None, :, :]) ** 2).sum(-1)  # (b, N)
        mask = d2 <= r2
        if batch is not None:
            mask &= batch[start : start + step, None] == batch[None, :]
        if not loop:
            rows = torch.arange(block.shape[0], device=coords.device)
            mask[rows, rows + start] = False
        i, j = mask.nonzero(as_tuple=True)
        srcs.append(j)
        dsts.append(i + start)
        dists.append(d2[i, j])
    return torch.cat(srcs), torch.cat(dsts), torch.cat(dists)


def _with_batch_axis(points: np.ndarray, batch, gap: float) -> np.ndarray:
    """Clouds separated along an extra axis (same-cloud distances are unchanged exactly)."""
    if batch is None:
        return points
    offset = batch.cpu().numpy().astype(np.float64)[:, None] * gap
    return np.concatenate([points, offset], axis=1)


def radius_graph(
    coords: torch.Tensor,
    r: float,
    batch: torch.Tensor | None = None,
    loop: bool = False,
    max_num_neighbors: int | None = None,
    *,
    method: str = "auto",
) -> torch.Tensor:
    """Edges j -> i between all points with ``|x_i - x_j| <= r`` (inclusive; see the module
    docstring).

    Args:
        coords: ``(N, d)`` point coordinates.
        r: the radius (positive).
        batch: optional ``(N,)`` cloud index of every point.
        loop: include the self-loops i -> i.
        max_num_neighbors: keep at most this many sources per target: the nearest ones (ties
            broken by the smaller index), so the graph stays rotation-equivariant. ``None``: all
            (PyTorch Geometric's default is 32, an arbitrary subset of them).
        method: ``'dense'`` (exact pairwise distances in blocks, any device), ``'kdtree'``
            (scipy's cKDTree in float64, CPU) or ``'auto'`` (cKDTree from 4096 points on CPU).

    Returns:
        ``(2, E)`` int64 ``edge_index`` on ``coords.device``, sorted by target then source.
    """
    batch = _check_coords(coords, batch)
    r = float(r)
    if not np.isfinite(r) or r <= 0:
        raise ValueError(f"r must be a positive finite number, got {r}")
    if max_num_neighbors is not None and (
        isinstance(max_num_neighbors, bool) or not isinstance(max_num_neighbors, int) or max_num_neighbors < 1
    ):
        raise ValueError(f"max_num_neighbors must be None or a positive integer, got {max_num_neighbors!r}")
    n = coords.shape[0]
    coords = coords.detach()
    method = _choose(method, coords)
    if n == 0:
        return torch.zeros((2, 0), dtype=torch.long, device=coords.device)
    if method == "dense":
        src, dst, dist2 = _dense_pairs(coords, r * r, batch, loop)
    else:
        from scipy.spatial import cKDTree

        points = _with_batch_axis(coords.cpu().double().numpy(), batch, 3.0 * r)
        pairs = cKDTree(points).query_pairs(r, output_type="ndarray")  # (P, 2), i < j
        a, b = pairs[:, 0], pairs[:, 1]
        src_np = np.concatenate([a, b] + ([np.arange(n)] if loop else []))
        dst_np = np.concatenate([b, a] + ([np.arange(n)] if loop else []))
        src = torch.as_tensor(src_np, dtype=torch.long, device=coords.device)
        dst = torch.as_tensor(dst_np, dtype=torch.long, device=coords.device)
        dist2 = ((coords[src] - coords[dst]) ** 2).sum(-1)
    if max_num_neighbors is not None:
        src, dst = _keep_nearest(src, dst, dist2, max_num_neighbors, n)
    return _sort_edges(src, dst, n)


def knn_graph(
    coords: torch.Tensor,
    k: int,
    batch: torch.Tensor | None = None,
    loop: bool = False,
    *,
    method: str = "auto",
) -> torch.Tensor:
    """Edges j -> i from the ``k`` nearest points j of every point i (fewer if its cloud is smaller).

    Ties in distance are broken by the smaller index (exactly so in the dense path; the cKDTree
    path sees distances in float64). With ``loop=True`` a point counts as its own neighbour.

    Args:
        coords: ``(N, d)`` point coordinates.
        k: neighbours per point (positive).
        batch: optional ``(N,)`` cloud index of every point.
        loop: allow i -> i.
        method: ``'dense'``, ``'kdtree'`` or ``'auto'`` (see :func:`radius_graph`).

    Returns:
        ``(2, E)`` int64 ``edge_index``, sorted by target then source.
    """
    batch = _check_coords(coords, batch)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    n = coords.shape[0]
    coords = coords.detach()
    method = _choose(method, coords)
    if n == 0:
        return torch.zeros((2, 0), dtype=torch.long, device=coords.device)
    if method == "dense":
        kk = min(k, n)
        step = max(1, _BLOCK_ENTRIES // max(1, n * coords.shape[1]))
        srcs, dsts = [], []
        for start in range(0, n, step):
            block = coords[start : start + step]
            d2 = ((block[:, None, :] - coords[None, :, :]) ** 2).sum(-1)  # (b, N)
            if batch is not None:
                d2 = d2.masked_fill(batch[start : start + step, None] != batch[None, :], float("inf"))
            if not loop:
                rows = torch.arange(block.shape[0], device=coords.device)
                d2[rows, rows + start] = float("inf")
            d2, idx = torch.sort(d2, dim=1, stable=True)  # ties: smaller index first
            d2, idx = d2[:, :kk], idx[:, :kk]
            valid = torch.isfinite(d2)
            rows = torch.arange(block.shape[0], device=coords.device)[:, None].expand_as(idx)
            srcs.append(idx[valid])
            dsts.append(rows[valid] + start)
        src, dst = torch.cat(srcs), torch.cat(dsts)
    else:
        from scipy.spatial import cKDTree

        points = coords.cpu().double().numpy()
        if batch is not None:  # clouds far apart: no cross-cloud pair among the k nearest
            extent = float(np.ptp(points, axis=0).max()) if n else 0.0
            points = _with_batch_axis(points, batch, 10.0 * (extent + 1.0))
        kk = min(k + (0 if loop else 1), n)
        dist, idx = cKDTree(points).query(points, k=kk)
        dist, idx = dist.reshape(n, kk), idx.reshape(n, kk)
        dst_np = np.repeat(np.arange(n), kk)
        src_np = idx.reshape(-1)
        keep = np.isfinite(dist.reshape(-1))
        if not loop:
            keep &= src_np != dst_np
        src = torch.as_tensor(src_np[keep], dtype=torch.long, device=coords.device)
        dst = torch.as_tensor(dst_np[keep], dtype=torch.long, device=coords.device)
        if batch is not None:
            same = batch[src] == batch[dst]
            src, dst = src[same], dst[same]
        dist2 = ((coords[src].double() - coords[dst].double()) ** 2).sum(-1)
        src, dst = _keep_nearest(src, dst, dist2, k, n)
    return _sort_edges(src, dst, n)
