"""Deterministic linear algebra used by the whole theory stack.

Every basis that comes out of an SVD or an eigendecomposition depends on LAPACK's sign and
rotation choices. We never use such a basis directly: we form the orthogonal projector onto the
subspace (which is basis independent) and read a canonical orthonormal basis off its columns.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "canonical_basis",
    "null_space_projector",
    "invariant_subspace",
    "intertwiner_space",
]

# Relative threshold on singular values below which a direction is considered null.
NULL_TOL = 1e-7


def canonical_basis(projector: np.ndarray, rank: int | None = None) -> np.ndarray:
    """An orthonormal basis of the image of an orthogonal projector, chosen canonically.

    Gram-Schmidt on the projector's columns; at each step the pivot is the first column (in
    index order) whose residual norm is within a factor (1 - 1e-6) of the largest residual
    norm, so ties are broken by index and never by rounding noise.

    Args:
        projector: ``(n, n)`` symmetric idempotent matrix.
        rank: its rank, if known (otherwise the trace, rounded).

    Returns:
        ``(n, rank)`` matrix with orthonormal columns spanning the projector's image.
    """
    projector = np.asarray(projector, dtype=np.float64)
    n = projector.shape[0]
    if rank is None:
        rank = int(round(float(np.trace(projector))))
    basis = np.zeros((n, rank))
    residual = projector.copy()
    for k in range(rank):
        norms = np.sqrt(np.einsum("ij,ij->j", residual, residual))
        top = norms.max()
        if top < 1e-6:
            raise np.linalg.LinAlgError("canonical_basis: projector rank lower than expected")
        pivot = int(np.argmax(norms >= top * (1.0 - 1e-6)))  # the first such column
        v = residual[:, pivot] / norms[pivot]
        # re-orthogonalise once against the previous vectors for numerical stability
        v = v - basis[:, :k] @ (basis[:, :k].T @ v)
        v /= np.sqrt(v @ v)
        basis[:, k] = v
        residual -= v[:, None] * (v @ residual)[None, :]
    return basis


def null_space_projector(constraints: np.ndarray, tol: float = NULL_TOL) -> tuple[np.ndarray, int]:
    """Orthogonal projector onto the null space of ``constraints`` (``(m, n)``) and its rank."""
    constraints = np.asarray(constraints, dtype=np.float64)
    n = constraints.shape[1]
    if constraints.shape[0] == 0:
        return np.eye(n), n
    _, s, vt = np.linalg.svd(constraints, full_matrices=True)
    scale = max(1.0, float(s[0]) if s.size else 1.0)
    rank = int(np.sum(s > tol * scale))
    null = vt[rank:]
    return null.T @ null, n - rank


def invariant_subspace(matrices: np.ndarray, tol: float = NULL_TOL) -> np.ndarray:
    """Canonical orthonormal basis of the common fixed space of ``matrices`` (``(k, n, n)``).

    For a finite group pass its generators; for a compact group a set of topological
    generators (elements generating a dense subgroup). Returns ``(n, dim)``.
    """
    matrices = np.asarray(matrices, dtype=np.float64)
    k, n, _ = matrices.shape
    constraints = (matrices - np.eye(n)[None]).reshape(k * n, n)
    projector, rank = null_space_projector(constraints, tol)
    if rank == 0:
        return np.zeros((n, 0))
    return canonical_basis(projector, rank)


def intertwiner_space(rho_out: np.ndarray, rho_in: np.ndarray, tol: float = NULL_TOL) -> np.ndarray:
    """Canonical basis of {X : rho_out(g) X = X rho_in(g) for the given elements}.

    Args:
        rho_out: ``(k, m, m)`` matrices of the output representation at k group elements.
        rho_in: ``(k, n, n)`` matrices of the input representation at the same elements.

    Returns:
        ``(dim, m, n)`` orthonormal (Frobenius) basis of intertwiners.
    """
    rho_out = np.asarray(rho_out, dtype=np.float64)
    rho_in = np.asarray(rho_in, dtype=np.float64)
    k, m, _ = rho_out.shape
    n = rho_in.shape[1]
    # vec(A X B) = (A kron B^T) vec(X) with row-major vec
    eye_m, eye_n = np.eye(m), np.eye(n)
    blocks = [np.kron(rho_out[i], eye_n) - np.kron(eye_m, rho_in[i].T) for i in range(k)]
    constraints = np.concatenate(blocks, axis=0)
    projector, rank = null_space_projector(constraints, tol)
    if rank == 0:
        return np.zeros((0, m, n))
    return canonical_basis(projector, rank).T.reshape(rank, m, n)
