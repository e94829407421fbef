"""The public test kit: tolerances, elements to test with, and assertions of equivariance.

Use it in your own tests the way ``torch.testing`` is used::

    from steerable import testing
    testing.assert_homomorphism(G.irrep(2))
    testing.assert_intertwiner(C, rho_out, rho_in)

Tolerances are per dtype: exact transformations must hold to rounding (``EXACT_TOL``);
approximate ones (interpolation, finite sampling grids) take an explicit ``atol`` and the
caller says why.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EXACT_TOL",
    "tolerance",
    "testing_elements",
    "random_elements",
    "assert_homomorphism",
    "assert_orthogonal",
    "assert_intertwiner",
    "assert_allclose",
]

# Errors of exact identities computed in float64 / float32 stay below these.
EXACT_TOL = {"float64": 1e-9, "float32": 1e-4, "bfloat16": 5e-2, "float16": 1e-2}


def tolerance(dtype) -> float:
    """The exact-identity tolerance for a numpy/torch dtype or its name."""
    name = str(dtype).replace("torch.", "")
    if name not in EXACT_TOL:
        raise ValueError(f"no tolerance for dtype {dtype!r}; known: {sorted(EXACT_TOL)}")
    return EXACT_TOL[name]


def testing_elements(group) -> list:
    """The group's testing elements as a list."""
    return list(group.testing_elements())


def random_elements(group, n: int = 8, seed: int = 0) -> list:
    """``n`` Haar-random elements from a fixed seed (reproducible)."""
    rng = np.random.default_rng(seed)
    return [group.sample(rng) for _ in range(n)]


def assert_allclose(actual, expected, atol: float, what: str = "values") -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape} != expected {expected.shape}")
    err = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    if not err <= atol:
        raise AssertionError(f"{what}: max abs error {err:.3e} > {atol:.1e}")


def _elements(rep, elements):
    if elements is None:
        elements = testing_elements(rep.group) + random_elements(rep.group, 4)
    return list(elements)


def assert_homomorphism(rep, elements=None, atol: float = EXACT_TOL["float64"]) -> None:
    """rho(a) rho(b) = rho(ab), rho(e) = I and rho(a^-1) = rho(a)^T on pairs of elements."""
    elements = _elements(rep, elements)
    mats = rep.matrices(elements)
    assert_allclose(rep(rep.group.identity), np.eye(rep.size), atol, f"{rep}: rho(identity)")
    products = [a @ b for a in elements for b in elements]
    expected = rep.matrices(products)
    actual = np.einsum("aij,bjk->abik", mats, mats).reshape(expected.shape)
    assert_allclose(actual, expected, atol, f"{rep}: rho(a) rho(b) vs rho(ab)")
    inverses = rep.matrices([~a for a in elements])
    assert_allclose(inverses, mats.transpose(0, 2, 1), atol, f"{rep}: rho(a^-1) vs rho(a)^T")


def assert_orthogonal(rep, elements=None, atol: float = EXACT_TOL["float64"]) -> None:
    """rho(g)^T rho(g) = I."""
    mats = rep.matrices(_elements(rep, elements))
    gram = np.einsum("nji,njk->nik", mats, mats)
    assert_allclose(gram, np.broadcast_to(np.eye(rep.size), gram.shape), atol, f"{rep}: orthogonality")


def assert_intertwiner(matrix, rho_out, rho_in, elements=None, atol: float = EXACT_TOL["float64"]) -> None:
    """rho_out(g) M = M rho_in(g) for the elements (default: testing + random)."""
    matrix = np.asarray(matrix)
    if matrix.shape != (rho_out.size, rho_in.size):
        raise AssertionError(f"intertwiner shape {matrix.shape} != ({rho_out.size}, {rho_in.size})")
    elements = _elements(rho_in, elements)
    left = rho_out.matrices(elements) @ matrix
    right = matrix @ rho_in.matrices(elements)
    assert_allclose(left, right, atol, f"intertwiner {rho_in} -> {rho_out}")
