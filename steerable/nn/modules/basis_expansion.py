"""How to run a kernel basis: expand a flat weight vector into a dense filter.

The basis (plain data, :class:`~steerable.kernels.SteerableKernelBasis`) is block-sparse by
irrep pair. Expansion is, per distinct irrep pair, one matmul (positions x elements) @
(elements x block entries), then one gather that lays all blocks out as the dense filter in
the irrep basis, then the fields' change of basis (skipped where it is the identity, one small
matrix per field when the type is uniform).
"""

from __future__ import annotations

import numpy as np
import torch

from ...kernels.basis import SteerableKernelBasis

__all__ = [
    "BlockBasisExpansion",
    "blocks_by_type",
    "cached_expansion",
    "Float64Constants",
    "trivial_bias_expansion",
]


class Float64Constants:
    """Mixin for torch modules whose constant buffers (bases, changes of basis) are computed in
    float64: the buffer is created in the default dtype, and every dtype/device change
    (``.double()``, ``.to(...)``) re-derives it from the float64 source instead of casting the
    rounded copy, so a layer built in float32 and converted to float64 is exact in float64."""

    def register_constant(self, name: str, array) -> None:
        source = np.array(array, dtype=np.float64)
        if "_constants" not in self.__dict__:
            self._constants = {}
        self._constants[name] = source
        self.register_buffer(name, torch.tensor(source, dtype=torch.get_default_dtype()), persistent=False)

    def _apply(self, fn, recurse=True):
        out = super()._apply(fn, recurse)
        for name, source in self.__dict__.get("_constants", {}).items():
            buf = self._buffers.get(name)
            if buf is not None and buf.is_floating_point():
                self._buffers[name] = torch.tensor(source, dtype=buf.dtype, device=buf.device)
        return out


