"""TensorProductModule: the most general learnable equivariant quadratic map between fields."""

from __future__ import annotations

import numpy as np
import torch

from ...kernels.basis import EmptyBasisException
from ..field_type import FieldType, check_type_pair
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from .basis_expansion import Float64Constants, cached_expansion

__all__ = ["TensorProductModule", "QuadraticFeatures"]

_TOL = 1e-9


def _symmetric_cg(cg: np.ndarray) -> np.ndarray:
    """``(d, d, k, d_c)`` orthonormal combinations (over the multiplicity) of the symmetrised
    CG maps x (x) x -> psi_c; the antisymmetric parts vanish on x (x) x and are dropped."""
    sym = 0.5 * (cg + cg.transpose(1, 0, 2, 3))
    vectors = sym.transpose(2, 0, 1, 3).reshape(cg.shape[2], cg.shape[0] * cg.shape[1] * cg.shape[3])
    kept = []
    for v in vectors:  # Gram-Schmidt in CG order (deterministic): real combinations of
        for u in kept:  # intertwiners are intertwiners
            v = v - (u @ v) * u
        norm = np.linalg.norm(v)
        if norm > _TOL:
            kept.append(v / norm)
    if not kept:
        return np.zeros(cg.shape[:2] + (0, cg.shape[3]))
    d, dc = cg.shape[0], cg.shape[3]
    return np.stack(kept).reshape(len(kept), d, d, dc).transpose(1, 2, 0, 3)


