"""BranchingModule: splits a feature map into one GeometricTensor per label of its fields."""

from __future__ import annotations

import copy

import torch

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["BranchingModule", "ChannelSplit", "check_labels"]


def check_labels(in_type: FieldType, labels, module: str) -> list:
    """Validate one hashable label per field of ``in_type``; returns the labels as a list."""
    check_field_type(in_type, module)
    if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
        raise TypeError(f"{module}: labels must be a sequence with one label per field, got {labels!r}")
    labels = list(labels)
    if len(labels) != len(in_type):
        raise ValueError(
            f"{module}: need one label per field of the input type ({len(in_type)} fields), "
            f"got {len(labels)} labels"
        )
    for label in labels:
        try:
            hash(label)
        except TypeError:
            raise TypeError(f"{module}: labels must be hashable, got {label!r}") from None
    return labels


def _check_reshuffle(reshuffle, module: str) -> int:
    if isinstance(reshuffle, bool) or not isinstance(reshuffle, int) or reshuffle not in (0, 1, 2, 3):
        raise ValueError(f"{module}: reshuffle must be 0, 1, 2 or 3, got {reshuffle!r}")
    return reshuffle


class ChannelSplit(torch.nn.Module):
    """Plain-torch split of the channels (dim 1) into groups: ``x -> [x[:, g] for g in groups]``.

    A group of consecutive channels is a slice (a view, no copy). Otherwise, with ``reshuffle``
    False every non-contiguous group is one ``index_select``; with ``reshuffle`` True the whole
    tensor is first gathered once into group order and every group is then a slice. Index
    tensors are non-persistent buffers (they follow ``.to()``, they are not state).

    Shapes:
        - input: ``(B, C, ...)``; output: a list of ``(B, len(group), ...)``
    """

    def __init__(self, groups, reshuffle: bool = False):
        super().__init__()
        self.groups = [[int(c) for c in g] for g in groups]
        self.reshuffle = bool(reshuffle)
        self._slices: list = []  # per group: (start, end) of a slice, or None for a gather
        self._gathers: list[str] = []
        order = [c for g in self.groups for c in g]
        self._gather_all = self.reshuffle and order != list(range(len(order)))
        if self._gather_all:
            self.register_buffer("index", torch.tensor(order, dtype=torch.long), persistent=False)
        offset = 0
        for k, g in enumerate(self.groups):
            if self._gather_all:
                self._slices.append((offset, offset + len(g)))
            elif g == list(range(g[0], g[0] + len(g))):
                self._slices.append((g[0], g[0] + len(g)))
            else:
                self._slices.append(None)
                self.register_buffer(f"index_{k}", torch.tensor(g, dtype=torch.long), persistent=False)
            offset += len(g)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if self._gather_all:
            x = x.index_select(1, self.index)
        out = []
        for k, s in enumerate(self._slices):
            if s is None:
                out.append(x.index_select(1, getattr(self, f"index_{k}")))
            else:
                out.append(x[:, s[0] : s[1]])
        return out

    def extra_repr(self) -> str:
        return f"groups={[len(g) for g in self.groups]}, reshuffle={self.reshuffle}"


class _LabelledSplit(torch.nn.Module):
    """Plain-torch export of :class:`BranchingModule`: ``x -> {label: channels of that label}``."""

    def __init__(self, split: ChannelSplit, labels):
        super().__init__()
        self.split = split
        self.labels = list(labels)

    def forward(self, x: torch.Tensor) -> dict:
        return dict(zip(self.labels, self.split(x)))


class BranchingModule(EquivariantModule):
    """Splits the fields of a GeometricTensor by label.

    ``labels`` gives one label per field of ``in_type``. The output is a ``dict`` mapping each
    label to a GeometricTensor of the fields with that label, in their input order; the dict's
    keys are in order of first appearance in ``labels``. ``out_type`` is the matching dict
    ``{label: FieldType}``. Together with :class:`~steerable.nn.MergeModule` it builds
    :class:`~steerable.nn.MultipleModule`.

    ``reshuffle`` only chooses how the split is computed, never its result (escnn's argument;
    unlike escnn's levels 2 and 3, the fields of a label are never reordered by size or type,
    so the branch types do not depend on it):

    - ``0``: a label whose fields are consecutive is a view of the input (no copy: an in-place
      module applied to that branch also changes the input); any other label is gathered with
      one ``index_select``.
    - ``1``, ``2``, ``3``: one ``index_select`` of the whole tensor into label order (skipped when
      already sorted), then a view per label: cheaper when many labels are scattered.

    Args:
        in_type: the field type of the input.
        labels: one hashable label per field (typically strings).
        reshuffle: ``0``-``3``, see above.

    Shapes:
        - input: ``(B, C, ...)``; output: ``{label: (B, C_label, ...)}``
    """

    def __init__(self, in_type: FieldType, labels, reshuffle: int = 0):
        super().__init__()
        self.labels = check_labels(in_type, labels, "BranchingModule")
        self.reshuffle = _check_reshuffle(reshuffle, "BranchingModule")
        self.in_type = in_type
        self.out_type = in_type.group_by_labels(self.labels)
        groups = []
        for label in self.out_type:
            fields = [i for i, lab in enumerate(self.labels) if lab == label]
            groups.append(
                [c for f in fields for c in range(int(in_type.fields_start[f]), int(in_type.fields_end[f]))]
            )
        self._split = ChannelSplit(groups, reshuffle=self.reshuffle > 0)

    def forward(self, x: GeometricTensor) -> dict:
        parts = self._split(self._check_input(x))
        return {
            label: GeometricTensor(part, t, x.coords)
            for (label, t), part in zip(self.out_type.items(), parts)
        }

    def evaluate_output_shape(self, input_shape: tuple) -> dict:
        rest = tuple(input_shape[2:])
        return {label: (input_shape[0], t.size) + rest for label, t in self.out_type.items()}

    def export(self) -> torch.nn.Module:
        return _LabelledSplit(copy.deepcopy(self._split), self.out_type.keys())

    def extra_repr(self) -> str:
        return f"{self.in_type}, labels={list(self.out_type)}, reshuffle={self.reshuffle}"