class BlockBasisExpansion(Float64Constants, torch.nn.Module):
    """Expands ``weights`` (``(dim,)``) into a filter ``(out, in, P)``.

    Grouping the irrep blocks by irrep type makes the positions of one irrep pair a full
    rectangle of the filter, so the filter is a concatenation of per-pair matmul results,
    followed by one row and one column permutation back to the representation order.

    Args:
        basis: the kernel basis.
        points: ``(P, d)`` sampling points (``(1, 0)`` on R^0).
        out_reprs, in_reprs: the fields' representations (for the change of basis).

    Shapes:
        - weights: ``(dim,)``
        - output: ``(out, in, P)``
    """

    def __init__(self, basis: SteerableKernelBasis, points: np.ndarray, out_reprs, in_reprs):
        super().__init__()
        self.dim = basis.dim
        self.shape = basis.shape
        self.n_points = points.shape[0]
        values = basis.sample_pairs(points)  # per pair (P, n, d_o, d_i)
        self._basis = basis
        self._pad = basis._kept is not None  # filtered elements read a zero appended to the weights
        # per-weight He scale: Var(w_e) = d_o / (N_o |B_e|^2), N_o = elements feeding block o
        self._norms = [np.einsum("pnab->n", v**2) for v in values]
        self._he_scales = None
        self._dense = self._setup_dense(basis, values, list(out_reprs), list(in_reprs))
        if not self._dense:
            self._setup_blocks(basis, values, out_reprs, in_reprs)
        if self._he_scales is None:
            self._he_scales = self._element_he_scales(basis)

    @property
    def attributes(self) -> dict:
        """The basis' per-element attribute arrays (built on first use)."""
        return self._basis.attributes

    def _element_he_scales(self, basis) -> np.ndarray:
        attrs, out_blocks = basis.attributes, basis.out_blocks
        offsets = np.cumsum([0] + [n.size for n in self._norms])
        element_norm = (
            np.concatenate(self._norms)[offsets[attrs["pair"]] + attrs["inner_idx"]]
            if self.dim
            else np.zeros(0)
        )
        feeding = np.bincount(attrs["out_irrep_idx"], minlength=len(out_blocks))[attrs["out_irrep_idx"]]
        d_out = np.array([blk[2] - blk[1] for blk in out_blocks])[attrs["out_irrep_idx"]]
        return np.sqrt(d_out / np.maximum(feeding * element_norm, 1e-12))

    def _setup_blocks(self, basis, values, out_reprs, in_reprs) -> None:
        """The block-sparse path: one matmul per distinct irrep pair."""
        attrs, P = basis.attributes, self.n_points
        out_blocks, in_blocks = basis.out_blocks, basis.in_blocks
        out_types = blocks_by_type(out_blocks)  # [(irrep id, [block indices])]
        in_types = blocks_by_type(in_blocks)
        pair_index = {(p.out_id, p.in_id): k for k, p in enumerate(basis.pairs)}
        # row of each block among the blocks of its type
        out_rank = np.zeros(len(out_blocks), dtype=np.int64)
        for _, blocks in out_types:
            out_rank[blocks] = np.arange(len(blocks))
        in_rank = np.zeros(len(in_blocks), dtype=np.int64)
        for _, blocks in in_types:
            in_rank[blocks] = np.arange(len(blocks))
        self._layout = []  # per out type: list of (pair, n_out_blocks, n_in_blocks, d_o, d_i)
        for o_id, o_blocks in out_types:
            row = []
            for i_id, i_blocks in in_types:
                p = pair_index[(o_id, i_id)]
                pair = basis.pairs[p]
                d_o = out_blocks[o_blocks[0]][2] - out_blocks[o_blocks[0]][1]
                d_i = in_blocks[i_blocks[0]][2] - in_blocks[i_blocks[0]][1]
                n_p = pair.size
                # which flat weight feeds (position, element); basis_filter may drop elements,
                # whose slot then points at the appended zero (index dim)
                gather = np.full((len(o_blocks) * len(i_blocks), n_p), self.dim, dtype=np.int64)
                mine = np.flatnonzero(attrs["pair"] == p)
                rows = (
                    out_rank[attrs["out_irrep_idx"][mine]] * len(i_blocks)
                    + in_rank[attrs["in_irrep_idx"][mine]]
                )
                gather[rows, attrs["inner_idx"][mine]] = mine
                if n_p == 0:  # no kernel between these irreps: a zero block, no (empty) buffers
                    row.append((None, len(o_blocks), len(i_blocks), d_o, d_i))
                    continue
                block = values[p].transpose(1, 2, 3, 0).reshape(n_p, d_o * d_i * P)
                self.register_constant(f"basis_{p}", block)
                self.register_buffer(f"gather_{p}", torch.as_tensor(gather), persistent=False)
                row.append((p, len(o_blocks), len(i_blocks), d_o, d_i))
            self._layout.append(row)
        # channels in type-sorted order -> representation order
        row_order = np.concatenate(
            [np.arange(out_blocks[b][1], out_blocks[b][2]) for _, bl in out_types for b in bl]
        )
        col_order = np.concatenate(
            [np.arange(in_blocks[b][1], in_blocks[b][2]) for _, bl in in_types for b in bl]
        )
        self._permute_rows = not np.array_equal(row_order, np.arange(row_order.size))
        self._permute_cols = not np.array_equal(col_order, np.arange(col_order.size))
        row_index, col_index = np.argsort(row_order), np.argsort(col_order)
        self.register_buffer("row_index", torch.as_tensor(row_index), persistent=False)
        if self._permute_cols:
            # one row gather of the (out * in, P) view: index_select on dim 1 has a very slow
            # backward on CPU (index_add_ over a strided dim, ~30x a row-wise one)
            flat = (row_index[:, None] * col_index.size + col_index[None, :]).reshape(-1)
            self.register_buffer("pair_index", torch.as_tensor(flat), persistent=False)
        self._q_out = _ChangeOfBasis(out_reprs)
        self._q_in = _ChangeOfBasis(in_reprs)
        for name, q in (("q_out", self._q_out), ("q_in", self._q_in)):
            if q.matrix is not None:
                self.register_constant(name, q.matrix)

    def _setup_dense(self, basis, values, out_reprs, in_reprs) -> bool:
        """Uniform field types with a small per-field-pair basis use one dense matmul:
        filter = W (field pairs x k) @ B (k x s_o s_i P), with B already in the fields' own
        basis. Fewer passes over the (large) filter than the block-sparse path; B's memory is
        capped at DENSE_LIMIT entries (the block-sparse path serves everything else)."""
        if not (all(r == out_reprs[0] for r in out_reprs) and all(r == in_reprs[0] for r in in_reprs)):
            return False
        P = self.n_points
        nb_o = len(out_reprs[0].irreps)
        nb_i = len(in_reprs[0].irreps)
        s_o, s_i = out_reprs[0].size, in_reprs[0].size
        n_fo, n_fi = len(out_reprs), len(in_reprs)
        # the elements of one field pair: (local out block, local in block, inner index)
        local = [
            (o, i, e)
            for o in range(nb_o)
            for i in range(nb_i)
            for e in range(basis.pairs[_pair_of(basis, o, i)].size)
        ]
        k = len(local)
        if k * s_o * s_i * P > DENSE_LIMIT or k == 0:
            return False
        q_o, q_i = out_reprs[0].change_of_basis, in_reprs[0].change_of_basis
        dense = np.zeros((k, s_o, s_i, P))
        for n, (o, i, e) in enumerate(local):
            _, o0, o1 = basis.out_blocks[o]
            _, i0, i1 = basis.in_blocks[i]
            block = values[_pair_of(basis, o, i)][:, e]  # (P, d_o, d_i)
            dense[n] = np.einsum("ab,pbc,dc->adp", q_o[:, o0:o1], block, q_i[:, i0:i1])
        lo = np.array([o for o, _, _ in local])
        li = np.array([i for _, i, _ in local])
        le = np.array([e for _, _, e in local])
        fo = np.repeat(np.arange(n_fo), n_fi)
        fi = np.tile(np.arange(n_fi), n_fo)
        # flat weight index of (field pair, local element): the elements are ordered by block pair
        # (row-major) and inner index, so it is the block pair's start plus the inner index
        position = (fo[:, None] * nb_o + lo[None]) * len(basis.in_blocks) + fi[:, None] * nb_i + li[None]
        gather = basis._position_start[position] + le[None]
        if basis._kept is not None:  # basis_filter dropped elements: they read the zero at index dim
            remap = np.full(basis._unfiltered_dim, self.dim, dtype=np.int64)
            remap[basis._kept] = np.arange(self.dim)
            gather = remap[gather]
        else:
            # He scales from one field pair (every field pair has the same elements; an out
            # block of local index o is fed by n_fi times the local elements with out block o)
            norm = np.array([self._norms[_pair_of(basis, o, i)][e] for o, i, e in local])
            feeding = n_fi * np.bincount(lo, minlength=nb_o)[lo]
            d_out = np.array([basis.out_blocks[o][2] - basis.out_blocks[o][1] for o in lo])
            scale = np.sqrt(d_out / np.maximum(feeding * norm, 1e-12))
            self._he_scales = np.empty(self.dim)
            self._he_scales[gather.reshape(-1)] = np.tile(scale, n_fo * n_fi)
        self.register_constant("dense_basis", dense.reshape(k, -1))
        self.register_buffer("dense_gather", torch.as_tensor(gather), persistent=False)
        self._dense_shape = (n_fo, n_fi, s_o, s_i, P)
        return True

    def he_scales(self) -> np.ndarray:
        """Standard deviations of the generalised He initialisation, one per weight."""
        return self._he_scales.copy()

    def forward(self, weights: torch.Tensor) -> torch.Tensor:
        source = torch.cat([weights, weights.new_zeros(1)]) if self._pad else weights
        P = self.n_points
        if self._dense:
            n_fo, n_fi, s_o, s_i, _ = self._dense_shape
            w = _gather(source, self.dense_gather)
            filt = (w @ self.dense_basis).reshape(n_fo, n_fi, s_o, s_i, P)
            return filt.transpose(1, 2).reshape(n_fo * s_o, n_fi * s_i, P)
        rows = []
        for row in self._layout:
            cols = []
            for p, n_ob, n_ib, d_o, d_i in row:
                if p is None:
                    cols.append(weights.new_zeros(n_ob * d_o, n_ib * d_i, P))
                    continue
                w = _gather(source, getattr(self, f"gather_{p}"))  # (n_ob * n_ib, n_p)
                block = (w @ getattr(self, f"basis_{p}")).reshape(n_ob, n_ib, d_o, d_i, P)
                cols.append(block.transpose(1, 2).reshape(n_ob * d_o, n_ib * d_i, P))
            rows.append(torch.cat(cols, dim=1) if len(cols) > 1 else cols[0])
        filt = torch.cat(rows, dim=0) if len(rows) > 1 else rows[0]
        if self._permute_cols:
            n_out, n_in, _ = filt.shape
            filt = filt.reshape(n_out * n_in, P).index_select(0, self.pair_index).reshape(n_out, n_in, P)
        elif self._permute_rows:
            filt = filt.index_select(0, self.row_index)
        if self._q_out.matrix is not None:
            filt = self._q_out.apply(self.q_out, filt, side="out")
        if self._q_in.matrix is not None:
            filt = self._q_in.apply(self.q_in, filt, side="in")
        return filt