class QuadraticFeatures(Float64Constants, torch.nn.Module):
    """Plain torch: the Clebsch-Gordan components z of Sym^2(x) that transform under the given
    irreps, in a fixed order (``irreps`` lists the irrep of each component block).

    x is first taken to its irrep coordinates x^ = Q^T x (Q the block-diagonal change of basis
    of the fields); then, for every pair of irrep blocks a <= b of x^ (grouped by irrep type:
    one outer product and one matmul per pair of irrep types) and every target irrep c with
    Clebsch-Gordan coefficients C_mu (psi_a (x) psi_b -> psi_c), z = C_mu^T (x^_a (x) x^_b);
    for a = b only the symmetric part of C_mu is used.

    Shapes:
        - input: ``(B, n, ...)``; output: ``(B, len(z), ...)``
    """

    def __init__(self, in_type: FieldType, targets):
        super().__init__()
        G = in_type.fibergroup
        self.size_in = in_type.size
        q = in_type.change_of_basis
        self._rotate = not np.array_equal(q, np.eye(q.shape[0]))
        if self._rotate:
            self.register_constant("q_t", q.T)
        # the irrep blocks of x^, grouped by irrep id (order of first appearance)
        groups: dict[tuple, list[int]] = {}
        start = 0
        for i in in_type.irreps:
            groups.setdefault(i, []).append(start)
            start += G._irrep_spec(i).dim
        types = list(groups.items())
        self._n_types = len(types)
        self.irreps = []  # irrep id of each z block, in order
        self._steps = []  # (kind, type a, type b, cg buffer name, d_a, d_b)
        for ka, (ia, starts_a) in enumerate(types):
            da = G._irrep_spec(ia).dim
            self.register_buffer(f"index_{ka}", _channels(starts_a, da), persistent=False)
            for kb in range(ka, len(types)):
                ib, starts_b = types[kb]
                cgs = [(c, G._clebsh_gordan_coeff(ia, ib, c)) for c in targets]
                kind = "outer" if ka != kb else "offdiag"
                self._add_step(kind, ka, kb, cgs, len(starts_a), len(starts_b))
                if ka == kb:
                    sym = [(c, _symmetric_cg(w)) for c, w in cgs]
                    self._add_step("diag", ka, kb, sym, len(starts_a), 1)
        self.size_out = sum(G._irrep_spec(c).dim for c in self.irreps)

    def _add_step(self, kind, ka, kb, cgs, na, nb):
        cgs = [(c, w) for c, w in cgs if w.shape[2] > 0]
        copies = {"outer": na * nb, "offdiag": na * (na - 1) // 2, "diag": na}[kind]
        if not cgs or copies == 0:
            return
        w = np.concatenate([w.reshape(w.shape[0] * w.shape[1], -1) for _, w in cgs], axis=1)  # (da db, R)
        name = f"cg_{len(self._steps)}"
        self.register_constant(name, w.T)  # (R, da db)
        if kind == "offdiag":
            p, q = np.triu_indices(na, 1)
            self.register_buffer(f"{name}_p", torch.as_tensor(p), persistent=False)
            self.register_buffer(f"{name}_q", torch.as_tensor(q), persistent=False)
        block = [c for c, cg in cgs for _ in range(cg.shape[2])]
        self.irreps.extend(block * copies)
        self._steps.append((kind, ka, kb, name, cgs[0][1].shape[0], cgs[0][1].shape[1]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        t = x.reshape(b, self.size_in, -1)  # (B, n, S)
        if self._rotate:
            t = torch.matmul(self.q_t, t)
        # (B, copies, d, S) per irrep type
        blocks = [t.index_select(1, getattr(self, f"index_{k}")) for k in range(self._n_types)]
        out = []
        for kind, ka, kb, name, da, db in self._steps:
            w = getattr(self, name)  # (R, da db)
            xa = blocks[ka].reshape(b, -1, da, t.shape[-1])
            if kind == "outer":  # every copy of a with every copy of b
                xb = blocks[kb].reshape(b, -1, db, t.shape[-1])
                prod = xa[:, :, None, :, None] * xb[:, None, :, None, :]  # (B, ma, mb, da, db, S)
            elif kind == "offdiag":  # pairs p < q of copies of the same irrep
                pa, pb = xa[:, getattr(self, f"{name}_p")], xa[:, getattr(self, f"{name}_q")]
                prod = pa[:, :, :, None] * pb[:, :, None, :]  # (B, pairs, d, d, S)
            else:  # each copy with itself (symmetric CG part)
                prod = xa[:, :, :, None] * xa[:, :, None, :]  # (B, m, d, d, S)
            prod = prod.reshape(b, -1, da * db, t.shape[-1])
            out.append(torch.matmul(w, prod).reshape(b, -1, t.shape[-1]))  # (B, copies R, S)
        return torch.cat(out, dim=1)


def _channels(starts, d) -> torch.Tensor:
    return torch.as_tensor(np.concatenate([np.arange(s, s + d) for s in starts]))


def _blocks_by_irrep(group, ids) -> dict:
    """irrep id -> starts of its blocks in a list of irrep ids laid out consecutively."""
    out: dict[tuple, list[int]] = {}
    start = 0
    for i in ids:
        out.setdefault(i, []).append(start)
        start += group._irrep_spec(i).dim
    return out


class TensorProductModule(Float64Constants, EquivariantModule):
    """A learnable equivariant quadratic map: ``out = Q_out W z(x)`` with z the Clebsch-Gordan
    decomposition of the symmetric tensor square of x.

    Definition: write the input in irrep coordinates x^ = Q_in^T x (blocks x^_a of irreps
    psi_a). For every pair of blocks a <= b and every irrep psi_c of ``out_type``, the
    Clebsch-Gordan maps C_mu: psi_a (x) psi_b -> psi_c give equivariant quadratic features
    z_{ab,c,mu} = C_mu^T (x^_a (x) x^_b) (for a = b the symmetric part of C_mu, since the
    antisymmetric part vanishes on x (x) x). These span all of Sym^2(rho_in) that can reach
    ``out_type``. W is the most general equivariant linear map from the features to the
    output's irreps (Schur: the block from a feature of irrep psi_c to an output block of psi_c
    is sum_e w_e E_e over the endomorphisms E_e of psi_c; other blocks are zero), so the module
    is the most general equivariant homogeneous quadratic map from ``in_type`` to ``out_type``
    (no bias). It acts pointwise (any gspace): one outer product and one matmul per pair of
    input irrep types, then one matmul with the expanded W (cached in eval mode).

    Args:
        in_type, out_type: field types of one gspace.
        initialize: initialise the weights so that an output block has the mean squared norm
            of the features feeding it (else zeros).

    Attributes:
        weights: the flat learnable parameter (per output irrep c, ``(M_c, N_c, s_c)``: output
            blocks, feature blocks, endomorphisms); ``features``: the fixed quadratic features.

    Shapes:
        - input: ``(B, in_type.size, ...)``; output: ``(B, out_type.size, ...)``
    """

    def __init__(self, in_type: FieldType, out_type: FieldType, initialize: bool = True):
        super().__init__()
        check_type_pair(in_type, out_type)
        self.in_type, self.out_type = in_type, out_type
        G = in_type.fibergroup
        self.features = QuadraticFeatures(in_type, list(dict.fromkeys(out_type.irreps)))
        if not self.features.irreps:
            raise EmptyBasisException(
                f"no equivariant quadratic map from {in_type} to {out_type}: no irrep of the output "
                f"occurs in the symmetric tensor square of the input"
            )
        out_blocks = _blocks_by_irrep(G, out_type.irreps)
        z_blocks = _blocks_by_irrep(G, self.features.irreps)
        self._layout = []  # (endomorphism buffer, M, N, s, d, weight offset)
        rows, cols, std, offset = [], [], [], 0
        for c, z_starts in z_blocks.items():  # every feature irrep occurs in the output
            irrep = G.irrep(*c)
            endos = irrep.endomorphism_basis()  # (s, d, d), E_0 = I
            M, N, (s, d, _) = len(out_blocks[c]), len(z_starts), endos.shape
            name = f"endo_{len(self._layout)}"
            self.register_constant(name, endos)
            self._layout.append((name, M, N, s, d, offset))
            rows.append(_channels(out_blocks[c], d))
            cols.append(_channels(z_starts, d))
            std.append(np.full(M * N * s, 1.0 / np.sqrt(N * s)))
            offset += M * N * s
        self.register_buffer("row_index", torch.cat(rows), persistent=False)
        self.register_buffer("col_index", torch.argsort(torch.cat(cols)), persistent=False)
        self._std = np.concatenate(std)
        q = out_type.change_of_basis
        self._rotate = not np.array_equal(q, np.eye(q.shape[0]))
        if self._rotate:
            self.register_constant("q_out", q)
        self.weights = torch.nn.Parameter(torch.zeros(offset))
        self.bias = None  # for cached_expansion
        self.recompute = False
        self._cache = None
        if initialize:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            std = torch.as_tensor(self._std, dtype=self.weights.dtype, device=self.weights.device)
            self.weights.copy_(torch.randn_like(self.weights) * std)

    def expand_parameters(self):
        """``(W (out_type.size, number of feature channels), None)``."""
        blocks = []
        for name, M, N, s, d, offset in self._layout:
            w = self.weights[offset : offset + M * N * s].view(M, N, s)
            blocks.append(torch.einsum("mne,eij->minj", w, getattr(self, name)).reshape(M * d, N * d))
        sorted_w = torch.block_diag(*blocks)[:, self.col_index]  # rows by irrep type
        matrix = sorted_w.new_zeros(self.out_type.size, sorted_w.shape[1]).index_copy(
            0, self.row_index, sorted_w
        )
        if self._rotate:
            matrix = self.q_out @ matrix
        return matrix, None

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        t = self._check_input(x)
        z = self.features(t)  # (B, Z, S)
        matrix = cached_expansion(self)[0]
        out = torch.matmul(matrix, z).reshape(t.shape[0], self.out_type.size, *t.shape[2:])
        return GeometricTensor(out, self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return self._fieldwise_output_shape(input_shape)

    def export(self) -> torch.nn.Module:
        import copy

        with torch.no_grad():
            matrix = self.expand_parameters()[0].detach().clone()
        return _QuadraticMap(copy.deepcopy(self.features), matrix)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, features={len(self.features.irreps)}"


class _QuadraticMap(torch.nn.Module):
    """Plain torch export: ``W @ features(x)`` with a fixed W."""

    def __init__(self, features: QuadraticFeatures, matrix: torch.Tensor):
        super().__init__()
        self.features = features
        self.register_buffer("matrix", matrix)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.matmul(self.matrix, self.features(x))
        return out.reshape(x.shape[0], self.matrix.shape[0], *x.shape[2:])
