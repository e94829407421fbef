"""Batch statistics in the irrep basis as one autograd function (GNormBatchNorm's training pass).

A group of ``F`` fields of size ``n`` with change of basis ``Q`` is normalised in the irrep basis
``z = Q^T f`` (see ``_field_statistics``): channels in a mean slot are centred, every variance slot
is scaled by ``w / sqrt(var + eps)`` and mean slots get a bias; the result is mapped back by ``Q``.
Written with autograd, the backward makes five or six passes that write a tensor of the input's
size. Here the forward is the input's Gram matrix (a batched matmul with a tiny output), a
projection onto the mean channels and one ``baddbmm``; the backward is the cross Gram matrix of
the gradient and the input, the same projection of the gradient, and

    grad_f = Q diag(a) Q^T grad + Q diag(-k) Q^T f + Q c

(``a``, ``k``, ``c`` per channel of the irrep basis, derived below): one ``baddbmm`` into a new
tensor and one in place. That is two full-size writes per training step, as torch's batch norm.

With ``z`` centred by ``centre`` (zero outside mean channels), ``r = (var + eps)^-1/2`` per variance
slot ``s`` of ``|s|`` channels, ``N`` values per channel, ``g = Q^T grad`` and
``T_s = sum_{c in s, i} g_ci (z_ci - centre_c)``:

    dL/dz_ci = a_c g_ci - k_c (z_ci - centre_c) - [c has a mean] a_c G_m(c) / (|m| N),
    a = w r,  k = w r^3 T_s / (|s| N),  G_m = sum_{c in m, i} g_ci,

the weight gradient is ``r T_s`` and the bias gradient ``G_m``. The sums over the mean channels
use the centred values directly (no ``E[z^2] - mean^2`` cancellation in float32); the other
channels' sums come from the diagonal of ``Q^T (sum f f^T) Q`` and ``Q^T (sum grad f^T) Q``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

__all__ = ["IrrepBasisConstants", "irrep_basis_batch_norm"]


class IrrepBasisConstants(NamedTuple):
    """Per group of fields; tensors on the input's device and dtype."""

    q: torch.Tensor  # (n, n) change of basis
    q_mean: torch.Tensor | None  # (n, m): the columns of the mean channels (None: no mean)
    mean_channels: torch.Tensor | None  # (m,) their indices in the irrep basis
    mean_average: torch.Tensor | None  # (m, M): average of a mean slot's channels
    mean_spread: torch.Tensor | None  # (M, n): a mean slot's value to its channels
    var_average: torch.Tensor  # (n, V)
    var_spread: torch.Tensor  # (V, n)
    var_count: torch.Tensor  # (V,): channels per variance slot
    eps: float
    mean_column: float = 0.0  # if not 0: q_mean is one column with this value in every entry


def _project_mean(c: IrrepBasisConstants, t: torch.Tensor) -> torch.Tensor:
    """``q_mean^T t`` for ``t`` ``(B, F, n, P)``: a channel sum when the mean channel is the
    channels' average (permutation representations: regular, quotient), else a batched matmul."""
    if c.mean_column:
        return t.sum(dim=2, keepdim=True).mul_(c.mean_column)
    return torch.matmul(c.q_mean.t(), t)