DENSE_LIMIT = 4_000_000


def _gather(weights: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``weights[index]`` as a 1D ``index_select`` (its backward is an ``index_add_``, several
    times faster on CPU than advanced indexing's sorting ``index_put_``)."""
    return weights.index_select(0, index.reshape(-1)).view(index.shape)


def _pair_of(basis, o, i) -> int:
    key = (basis.out_blocks[o][0], basis.in_blocks[i][0])
    return next(k for k, p in enumerate(basis.pairs) if (p.out_id, p.in_id) == key)


def blocks_by_type(blocks):
    """``[(irrep id, block indices)]`` in first-appearance order of the irrep ids."""
    out: dict = {}
    for k, (irrep, _, _) in enumerate(blocks):
        out.setdefault(irrep, []).append(k)
    return [(irrep, np.array(ks)) for irrep, ks in out.items()]


def trivial_bias_expansion(field_type) -> np.ndarray:
    """``(size, n_trivial)``: the columns of the fields' change of basis at the trivial irreps.

    A bias is only equivariant on trivial irreps; ``expansion @ b`` lays the learned values
    ``b`` (one per trivial irrep) out in the fields' own basis."""
    trivial = field_type.fibergroup.trivial_representation.id
    columns, start = [], 0
    for i in field_type.irreps:
        if i == trivial:
            columns.append(start)
        start += field_type.fibergroup._irrep_spec(i).dim
    return field_type.change_of_basis[:, columns]


def cached_expansion(module):
    """``module.expand_parameters()``, cached in eval mode (when no gradient is wanted) until the
    parameters change.

    The cache is a plain attribute (``module._cache``), not a buffer, so state_dict keys are the
    same in train and eval mode; it is computed under ``no_grad`` (deepcopy-able) and keyed by
    the parameters' versions, dtype, device and storage, so ``.to()``, ``load_state_dict`` and
    optimiser steps invalidate it. The expansion always runs outside autocast, in the parameters'
    dtype (like a plain conv's weight, autocast casts the filter where it is used), so a filter
    cached under autocast is valid outside it too."""
    no_autocast = torch.autocast(module.weights.device.type, enabled=False)
    if module.training or module.recompute or torch.compiler.is_compiling():
        module._cache = None
        with no_autocast:
            return module.expand_parameters()
    params = [module.weights] + ([] if module.bias is None else [module.bias])
    if torch.is_grad_enabled() and any(p.requires_grad for p in params):
        # eval mode but gradients are wanted (e.g. fine-tuning with frozen batch norm): expand
        # with the autograd graph; the no-grad cache serves inference (no_grad/inference_mode)
        with no_autocast:
            return module.expand_parameters()
    key = tuple((p._version, p.dtype, p.device, p.data_ptr()) for p in params)
    if module._cache is None or module._cache[0] != key:
        with torch.no_grad(), no_autocast:
            module._cache = (key, module.expand_parameters())
    return module._cache[1]


class _ChangeOfBasis:
    """The block-diagonal change of basis of a list of field representations."""

    def __init__(self, reprs):
        reprs = list(reprs)
        qs = [r.change_of_basis for r in reprs]
        self.fields = len(reprs)
        if all(np.array_equal(q, np.eye(q.shape[0])) for q in qs):
            self.matrix, self.uniform = None, False
        elif all(r == reprs[0] for r in reprs):
            self.matrix, self.uniform = qs[0], True
        else:
            size = sum(q.shape[0] for q in qs)
            full = np.zeros((size, size))
            start = 0
            for q in qs:
                full[start : start + q.shape[0], start : start + q.shape[0]] = q
                start += q.shape[0]
            self.matrix, self.uniform = full, False

    def apply(self, q: torch.Tensor, filt: torch.Tensor, side: str) -> torch.Tensor:
        n_out, n_in, P = filt.shape
        if side == "out":
            if self.uniform:
                s = q.shape[0]
                return torch.einsum("ij,fjk->fik", q, filt.reshape(self.fields, s, n_in * P)).reshape(
                    n_out, n_in, P
                )
            return (q @ filt.reshape(n_out, n_in * P)).reshape(n_out, n_in, P)
        if self.uniform:
            s = q.shape[0]
            return torch.einsum("ofjp,ij->ofip", filt.reshape(n_out, self.fields, s, P), q).reshape(
                n_out, n_in, P
            )
        return torch.einsum("ojp,ij->oip", filt, q)
