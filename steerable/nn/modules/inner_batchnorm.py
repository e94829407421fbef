"""InnerBatchNorm: batch normalisation with statistics shared inside each field."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from .pointwise_nonlinearity import check_pointwise

__all__ = ["InnerBatchNorm"]


def _fresh_reshape(t: torch.Tensor, shape) -> torch.Tensor:
    """``t.reshape(shape)`` (``t`` contiguous) that autograd does not treat as a view: an in-place
    op that follows (``ReLU(inplace=True)``) then costs nothing extra in backward, where on a view
    autograd would copy the whole gradient twice (CopySlices). Safe because batch norm does not
    save its output for backward."""
    if not t.is_contiguous():
        return t.reshape(shape)
    return torch.ops.aten._unsafe_view(t, shape)


class InnerBatchNorm(EquivariantModule):
    """Batch norm whose mean, variance, scale and shift are shared by all channels of a field,
    so it commutes with the channel permutations of regular/quotient/trivial fields.

    Fields of equal size are normalised together in one ``batch_norm`` call over
    ``(B, fields, size, *spatial)``. ``export()`` gives an equivalent ``torch.nn.BatchNorm{1,2,3}d``
    on the channels, identical in eval mode (export for inference: in train mode a plain batch
    norm would compute per-channel rather than per-field batch statistics).

    ``momentum=None`` keeps the cumulative moving average of the batch statistics, as torch's
    BatchNorm does: after ``k`` batches the running statistics are the plain means of the ``k``
    batch statistics.

    Shapes:
        - input/output: ``(B, C, ...)``
    """

    def __init__(
        self,
        in_type: FieldType,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ):
        super().__init__()
        check_pointwise(in_type, "InnerBatchNorm")
        if momentum is not None and (
            isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1
        ):
            raise ValueError(f"InnerBatchNorm: momentum must be None or a number in [0, 1], got {momentum!r}")
        self.in_type = self.out_type = in_type
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        sizes = [r.size for r in in_type.representations]
        self._sizes = sorted(set(sizes))
        n = len(sizes)
        # fields grouped by size; channel index lists per group (contiguous when uniform)
        self._uniform = len(self._sizes) == 1
        for s in self._sizes:
            fields = [i for i, k in enumerate(sizes) if k == s]
            channels = torch.cat(
                [torch.arange(int(in_type.fields_start[i]), int(in_type.fields_end[i])) for i in fields]
            )
            self.register_buffer(f"channels_{s}", channels, persistent=False)
            self.register_buffer(f"fields_{s}", torch.tensor(fields), persistent=False)
        if affine:
            self.weight = torch.nn.Parameter(torch.ones(n))
            self.bias = torch.nn.Parameter(torch.zeros(n))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(n))
            self.register_buffer("running_var", torch.ones(n))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _factor(self) -> float:
        """The weight of the current batch in the running statistics."""
        if self.momentum is None:  # cumulative moving average: 1 / batches seen, this one included
            if not self.training or self.num_batches_tracked is None:
                return 0.0  # no update happens
            batches = int(self.num_batches_tracked)
            return 1.0 / batches if batches > 0 else 0.0
        return self.momentum

    def _norm(self, x, fields, size):
        b = x.shape[0]
        grouped = x.reshape(b, -1, size, *x.shape[2:])  # (B, fields, size, ...)
        use_batch = self.training or not self.track_running_stats
        rm = None if self.running_mean is None else self.running_mean[fields]
        rv = None if self.running_var is None else self.running_var[fields]
        w = None if self.weight is None else self.weight[fields]
        bias = None if self.bias is None else self.bias[fields]
        out = F.batch_norm(grouped, rm, rv, w, bias, use_batch, self._factor(), self.eps)
        if use_batch and self.running_mean is not None and not self._uniform:
            with torch.no_grad():  # indexing made copies: write the updated statistics back
                self.running_mean[fields] = rm
                self.running_var[fields] = rv
        return _fresh_reshape(out, x.shape)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        tensor = self._check_input(x)
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
        if self._uniform:
            s = self._sizes[0]
            if self.running_mean is not None:
                out = F.batch_norm(
                    tensor.reshape(tensor.shape[0], -1, s, *tensor.shape[2:]),
                    self.running_mean,
                    self.running_var,
                    self.weight,
                    self.bias,
                    self.training or not self.track_running_stats,
                    self._factor(),
                    self.eps,
                )
                out = _fresh_reshape(out, tensor.shape)
            else:
                out = self._norm(tensor, slice(None), s)
            return GeometricTensor(out, self.out_type, x.coords)
        out = torch.empty_like(tensor)
        for s in self._sizes:
            channels = getattr(self, f"channels_{s}")
            part = self._norm(tensor.index_select(1, channels), getattr(self, f"fields_{s}"), s)
            out = out.index_copy(1, channels, part)
        return GeometricTensor(out, self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return tuple(input_shape)

    def _channel_values(self, per_field: torch.Tensor) -> torch.Tensor:
        sizes = torch.tensor([r.size for r in self.in_type.representations], device=per_field.device)
        return per_field.repeat_interleave(sizes)

    def export(self) -> torch.nn.Module:
        d = self.in_type.gspace.dimensionality
        cls = {0: torch.nn.BatchNorm1d, 2: torch.nn.BatchNorm2d, 3: torch.nn.BatchNorm3d}[d]
        # built directly in the module's dtype/device: copying into a default-dtype module first
        # would round float64 statistics to float32
        source = self.weight if self.weight is not None else self.running_mean
        factory = {} if source is None else {"dtype": source.dtype, "device": source.device}
        bn = cls(self.in_type.size, self.eps, self.momentum, self.affine, self.track_running_stats, **factory)
        with torch.no_grad():
            if self.affine:
                bn.weight.copy_(self._channel_values(self.weight))
                bn.bias.copy_(self._channel_values(self.bias))
            if self.track_running_stats:
                bn.running_mean.copy_(self._channel_values(self.running_mean))
                bn.running_var.copy_(self._channel_values(self.running_var))
                bn.num_batches_tracked.copy_(self.num_batches_tracked)
        return bn.train(self.training)

    def extra_repr(self):
        return f"{self.in_type}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
