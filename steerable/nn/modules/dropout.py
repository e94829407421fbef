"""Dropout of whole fields (any representation) and of single channels (pointwise fields)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from .pointwise_nonlinearity import check_pointwise

__all__ = ["FieldDropout", "PointwiseDropout"]


def _check_p(p, module: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{module}: the dropout probability p must be a number in [0, 1], got {p!r}")
    return float(p)


def _field_dropout(
    x: torch.Tensor,
    field_of_channel: torch.Tensor,
    fields: int,
    field_size: int | None,
    p: float,
    inplace: bool,
):
    """Field dropout; ``field_size`` is the common size of the fields, or ``None`` if they differ."""
    shape = (x.shape[0], fields, *x.shape[2:])
    if p == 1.0:
        keep = torch.zeros(shape, dtype=x.dtype, device=x.device)
    else:
        keep = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(1.0 - p).div_(1.0 - p)
    if field_size is not None:
        # fields of one size: a broadcast product (no mask of the input's size)
        view, mask = x.view(x.shape[0], fields, field_size, *x.shape[2:]), keep.unsqueeze(2)
        return (view.mul_(mask) if inplace else view * mask).view(x.shape)
    mask = keep.index_select(1, field_of_channel)  # (B, C, ...): one draw per field and position
    return x.mul_(mask) if inplace else x * mask


def _common_size(sizes) -> int | None:
    return sizes[0] if len(set(sizes)) == 1 else None


class _PlainFieldDropout(torch.nn.Module):
    """Plain-torch :class:`FieldDropout` (the export): the same masks for the same RNG state.

    Shapes:
        - input/output: ``(B, C, ...)``
    """

    def __init__(self, field_of_channel: torch.Tensor, fields: int, field_size, p: float, inplace: bool):
        super().__init__()
        self.field_size = field_size
        self.register_buffer("field_of_channel", field_of_channel.clone(), persistent=False)
        self.fields, self.p, self.inplace = fields, p, inplace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return _field_dropout(x, self.field_of_channel, self.fields, self.field_size, self.p, self.inplace)

    def extra_repr(self):
        return f"fields={self.fields}, p={self.p}, inplace={self.inplace}"


class FieldDropout(EquivariantModule):
    """Dropout of whole fields: in training mode each field of each sample, at each position, is
    zeroed with probability ``p`` (all its channels together), and the kept values are scaled by
    ``1 / (1 - p)``. In eval mode it is the identity.

    Zeroing or scaling a whole field commutes with any representation, so the map is equivariant
    for every field type: exactly, for a fixed random state, under the action on the fibers (and
    on ``no_base_space`` and point features); under a permutation of the positions the masks are
    equally likely, so it is equivariant in distribution. (:class:`PointwiseDropout` drops single
    channels instead and needs pointwise fields.)

    Args:
        in_type: the field type (any representations).
        p: the probability of dropping a field.
        inplace: overwrite the input tensor.

    Shapes:
        - input/output: ``(B, C, ...)``
    """

    def __init__(self, in_type: FieldType, p: float = 0.5, inplace: bool = False):
        super().__init__()
        check_field_type(in_type, "FieldDropout")
        self.p = _check_p(p, "FieldDropout")
        self.in_type = self.out_type = in_type
        self.inplace = bool(inplace)
        sizes = [r.size for r in in_type.representations]
        self._field_size = _common_size(sizes)
        self.register_buffer(
            "_field_of_channel",
            torch.repeat_interleave(torch.arange(len(in_type)), torch.tensor(sizes)),
            persistent=False,
        )

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        tensor = self._check_input(x)
        if not self.training or self.p == 0.0:
            return x
        out = _field_dropout(
            tensor, self._field_of_channel, len(self.in_type), self._field_size, self.p, self.inplace
        )
        return GeometricTensor(out, self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return tuple(input_shape)

    def export(self) -> torch.nn.Module:
        plain = _PlainFieldDropout(
            self._field_of_channel, len(self.in_type), self._field_size, self.p, self.inplace
        )
        return plain.train(self.training)

    def extra_repr(self):
        return f"{self.in_type}, p={self.p}, inplace={self.inplace}"


class PointwiseDropout(EquivariantModule):
    """Dropout of single channels (``torch.nn.functional.dropout``), for fields whose
    representations permute channels (``'pointwise'``: trivial, regular, quotient), where the
    masks are equally likely after any transformation: equivariant in distribution. In eval
    mode it is the identity.

    Args:
        in_type: the field type (every representation must support ``'pointwise'``).
        p: the probability of dropping a channel.
        inplace: overwrite the input tensor.

    Shapes:
        - input/output: ``(B, C, ...)``
    """

    def __init__(self, in_type: FieldType, p: float = 0.5, inplace: bool = False):
        super().__init__()
        check_pointwise(in_type, "PointwiseDropout")
        self.p = _check_p(p, "PointwiseDropout")
        self.in_type = self.out_type = in_type
        self.inplace = bool(inplace)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        out = F.dropout(self._check_input(x), self.p, self.training, self.inplace)
        return GeometricTensor(out, self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return tuple(input_shape)

    def export(self) -> torch.nn.Module:
        return torch.nn.Dropout(self.p, self.inplace).train(self.training)

    def extra_repr(self):
        return f"{self.in_type}, p={self.p}, inplace={self.inplace}"
