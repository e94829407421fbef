"""Representations: rho(g) = Q (psi_1(g) + ... + psi_k(g)) Q^T, stored as irreps plus Q."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._linalg import canonical_basis, intertwiner_space
from .element import GroupElement

__all__ = [
    "Representation",
    "IrreducibleRepresentation",
    "directsum",
    "change_basis",
    "disentangle",
    "homomorphism_space",
    "irrep_of",
]

_ORTHO_TOL = 1e-8
_IRREP_NONLINEARITIES = ("norm", "gated")
# 'concatenated' needs signed-permutation matrices: true for every 1-dim (values +-1) irrep and
# for the trivial one, not for a generic irrep of dimension > 1 (e.g. a 45-degree rotation)
_SIGN_IRREP_NONLINEARITIES = ("norm", "gated", "concatenated")
_TRIVIAL_NONLINEARITIES = ("pointwise", "norm", "gated", "gate", "concatenated")


def _normalise_id(group, id) -> tuple:
    if isinstance(id, IrreducibleRepresentation):
        if id.group != group:
            raise ValueError(f"irrep {id.name} belongs to {id.group.name}, not to {group.name}")
        return id.id
    id = id if isinstance(id, tuple) else (id,)
    return group._irrep_spec(id).id


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


class Representation:
    """A real orthogonal representation of a group.

    Args:
        group: the group represented.
        name: a name (used in ``repr`` and by field types).
        irreps: ids of the irreps in the block-diagonal decomposition (order matters).
        change_of_basis: orthogonal ``(size, size)`` matrix Q.
        supported_nonlinearities: names of the nonlinearities this representation supports.
        change_of_basis_inv: ignored unless given; must equal Q^T.
        **attributes: extra named attributes kept on the object (e.g. ``quotient_subgroup``).
    """

    def __init__(
        self,
        group,
        name: str,
        irreps,
        change_of_basis,
        supported_nonlinearities=(),
        change_of_basis_inv=None,
        **attributes,
    ):
        from .group import Group

        if not isinstance(group, Group):
            raise TypeError(f"group must be a steerable.group.Group, got {type(group).__name__}")
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}")
        ids = tuple(_normalise_id(group, i) for i in irreps)
        if len(ids) == 0:
            raise ValueError("a representation needs at least one irrep")
        size = sum(group._irrep_spec(i).dim for i in ids)
        q = np.asarray(change_of_basis, dtype=np.float64)
        if q.shape != (size, size):
            raise ValueError(
                f"change_of_basis must have shape ({size}, {size}) for irreps {list(ids)}, got {q.shape}"
            )
        if not np.allclose(q.T @ q, np.eye(size), atol=_ORTHO_TOL):
            raise ValueError("change_of_basis must be orthogonal (Q^T Q = I)")
        if change_of_basis_inv is not None and not np.allclose(
            np.asarray(change_of_basis_inv), q.T, atol=_ORTHO_TOL
        ):
            raise ValueError("change_of_basis_inv must be the transpose of change_of_basis")
        self._set(group, name, ids, q, size, supported_nonlinearities, attributes)

    def _set(self, group, name, ids, q, size, supported, attributes):
        self._group = group
        self._name = name
        self._irreps = ids
        self._q = _frozen(q)
        self._identity_q = bool(np.array_equal(q, np.eye(size)))
        self._size = size
        self._supported = tuple(sorted(set(supported)))
        self._attributes = dict(attributes)

    @classmethod
    def _trusted(cls, group, name, ids, q, supported=()):
        """Build without re-validating (for Q known to be orthogonal, e.g. block-diagonal)."""
        rep = cls.__new__(cls)
        size = sum(group._irrep_spec(i).dim for i in ids)
        rep._set(group, name, tuple(ids), q, size, supported, {})
        return rep

    # ------------------------------------------------------------------ plain data
    group = property(lambda self: self._group)
    name = property(lambda self: self._name)
    size = property(lambda self: self._size)
    irreps = property(lambda self: list(self._irreps))
    change_of_basis = property(lambda self: self._q)
    change_of_basis_inv = property(lambda self: self._q.T)
    supported_nonlinearities = property(lambda self: set(self._supported))
    attributes = property(lambda self: dict(self._attributes))

    @property
    def irreducible(self) -> bool:
        return len(self._irreps) == 1

    def __getattr__(self, item):
        attributes = self.__dict__.get("_attributes", {})
        if item in attributes:
            return attributes[item]
        raise AttributeError(f"{type(self).__name__} has no attribute {item!r}")

    # ------------------------------------------------------------------ evaluation
    def _block_diagonal(self, internals) -> np.ndarray:
        if len(self._irreps) == 1:
            return self._group._irrep_matrices(self._irreps[0], internals)
        n = len(internals)
        out = np.zeros((n, self._size, self._size))
        cache = {}
        start = 0
        for i in self._irreps:
            if i not in cache:
                cache[i] = self._group._irrep_matrices(i, internals)
            d = cache[i].shape[-1]
            out[:, start : start + d, start : start + d] = cache[i]
            start += d
        return out

    def matrices_internal(self, internals) -> np.ndarray:
        """``(N, size, size)`` matrices at a list of internal element values."""
        blocks = self._block_diagonal(internals)
        if self._identity_q:
            return blocks
        return np.einsum("ij,njk,lk->nil", self._q, blocks, self._q, optimize=True)

    def matrices(self, elements) -> np.ndarray:
        """``(N, size, size)`` matrices at a sequence of group elements (vectorised)."""
        group = self._group
        elements = list(elements)
        if not all(type(g) is GroupElement and g._group is group for g in elements):
            for g in elements:  # slow path: equal (not identical) groups, or an error to raise
                if not (isinstance(g, GroupElement) and g._group == group):
                    group._check_element(g)
        return self.matrices_internal([g._internal for g in elements])

    def __call__(self, element: GroupElement) -> np.ndarray:
        self._group._check_element(element)
        return self.matrices_internal([element._internal])[0]

    def rho(self, element: GroupElement) -> np.ndarray:
        return self(element)

    def character(self, element: GroupElement) -> float:
        self._group._check_element(element)
        return float(np.trace(self._block_diagonal([element._internal])[0]))

    # ------------------------------------------------------------------ algebra
    def __add__(self, other: Representation) -> Representation:
        return directsum([self, other])

    def tensor(self, other: Representation) -> Representation:
        from .clebsch_gordan import tensor_product_representation

        return tensor_product_representation(self, other)

    def restrict(self, id) -> Representation:
        return self._group.restrict_representation(id, self)

    def endomorphism_basis(self) -> np.ndarray:
        """``(k, size, size)`` orthonormal basis of the matrices commuting with rho."""
        return homomorphism_space(self, self)

    def multiplicity(self, irrep) -> int:
        irrep = _normalise_id(self._group, irrep)
        return sum(1 for i in self._irreps if i == irrep)

    def is_trivial(self) -> bool:
        triv = self._group.trivial_representation.id
        return all(i == triv for i in self._irreps)

    def contains_trivial(self) -> bool:
        triv = self._group.trivial_representation.id
        return any(i == triv for i in self._irreps)

    # ------------------------------------------------------------------ value semantics
    def __eq__(self, other) -> bool:
        if not isinstance(other, Representation):
            return NotImplemented
        return (
            self._group == other._group
            and self._name == other._name
            and self._irreps == other._irreps
            and np.allclose(self._q, other._q, atol=1e-9)
        )

    def __hash__(self) -> int:
        return hash((self._group, self._name, self._irreps))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self  # an immutable value

    def __repr__(self) -> str:
        return f"{self._group.name}|[{self._name}]:{self._size}"


class IrreducibleRepresentation(Representation):
    """An irrep of a group; build it with ``group.irrep(*id)``.

    ``type`` is 'R', 'C' or 'H' (its endomorphisms form the reals, complexes or quaternions).
    """

    def __init__(self, group, id: tuple):
        spec = group._irrep_spec(id)
        trivial = spec.id == group._irrep_ids(0)[0]
        super().__init__(
            group,
            spec.name,
            [spec.id],
            np.eye(spec.dim),
            _TRIVIAL_NONLINEARITIES
            if trivial
            else (_SIGN_IRREP_NONLINEARITIES if spec.dim == 1 else _IRREP_NONLINEARITIES),
        )
        self._id = spec.id
        self._type = spec.type
        self._frequency = spec.frequency

    def __reduce__(self):
        return (irrep_of, (self._group, self._id))

    id = property(lambda self: self._id)
    type = property(lambda self: self._type)
    frequency = property(lambda self: self._frequency)

    @property
    def sum_of_squares_constituents(self) -> int:
        return {"R": 1, "C": 2, "H": 4}[self._type]

    def endomorphism_basis(self) -> np.ndarray:
        """``(s, d, d)``: the identity, then canonical orthogonal complex structures J
        (J^T = -J, J^2 = -I): one for type 'C', three for type 'H'."""
        return _irrep_endomorphisms(self._group, self._id)


@lru_cache(maxsize=None)
def irrep_of(group, id: tuple) -> IrreducibleRepresentation:
    return IrreducibleRepresentation(group, id)


@lru_cache(maxsize=None)
def _irrep_endomorphisms_cached(group, id: tuple) -> np.ndarray:
    irrep = irrep_of(group, id)
    d = irrep.size
    s = irrep.sum_of_squares_constituents
    if s == 1:
        return np.eye(d)[None]
    gens = group._generator_internals()
    mats = group._irrep_matrices(id, gens)
    basis = intertwiner_space(mats, mats)
    if basis.shape[0] != s:
        raise ArithmeticError(
            f"irrep {irrep.name} of type {irrep.type} has {basis.shape[0]} endomorphisms, expected {s}"
        )
    anti = 0.5 * (basis - basis.transpose(0, 2, 1)).reshape(s, d * d)
    u, sv, _ = np.linalg.svd(anti.T, full_matrices=False)
    u = u[:, : s - 1]
    structures = canonical_basis(u @ u.T, s - 1).T.reshape(s - 1, d, d) * np.sqrt(d)
    return np.concatenate([np.eye(d)[None], structures], axis=0)


def _irrep_endomorphisms(group, id: tuple) -> np.ndarray:
    return _irrep_endomorphisms_cached(group, id).copy()


def directsum(reprs, change_of_basis=None, name: str | None = None) -> Representation:
    """Direct sum of representations of one group, optionally followed by a change of basis."""
    reprs = list(reprs)
    if not reprs:
        raise ValueError("directsum needs at least one representation")
    for r in reprs:
        if not isinstance(r, Representation):
            raise TypeError(f"directsum takes Representations, got {type(r).__name__}")
    group = reprs[0].group
    for r in reprs[1:]:
        if r.group != group:
            raise ValueError(
                f"cannot sum representations of different groups: {group.name} and {r.group.name}"
            )
    size = sum(r.size for r in reprs)
    q = np.zeros((size, size))
    start = 0
    irreps = []
    for r in reprs:
        q[start : start + r.size, start : start + r.size] = r.change_of_basis
        irreps.extend(r.irreps)
        start += r.size
    if change_of_basis is not None:
        change_of_basis = np.asarray(change_of_basis, dtype=np.float64)
        if change_of_basis.shape != (size, size):
            raise ValueError(f"change_of_basis must be ({size}, {size}), got {change_of_basis.shape}")
        q = change_of_basis @ q
    supported = set.intersection(*[r.supported_nonlinearities for r in reprs])
    if change_of_basis is not None:  # a new basis is no longer a (signed) permutation basis
        supported.discard("pointwise")
        supported.discard("concatenated")
    if name is None:
        name = "_".join(r.name for r in reprs) if len(reprs) < 8 else f"directsum{len(reprs)}"
    if change_of_basis is None:  # block-diagonal of orthogonal blocks: orthogonal
        return Representation._trusted(group, name, irreps, q, supported)
    return Representation(group, name, irreps, q, supported)


def change_basis(repr: Representation, change_of_basis, name: str, supported_nonlinearities=None):
    """The representation Q' rho Q'^T for an orthogonal ``change_of_basis`` Q'."""
    if not isinstance(repr, Representation):
        raise TypeError(f"change_basis takes a Representation, got {type(repr).__name__}")
    change_of_basis = np.asarray(change_of_basis, dtype=np.float64)
    if change_of_basis.shape != (repr.size, repr.size):
        raise ValueError(f"change_of_basis must be ({repr.size}, {repr.size}), got {change_of_basis.shape}")
    supported = () if supported_nonlinearities is None else supported_nonlinearities
    return Representation(repr.group, name, repr.irreps, change_of_basis @ repr.change_of_basis, supported)


