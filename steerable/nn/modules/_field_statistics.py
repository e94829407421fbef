"""The engine shared by the field-wise normalisations (NormBatchNorm, InducedNormBatchNorm,
GNormBatchNorm, IIDBatchNorm*, FieldNorm).

Every one of them is described per field by a :class:`FieldSpec`: an optional orthogonal change of
basis ``Q`` (the statistics are taken on ``z = Q^T f``, e.g. in the irrep basis) and two partitions
of the field's channels into *slots*:

* mean slots: channels that share one mean, which is subtracted from them (channels in no mean slot
  are not centred: subtracting a mean there would break equivariance);
* variance slots: channels that share one second moment ``E[z^2]`` (of the centred values) and one
  learnable scale. Every mean slot lies inside one variance slot.

The output is ``Q (scale * (z - mean) + bias)``, with one bias per mean slot. Fields with equal
specs are normalised together in one vectorised pass over ``(B, fields, n, *spatial)``; the slots
are pooled with small averaging matrices. Batch statistics average over the batch and the spatial
dimensions (``per_sample=False``), per-sample statistics over the spatial dimensions only.

Fast paths (same math, fewer passes over the tensor): a group whose fields have one variance slot
is normalised in the original basis, where the map is ``s * (f - L mu) + c`` per field. If no mean
is removed (``L = 0``) this is a root-mean-square scaling (:class:`_RMSScale`, one reduction and
one product forward); if the removed mean is the mean of all the field's channels
(``L = 1 1^T / n``, e.g. regular fields in IID statistics, trivial or quotient fields) it is
torch's batch norm (group norm for per-sample statistics) on the ``(B, fields, n * spatial)``
view. Other groups go through the irrep basis with batched matmuls.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from ._irrep_batch_norm import IrrepBasisConstants, irrep_basis_batch_norm
from .basis_expansion import Float64Constants

__all__ = [
    "FieldNormalisationModule",
    "FieldSpec",
    "SlotNormalisation",
    "PlainFieldNormalisation",
    "check_options",
    "irrep_basis_spec",
]


class FieldSpec(NamedTuple):
    """How one field is normalised (see the module docstring).

    ``change_of_basis`` is ``None`` when it is the identity; ``mean_slot[c]`` is the mean slot of
    channel ``c`` of ``Q^T f`` (or -1), ``var_slot[c]`` its variance slot. Slots are numbered from 0
    without gaps."""

    change_of_basis: np.ndarray | None
    mean_slot: tuple
    var_slot: tuple


class _Group(NamedTuple):
    n: int  # channels per field
    fields: int
    means: int  # mean slots per field
    variances: int  # variance slots per field
    has_q: bool
    full: bool  # the group holds every channel, in order (no gather needed)
    degenerate: bool  # some variance slot has as many means as channels (undefined from one value)
    kind: str = "general"  # "rms": one variance slot, no mean; "centred": torch's batch/group norm
    kappa: float = 1.0  # centred: the mean slot's value is kappa * (mean of the field's channels)
    beta: float = 1.0  # centred: a mean slot's value v adds v * beta to every channel of the field
    mean_column: float = (
        0.0  # if not 0: the one mean channel of the irrep basis is this times the channel sum
    )


def _fast_kind(spec: FieldSpec, means: int, variances: int) -> tuple:
    """``(kind, kappa, beta)``: which fast path normalises fields of ``spec`` (module docstring)."""
    if variances != 1:
        return "general", 1.0, 1.0
    if means == 0:
        return "rms", 1.0, 1.0
    n = len(spec.var_slot)
    if means != 1 or any(s != 0 for s in spec.var_slot):
        return "general", 1.0, 1.0
    average, spread = _averaging(spec.mean_slot, 1)
    q = np.eye(n) if spec.change_of_basis is None else np.asarray(spec.change_of_basis, dtype=np.float64)
    u, v = (q @ average)[:, 0], (spread @ q.T)[0]  # the removed mean is (f . u) v in the original basis
    if not (np.allclose(u, u[0], rtol=0, atol=1e-12) and np.allclose(v, v[0], rtol=0, atol=1e-12)):
        return "general", 1.0, 1.0
    kappa, beta = float(u.sum()), float(v[0])
    if abs(kappa * beta - 1.0) > 1e-12:
        return "general", 1.0, 1.0
    return "centred", kappa, beta


def _mean_column(spec: FieldSpec) -> float:
    """The value ``u`` if the field's only mean channel is ``z_c = u * sum(f)`` (the trivial
    irrep of a permutation representation), else 0."""
    channels = [c for c, s in enumerate(spec.mean_slot) if s >= 0]
    if spec.change_of_basis is None or len(channels) != 1:
        return 0.0
    column = np.asarray(spec.change_of_basis, dtype=np.float64)[:, channels[0]]
    return float(column[0]) if np.allclose(column, column[0], rtol=0, atol=1e-12) else 0.0


def _small_mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` for the small statistics matrices, as a broadcast product and a sum: a BLAS call
    per tiny product costs far more than the product (thread start-up, badly so on a loaded
    machine); large products still go to BLAS."""
    if a.shape[-1] * a[..., :1].numel() * b.shape[-1] > 1 << 16:
        return a @ b
    return (a.unsqueeze(-1) * b.unsqueeze(-3)).sum(dim=-2)


