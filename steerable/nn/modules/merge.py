"""MergeModule: applies one module per label of a dict of GeometricTensors and concatenates."""

from __future__ import annotations

import torch

from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["MergeModule", "parse_modules", "export_all"]


def _input_types(module: EquivariantModule, labels: list, where: str) -> list[FieldType]:
    """The field types ``module`` expects for its positional inputs, one per label."""
    in_type = module.in_type
    if isinstance(in_type, FieldType):
        if len(labels) != 1:
            raise ValueError(
                f"{where}: {type(module).__name__} takes one input of type {in_type} but is given "
                f"{len(labels)} labels {labels}"
            )
        return [in_type]
    if isinstance(in_type, (tuple, list)) and all(isinstance(t, FieldType) for t in in_type):
        if len(in_type) != len(labels):
            raise ValueError(
                f"{where}: {type(module).__name__} takes {len(in_type)} inputs but is given "
                f"{len(labels)} labels {labels}"
            )
        return list(in_type)
    raise TypeError(
        f"{where}: {type(module).__name__}.in_type must be a FieldType (or a tuple of them), "
        f"got {type(in_type).__name__}"
    )


def parse_modules(modules, owner: str) -> tuple[list, list, dict]:
    """Validate a list of ``(module, label or list of labels)`` pairs.

    Returns ``(modules, labels per module, {label: FieldType})``; the dict is in order of first use.
    """
    if isinstance(modules, (str, bytes)) or not hasattr(modules, "__iter__"):
        raise TypeError(f"{owner} needs a list of (module, labels) pairs, got {type(modules).__name__}")
    modules = list(modules)
    if not modules:
        raise ValueError(f"{owner} needs at least one (module, labels) pair")
    mods, labels_per_module, in_types = [], [], {}
    for i, pair in enumerate(modules):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{owner}: entry {i} must be a (module, labels) pair, got {pair!r}")
        module, labels = pair
        if not isinstance(module, EquivariantModule):
            raise TypeError(f"{owner}: entry {i} is a {type(module).__name__}, not an EquivariantModule")
        labels = list(labels) if isinstance(labels, list) else [labels]
        if not labels:
            raise ValueError(f"{owner}: entry {i} ({type(module).__name__}) has an empty list of labels")
        for label in labels:
            try:
                hash(label)
            except TypeError:
                raise TypeError(f"{owner}: labels must be hashable, got {label!r}") from None
        if not isinstance(module.out_type, FieldType):
            raise TypeError(
                f"{owner}: entry {i} ({type(module).__name__}) must output one GeometricTensor, "
                f"its out_type is a {type(module.out_type).__name__}"
            )
        for label, t in zip(labels, _input_types(module, labels, f"{owner} entry {i}")):
            if label in in_types and in_types[label] != t:
                raise ValueError(
                    f"{owner}: label {label!r} is used with two field types: {in_types[label]} and {t}"
                )
            in_types[label] = t
        mods.append(module)
        labels_per_module.append(labels)
    return mods, labels_per_module, in_types


def export_all(modules, owner: str) -> list:
    """The exports of ``modules``; NotImplementedError naming the first module without one."""
    out = []
    for i, m in enumerate(modules):
        try:
            out.append(m.export())
        except NotImplementedError as err:
            raise NotImplementedError(
                f"{owner} cannot be exported: its module {i} has no export ({err})"
            ) from err
    return out


class _MergeExport(torch.nn.Module):
    """Plain-torch export of :class:`MergeModule`: ``{label: tensor} -> concatenated outputs``."""

    def __init__(self, exports, labels_per_module):
        super().__init__()
        self.branches = torch.nn.ModuleList(exports)
        self.labels_per_module = [list(ls) for ls in labels_per_module]

    def forward(self, inputs: dict) -> torch.Tensor:
        outs = [m(*[inputs[lab] for lab in ls]) for m, ls in zip(self.branches, self.labels_per_module)]
        return outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)


class MergeModule(EquivariantModule):
    """Applies several modules to labelled GeometricTensors and concatenates their outputs.

    ``modules_list`` is a list of pairs ``(module, labels)``. ``labels`` is either one label
    (any hashable that is not a ``list``: a string, an int, a tuple, ...), and then
    ``module(inputs[label])`` is computed, or a ``list`` of labels, and then
    ``module(*[inputs[l] for l in labels])`` (for modules with several inputs, whose ``in_type``
    is a tuple of field types). The input of :meth:`forward` is a dict ``{label:
    GeometricTensor}`` (as produced by :class:`~steerable.nn.BranchingModule`); a label may be
    used by several modules, extra labels in the input are ignored. The output is the direct sum
    (channel concatenation) of the modules' outputs in the order of ``modules_list``; so
    ``out_type`` is the sum of the modules' ``out_type``\\ s and ``in_type`` is the dict
    ``{label: FieldType}`` in order of first use. The modules are registered as ``"0"``, ``"1"``,
    ... (``merge[i]`` returns the i-th).

    Args:
        modules_list: the ``(module, labels)`` pairs.

    Shapes:
        - input: ``{label: (B, C_label, ...)}``; output: ``(B, sum of the modules' C_out, ...)``
    """

    def __init__(self, modules_list):
        super().__init__()
        mods, self.labels_per_module, self.in_type = parse_modules(modules_list, "MergeModule")
        gspace = mods[0].out_type.gspace
        types = list(self.in_type.values()) + [m.out_type for m in mods]
        for t in types:
            if t.gspace != gspace:
                raise ValueError(
                    f"MergeModule: all field types must share one gspace, got {gspace} and {t.gspace}"
                )
        for i, m in enumerate(mods):
            self.add_module(str(i), m)
        out = mods[0].out_type
        for m in mods[1:]:
            out = out + m.out_type
        self.out_type = out

    def __getitem__(self, index: int) -> EquivariantModule:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def forward(self, inputs: dict) -> GeometricTensor:
        if not isinstance(inputs, dict):
            raise TypeError(
                f"MergeModule expects a dict {{label: GeometricTensor}}, got {type(inputs).__name__}"
            )
        missing = [lab for lab in self.in_type if lab not in inputs]
        if missing:
            raise ValueError(f"MergeModule: missing inputs for labels {missing}; got labels {list(inputs)}")
        outs = []
        for m, labels in zip(self._modules.values(), self.labels_per_module):
            outs.append(m(*[inputs[lab] for lab in labels]))
        coords = outs[0].coords
        tensor = outs[0].tensor if len(outs) == 1 else torch.cat([o.tensor for o in outs], dim=1)
        return GeometricTensor(tensor, self.out_type, coords)

    def evaluate_output_shape(self, input_shapes: dict) -> tuple:
        shapes = []
        for m, labels in zip(self._modules.values(), self.labels_per_module):
            shapes.append(tuple(m.evaluate_output_shape(*[tuple(input_shapes[lab]) for lab in labels])))
        rest = {(s[0],) + s[2:] for s in shapes}
        if len(rest) != 1:
            raise ValueError(f"MergeModule: the modules' outputs have incompatible shapes {shapes}")
        first = shapes[0]
        return (first[0], sum(s[1] for s in shapes)) + tuple(first[2:])

    def export(self) -> torch.nn.Module:
        exports = export_all(self._modules.values(), "MergeModule")
        return _MergeExport(exports, self.labels_per_module).train(self.training)

    def extra_repr(self) -> str:
        return f"labels={self.labels_per_module}"