def disentangle(repr: Representation):
    """Split a representation into the finest direct sum that needs no change of basis across
    blocks. Returns ``(permutation, reprs)`` with ``rho(g)[perm][:, perm] = directsum(reprs)(g)``.
    """
    q = repr.change_of_basis
    dims = [repr.group._irrep_spec(i).dim for i in repr.irreps]
    starts = np.cumsum([0] + dims)
    n_blocks = len(dims)
    # union-find over irrep blocks linked through shared rows of Q
    parent = list(range(n_blocks))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    support = np.abs(q) > 1e-12
    block_rows = [np.flatnonzero(support[:, starts[b] : starts[b + 1]].any(axis=1)) for b in range(n_blocks)]
    row_owner = {}
    for b, rows in enumerate(block_rows):
        for r in rows:
            if r in row_owner:
                parent[find(b)] = find(row_owner[r])
            else:
                row_owner[r] = b
    components: dict[int, list[int]] = {}
    for b in range(n_blocks):
        components.setdefault(find(b), []).append(b)
    ordered = sorted(components.values(), key=lambda blocks: min(block_rows[blocks[0]]))
    permutation, reprs = [], []
    for k, blocks in enumerate(ordered):
        rows = sorted(set(np.concatenate([block_rows[b] for b in blocks]).tolist()))
        cols = np.concatenate([np.arange(starts[b], starts[b + 1]) for b in blocks])
        sub_q = q[np.ix_(rows, cols)]
        reprs.append(
            Representation(
                repr.group,
                f"{repr.name}_{k}" if len(ordered) > 1 else repr.name,
                [repr.irreps[b] for b in blocks],
                sub_q,
                repr.supported_nonlinearities if len(ordered) == 1 else (),
            )
        )
        permutation.extend(rows)
    return np.array(permutation), reprs


