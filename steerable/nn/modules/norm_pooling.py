"""Invariant maps from norms: the norm of every field (NormPool) and, for induced fields, the
maximum of the norms of the induced blocks (InducedNormPool).

Every representation here is orthogonal, so |rho(g) v| = |v|: the norm of a field is invariant.
An induced representation Ind_H^G(psi) acts on k blocks of size dim(psi) (one per coset of H)
by permuting the blocks and rotating each by some psi(h): the multiset of the block norms is
invariant, hence so is their maximum.
"""

from __future__ import annotations

import numpy as np
import torch

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from ._pooling_utils import field_groups

__all__ = ["NormPool", "InducedNormPool"]


class _BlockNorm(torch.autograd.Function):
    """Euclidean norm over ``dim`` with a one-pass backward, ``x * (g / |x|)`` (0 where |x| = 0,
    the subgradient torch uses): ``linalg.vector_norm``'s backward over a middle dimension is
    ~3x slower on CPU."""

    @staticmethod
    def forward(ctx, x, dim: int):
        norms = x.square().sum(dim).sqrt_()
        ctx.save_for_backward(x, norms)
        ctx.dim = dim
        return norms

    @staticmethod
    def backward(ctx, grad):
        x, norms = ctx.saved_tensors
        scale = torch.where(norms > 0, grad / norms, torch.zeros_like(norms))
        return x * scale.unsqueeze(ctx.dim), None


class _BlockNormMax(torch.nn.Module):
    """Plain torch: every field of ``size`` channels is split into ``size // block`` consecutive
    blocks; the output channel of the field is the maximum of the blocks' Euclidean norms.
    Fields with the same (size, block) are processed by one batched reshape."""

    def __init__(self, in_type: FieldType, blocks):
        super().__init__()
        keys = [(r.size, b) for r, b in zip(in_type.representations, blocks)]
        groups = field_groups(in_type, keys)
        self.group_shapes = []  # (number of fields, blocks per field, block size)
        order = []
        for i, ((size, block), fields, channels) in enumerate(groups):
            self.group_shapes.append((len(fields), size // block, block))
            self.register_buffer(f"channels_{i}", torch.as_tensor(channels), persistent=False)
            order.append(fields)
        order = np.concatenate(order)
        # outputs are produced group by group; this puts them back in field order
        self.identity_in = len(groups) == 1
        self.identity_out = bool(np.array_equal(order, np.arange(len(order))))
        self.register_buffer("field_order", torch.as_tensor(np.argsort(order)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, spatial = x.shape[0], x.shape[2:]
        parts = []
        for i, (nf, k, block) in enumerate(self.group_shapes):
            xs = x if self.identity_in else x.index_select(1, getattr(self, f"channels_{i}"))
            xs = xs.reshape(b, nf, k, block, *spatial)
            norms = _BlockNorm.apply(xs, 3)  # (B, F, k, ...)
            parts.append(norms.amax(dim=2) if k > 1 else norms.squeeze(2))
        out = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        return out if self.identity_out else out.index_select(1, self.field_order)


class _NormPoolBase(EquivariantModule):
    def _setup(self, in_type: FieldType, blocks):
        self.in_type = in_type
        self.out_type = FieldType(in_type.gspace, [in_type.fibergroup.trivial_representation] * len(in_type))
        self._pool = _BlockNormMax(in_type, blocks)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(self._pool(self._check_input(x)), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        s = tuple(input_shape)
        if len(s) < 2 or s[1] != self.in_type.size:
            raise ValueError(f"{type(self).__name__} expects a shape (B, {self.in_type.size}, ...), got {s}")
        return (s[0], len(self.in_type)) + s[2:]

    def export(self) -> torch.nn.Module:
        import copy

        return copy.deepcopy(self._pool)

    def extra_repr(self) -> str:
        return f"{self.in_type}"


class NormPool(_NormPoolBase):
    """The Euclidean norm of every field: one invariant (trivial) channel per field. Works for
    any representation (all are orthogonal) and any base space (grids, point clouds, none).

    Args:
        in_type: the field type.

    Shapes:
        - input: ``(B, C, ...)``; output: ``(B, number of fields, ...)``.
    """

    def __init__(self, in_type: FieldType):
        super().__init__()
        check_field_type(in_type, "NormPool")
        self._setup(in_type, [r.size for r in in_type.representations])


class InducedNormPool(_NormPoolBase):
    """For fields of induced representations Ind_H^G(psi): the norm of each of the ``[G:H]``
    blocks of ``dim(psi)`` channels, then the maximum over the blocks: one invariant (trivial)
    channel per field. Every field must be an induced (or quotient) representation as built by
    ``group.induced_representation`` (it carries ``'induced_norm'`` and its ``induced_repr``).

    Args:
        in_type: the field type.

    Shapes:
        - input: ``(B, C, ...)``; output: ``(B, number of fields, ...)``.
    """

    def __init__(self, in_type: FieldType):
        super().__init__()
        check_field_type(in_type, "InducedNormPool")
        bad = [
            r.name
            for r in in_type.representations
            if "induced_norm" not in r.supported_nonlinearities or "induced_repr" not in r.attributes
        ]
        if bad:
            raise ValueError(
                f"InducedNormPool needs induced representations (from induced_representation or "
                f"quotient_representation); these fields are not: {sorted(set(bad))}"
            )
        self._setup(in_type, [r.induced_repr.size for r in in_type.representations])
