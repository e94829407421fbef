"""Clebsch-Gordan decompositions psi_m (x) psi_n = C (+psi_j) C^T, and tensor products.

Sign convention: C comes from :func:`decompose_matrices`, i.e. from a canonical basis of the
intertwiner space (Gram-Schmidt with index-ordered pivots on its projector), so it is the
same in every process. Groups may provide an exact closed form through the hook
``_clebsch_gordan_decomposition(m, n) -> (ids, C)`` (SO(3) does).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._decompose import decompose_matrices
from .representation import Representation

__all__ = [
    "tensor_product_irreps",
    "clebsch_gordan_coeff",
    "clebsch_gordan_decomposition",
    "tensor_product_representation",
]


@lru_cache(maxsize=None)
def _decomposition(group, m: tuple, n: tuple):
    hook = getattr(group, "_clebsch_gordan_decomposition", None)
    result = hook(m, n) if hook is not None else None
    if result is None:
        dm, dn = group._irrep_spec(m).dim, group._irrep_spec(n).dim

        def matrices(internals):
            a = group._irrep_matrices(m, internals)
            b = group._irrep_matrices(n, internals)
            return np.einsum("nij,nkl->nikjl", a, b).reshape(len(internals), dm * dn, dm * dn)

        result = decompose_matrices(group, matrices, dm * dn)
    ids, c = result
    c = np.array(c, dtype=np.float64)
    c.setflags(write=False)
    return tuple(tuple(i) for i in ids), c


def clebsch_gordan_decomposition(group, m: tuple, n: tuple):
    """``(ids, C)``: psi_m(g) kron psi_n(g) = C (+psi_ids(g)) C^T, C orthogonal (a copy)."""
    m = group._irrep_spec(m).id
    n = group._irrep_spec(n).id
    ids, c = _decomposition(group, m, n)
    return list(ids), c.copy()


def tensor_product_irreps(group, m: tuple, n: tuple) -> list[tuple]:
    ids, _ = clebsch_gordan_decomposition(group, m, n)
    out: list[tuple] = []
    for i in ids:
        if out and out[-1][0] == i:
            out[-1] = (i, out[-1][1] + 1)
        elif any(o[0] == i for o in out):
            k = next(k for k, o in enumerate(out) if o[0] == i)
            out[k] = (i, out[k][1] + 1)
        else:
            out.append((i, 1))
    return out


def clebsch_gordan_coeff(group, m: tuple, n: tuple, j: tuple) -> np.ndarray:
    """``(dim_m, dim_n, multiplicity, dim_j)``; empty multiplicity axis if j does not occur."""
    ids, c = clebsch_gordan_decomposition(group, m, n)
    j = group._irrep_spec(j).id
    dm, dn, dj = (group._irrep_spec(i).dim for i in (m, n, j))
    blocks, start = [], 0
    for i in ids:
        d = group._irrep_spec(i).dim
        if i == j:
            blocks.append(c[:, start : start + d])
        start += d
    if not blocks:
        return np.zeros((dm, dn, 0, dj))
    return np.stack(blocks, axis=1).reshape(dm, dn, len(blocks), dj)


def tensor_product_representation(r1: Representation, r2: Representation) -> Representation:
    """rho1 (x) rho2, decomposed into irreps with the Clebsch-Gordan coefficients."""
    if not isinstance(r2, Representation):
        raise TypeError(f"tensor expects a Representation, got {type(r2).__name__}")
    if r1.group != r2.group:
        raise ValueError(f"cannot tensor representations of {r1.group.name} and {r2.group.name}")
    group = r1.group
    n1, n2 = r1.size, r2.size

    def blocks(r):
        out, start = [], 0
        for i in r.irreps:
            d = group._irrep_spec(i).dim
            out.append((i, start, d))
            start += d
        return out

    inner = np.zeros((n1 * n2, n1 * n2))
    irreps: list[tuple] = []
    col = 0
    for i, si, di in blocks(r1):
        for j, sj, dj in blocks(r2):
            ids, c = clebsch_gordan_decomposition(group, i, j)
            rows = ((si + np.arange(di))[:, None] * n2 + (sj + np.arange(dj))[None, :]).reshape(-1)
            inner[rows, col : col + di * dj] = c
            irreps.extend(ids)
            col += di * dj
    q = np.kron(r1.change_of_basis, r2.change_of_basis) @ inner
    supported = set()
    if "pointwise" in r1.supported_nonlinearities and "pointwise" in r2.supported_nonlinearities:
        supported.add("pointwise")
    return Representation(group, f"{r1.name}_x_{r2.name}", irreps, q, supported)
