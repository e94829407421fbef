"""The runtime of the steerable point convolutions (plain torch, no parameters of its own).

The kernel basis of :class:`~steerable.kernels.SteerableKernelBasis` is sampled in torch at the
edge offsets: per irrep pair (psi_a out, psi_b in) its elements are
``phi_ring(|delta|) sum_m W_{J,c}[:, :, m] Y_Jm(delta / |delta|)``, with the coefficients W as
buffers and the harmonics Y evaluated in torch (polynomials of the unit direction: no angles),
so the layer is differentiable in the coordinates and runs on any device.

The features are moved to the irrep basis once per node (Q_in^T, grouped by representation),
gathered per edge by irrep type, contracted per irrep pair with the sampled basis and the
pair's weights, summed onto the target nodes, and moved back (Q_out) once per node: no dense
``(E, C_out, C_in)`` filter is built unless it is the cheaper order for a pair.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ...pointcloud.scatter import scatter_sum
from .basis_expansion import Float64Constants, blocks_by_type
from .harmonic_polynomial import SolidHarmonics

__all__ = ["PointKernel", "IrrepLayout", "circular_harmonics", "harmonic_offset"]


def circular_harmonics(u: torch.Tensor, J_max: int) -> torch.Tensor:
    """``(E, 1 + 2 J_max)``: ``1, sqrt2 (cos J phi, sin J phi)`` for J = 1..J_max at the unit
    vectors ``u`` ``(E, 2)`` (zero vectors give ``1, 0, ...``), as :func:`steerable.kernels.harmonics`.

    ``cos J phi + i sin J phi = (u_x + i u_y)^J``, so no angle (and no atan2) is needed."""
    x, y = u[..., 0], u[..., 1]
    cols = [torch.ones_like(x)]
    c, s = torch.ones_like(x), torch.zeros_like(x)
    for _ in range(J_max):
        c, s = x * c - y * s, x * s + y * c
        cols += [math.sqrt(2.0) * c, math.sqrt(2.0) * s]
    return torch.stack(cols, dim=-1)


def harmonic_offset(d: int, J: int) -> int:
    """The first column of the order-J harmonics in the concatenated harmonics of orders 0..J_max."""
    return (0 if J == 0 else 2 * J - 1) if d == 2 else J * J


class IrrepLayout(Float64Constants, torch.nn.Module):
    """Channels of a field type <-> its irrep coordinates, sorted by irrep type.

    The sorted vector holds, for each irrep id of ``type_order`` in turn, the coordinates of the
    blocks of that irrep in field order (a contiguous ``(n_blocks, dim)`` slab per irrep type).
    The change of basis runs once per distinct representation on all its fields together.

    Shapes:
        - ``to_irreps``: ``(N, size)`` -> ``(N, size)``; ``from_irreps``: the inverse.
    """

    def __init__(self, field_type, type_order):
        super().__init__()
        group = field_type.fibergroup
        reprs = list(field_type.representations)
        starts = np.cumsum([0] + [r.size for r in reprs[:-1]]).astype(np.int64)
        self.size = int(sum(r.size for r in reprs))
        blocks, by_repr = [], {}
        for f, (rep, start) in enumerate(zip(reprs, starts)):
            offset = int(start)
            for irrep in rep.irreps:
                dim = group._irrep_spec(irrep).dim
                blocks.append((irrep, offset, offset + dim))
                offset += dim
            by_repr.setdefault(rep, []).append(f)
        self.slabs = []  # per irrep type: (start in the sorted vector, blocks, dim)
        sorted_pos, cursor = [], 0
        for irrep in type_order:
            mine = [b for b in blocks if b[0] == irrep]
            dim = mine[0][2] - mine[0][1] if mine else group._irrep_spec(irrep).dim
            self.slabs.append((cursor, len(mine), dim))
            for _, b0, b1 in mine:
                sorted_pos.extend(range(b0, b1))
            cursor += len(mine) * dim
        if cursor != self.size:
            raise ValueError(f"the irrep types {list(type_order)} do not cover the field type {field_type}")
        sorted_pos = np.array(sorted_pos, dtype=np.int64)
        sorted_rank = np.argsort(sorted_pos)
        self._groups = []  # per distinct representation: (fields, size, has a change of basis)
        concat = []
        for k, (rep, fields) in enumerate(by_repr.items()):
            idx = (starts[fields][:, None] + np.arange(rep.size)[None]).reshape(-1)
            concat.append(idx)
            q = rep.change_of_basis
            rotate = not np.array_equal(q, np.eye(rep.size))
            self.register_buffer(f"idx_{k}", torch.as_tensor(idx), persistent=False)
            self.register_buffer(f"sorted_{k}", torch.as_tensor(sorted_rank[idx]), persistent=False)
            if rotate:
                self.register_constant(f"q_{k}", q)
            self._groups.append((len(fields), rep.size, rotate))
        concat = np.concatenate(concat)
        to_fields = np.argsort(concat)  # concatenated -> field order
        self._rotates = any(g[2] for g in self._groups)
        self._identity = not self._rotates and np.array_equal(sorted_pos, np.arange(self.size))
        if self._rotates:
            self.register_buffer("to_sorted", torch.as_tensor(to_fields[sorted_pos]), persistent=False)
            self.register_buffer("to_fields", torch.as_tensor(to_fields), persistent=False)
        else:
            self.register_buffer("to_sorted", torch.as_tensor(sorted_pos), persistent=False)
            self.register_buffer("to_fields", torch.as_tensor(sorted_rank), persistent=False)

    def to_irreps(self, x: torch.Tensor) -> torch.Tensor:
        if self._identity:
            return x
        if not self._rotates:
            return x.index_select(1, self.to_sorted)
        n = x.shape[0]
        parts = []
        for k, (fields, size, rotate) in enumerate(self._groups):
            part = x.index_select(1, getattr(self, f"idx_{k}")).view(n, fields, size)
            if rotate:
                part = part @ getattr(self, f"q_{k}").to(part.dtype)  # z = Q^T x per field
            parts.append(part.reshape(n, fields * size))
        return torch.cat(parts, dim=1).index_select(1, self.to_sorted)

    def from_irreps(self, z: torch.Tensor) -> torch.Tensor:
        if self._identity:
            return z
        if not self._rotates:
            return z.index_select(1, self.to_fields)
        n = z.shape[0]
        parts = []
        for k, (fields, size, rotate) in enumerate(self._groups):
            part = z.index_select(1, getattr(self, f"sorted_{k}")).view(n, fields, size)
            if rotate:
                part = part @ getattr(self, f"q_{k}").to(part.dtype).T  # x = Q z per field
            parts.append(part.reshape(n, fields * size))
        return torch.cat(parts, dim=1).index_select(1, self.to_fields)


class PointKernel(Float64Constants, torch.nn.Module):
    """Samples a kernel basis at edge offsets and applies it (see the module docstring).

    Args:
        basis: the kernel basis between one group of fields (``groups`` copies are stacked).
        in_type, out_type: the full field types (``groups`` identical groups of fields each).
        groups: the number of groups.

    Shapes:
        - x: ``(N, in_type.size)``; edge_index: ``(2, E)``; delta: ``(E, d)``
        - pair_weights: per pair of the plan, ``(groups, n_out_blocks, n_in_blocks, n_elements)``
        - bias: ``(out_type.size,)`` or None; output: ``(N, out_type.size)``
    """

    def __init__(self, basis, in_type, out_type, groups: int):
        super().__init__()
        self.d = basis.embedding.d
        self.groups = groups
        out_types = blocks_by_type(basis.out_blocks)
        in_types = blocks_by_type(basis.in_blocks)
        self.in_layout = IrrepLayout(in_type, [t for t, _ in in_types])
        self.out_layout = IrrepLayout(out_type, [t for t, _ in out_types])
        out_index = {t: k for k, (t, _) in enumerate(out_types)}
        in_index = {t: k for k, (t, _) in enumerate(in_types)}
        # the layouts cover all groups: a slab of one group's type is groups times as long
        self._out_slabs = [(start, n // groups, dim) for start, n, dim in self.out_layout.slabs]
        self._in_slabs = [(start, n // groups, dim) for start, n, dim in self.in_layout.slabs]
        J_max = max((max(p.coefficients) for p in basis.pairs if p.size), default=0)
        self.J_max = J_max
        n_harm = (1 + 2 * J_max) if self.d == 2 else (J_max + 1) ** 2
        coeff_blocks, ring_cols, ang_cols = [], [], []
        self._plan = []  # (pair, out type, in type, n, d_a, d_b, O, I, value offset, input first)
        ang_start = value_start = 0
        for p, pair in enumerate(basis.pairs):
            if pair.size == 0:
                continue
            d_a, d_b = pair.d_out, pair.d_in
            angular = [
                (J, c) for J in sorted(pair.coefficients) for c in range(pair.coefficients[J].shape[0])
            ]
            position = {key: k for k, key in enumerate(angular)}
            block = np.zeros((n_harm, len(angular), d_a, d_b))
            for k, (J, c) in enumerate(angular):
                w = pair.coefficients[J][c]  # (d_a, d_b, dim_J)
                h0 = harmonic_offset(self.d, J)
                block[h0 : h0 + w.shape[2], k] = w.transpose(2, 0, 1)
            coeff_blocks.append(block.reshape(n_harm, -1))
            a, b = out_index[pair.out_id], in_index[pair.in_id]
            O, I = len(out_types[a][1]), len(in_types[b][1])
            # contract the cheaper way: (E, d_a, n, I) intermediates, or the dense (E, O d_a, I d_b) filter
            input_first = pair.size <= O * d_b
            # the pair's sampled values are laid out (d_a, n, d_b) for the first, (n, d_a, d_b) for
            # the second: the layouts their matmuls read without a copy
            ang = np.array([position[(J, c)] for J, c in zip(pair.order.tolist(), pair.copy.tolist())])
            e_idx, a_idx, b_idx = np.meshgrid(
                np.arange(pair.size), np.arange(d_a), np.arange(d_b), indexing="ij"
            )
            if input_first:
                e_idx, a_idx, b_idx = (v.transpose(1, 0, 2) for v in (e_idx, a_idx, b_idx))
            e_idx, a_idx, b_idx = e_idx.reshape(-1), a_idx.reshape(-1), b_idx.reshape(-1)
            ang_cols.append(ang_start + (ang[e_idx] * d_a + a_idx) * d_b + b_idx)
            ring_cols.append(pair.ring[e_idx])
            self._plan.append((p, a, b, pair.size, d_a, d_b, O, I, value_start, input_first))
            ang_start += len(angular) * d_a * d_b
            value_start += pair.size * d_a * d_b
        self.n_values = value_start
        self.register_constant("coefficients", np.concatenate(coeff_blocks, axis=1))  # (M, K)
        self.register_constant("radii", basis.radial.radii)
        self.register_constant("sigma", basis.radial.sigma)
        self.register_buffer("ring_cols", torch.as_tensor(np.concatenate(ring_cols)), persistent=False)
        self.register_buffer("ang_cols", torch.as_tensor(np.concatenate(ang_cols)), persistent=False)
        self._solid = SolidHarmonics(J_max) if self.d == 3 else None

    def harmonics(self, u: torch.Tensor) -> torch.Tensor:
        """``(E, M)``: the harmonics of orders 0..J_max at unit vectors (0 at zero vectors, J > 0)."""
        return circular_harmonics(u, self.J_max) if self.d == 2 else self._solid(u)

    def sample(self, delta: torch.Tensor) -> torch.Tensor:
        """``(E, n_values)``: every pair's basis ``(n, d_a, d_b)`` at every offset, flattened."""
        r2 = (delta * delta).sum(-1)
        nonzero = r2 > 1e-24  # |delta| > 1e-12: elsewhere only J = 0 (as the numpy basis)
        one = torch.ones_like(r2)
        safe = torch.sqrt(torch.where(nonzero, r2, one))  # no inf/nan gradient at 0
        r = torch.where(nonzero, safe, torch.zeros_like(r2))
        u = torch.where(nonzero[:, None], delta / safe[:, None], torch.zeros_like(delta))
        angular = self.harmonics(u) @ self.coefficients  # (E, K)
        profile = torch.exp(-0.5 * ((r[:, None] - self.radii) / self.sigma) ** 2)  # (E, rings)
        return profile.index_select(1, self.ring_cols) * angular.index_select(1, self.ang_cols)

    def forward(self, x, edge_index, delta, pair_weights, bias):
        n, E, G = x.shape[0], delta.shape[0], self.groups
        src, dst = edge_index[0], edge_index[1]
        z = self.in_layout.to_irreps(x)  # (N, C_in), sorted by irrep type
        values = self.sample(delta)
        inputs: dict = {}
        outs: list = [None] * len(self._out_slabs)
        for (_, a, b, n_p, d_a, d_b, O, I, v0, input_first), w in zip(self._plan, pair_weights):
            if b not in inputs:
                start, _, _ = self._in_slabs[b]
                inputs[b] = z[:, start : start + G * I * d_b].index_select(0, src).view(E, G * I, d_b)
            xs = inputs[b]  # (E, G I, d_b)
            values_p = values[:, v0 : v0 + n_p * d_a * d_b]
            if input_first:
                # t[e, a, n, (g, i)] = sum_b B[e, a, n, b] x[e, g, i, b]
                t = torch.bmm(values_p.reshape(E, d_a * n_p, d_b), xs.transpose(1, 2))
                if G == 1:
                    y = t.reshape(E * d_a, n_p * I) @ w[0].permute(2, 1, 0).reshape(n_p * I, O)
                    y = y.view(E, 1, d_a, O).transpose(2, 3)
                else:
                    t = t.view(E, d_a, n_p, G, I).permute(3, 0, 1, 2, 4).reshape(G, E * d_a, n_p * I)
                    y = torch.bmm(t, w.permute(0, 3, 2, 1).reshape(G, n_p * I, O))
                    y = y.view(G, E, d_a, O).permute(1, 0, 3, 2)
            else:
                filt = torch.matmul(w.reshape(G * O * I, n_p), values_p.reshape(E, n_p, d_a * d_b))
                y = torch.einsum("egoiab,egib->egoa", filt.view(E, G, O, I, d_a, d_b), xs.view(E, G, I, d_b))
            outs[a] = y if outs[a] is None else outs[a] + y
        messages = [
            y.reshape(E, G * nb * dim) if y is not None else z.new_zeros(E, G * nb * dim)
            for y, (_, nb, dim) in zip(outs, self._out_slabs)
        ]
        out = scatter_sum(torch.cat(messages, dim=1), dst, n)  # (N, C_out), sorted by irrep type
        out = self.out_layout.from_irreps(out)
        return out if bias is None else out + bias

    def extra_repr(self) -> str:
        return f"d={self.d}, groups={self.groups}, J_max={self.J_max}, pairs={len(self._plan)}"