def homomorphism_space(rho1: Representation, rho2: Representation) -> np.ndarray:
    """``(k, rho2.size, rho1.size)`` orthonormal basis of the equivariant maps rho1 -> rho2.

    Built block by block from the irreps' endomorphisms (Schur's lemma), never by solving
    the ``size^2``-dimensional linear system.
    """
    if not isinstance(rho1, Representation) or not isinstance(rho2, Representation):
        raise TypeError("homomorphism_space takes two Representations")
    if rho1.group != rho2.group:
        raise ValueError(f"representations of different groups: {rho1.group.name} and {rho2.group.name}")
    group = rho1.group

    def blocks(rho):
        out, start = [], 0
        for i in rho.irreps:
            d = group._irrep_spec(i).dim
            out.append((i, slice(start, start + d)))
            start += d
        return out

    basis = []
    for id_out, rows in blocks(rho2):
        for id_in, cols in blocks(rho1):
            if id_out != id_in:
                continue
            endos = _irrep_endomorphisms_cached(group, id_out)
            d = endos.shape[-1]
            for e in endos:
                basis.append(rho2.change_of_basis[:, rows] @ e @ rho1.change_of_basis[:, cols].T / np.sqrt(d))
    if not basis:
        return np.zeros((0, rho2.size, rho1.size))
    return np.stack(basis)
