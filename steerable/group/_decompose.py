"""Decompose a representation given only by its matrices into the group's irreps.

Finite groups use group averages only (matrix products, no SVD): for an irrep psi of
dimension d the operators E^{a1} = (d / |G|) sum_g psi(g)_{a1} rho(g) map the first basis
vector of each copy of psi to its a-th one. A copy is X = [E^{a1} v]_a with v the canonical
first column of the (remaining) projector E^{11}; its span is then removed from E^{11} (both
commute with rho) before the next copy is chosen. For types C and H this picks one of the
copies X (alpha I + beta J), still an orthonormal intertwiner. Small LAPACK calls are slow
under a contended multi-threaded BLAS, so this path matters for regular representations.

Compact groups solve for intertwiners at topological generators (a small SVD per candidate
irrep, scanned by increasing frequency).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from ._linalg import canonical_basis, intertwiner_space

__all__ = ["decompose_matrices"]

# No representation this library builds needs frequencies beyond this.
MAX_FREQUENCY_SCANNED = 256


def decompose_matrices(group, matrices: Callable, size: int, candidates=None):
    """Find irreps and an orthogonal Q with rho(g) = Q (+psi_i(g)) Q^T.

    Args:
        group: the group.
        matrices: function from a list of internal element values to ``(N, size, size)``.
        size: the representation's dimension.
        candidates: optional iterable of irrep ids to try (compact groups; default: all, by
            increasing frequency).

    Returns:
        ``(irrep ids, Q)``, deterministic (canonical choices, no LAPACK-dependent bases).

    Raises:
        ValueError: if the matrices are not an orthogonal representation of the group.
    """
    gens = group._generator_internals()
    rho_gens = matrices(gens)
    if not _close(np.einsum("nij,nkj->nik", rho_gens, rho_gens), np.eye(size)[None], 1e-8):
        raise ValueError("the matrices are not orthogonal: not an orthogonal representation")
    if group.continuous:
        ids, columns = _compact_copies(group, rho_gens, size, candidates)
    else:
        ids, columns = _finite_copies(group, matrices, size)
    found = sum(c.shape[1] for c in columns)
    if found != size:
        raise ValueError(
            f"could not decompose a representation of size {size} of {group.name} into irreps "
            f"(found {found} dimensions); is it an orthogonal representation of this group?"
        )
    q = np.concatenate(columns, axis=1)
    if not _close(q.T @ q, np.eye(size), 1e-7):
        raise ValueError(f"could not decompose a representation of {group.name}: not orthogonal")
    q = 1.5 * q - 0.5 * q @ (q.T @ q)  # one Newton-Schulz step: orthogonal to rounding
    blocks = np.zeros_like(rho_gens)
    start = 0
    for i in ids:
        d = group._irrep_spec(i).dim
        blocks[:, start : start + d, start : start + d] = group._irrep_matrices(i, gens)
        start += d
    if not _close(rho_gens @ q, q @ blocks, 1e-7):
        raise ValueError(f"the matrices are not a representation of {group.name}")
    return ids, q


def _close(a, b, atol: float) -> bool:
    """max |a - b| <= atol (np.allclose's overhead dominates on these small arrays)."""
    return float(np.max(np.abs(a - b))) <= atol


@lru_cache(maxsize=None)
def _irrep_table(group, id: tuple) -> np.ndarray:
    """An irrep's matrices at every element of a finite group (read-only, cached)."""
    table = np.array(group._irrep_matrices(id, group._element_internals()), dtype=np.float64)
    table.setflags(write=False)
    return table


def _finite_copies(group, matrices, size):
    elements = group._element_internals()
    order = len(elements)
    rho = matrices(elements)
    chi = np.trace(rho, axis1=1, axis2=2)
    ids, columns = [], []
    for j in group._irrep_ids(None):
        spec = group._irrep_spec(j)
        psi = _irrep_table(group, spec.id)
        mult = float(chi @ np.trace(psi, axis1=1, axis2=2)) / (order * spec.sum_of_squares_constituents)
        if abs(mult - round(mult)) > 1e-6:
            raise ValueError(
                f"non-integral multiplicity {mult:.4f} of irrep {j} of {group.name}: not a representation"
            )
        for_copies = int(round(mult))
        if for_copies == 0:
            continue
        lift = (spec.dim / order) * np.einsum("ga,gij->aij", psi[:, :, 0], rho)  # E^{a1}
        residual = lift[0]
        for _ in range(for_copies):
            try:
                v = canonical_basis(residual, 1)[:, 0]
            except np.linalg.LinAlgError as err:
                raise ValueError(f"not an orthogonal representation of {group.name}") from err
            x = np.einsum("aij,j->ia", lift, v)  # (size, d)
            residual = residual - x @ (x.T @ residual)
            ids.append(spec.id)
            columns.append(x)
    return ids, columns


def _compact_copies(group, rho_gens, size, candidates):
    gens = group._generator_internals()
    ids, columns = [], []
    found = 0
    source = group._all_irrep_ids() if candidates is None else iter(candidates)
    for id in source:
        if found == size:
            break
        spec = group._irrep_spec(id)
        if spec.frequency > MAX_FREQUENCY_SCANNED:
            break
        if spec.dim > size - found:
            continue
        xs = intertwiner_space(rho_gens, group._irrep_matrices(spec.id, gens))  # (k, size, d)
        copies: list[np.ndarray] = []
        for x in xs:
            if copies:
                basis = np.concatenate(copies, axis=1)
                x = x - basis @ (basis.T @ x)
            scale = np.trace(x.T @ x) / spec.dim
            if scale < 1e-8:
                continue
            copies.append(x / np.sqrt(scale))
        ids.extend([spec.id] * len(copies))
        columns.extend(copies)
        found += spec.dim * len(copies)
    return ids, columns