def _diag_in_basis(s: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """``diag(Q^T S Q)`` for ``S`` ``(F, n, n)``."""
    return ((s @ q) * q).sum(dim=-2)


def _gram(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``sum over batch and positions of a b^T`` for ``(B, F, n, P)`` tensors: ``(F, n, n)``."""
    bsz, f, n, p = a.shape
    prod = torch.bmm(a.reshape(bsz * f, n, p), b.reshape(bsz * f, n, p).transpose(1, 2))
    return prod.view(bsz, f, n, n).sum(dim=0)


def _apply_map(matrix, shift, v):
    """``matrix @ v + shift`` with ``matrix`` ``(F, n, n)``, ``shift`` ``(F, n)``, ``v``
    ``(B, F, n, P)``, as one batched matmul."""
    bsz, f, n, p = v.shape
    out = torch.baddbmm(
        shift.unsqueeze(0).expand(bsz, f, n).reshape(bsz * f, n, 1),
        matrix.unsqueeze(0).expand(bsz, f, n, n).reshape(bsz * f, n, n),
        v.reshape(bsz * f, n, p),
    )
    return out.view(bsz, f, n, p)


def _forward(v, weight, bias, c: IrrepBasisConstants):
    """The normalisation with plain differentiable ops: ``(out, mean, var, matrix, r, zc)`` with
    ``zc`` the centred mean channels."""
    count = v.shape[0] * v.shape[3]
    square = _diag_in_basis(_gram(v, v), c.q) / count  # (F, n): E[z^2]
    mean = centre = zc = None
    if c.q_mean is not None:
        zm = _project_mean(c, v)  # (B, F, m, P)
        mean = (zm.sum(dim=(0, 3)) / count) @ c.mean_average  # (F, M)
        centre_m = mean @ c.mean_spread.index_select(1, c.mean_channels)  # (F, m)
        zc = zm - centre_m.unsqueeze(-1)
        centred = torch.linalg.vector_norm(zc, dim=(0, 3)).square() / count
        square = square.index_copy(1, c.mean_channels, centred)
        centre = mean @ c.mean_spread  # (F, n)
    var = square @ c.var_average  # (F, V)
    r = torch.rsqrt(var + c.eps)
    a_slot = r if weight is None else r * weight
    a = a_slot @ c.var_spread  # (F, n)
    matrix = (c.q * a.unsqueeze(-2)) @ c.q.t()  # Q diag(a) Q^T
    shift = torch.zeros_like(a) if centre is None else -a * centre
    if bias is not None:
        shift = shift + bias @ c.mean_spread
    out = _apply_map(matrix, shift @ c.q.t(), v)
    return out, mean, var, matrix, r, zc


class _IrrepBasisBatchNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v, weight, bias, c):
        out, mean, var, matrix, r, zc = _forward(v, weight, bias, c)
        ctx.constants = c
        ctx.save_for_backward(v, weight, bias, matrix, r, zc, mean)
        if mean is None:
            mean = v.new_zeros(0)
        ctx.mark_non_differentiable(mean, var)
        return out, mean, var

    @staticmethod
    def backward(ctx, grad, _grad_mean, _grad_var):
        v, weight, bias, matrix, r, zc, mean = ctx.saved_tensors
        c = ctx.constants
        if torch.is_grad_enabled():  # double backward: differentiate the plain forward
            inputs = [t for t in (v, weight, bias) if t is not None and t.requires_grad]
            with torch.enable_grad():
                out = _forward(v, weight, bias, c)[0]
            grads = iter(torch.autograd.grad(out, inputs, grad, create_graph=True, allow_unused=True))
            return (
                *(next(grads) if t is not None and t.requires_grad else None for t in (v, weight, bias)),
                None,
            )
        grad = grad.contiguous()
        count = v.shape[0] * v.shape[3]
        cross = _diag_in_basis(_gram(grad, v), c.q)  # (F, n): sum g_c z_c
        bias_grad = None
        if c.q_mean is not None:
            gm = _project_mean(c, grad)  # (B, F, m, P)
            g_sum = gm.sum(dim=(0, 3))  # (F, m)
            bsz, f, m, p = gm.shape
            # sum of gm * zc: a batched dot product (no temporary of gm's size)
            centred = torch.bmm(gm.view(-1, 1, p), zc.view(-1, p, 1)).view(bsz, f, m).sum(dim=0)
            cross = cross.index_copy(1, c.mean_channels, centred)
            bias_grad = g_sum @ c.mean_spread.index_select(1, c.mean_channels).t()  # G_m: (F, M)
        t_slot = cross @ c.var_spread.t()  # (F, V)
        w = torch.ones_like(r) if weight is None else weight
        a = (w * r) @ c.var_spread  # (F, n)
        k = (w * r.pow(3) * t_slot / (c.var_count * count)) @ c.var_spread
        const = torch.zeros_like(a)
        if c.q_mean is not None:
            centre = mean @ c.mean_spread  # (F, n)
            mean_term = (bias_grad / count) @ c.mean_average.t()  # (F, m): G_m / (|m| N)
            const = k * centre
            const = const.index_add(1, c.mean_channels, -a.index_select(1, c.mean_channels) * mean_term)
        grad_v = None
        if ctx.needs_input_grad[0]:
            second = (c.q * (-k).unsqueeze(-2)) @ c.q.t()
            grad_v = _apply_map(second, const @ c.q.t(), v)
            bsz, f, n, p = v.shape
            grad_v.view(bsz * f, n, p).baddbmm_(
                matrix.unsqueeze(0).expand(bsz, f, n, n).reshape(bsz * f, n, n), grad.view(bsz * f, n, p)
            )
        weight_grad = r * t_slot if weight is not None and ctx.needs_input_grad[1] else None
        if not (bias is not None and ctx.needs_input_grad[2]):
            bias_grad = None
        return grad_v, weight_grad, bias_grad, None


def irrep_basis_batch_norm(v, weight, bias, constants: IrrepBasisConstants):
    """``(out, mean, var)`` for ``v`` ``(B, F, n, P)``, ``weight`` ``(F, V)`` or ``None``, ``bias``
    ``(F, M)`` or ``None``; ``mean`` ``(F, M)`` (empty without mean slots) and ``var`` ``(F, V)`` are
    the batch statistics (biased), detached."""
    if math.prod(v.shape) == 0:
        raise ValueError(f"cannot normalise an empty tensor of shape {tuple(v.shape)}")
    return _IrrepBasisBatchNorm.apply(v, weight, bias, constants)
