"""Decompose a representation given only by its matrices into the group's irreps."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._linalg import intertwiner_space

__all__ = ["decompose_matrices"]

# For compact groups the candidate irreps are scanned by increasing frequency; no
# representation this library builds needs frequencies beyond this.
MAX_FREQUENCY_SCANNED = 256


def decompose_matrices(group, matrices: Callable, size: int, candidates=None):
    """Find irreps and an orthogonal Q with rho(g) = Q (+psi_i(g)) Q^T.

    Args:
        group: the group.
        matrices: function from a list of internal element values to ``(N, size, size)``.
        size: the representation's dimension.
        candidates: optional iterable of irrep ids to try (default: all, by frequency).

    Returns:
        ``(irrep ids, Q)``. Deterministic: copies of an irrep are read off a canonical basis
        of the intertwiner space.

    Raises:
        ValueError: if the matrices do not form an orthogonal representation that decomposes
        into the candidate irreps.
    """
    gens = group._generator_internals()
    rho = matrices(gens)
    if not np.allclose(np.einsum("nij,nkj->nik", rho, rho), np.eye(size)[None], atol=1e-8):
        raise ValueError("the matrices are not orthogonal: not an orthogonal representation")
    ids: list[tuple] = []
    columns: list[np.ndarray] = []
    found = 0
    source = group._all_irrep_ids() if candidates is None else iter(candidates)
    for id in source:
        if found == size:
            break
        spec = group._irrep_spec(id)
        if group.continuous and spec.frequency > MAX_FREQUENCY_SCANNED:
            break
        if spec.dim > size - found:
            continue
        psi = group._irrep_matrices(spec.id, gens)
        xs = intertwiner_space(rho, psi)  # (k, size, d)
        copies: list[np.ndarray] = []
        for x in xs:
            if copies:
                basis = np.concatenate(copies, axis=1)
                x = x - basis @ (basis.T @ x)
            scale = np.trace(x.T @ x) / spec.dim
            if scale < 1e-8:
                continue
            x = x / np.sqrt(scale)
            copies.append(x)
        for c in copies:
            ids.append(spec.id)
            columns.append(c)
        found += spec.dim * len(copies)
    if found != size:
        raise ValueError(
            f"could not decompose a representation of size {size} of {group.name} into irreps "
            f"(found {found} dimensions); is it an orthogonal representation of this group?"
        )
    q = np.concatenate(columns, axis=1)
    if not np.allclose(q.T @ q, np.eye(size), atol=1e-7):
        raise ArithmeticError("decomposition produced a non-orthogonal change of basis")
    # polish orthogonality to rounding level (symmetric orthogonalisation keeps determinism)
    u, _, vt = np.linalg.svd(q)
    q = u @ vt
    return ids, q
