"""MultipleModule: applies a different module to the fields of each label."""

from __future__ import annotations

import copy

import torch

from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from .branching import BranchingModule, ChannelSplit, check_labels
from .merge import MergeModule, export_all

__all__ = ["MultipleModule"]


class _MultipleExport(torch.nn.Module):
    """Plain-torch export of :class:`MultipleModule`: split the channels by label, apply each
    exported submodule to its channel groups, concatenate."""

    def __init__(self, split: ChannelSplit, exports, args_per_module):
        super().__init__()
        self.split = split
        self.branches = torch.nn.ModuleList(exports)
        self.args_per_module = [list(a) for a in args_per_module]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = self.split(x)
        outs = [m(*[parts[i] for i in args]) for m, args in zip(self.branches, self.args_per_module)]
        return outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)


class MultipleModule(EquivariantModule):
    """Splits the fields by label, applies one module per label (or list of labels), and
    concatenates the outputs.

    ``labels`` gives one label per field of ``in_type``. ``modules`` is a list of pairs
    ``(module, labels)`` where ``labels`` is one label or a ``list`` of labels (see
    :class:`~steerable.nn.MergeModule`). The fields of each label are gathered, in their input
    order, into a GeometricTensor of type ``in_type.group_by_labels(labels)[label]``, which must
    be the ``in_type`` of the module(s) applied to that label. The output is the direct sum of
    the modules' outputs in the order of ``modules`` (not in the order of the input fields): so
    ``out_type`` is the sum of the modules' ``out_type``\\ s. Every label must be processed by
    at least one module (a label may feed several), and every label of ``modules`` must occur in
    ``labels``. The module is a :class:`~steerable.nn.BranchingModule` (``self.branching``)
    followed by a :class:`~steerable.nn.MergeModule` (``self.merging``, holding the modules).

    ``reshuffle`` (``0``-``3``, escnn's argument) only chooses how the input is split, never the
    result: ``0`` takes a view for every label whose fields are consecutive and one
    ``index_select`` per other label; ``1``-``3`` gather the whole input once into label order and
    then take views (see :class:`~steerable.nn.BranchingModule`).

    Args:
        in_type: the field type of the input.
        labels: one hashable label per field.
        modules: ``(module, label or list of labels)`` pairs.
        reshuffle: ``0``-``3``, see above.

    Shapes:
        - input: ``(B, C, ...)``; output: ``(B, sum of the modules' C_out, ...)``
    """

    def __init__(self, in_type: FieldType, labels, modules, reshuffle: int = 0):
        super().__init__()
        labels = check_labels(in_type, labels, "MultipleModule")
        branching = BranchingModule(in_type, labels, reshuffle)
        merging = MergeModule(modules)
        for label, t in merging.in_type.items():
            if label not in branching.out_type:
                raise ValueError(
                    f"MultipleModule: a module is assigned the label {label!r}, which no field has; "
                    f"the labels are {list(branching.out_type)}"
                )
            if t != branching.out_type[label]:
                raise ValueError(
                    f"MultipleModule: the fields labelled {label!r} have type {branching.out_type[label]} "
                    f"but their module expects {t}"
                )
        unused = [lab for lab in branching.out_type if lab not in merging.in_type]
        if unused:
            raise ValueError(f"MultipleModule: no module processes the fields labelled {unused}")
        self.in_type = in_type
        self.out_type = merging.out_type
        self.labels = labels
        self.reshuffle = branching.reshuffle
        self.branching = branching
        self.merging = merging

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return self.merging(self.branching(x))

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        return self.merging.evaluate_output_shape(self.branching.evaluate_output_shape(input_shape))

    def export(self) -> torch.nn.Module:
        """A plain module that slices the channels of each label and calls the exports of the
        submodules on them (raises if a submodule has no export)."""
        order = list(self.branching.out_type)
        args = [[order.index(lab) for lab in ls] for ls in self.merging.labels_per_module]
        exports = export_all(self.merging._modules.values(), "MultipleModule")
        split = copy.deepcopy(self.branching._split)
        return _MultipleExport(split, exports, args).train(self.training)

    def extra_repr(self) -> str:
        return f"{self.in_type}, reshuffle={self.reshuffle}"