class _Gram(torch.autograd.Function):
    """``v v^T`` over the last dimension, with the backward ``(G + G^T) v`` as one batched matmul
    (autograd would differentiate both factors separately: two matmuls and a sum)."""

    @staticmethod
    def forward(ctx, v):
        ctx.save_for_backward(v)
        return torch.matmul(v, v.transpose(-1, -2))

    @staticmethod
    def backward(ctx, grad):
        (v,) = ctx.saved_tensors
        return torch.matmul(grad + grad.transpose(-1, -2), v)


class _RMSScale(torch.autograd.Function):
    """``(out, ms) = (v * w * rsqrt(ms + eps), ms)`` with ``ms = mean(v^2)`` over ``dims`` of
    ``v = (B, F, L)`` and ``w`` ``(F,)`` (or ``None``): the root-mean-square scaling of fields
    (one reduction and one product forward, a batched dot product and one ``addcmul`` backward)."""

    @staticmethod
    def forward(ctx, v, w, dims, eps):
        count = math.prod([v.shape[d] for d in dims])
        ms = torch.linalg.vector_norm(v, dim=dims, keepdim=True).square_().div_(count)
        r = torch.rsqrt(ms + eps)
        s = r if w is None else r * w.view(1, -1, 1)
        ctx.save_for_backward(v, w, r, s)
        ctx.dims, ctx.count, ctx.eps = dims, count, eps
        ms = ms.detach()
        ctx.mark_non_differentiable(ms)
        return v * s, ms

    @staticmethod
    def backward(ctx, grad, _grad_ms):
        v, w, r, s = ctx.saved_tensors
        if torch.is_grad_enabled():  # double backward: recompute the statistics with their graph
            ms = v.square().sum(dim=ctx.dims, keepdim=True) / ctx.count
            r = torch.rsqrt(ms + ctx.eps)
            s = r if w is None else r * w.view(1, -1, 1)
        # sum of grad * v per statistic: a batched dot product (no temporary of the input's size)
        dot = torch.matmul(grad.unsqueeze(-2), v.unsqueeze(-1)).squeeze(-1)  # (B, F, 1)
        if 0 in ctx.dims:
            dot = dot.sum(dim=0, keepdim=True)
        # one full-size allocation: the second term is added in place
        grad_v = (grad * s).addcmul_(v, -(s * r * r / ctx.count) * dot) if ctx.needs_input_grad[0] else None
        grad_w = (dot * r).sum(dim=0).reshape(-1) if w is not None and ctx.needs_input_grad[1] else None
        return grad_v, grad_w, None, None


def check_options(module: str, eps, momentum=0.1) -> None:
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps >= 0:
        raise ValueError(f"{module}: eps must be a non-negative number, got {eps!r}")
    if momentum is not None and (
        isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1
    ):
        raise ValueError(f"{module}: momentum must be None or a number in [0, 1], got {momentum!r}")


