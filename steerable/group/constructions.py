"""Representations every group can build: regular, quotient, induced, spectral (band-limited)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._decompose import decompose_matrices
from .representation import Representation
from .restriction import restrict_irrep
from .subgroups import subgroup_data, subgroup_key

__all__ = [
    "regular_representation",
    "quotient_representation",
    "induced_representation",
    "spectral_regular_representation",
    "spectral_quotient_representation",
    "coset_representatives",
    "representation_from_matrices",
]

_PERMUTATION_NONLINEARITIES = ("pointwise", "norm", "gated", "concatenated")
_INDUCED_NONLINEARITIES = ("induced_norm", "induced_gated")


def _require_finite(group, what: str):
    if group.continuous:
        raise ValueError(
            f"{group.name} is infinite: it has no finite {what}; use the band-limited "
            f"version (e.g. bl_regular_representation(L)) instead"
        )


@lru_cache(maxsize=None)
def _cayley_table(group) -> np.ndarray:
    """``table[i, j]`` = index of elements[i] @ elements[j] (finite groups)."""
    elems = list(group._element_internals())
    index = {x: i for i, x in enumerate(elems)}
    table = np.array([[index[group._compose(g, h)] for h in elems] for g in elems], dtype=np.int64)
    table.setflags(write=False)
    return table


@lru_cache(maxsize=None)
def _regular(group) -> Representation:
    _require_finite(group, "regular representation")
    elems = list(group._element_internals())
    index = {x: i for i, x in enumerate(elems)}
    table = _cayley_table(group)
    n = len(elems)

    def matrices(internals):
        rows = table[[index[g] for g in internals]]  # (N, n): where each h is sent
        out = np.zeros((len(internals), n, n))
        out[np.arange(len(internals))[:, None], rows, np.arange(n)[None, :]] = 1.0
        return out

    ids, q = decompose_matrices(group, matrices, n)
    from .cyclic import CyclicGroup

    # the regular fields of C_N (N >= 2) are orientation responses: VectorFieldNonLinearity
    vector = ("vectorfield",) if isinstance(group, CyclicGroup) and n >= 2 else ()
    return Representation(group, "regular", ids, q, _PERMUTATION_NONLINEARITIES + vector)


def regular_representation(group) -> Representation:
    """The regular representation of a finite group (permutation of the group's elements)."""
    return _regular(group)


@lru_cache(maxsize=None)
def _coset_representatives(group, key) -> tuple:
    sub, include, restrict = subgroup_data(group, key)
    if not group.continuous:
        sub_elems = [include(h) for h in sub._element_internals()]
        seen, reps = set(), []
        for x in group._element_internals():
            if x in seen:
                continue
            reps.append(x)
            seen.update(group._compose(x, h) for h in sub_elems)
        return tuple(reps)
    reps = group._coset_representatives(key)
    if reps is None:
        raise ValueError(
            f"subgroup {key!r} has infinite index in {group.name}: its quotient and induced "
            f"representations are infinite-dimensional; use the band-limited versions"
        )
    return tuple(reps)


def coset_representatives(group, id) -> list:
    """Internal values of one representative per left coset gH (finite index only)."""
    return list(_coset_representatives(group, subgroup_key(id)))


def _in_subgroup(restrict, x):
    try:
        return restrict(x)
    except ValueError:
        return None


@lru_cache(maxsize=None)
def _induced(group, key, repr: Representation) -> Representation:
    sub, _, restrict = subgroup_data(group, key)
    if repr.group != sub:
        raise ValueError(
            f"induced_representation needs a representation of the subgroup {sub.name}, "
            f"got one of {repr.group.name}"
        )
    reps = _coset_representatives(group, key)
    k, d = len(reps), repr.size
    inverses = [group._invert(r) for r in reps]

    def matrices(internals):
        out = np.zeros((len(internals), k * d, k * d))
        for n, g in enumerate(internals):
            for j, rj in enumerate(reps):
                grj = group._compose(g, rj)
                for i, ri_inv in enumerate(inverses):
                    h = _in_subgroup(restrict, group._compose(ri_inv, grj))
                    if h is not None:
                        out[n, i * d : (i + 1) * d, j * d : (j + 1) * d] = repr.matrices_internal([h])[0]
                        break
        return out

    ids, q = decompose_matrices(group, matrices, k * d)
    supported = _PERMUTATION_NONLINEARITIES if repr.is_trivial() and d == 1 else ("norm", "gated")
    name = f"induced[{key}]({repr.name})"
    # the channels are k blocks of size d (one per coset, in the order of the coset
    # representatives), permuted by G and acted on inside by repr: the induced_* modules use this
    return Representation(
        group,
        name,
        ids,
        q,
        supported + _INDUCED_NONLINEARITIES,
        quotient_subgroup_id=key if repr.is_trivial() else None,
        induced_subgroup_id=key,
        induced_repr=repr,
    )


def induced_representation(group, id, repr: Representation) -> Representation:
    """Ind_H^G of a representation of the subgroup H = ``group.subgroup(id)[0]`` (finite index)."""
    if not isinstance(repr, Representation):
        raise TypeError(f"expected a Representation of the subgroup, got {type(repr).__name__}")
    return _induced(group, subgroup_key(id), repr)


def quotient_representation(group, id) -> Representation:
    """The permutation representation on the cosets G/H (finite index)."""
    key = subgroup_key(id)
    sub, _, _ = subgroup_data(group, key)
    ind = _induced(group, key, sub.trivial_representation)
    return Representation(
        group,
        f"quotient[{key}]",
        ind.irreps,
        ind.change_of_basis,
        _PERMUTATION_NONLINEARITIES + _INDUCED_NONLINEARITIES,
        quotient_subgroup_id=key,
        induced_subgroup_id=key,
        induced_repr=sub.trivial_representation,
    )


def _as_irrep_ids(group, irreps) -> list[tuple]:
    from .group import _as_id

    ids = [group._irrep_spec(_as_id(i)).id for i in irreps]
    if not ids:
        raise ValueError("at least one irrep is required")
    return ids


def spectral_regular_representation(group, *irreps, name: str | None = None) -> Representation:
    """The regular representation restricted to the given irreps, in the Fourier basis:
    each irrep psi repeated dim(psi)/s times (s = 1, 2, 4 for types R, C, H); Q = I."""
    ids = _as_irrep_ids(group, irreps)
    expanded = []
    for i in ids:
        spec = group._irrep_spec(i)
        expanded.extend([i] * (spec.dim // spec.sum_of_squares_constituents))
    size = sum(group._irrep_spec(i).dim for i in expanded)
    name = name or "spectral_regular"
    return Representation(group, name, expanded, np.eye(size), ("norm", "gated"), spectral_irreps=tuple(ids))


def spectral_quotient_representation(group, id, *irreps, name: str | None = None) -> Representation:
    """The quotient representation L^2(G/H) restricted to the given irreps (Fourier basis):
    each psi repeated dim(psi^H)/s times, where psi^H are the H-invariant vectors."""
    ids = _as_irrep_ids(group, irreps)
    sub, _, _ = subgroup_data(group, id)
    trivial = sub.trivial_representation.id
    expanded = []
    for i in ids:
        spec = group._irrep_spec(i)
        _, res, _ = restrict_irrep(group, id, i)
        invariants = sum(1 for r in res if r == trivial)
        expanded.extend([i] * (invariants // spec.sum_of_squares_constituents))
    if not expanded:
        raise ValueError(
            f"none of the irreps {ids} of {group.name} has vectors invariant under subgroup {id!r}"
        )
    size = sum(group._irrep_spec(i).dim for i in expanded)
    name = name or f"spectral_quotient[{subgroup_key(id)}]"
    return Representation(
        group,
        name,
        expanded,
        np.eye(size),
        ("norm", "gated"),
        spectral_irreps=tuple(ids),
        quotient_subgroup_id=subgroup_key(id),
    )


def representation_from_matrices(group, matrices, name: str = "user", supported_nonlinearities=()):
    """Decompose a user-given orthogonal representation into the group's irreps.

    Args:
        group: the group.
        matrices: a callable ``GroupElement -> (n, n) array``, or (finite groups) a dict from
            every element to its matrix.
        name: the name of the resulting representation.

    Returns:
        A :class:`Representation` whose ``rho(g)`` equals the given matrices.

    Raises:
        ValueError: if the matrices are not an orthogonal representation of ``group`` (for a
        finite group the homomorphism property is checked on all pairs of generators and
        elements), or a dict misses elements.
    """
    from .element import GroupElement

    if isinstance(matrices, dict):
        if group.continuous:
            raise ValueError(f"{group.name} is infinite: pass a callable, not a dict of matrices")
        table = {g: np.asarray(m, dtype=np.float64) for g, m in matrices.items()}
        missing = [g for g in group.elements if g not in table]
        if missing:
            raise ValueError(f"the dict of matrices misses {len(missing)} elements, e.g. {missing[0]}")

        def evaluate(g):
            return table[g]
    elif callable(matrices):
        evaluate = matrices
    else:
        raise TypeError("matrices must be a callable GroupElement -> array or a dict")

    probe = np.asarray(evaluate(group.identity), dtype=np.float64)
    if probe.ndim != 2 or probe.shape[0] != probe.shape[1]:
        raise ValueError(f"expected square matrices, got shape {probe.shape}")
    n = probe.shape[0]

    def batch(internals):
        return np.stack([np.asarray(evaluate(GroupElement(group, x)), dtype=np.float64) for x in internals])

    if not group.continuous:
        elements = group._element_internals()
        mats = dict(zip(elements, batch(elements)))
        for s in group._generator_internals():
            for x in elements:
                if not np.allclose(mats[s] @ mats[x], mats[group._compose(s, x)], atol=1e-8):
                    raise ValueError("the matrices are not a representation: rho(s) rho(g) != rho(sg)")
    ids, q = decompose_matrices(group, batch, n)
    rep = Representation(group, name, ids, q, supported_nonlinearities)
    for x in group._testing_internals():
        if not np.allclose(rep.matrices_internal([x])[0], batch([x])[0], atol=1e-8):
            raise ValueError("the matrices are not a representation of this group")
    return rep
