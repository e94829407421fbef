"""radius_graph / knn_graph against brute force (both methods, batches, loops, neighbour caps),
their symmetry under rotations and permutations, the scatter reductions, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable.pointcloud import knn_graph, radius_graph, scatter_max, scatter_mean, scatter_sum


def points(n=60, d=3, seed=0, dtype=torch.float64):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed), dtype=dtype) * 4


def brute_radius(coords, r, batch=None, loop=False):
    x = coords.double().numpy()
    n = x.shape[0]
    edges = []
    for i in range(n):
        for j in range(n):
            if (i != j or loop) and np.sum((x[i] - x[j]) ** 2) <= r * r:
                if batch is None or batch[i] == batch[j]:
                    edges.append((j, i))
    edges.sort(key=lambda e: (e[1], e[0]))
    return torch.tensor(edges, dtype=torch.long).T.reshape(2, -1)


def brute_knn(coords, k, batch=None, loop=False):
    x = coords.double().numpy()
    n = x.shape[0]
    edges = []
    for i in range(n):
        cand = [j for j in range(n) if (j != i or loop) and (batch is None or batch[i] == batch[j])]
        cand.sort(key=lambda j: (np.sum((x[i] - x[j]) ** 2), j))
        edges += [(j, i) for j in cand[:k]]
    edges.sort(key=lambda e: (e[1], e[0]))
    return torch.tensor(edges, dtype=torch.long).T.reshape(2, -1)


@pytest.mark.parametrize("method", ["dense", "kdtree", "auto"])
@pytest.mark.parametrize("loop", [False, True])
def test_radius_graph_matches_brute_force(method, loop):
    x = points()
    batch = torch.arange(60) // 25  # clouds of 25, 25, 10 points
    for b in (None, batch):
        expected = brute_radius(x, 1.1, b, loop)
        got = radius_graph(x, 1.1, batch=b, loop=loop, method=method)
        assert got.dtype == torch.long and expected.shape[1] > 60
        assert torch.equal(got, expected)


def test_radius_graph_is_sorted_by_target_then_source_and_symmetric():
    edges = radius_graph(points(d=2), 0.9)
    key = edges[1] * 1000 + edges[0]
    assert torch.equal(key, torch.sort(key).values)
    flipped = set(map(tuple, edges.flip(0).T.tolist()))
    assert flipped == set(map(tuple, edges.T.tolist()))


@pytest.mark.parametrize("method", ["dense", "kdtree"])
def test_max_num_neighbors_keeps_the_nearest(method):
    x = points(80, 2, seed=1)
    full = radius_graph(x, 1.5, loop=False)
    capped = radius_graph(x, 1.5, max_num_neighbors=4, method=method)
    assert torch.equal(capped, brute_knn_within(x, full, 4))
    assert torch.bincount(capped[1]).max() == 4


def brute_knn_within(x, edges, k):
    kept = []
    for i in range(x.shape[0]):
        src = edges[0, edges[1] == i].tolist()
        src.sort(key=lambda j: (float(((x[i] - x[j]) ** 2).sum()), j))
        kept += [(j, i) for j in sorted(src[:k])]
    return torch.tensor(kept).T


@pytest.mark.parametrize("method", ["dense", "kdtree"])
@pytest.mark.parametrize("loop", [False, True])
def test_knn_graph_matches_brute_force(method, loop):
    x = points(50, 3, seed=2)
    batch = torch.cat([torch.zeros(45), torch.ones(5)]).long()  # the second cloud has < k + 1 points
    for b in (None, batch):
        expected = brute_knn(x, 6, b, loop)
        assert torch.equal(knn_graph(x, 6, batch=b, loop=loop, method=method), expected)


def test_knn_ties_broken_by_index():
    grid = torch.stack(torch.meshgrid(torch.arange(4.0), torch.arange(4.0), indexing="ij"), -1).reshape(-1, 2)
    assert torch.equal(knn_graph(grid, 3, method="dense"), brute_knn(grid, 3))


def test_graphs_commute_with_rotations_and_permutations():
    x = points(40, 3, seed=3)
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    perm = torch.randperm(40, generator=torch.Generator().manual_seed(0))
    moved = (x @ torch.as_tensor(q).T)[perm]
    for build in (lambda c: radius_graph(c, 1.2), lambda c: knn_graph(c, 5)):
        edges = build(x)
        relabelled = perm[build(moved)]  # back to the original labels
        assert set(map(tuple, relabelled.T.tolist())) == set(map(tuple, edges.T.tolist()))


def test_float32_and_empty_inputs():
    x = points(30, 2, dtype=torch.float32)
    assert torch.equal(radius_graph(x, 1.0), brute_radius(x, 1.0))
    empty = torch.zeros(0, 3)
    assert radius_graph(empty, 1.0).shape == (2, 0) and knn_graph(empty, 2).shape == (2, 0)
    assert radius_graph(points(5), 1e-6).shape == (2, 0)


def test_graph_bad_input():
    x = points(10)
    with pytest.raises(TypeError, match="torch.Tensor"):
        radius_graph(x.numpy(), 1.0)
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        radius_graph(x[:, 0], 1.0)
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        knn_graph(x.long(), 2)
    with pytest.raises(ValueError, match="r must be"):
        radius_graph(x, 0.0)
    with pytest.raises(ValueError, match="max_num_neighbors"):
        radius_graph(x, 1.0, max_num_neighbors=0)
    with pytest.raises(ValueError, match="k must be"):
        knn_graph(x, 0)
    with pytest.raises(ValueError, match="batch must have shape"):
        radius_graph(x, 1.0, batch=torch.zeros(9, dtype=torch.long))
    with pytest.raises(TypeError, match="batch must be"):
        knn_graph(x, 2, batch=torch.zeros(10))
    with pytest.raises(ValueError, match="method must be"):
        radius_graph(x, 1.0, method="ball")


# ---------------------------------------------------------------- scatter
def test_scatter_reductions():
    src = torch.randn(7, 3, dtype=torch.float64)
    index = torch.tensor([0, 2, 2, 4, 0, 2, 4])
    total, mean, top = scatter_sum(src, index, 6), scatter_mean(src, index, 6), scatter_max(src, index, 6)
    for k in range(6):
        rows = src[index == k]
        if rows.numel():
            assert torch.allclose(total[k], rows.sum(0), atol=1e-14, rtol=0)
            assert torch.allclose(mean[k], rows.mean(0), atol=1e-14, rtol=0)
            assert torch.equal(top[k], rows.max(0).values)
        else:  # empty segments give 0
            assert total[k].abs().max() == 0 and mean[k].abs().max() == 0 and top[k].abs().max() == 0
    along1 = scatter_sum(src.T, index, 6, dim=1)
    assert torch.equal(along1, total.T)
    grad_src = src.clone().requires_grad_(True)
    scatter_mean(grad_src, index, 6).sum().backward()
    counts = torch.bincount(index, minlength=6).double()
    assert torch.allclose(grad_src.grad[:, 0], 1 / counts[index])


def test_scatter_bad_input():
    src = torch.randn(4, 2)
    with pytest.raises(ValueError, match="1-D int64"):
        scatter_sum(src, torch.zeros(4), 3)
    with pytest.raises(ValueError, match="index has 3 entries"):
        scatter_mean(src, torch.zeros(3, dtype=torch.long), 3)
    with pytest.raises(ValueError, match="dim_size"):
        scatter_max(src, torch.zeros(4, dtype=torch.long), -1)
    with pytest.raises(TypeError, match="tensors"):
        scatter_sum(src.numpy(), torch.zeros(4, dtype=torch.long), 3)