def irrep_basis_spec(rep, variance_per_irrep: bool) -> tuple:
    """``(key, FieldSpec)`` in the irrep basis ``Q^T f`` of ``rep``: one mean per trivial irrep and
    one variance per irrep block (``variance_per_irrep``) or per field."""
    group = rep.group
    trivial = group.trivial_representation.id
    mean_slot, var_slot = [], []
    means = 0
    for k, irrep in enumerate(rep.irreps):
        d = group.irrep(*irrep).size
        if irrep == trivial:
            mean_slot.append(means)
            means += 1
        else:
            mean_slot.extend([-1] * d)
        var_slot.extend([k if variance_per_irrep else 0] * d)
    q = rep.change_of_basis
    q = None if np.array_equal(q, np.eye(rep.size)) else q
    return rep, FieldSpec(q, tuple(mean_slot), tuple(var_slot))


def _slot_count(slots) -> int:
    used = sorted({s for s in slots if s >= 0})
    if used != list(range(len(used))):
        raise ValueError(f"slots must be numbered from 0 without gaps, got {used}")
    return len(used)


def _averaging(slots, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``(n, count)`` matrix averaging the channels of each slot, and ``(count, n)`` indicator
    spreading a slot's value back to its channels."""
    slots = np.asarray(slots)
    spread = np.zeros((count, len(slots)))
    for c, s in enumerate(slots):
        if s >= 0:
            spread[s, c] = 1.0
    return spread.T / np.maximum(spread.sum(axis=1), 1.0), spread


class SlotNormalisation(Float64Constants):
    """Mixin for torch modules: builds the parameters, buffers and constants from per-field specs
    (``_build_slots``) and normalises a plain tensor (``_normalise``).

    State (``weight`` per variance slot, ``bias`` per mean slot, ``running_mean``, ``running_var``,
    ``num_batches_tracked``) is laid out field by field in the field type's order; a tensor is
    ``None`` where there is nothing to hold (no mean slots, ``affine=False``, no tracking)."""

    def _build_slots(self, field_specs, eps, momentum, affine, track_running_stats, per_sample):
        field_specs = [(key, FieldSpec(*spec)) for key, spec in field_specs]
        self._field_specs = field_specs  # kept to build the plain export
        self.eps, self.momentum, self.affine = float(eps), momentum, bool(affine)
        self.per_sample = bool(per_sample)
        self.track_running_stats = bool(track_running_stats) and not self.per_sample
        specs = [spec for _, spec in field_specs]
        n_means = [_slot_count(s.mean_slot) for s in specs]
        n_vars = [_slot_count(s.var_slot) for s in specs]
        mean_start = np.cumsum([0] + n_means)
        var_start = np.cumsum([0] + n_vars)
        channel_start = np.cumsum([0] + [len(s.var_slot) for s in specs])
        total_means, total_vars = int(mean_start[-1]), int(var_start[-1])
        self.register_parameter("weight", torch.nn.Parameter(torch.ones(total_vars)) if self.affine else None)
        has_bias = self.affine and total_means > 0  # biases only where there is a mean (equivariance)
        self.register_parameter("bias", torch.nn.Parameter(torch.zeros(total_means)) if has_bias else None)
        if self.track_running_stats:
            self.register_buffer("running_mean", torch.zeros(total_means) if total_means else None)
            self.register_buffer("running_var", torch.ones(total_vars))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

        groups: dict = {}  # insertion order: deterministic, the order of first occurrence
        for f, (key, _) in enumerate(field_specs):
            groups.setdefault(key, []).append(f)
        metas, order = [], []
        for gi, fields in enumerate(groups.values()):
            spec = specs[fields[0]]
            n, means, variances = len(spec.var_slot), n_means[fields[0]], n_vars[fields[0]]
            channels = np.concatenate([np.arange(channel_start[f], channel_start[f] + n) for f in fields])
            order.extend(channels.tolist())
            full = len(groups) == 1
            if not full:
                self.register_buffer(f"_channels{gi}", torch.as_tensor(channels), persistent=False)
            has_q = spec.change_of_basis is not None
            if has_q:
                self.register_constant(f"_q{gi}", spec.change_of_basis)
            if means:
                average, spread = _averaging(spec.mean_slot, means)
                self.register_constant(f"_mean_spread{gi}", spread)
                # the channels of the irrep basis in a mean slot: only they are centred
                channels_m = np.flatnonzero(np.asarray(spec.mean_slot) >= 0)
                self.register_buffer(f"_mean_channels{gi}", torch.as_tensor(channels_m), persistent=False)
                self.register_constant(f"_mean_average_m{gi}", average[channels_m])
                if has_q:
                    self.register_constant(f"_q_mean{gi}", spec.change_of_basis[:, channels_m])
                index = mean_start[fields][:, None] + np.arange(means)[None, :]
                self.register_buffer(f"_mean_index{gi}", torch.as_tensor(index), persistent=False)
            average, spread = _averaging(spec.var_slot, variances)
            self.register_constant(f"_var_average{gi}", average)
            self.register_constant(f"_var_spread{gi}", spread)
            index = var_start[fields][:, None] + np.arange(variances)[None, :]
            self.register_buffer(f"_var_index{gi}", torch.as_tensor(index), persistent=False)
            # per variance slot: its channels and the means estimated inside it (degrees of freedom)
            counts = spread.sum(axis=1)
            means_in = np.zeros(variances)
            for m in range(means):
                slots = {spec.var_slot[c] for c in range(n) if spec.mean_slot[c] == m}
                if len(slots) != 1:
                    raise ValueError(f"mean slot {m} spans variance slots {sorted(slots)}, not one")
                means_in[slots.pop()] += 1
            self.register_constant(f"_var_count{gi}", counts)
            self.register_constant(f"_var_means{gi}", means_in)
            degenerate = bool(np.any((means_in > 0) & (means_in >= counts)))
            kind = _fast_kind(spec, means, variances)
            metas.append(
                _Group(n, len(fields), means, variances, has_q, full, degenerate, *kind, _mean_column(spec))
            )
        self._groups = tuple(metas)
        inverse = np.argsort(np.asarray(order))
        if not np.array_equal(inverse, np.arange(len(order))):
            self.register_buffer("_inverse", torch.as_tensor(inverse), persistent=False)
        else:
            self._inverse = None

    # ------------------------------------------------------------------ state
    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            if self.running_mean is not None:
                self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            with torch.no_grad():
                self.weight.fill_(1.0)
                if self.bias is not None:
                    self.bias.zero_()

    # ------------------------------------------------------------------ computation
    def _normalise(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_autocast_enabled(x.device.type):
            # as torch's batch norm under autocast: statistics and output in float32 (the small
            # matmuls that pool the slots would otherwise run in half precision)
            with torch.autocast(x.device.type, enabled=False):
                return self._normalise(x.float() if x.dtype in (torch.float16, torch.bfloat16) else x)
        use_batch = self.per_sample or self.training or not self.track_running_stats
        if use_batch and not self.per_sample:
            values = x.shape[0] * math.prod(x.shape[2:])
            if values == 1 and any(g.degenerate for g in self._groups):
                raise ValueError(
                    f"{type(self).__name__} needs more than one value per statistic to compute batch "
                    f"statistics (training mode), got an input of shape {tuple(x.shape)}"
                )
        factor = None
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average, as torch's BatchNorm
                factor = torch.reciprocal(self.num_batches_tracked.to(self.running_var.dtype))
            else:
                factor = self.momentum
        parts = [self._normalise_group(x, gi, g, use_batch, factor) for gi, g in enumerate(self._groups)]
        if len(parts) == 1:
            return parts[0]
        out = torch.cat(parts, dim=1)
        return out if self._inverse is None else out.index_select(1, self._inverse)

    def _normalise_group(self, x, gi, g: _Group, use_batch: bool, factor):
        b, spatial = x.shape[0], x.shape[2:]
        part = x if g.full else x.index_select(1, getattr(self, f"_channels{gi}"))
        if g.kind == "rms":
            out = self._rms_group(part, gi, g, use_batch, factor)
        elif g.kind == "centred":
            out = self._centred_group(part, gi, g, use_batch, factor)
        else:
            out = self._general_group(part, gi, g, use_batch, factor)
        return out.reshape(b, g.fields * g.n, *spatial)

    def _rms_group(self, part, gi, g: _Group, use_batch: bool, factor):
        """One variance slot and no mean: ``f * w / sqrt(E[|f|^2] / n + eps)`` (the change of basis
        cancels)."""
        v = part.reshape(part.shape[0], g.fields, -1)  # (B, F, n * spatial)
        var_index = getattr(self, f"_var_index{gi}").reshape(-1)
        weight = None if self.weight is None else self.weight[var_index]
        if not use_batch:
            scale = torch.rsqrt(self.running_var[var_index] + self.eps)
            scale = scale if weight is None else scale * weight
            return v * scale.view(1, -1, 1)
        dims = (2,) if self.per_sample else (0, 2)
        out, ms = _RMSScale.apply(v, weight, dims, self.eps)
        if factor is not None:
            self._update(gi, g, None, ms.reshape(1, g.fields, 1), factor, v.shape[0] * v.shape[2] // g.n)
        return out

    def _centred_group(self, part, gi, g: _Group, use_batch: bool, factor):
        """One variance slot and one mean slot whose removed mean is the mean of the field's
        channels: torch's batch norm (group norm) on the ``(B, F, n * spatial)`` view (the aten
        ops: the functional wrappers refuse ``eps=0``, which these modules allow)."""
        cudnn = torch.backends.cudnn.enabled
        var_index = getattr(self, f"_var_index{gi}").reshape(-1)
        mean_index = getattr(self, f"_mean_index{gi}").reshape(-1)
        weight = None if self.weight is None else self.weight[var_index]
        bias = None if self.bias is None else self.bias[mean_index] * g.beta
        if self.per_sample:
            if weight is not None:
                weight = weight.repeat_interleave(g.n)
            if bias is not None:
                bias = bias.repeat_interleave(g.n)
            return torch.group_norm(part, g.fields, weight, bias, self.eps, cudnn)
        v = part.reshape(part.shape[0], g.fields, -1)
        if not use_batch:
            mean = self.running_mean[mean_index] * g.beta
            return torch.batch_norm(
                v, weight, bias, mean, self.running_var[var_index], False, 0.0, self.eps, cudnn
            )
        if factor is None:
            return torch.batch_norm(v, weight, bias, None, None, True, 0.0, self.eps, cudnn)
        # momentum 1: the temporaries receive this batch's mean and unbiased variance
        mean = torch.zeros(g.fields, dtype=v.dtype, device=v.device)
        var = torch.ones(g.fields, dtype=v.dtype, device=v.device)
        out = torch.batch_norm(v, weight, bias, mean, var, True, 1.0, self.eps, cudnn)
        with torch.no_grad():
            new_mean = (mean * g.kappa).to(self.running_mean.dtype)
            self.running_mean.index_copy_(
                0, mean_index, (1 - factor) * self.running_mean[mean_index] + factor * new_mean
            )
            new_var = var.to(self.running_var.dtype)
            self.running_var.index_copy_(
                0, var_index, (1 - factor) * self.running_var[var_index] + factor * new_var
            )
        return out

    def _general_group(self, part, gi, g: _Group, use_batch: bool, factor):
        """Statistics in the irrep basis ``z = Q^T f`` without forming ``z``: the second moments
        ``E[z_c^2]`` are the diagonal of ``Q^T E[f f^T] Q`` (a batched Gram matrix, computed from
        the original values), the channels with a mean are centred on their own (a slice), and the
        output ``Q (a * (z - mean) + bias)`` is one batched matmul ``M f + t``. Batch statistics
        with a change of basis take the fused autograd function of ``_irrep_batch_norm``."""
        b = part.shape[0]
        v = part.reshape(b, g.fields, g.n, -1)  # (B, F, n, P)
        q = getattr(self, f"_q{gi}") if g.has_q else None
        if q is not None and use_batch and not self.per_sample:
            return self._irrep_basis_group(v, gi, g, q, factor)
        dims = (3,) if self.per_sample else (0, 3)
        count = math.prod([v.shape[d] for d in dims])
        mean = centre = None
        if g.means:
            mean_index = getattr(self, f"_mean_index{gi}")
            spread = getattr(self, f"_mean_spread{gi}")
            channels = getattr(self, f"_mean_channels{gi}")  # the z channels in some mean slot
            if use_batch:
                # the channels with a mean, in the irrep basis: (B, F, m, P), m <= n
                if q is not None:
                    zm = torch.matmul(getattr(self, f"_q_mean{gi}").t(), v)
                else:
                    zm = v.index_select(2, channels)
                mean = _small_mm(zm.mean(dim=dims), getattr(self, f"_mean_average_m{gi}"))  # (B' or F, M)
                if not self.per_sample:
                    mean = mean.unsqueeze(0)
                centre_m = _small_mm(mean, spread.index_select(1, channels))  # (B', F, m)
                centred = torch.linalg.vector_norm(zm + (-centre_m).unsqueeze(-1), dim=dims).square() / count
            else:
                mean = self.running_mean[mean_index].unsqueeze(0)
            centre = _small_mm(mean, spread)  # (B', F, n): the value removed from each z channel
        var_index = getattr(self, f"_var_index{gi}")
        if use_batch:
            if q is not None:
                # per-sample statistics (batch statistics with a change of basis are fused above)
                gram = _Gram.apply(v)  # (B, F, n, n)
                square = (_small_mm(gram, q) * q).sum(dim=-2) / count  # diag(Q^T S Q): (B, F, n)
            else:
                square = torch.linalg.vector_norm(v, dim=dims).square() / count
            if not self.per_sample:
                square = square.unsqueeze(0)
            if g.means:
                square = square.index_copy(-1, channels, centred.reshape(*square.shape[:-1], -1))
            var = _small_mm(square, getattr(self, f"_var_average{gi}"))  # (B', F, V)
        else:
            var = self.running_var[var_index].unsqueeze(0)
        scale = torch.rsqrt(var + self.eps)
        if self.weight is not None:
            scale = scale * self.weight[var_index]
        scale = _small_mm(scale, getattr(self, f"_var_spread{gi}"))  # (B', F, n)
        shift = None  # in the irrep basis: bias - scale * centre
        if g.means:
            shift = -scale * centre
            if self.bias is not None:
                shift = shift + _small_mm(self.bias[mean_index], spread)
        if q is None:
            if shift is None:
                out = v * scale.unsqueeze(-1)
            else:
                out = torch.addcmul(shift.unsqueeze(-1), v, scale.unsqueeze(-1))
        else:
            # Q (a z + shift) = (Q diag(a) Q^T) f + Q shift
            matrix = _small_mm(q * scale.unsqueeze(-2), q.t())  # (B', F, n, n)
            if shift is None:
                out = torch.matmul(matrix, v)
            else:
                n, p = g.n, v.shape[3]
                matrix = matrix.expand(b, g.fields, n, n).reshape(b * g.fields, n, n)
                shift = _small_mm(shift, q.t()).expand(b, g.fields, n).reshape(b * g.fields, n, 1)
                out = torch.baddbmm(shift, matrix, v.reshape(b * g.fields, n, p))
        if factor is not None:
            self._update(gi, g, mean, var, factor, b * v.shape[3])
        return out

    def _irrep_basis_group(self, v, gi, g: _Group, q, factor):
        """Batch statistics with a change of basis: one fused autograd function."""
        var_index = getattr(self, f"_var_index{gi}")
        mean_index = getattr(self, f"_mean_index{gi}") if g.means else None
        constants = IrrepBasisConstants(
            q,
            getattr(self, f"_q_mean{gi}") if g.means else None,
            getattr(self, f"_mean_channels{gi}") if g.means else None,
            getattr(self, f"_mean_average_m{gi}") if g.means else None,
            getattr(self, f"_mean_spread{gi}") if g.means else None,
            getattr(self, f"_var_average{gi}"),
            getattr(self, f"_var_spread{gi}"),
            getattr(self, f"_var_count{gi}"),
            self.eps,
            g.mean_column,
        )
        weight = None if self.weight is None else self.weight[var_index]
        bias = None if self.bias is None or not g.means else self.bias[mean_index]
        out, mean, var = irrep_basis_batch_norm(v, weight, bias, constants)
        if factor is not None:
            self._update(
                gi,
                g,
                mean.unsqueeze(0) if g.means else None,
                var.unsqueeze(0),
                factor,
                v.shape[0] * v.shape[3],
            )
        return out

    @torch.no_grad()
    def _update(self, gi, g: _Group, mean, var, factor, values: int):
        if g.means:
            index = getattr(self, f"_mean_index{gi}").reshape(-1)
            new = mean.detach()[0].reshape(-1).to(self.running_mean.dtype)
            self.running_mean.index_copy_(0, index, (1 - factor) * self.running_mean[index] + factor * new)
        # unbiased: the centred sum of squares has (values * channels - estimated means) dof
        count = getattr(self, f"_var_count{gi}") * values
        correction = count / (count - getattr(self, f"_var_means{gi}"))
        index = getattr(self, f"_var_index{gi}").reshape(-1)
        new = (var.detach()[0] * correction).reshape(-1).to(self.running_var.dtype)
        self.running_var.index_copy_(0, index, (1 - factor) * self.running_var[index] + factor * new)

    # ------------------------------------------------------------------ export
    def _export_slots(self) -> torch.nn.Module:
        plain = PlainFieldNormalisation(
            self._field_specs, self.eps, self.momentum, self.affine, self.track_running_stats, self.per_sample
        )
        reference = next(t for t in self.buffers() if t.is_floating_point())
        plain.to(device=reference.device, dtype=reference.dtype)
        plain.load_state_dict(self.state_dict())
        return plain.train(self.training)

    def _slots_repr(self) -> str:
        out = f"{self.in_type}, eps={self.eps}"
        if not self.per_sample:
            out += f", momentum={self.momentum}"
        out += f", affine={self.affine}"
        if not self.per_sample and not self.track_running_stats:
            out += ", track_running_stats=False"
        return out


class FieldNormalisationModule(SlotNormalisation, EquivariantModule):
    """The shared behaviour of the normalisation modules (NormBatchNorm, InducedNormBatchNorm,
    GNormBatchNorm, IIDBatchNorm, FieldNorm): subclasses build their slots in ``__init__``."""

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(self._normalise(self._check_input(x)), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return tuple(input_shape)

    def export(self) -> torch.nn.Module:
        """A plain module with the same buffers and parameters computing the same function (train
        and eval) on inputs of any dimensionality."""
        return self._export_slots()

    def extra_repr(self):
        return self._slots_repr()


class PlainFieldNormalisation(SlotNormalisation, torch.nn.Module):
    """A field-wise normalisation on plain tensors: the ``export()`` of the normalisation modules.

    It holds the same parameters and buffers (same state_dict keys) and computes the same function
    in train and eval mode, for inputs of any spatial dimensionality (``(B, C)``, ``(B, C, H, W)``,
    ``(B, C, D, H, W)``, ...).

    Shapes:
        - input/output: ``(B, C, ...)``
    """

    def __init__(self, field_specs, eps, momentum, affine, track_running_stats, per_sample):
        super().__init__()
        self._build_slots(field_specs, eps, momentum, affine, track_running_stats, per_sample)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            raise ValueError(f"expected an input of shape (B, C, ...), got {tuple(x.shape)}")
        return self._normalise(x)

    def extra_repr(self) -> str:
        channels = sum(len(spec.var_slot) for _, spec in self._field_specs)
        return f"channels={channels}, fields={len(self._field_specs)}, eps={self.eps}, affine={self.affine}"
