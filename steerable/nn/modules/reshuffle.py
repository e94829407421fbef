"""ReshuffleModule: permutes the fields of a feature map."""

from __future__ import annotations

import operator

import torch

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["ReshuffleModule", "ChannelPermutation", "ChannelGatherModule"]


class ChannelPermutation(torch.nn.Module):
    """Plain-torch gather of channels: ``out[:, i] = x[:, index[i]]`` (the export of
    :class:`ReshuffleModule` and :class:`~steerable.nn.DisentangleModule`).

    The index is a non-persistent buffer: it follows ``.to()`` but is not state.

    Shapes:
        - input: ``(B, C, ...)``; output: ``(B, len(index), ...)``
    """

    def __init__(self, index):
        super().__init__()
        self.register_buffer("index", torch.as_tensor(list(index), dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.index_select(1, self.index)

    def extra_repr(self) -> str:
        return f"channels={self.index.numel()}"


def _check_permutation(permutation, n: int) -> list[int]:
    if isinstance(permutation, (str, bytes)) or not hasattr(permutation, "__len__"):
        raise TypeError(f"permutation must be a sequence of field indices, got {type(permutation).__name__}")
    try:
        perm = [operator.index(p) for p in permutation]
    except TypeError:
        raise TypeError(f"permutation must contain integers, got {list(permutation)}") from None
    if sorted(perm) != list(range(n)):
        raise ValueError(f"permutation must be a permutation of the {n} field indices 0..{n - 1}, got {perm}")
    return perm


class ChannelGatherModule(EquivariantModule):
    """A module whose output channel ``i`` is input channel ``channels[i]`` (only the field type
    changes meaning): the shared body of ReshuffleModule and DisentangleModule."""

    def _set_channels(self, channels) -> None:
        self._identity = list(channels) == list(range(self.in_type.size))
        self._gather = ChannelPermutation(channels)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        tensor = self._check_input(x)
        if not self._identity:
            tensor = self._gather(tensor)
        return GeometricTensor(tensor, self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def export(self) -> torch.nn.Module:
        if self._identity:
            return torch.nn.Identity()
        return ChannelPermutation(self._gather.index.tolist()).to(self._gather.index.device)


class ReshuffleModule(ChannelGatherModule):
    """Permutes the fields: the ``i``-th output field is the ``permutation[i]``-th input field,
    so ``out_type == in_type.index_select(permutation)``.

    The channels of each field move together (one ``index_select`` for the whole tensor; the
    identity permutation returns the input tensor unchanged).

    Args:
        in_type: the field type of the input.
        permutation: a permutation of ``0, ..., len(in_type) - 1``.

    Shapes:
        - input: ``(B, C, ...)``; output: ``(B, C, ...)`` with the channels permuted
    """

    def __init__(self, in_type: FieldType, permutation):
        super().__init__()
        check_field_type(in_type, "ReshuffleModule")
        self.permutation = _check_permutation(permutation, len(in_type))
        self.in_type = in_type
        self.out_type = in_type.index_select(self.permutation)
        channels = [
            c
            for f in self.permutation
            for c in range(int(in_type.fields_start[f]), int(in_type.fields_end[f]))
        ]
        self._set_channels(channels)

    def extra_repr(self) -> str:
        return f"{self.in_type}, permutation={self.permutation}"
