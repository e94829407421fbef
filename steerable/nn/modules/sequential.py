"""SequentialModule: a chain of equivariant modules."""

from __future__ import annotations

import torch

from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["SequentialModule"]


class SequentialModule(EquivariantModule):
    """Applies equivariant modules in order; each module's ``in_type`` must equal the previous
    module's ``out_type``. ``export()`` gives a ``torch.nn.Sequential`` of the exports.

    Shapes:
        - input: as the first module's input
        - output: as the last module's output
    """

    def __init__(self, *modules: EquivariantModule):
        super().__init__()
        if not modules:
            raise ValueError("SequentialModule needs at least one module")
        for i, m in enumerate(modules):
            if not isinstance(m, EquivariantModule):
                raise TypeError(f"module {i} is a {type(m).__name__}, not an EquivariantModule")
            if i and m.in_type != modules[i - 1].out_type:
                raise ValueError(
                    f"module {i} ({type(m).__name__}) expects {m.in_type} but module {i - 1} "
                    f"({type(modules[i - 1]).__name__}) produces {modules[i - 1].out_type}"
                )
            self.add_module(str(i), m)
        self.in_type = modules[0].in_type
        self.out_type = modules[-1].out_type

    def add_module(self, name: str, module) -> None:
        super().add_module(name, module)
        if hasattr(self, "out_type") and isinstance(module, EquivariantModule):
            if module.in_type != self.out_type:
                raise ValueError(
                    f"{type(module).__name__} expects {module.in_type}, the chain ends in {self.out_type}"
                )
            self.out_type = module.out_type

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        self._check_input(x)
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index):
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def evaluate_output_shape(self, input_shape):
        for m in self._modules.values():
            input_shape = m.evaluate_output_shape(input_shape)
        return input_shape

    def export(self) -> torch.nn.Sequential:
        return torch.nn.Sequential(*[m.export() for m in self._modules.values()]).train(self.training)
