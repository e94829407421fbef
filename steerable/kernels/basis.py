"""Kernel bases as plain data: block-sparse by irrep pair, attributes as arrays.

A :class:`SteerableKernelBasis` between representations rho_in = Q_in (+psi_j) Q_in^T and
rho_out = Q_out (+psi_i) Q_out^T is stored per *distinct* irrep pair (psi_i, psi_j): one
small coefficient tensor per (ring, harmonic order), shared by every block position with that
pair. A dense ``(points, dim, out, in)`` tensor is only built by :meth:`sample`, on request.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .harmonics import harmonics, unit_directions
from .radial import GaussianRadialProfile
from .solver import Embedding, irrep_pair_coefficients, irrep_pair_coefficients_upto

__all__ = ["EmptyBasisException", "KernelBasis", "SteerableKernelBasis", "PairBasis"]


class EmptyBasisException(ValueError):
    """Raised when the requested equivariant kernel space is empty."""


class KernelBasis:
    """A finite basis of matrix-valued functions on R^d: ``sample(points) -> (N, dim, out, in)``."""

    dim: int
    shape: tuple

    def __len__(self) -> int:
        return self.dim

    def sample(self, points) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class PairBasis:
    """The basis for one irrep pair: elements enumerated ring-major, then order J, then copy.

    ``ring``, ``order``, ``copy`` are ``(n,)`` arrays; ``coefficients[J]`` is the
    ``(k_J, d_out, d_in, dim_J)`` tensor of the order-J coefficients.
    """

    out_id: tuple
    in_id: tuple
    ring: np.ndarray
    order: np.ndarray
    copy: np.ndarray
    coefficients: dict
    d_out: int = 0
    d_in: int = 0

    @property
    def size(self) -> int:
        return self.ring.size

    def sample(
        self, embedding: Embedding, radial: GaussianRadialProfile | None, points: np.ndarray, shared=None
    ) -> np.ndarray:
        """``(N, n, d_out, d_in)`` values at ``points`` ``(N, d)``.

        ``shared`` (a :class:`SampledHarmonics` of the same points) lets many pairs reuse the
        radial profile and the harmonics."""
        points = np.asarray(points, dtype=np.float64)
        if self.size == 0:
            return np.zeros((points.shape[0], 0, self.d_out, self.d_in))
        if embedding.d == 0:
            w = self.coefficients[0][..., 0]  # (k, d_out, d_in)
            return np.broadcast_to(w[None], (points.shape[0],) + w.shape).copy()
        shared = SampledHarmonics(embedding, radial, points) if shared is None else shared
        # (N, m) x (k, a, b, m) -> (N, k, a, b): tensordot, as einsum's per-call overhead dominates
        angular = {
            J: np.tensordot(shared.harmonics(J), w, axes=([1], [3])) for J, w in self.coefficients.items()
        }
        parts = []
        # sorted(set(...)), not np.unique: numpy 2's np.unique imports numpy.ma (~17 ms) on first use
        for ring in sorted(set(self.ring.tolist())):
            for J in sorted(set(self.order[self.ring == ring].tolist())):
                parts.append(shared.profile[:, ring, None, None, None] * angular[J])
        return np.concatenate(parts, axis=1)


class SampledHarmonics:
    """The radial profile and the harmonics of each order at a fixed set of points (computed
    once, shared by every irrep pair of a basis)."""

    def __init__(self, embedding: Embedding, radial: GaussianRadialProfile, points: np.ndarray):
        self.d = embedding.d
        radii, self.directions = unit_directions(points)
        self.at_origin = radii < 1e-12
        self.profile = radial(radii)  # (N, rings)
        self._harmonics: dict = {}

    def harmonics(self, J: int) -> np.ndarray:
        if J not in self._harmonics:
            y = harmonics(self.d, J, self.directions)
            if J > 0:
                y[self.at_origin] = 0.0  # a continuous equivariant kernel has no J > 0 part at 0
            self._harmonics[J] = y
        return self._harmonics[J]


def _ranges(lengths: np.ndarray, total: int) -> np.ndarray:
    """``concatenate([arange(n) for n in lengths])`` (all lengths positive) without a loop."""
    steps = np.ones(total, dtype=np.int64)
    if total:
        steps[0] = 0
        ends = np.cumsum(lengths)[:-1]
        steps[ends] = 1 - lengths[:-1]
    return np.cumsum(steps)


class SteerableKernelBasis(KernelBasis):
    """Basis of the kernels k(g x) = rho_out(g) k(x) rho_in(g)^T on R^d (or on a point).

    Args:
        embedding: how the group sits in O(d) (``Embedding(0, ())`` for a point).
        group: the group (``embedding.group`` unless d = 0).
        in_repr, out_repr: representations of ``group``.
        radial: the radial profile (None on a point).
        max_orders: the highest harmonic order per ring (band-limiting).
        basis_filter: optional ``attributes -> bool mask`` on the attribute arrays (or a
            callable on one element's attribute dict, applied per element).

    Attributes (``self.attributes``, arrays of length ``dim``): ``radius``, ``sigma``,
    ``order`` (harmonic order J), ``out_irrep_idx``/``in_irrep_idx`` (block positions),
    ``pair`` (index into ``self.pairs``), ``inner_idx`` (index inside the pair basis).
    """

    def __init__(self, embedding, group, in_repr, out_repr, radial=None, max_orders=None, basis_filter=None):
        for name, rep in (("in_repr", in_repr), ("out_repr", out_repr)):
            if rep.group != group:
                raise ValueError(
                    f"{name} is a representation of {rep.group.name}, but the basis is for {group.name}"
                )
        if embedding.d > 0 and (radial is None or max_orders is None or len(max_orders) != len(radial)):
            raise ValueError("a basis on R^d needs a radial profile and one maximum order per ring")
        self.embedding, self.group = embedding, group
        self.in_repr, self.out_repr = in_repr, out_repr
        self.radial = radial
        self.max_orders = None if max_orders is None else tuple(int(m) for m in max_orders)
        self.shape = (out_repr.size, in_repr.size)
        self.out_blocks = _blocks(group, out_repr)
        self.in_blocks = _blocks(group, in_repr)
        # distinct irrep pairs in first-appearance order (row-major over block positions)
        out_codes, out_unique = _codes([blk[0] for blk in self.out_blocks])
        in_codes, in_unique = _codes([blk[0] for blk in self.in_blocks])
        n_in = len(self.in_blocks)
        combined = (out_codes[:, None] * len(in_unique) + in_codes[None, :]).ravel()
        # every pair of codes occurs; pair (a, b) first occurs (row-major) in the first row of
        # code a at the first column of code b: no sort over all block pairs
        first_out = np.array([int(np.argmax(out_codes == a)) for a in range(len(out_unique))], dtype=np.int64)
        first_in = np.array([int(np.argmax(in_codes == b)) for b in range(len(in_unique))], dtype=np.int64)
        first = (first_out[:, None] * n_in + first_in[None, :]).ravel()  # per code pair
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        self.pairs: list[PairBasis] = []
        for c in order:
            self.pairs.append(
                self._pair_basis(out_unique[c // len(in_unique)], in_unique[c % len(in_unique)])
            )
        self._position_pair = rank[combined]  # (n_out_blocks * n_in_blocks,) row-major
        sizes = np.array([p.size for p in self.pairs], dtype=np.int64)
        per_position = sizes[self._position_pair]
        # where each block pair's elements start in the unfiltered basis (for index arithmetic)
        self._position_start = np.cumsum(per_position) - per_position
        self._unfiltered_dim = int(per_position.sum())
        self._kept = None  # unfiltered indices of the elements, None when nothing was filtered
        self._attributes = None
        if basis_filter is None:
            # the per-element arrays are built when first asked for: a layer on uniform field
            # types needs none of them (millions of entries for wide layers)
            self.dim = self._unfiltered_dim
        else:
            attrs = self._build_attributes()
            mask = _apply_filter(basis_filter, attrs, self)
            self._attributes = _read_only({k: v[mask] for k, v in attrs.items()})
            self._kept = np.flatnonzero(mask)
            self.dim = int(self._kept.size)

    @property
    def attributes(self) -> dict:
        """Per-element attribute arrays (see the class docstring), read-only."""
        if self._attributes is None:
            self._attributes = _read_only(self._build_attributes())
        return self._attributes

    def _pair_basis(self, out_id, in_id) -> PairBasis:
        ring, order, copy, coefficients = [], [], [], {}
        orders = [0] if self.embedding.d == 0 else None
        n_rings = 1 if self.embedding.d == 0 else len(self.radial)
        if self.embedding.d and self.max_orders:
            J_max = max(self.max_orders)
            every = irrep_pair_coefficients_upto(self.embedding, self.group, out_id, in_id, J_max)
            coefficients = dict(enumerate(every))
        for r in range(n_rings):
            for J in orders or range(self.max_orders[r] + 1):
                if J not in coefficients:
                    coefficients[J] = irrep_pair_coefficients(self.embedding, self.group, out_id, in_id, J)
                k = coefficients[J].shape[0]
                ring += [r] * k
                order += [J] * k
                copy += list(range(k))
        used = {J: w for J, w in coefficients.items() if w.shape[0]}
        d_out, d_in = self.group._irrep_spec(out_id).dim, self.group._irrep_spec(in_id).dim
        return PairBasis(
            out_id, in_id, np.array(ring, int), np.array(order, int), np.array(copy, int), used, d_out, d_in
        )

    def _build_attributes(self) -> dict:
        """The attributes of every element of the unfiltered basis."""
        position_pair = self._position_pair
        n_in_blocks = len(self.in_blocks)
        sizes = np.array([p.size for p in self.pairs], dtype=np.int64)
        per_position = sizes[position_pair]
        position = np.repeat(np.arange(position_pair.size), per_position)
        inner = _ranges(per_position[per_position > 0], position.size)
        pair = position_pair[position]
        offsets = np.cumsum(sizes) - sizes
        all_rings = np.concatenate([p.ring for p in self.pairs]) if self.pairs else np.zeros(0, int)
        all_orders = np.concatenate([p.order for p in self.pairs]) if self.pairs else np.zeros(0, int)
        flat = offsets[pair] + inner  # index into the concatenated per-pair attributes
        out_idx, in_idx = np.divmod(position, n_in_blocks)
        attrs = {
            "out_irrep_idx": out_idx,
            "in_irrep_idx": in_idx,
            "pair": pair,
            "inner_idx": inner,
            "ring": all_rings.take(flat) if position.size else np.zeros(0, int),
            "order": all_orders.take(flat) if position.size else np.zeros(0, int),
        }
        attrs = {k: np.asarray(v, dtype=np.int64) for k, v in attrs.items()}
        if self.radial is not None:
            attrs["radius"] = self.radial.radii[attrs["ring"]]
            attrs["sigma"] = self.radial.sigma[attrs["ring"]]
        else:
            attrs["radius"] = np.zeros(attrs["ring"].size)
            attrs["sigma"] = np.zeros(attrs["ring"].size)
        return attrs

    def __iter__(self):
        """escnn-style iteration: one attribute dict per basis element."""
        for n in range(self.dim):
            yield self.element_attributes(n)

    def element_attributes(self, n: int) -> dict:
        attrs = {k: v[n].item() for k, v in self.attributes.items()}
        attrs["out_irrep"] = self.out_blocks[attrs["out_irrep_idx"]][0]
        attrs["in_irrep"] = self.in_blocks[attrs["in_irrep_idx"]][0]
        return attrs

    def sample_pairs(self, points) -> list[np.ndarray]:
        """Per irrep pair, ``(N, n_pair, d_out, d_in)`` values (the block-sparse form)."""
        points = _check_points(points, self.embedding.d)
        shared = SampledHarmonics(self.embedding, self.radial, points) if self.embedding.d else None
        return [p.sample(self.embedding, self.radial, points, shared) for p in self.pairs]

    def sample(self, points) -> np.ndarray:
        """Dense ``(N, dim, out, in)`` values in the representations' own bases."""
        points = _check_points(points, self.embedding.d)
        pair_values = self.sample_pairs(points)
        n = points.shape[0]
        out = np.zeros((n, self.dim) + self.shape)
        a = self.attributes
        for k in range(self.dim):
            _, o0, o1 = self.out_blocks[a["out_irrep_idx"][k]]
            _, i0, i1 = self.in_blocks[a["in_irrep_idx"][k]]
            out[:, k, o0:o1, i0:i1] = pair_values[a["pair"][k]][:, a["inner_idx"][k]]
        q_out, q_in = self.out_repr.change_of_basis, self.in_repr.change_of_basis
        return np.einsum("ij,ndjk,lk->ndil", q_out, out, q_in, optimize=True)

    def __repr__(self):
        return (
            f"SteerableKernelBasis({self.group.name}, d={self.embedding.d}, "
            f"{self.in_repr.name} -> {self.out_repr.name}, dim={self.dim})"
        )


def _codes(ids):
    """Integer codes of hashable ids and the list of distinct ids (first-appearance order)."""
    unique: dict = {}
    codes = np.array([unique.setdefault(i, len(unique)) for i in ids], dtype=np.int64)
    return codes, list(unique)


def _blocks(group, rep):
    out, start = [], 0
    for i in rep.irreps:
        d = group._irrep_spec(i).dim
        out.append((i, start, start + d))
        start += d
    return out


def _read_only(attrs: dict) -> dict:
    for v in attrs.values():
        v.setflags(write=False)
    return attrs


def _check_points(points, d):
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or (d > 0 and points.shape[1] != d):
        raise ValueError(f"expected points of shape (N, {d}), got {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError("points must be finite")
    return points


def _apply_filter(basis_filter, attrs, basis):
    try:
        mask = basis_filter(attrs)
        mask = np.asarray(mask)
        if mask.shape == attrs["pair"].shape and mask.dtype == bool:
            return mask
    except (TypeError, KeyError, IndexError, ValueError):
        pass
    # escnn-style filter: called with one element's attribute dict
    partial = SteerableKernelBasis.__new__(SteerableKernelBasis)
    partial._attributes, partial.out_blocks, partial.in_blocks = attrs, basis.out_blocks, basis.in_blocks
    return np.array(
        [bool(basis_filter(partial.element_attributes(n))) for n in range(attrs["pair"].size)], dtype=bool
    )
