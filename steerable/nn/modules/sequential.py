"""SequentialModule: a chain of equivariant modules."""

from __future__ import annotations

import torch

from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["SequentialModule"]


class SequentialModule(EquivariantModule):
    """Applies equivariant modules in order; each module's ``in_type`` must equal the previous
    module's ``out_type``. ``export()`` gives a ``torch.nn.Sequential`` of the exports.

    Modules are registered as ``"0"``, ``"1"``, ... ; ``add_module(name, m)`` and ``append(m)``
    extend the chain (checking that ``m.in_type`` is the chain's ``out_type``), ``seq[i]`` returns a
    module, ``seq[a:b]`` a new SequentialModule sharing the modules, ``len(seq)`` and iteration
    work as for ``torch.nn.Sequential``.

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
            super().add_module(str(i), m)
        self.in_type = modules[0].in_type
        self.out_type = modules[-1].out_type

    def add_module(self, name: str, module) -> None:
        """Append ``module`` under ``name`` (validated before anything is registered); replacing
        an existing name re-checks the whole chain."""
        if not hasattr(self, "out_type"):  # during torch.nn.Module internals before __init__ ends
            super().add_module(name, module)
            return
        if not isinstance(module, EquivariantModule):
            raise TypeError(f"a SequentialModule holds EquivariantModules, got a {type(module).__name__}")
        chain = list(self._modules.items())
        if name in self._modules:
            chain = [(k, module if k == name else m) for k, m in chain]
        else:
            chain.append((name, module))
        for (_, prev), (_, m) in zip(chain[:-1], chain[1:]):
            if m.in_type != prev.out_type:
                raise ValueError(f"{type(m).__name__} expects {m.in_type}, the chain ends in {prev.out_type}")
        super().add_module(name, module)
        self.in_type = chain[0][1].in_type
        self.out_type = chain[-1][1].out_type

    def append(self, module: EquivariantModule) -> SequentialModule:
        """Add ``module`` at the end of the chain (its name is its position); returns self."""
        name = str(len(self._modules))
        while name in self._modules:  # names chosen by add_module may collide
            name = "_" + name
        self.add_module(name, module)
        return self

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        self._check_input(x)
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return SequentialModule(*modules[index])
        return modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def evaluate_output_shape(self, input_shape):
        for m in self._modules.values():
            input_shape = m.evaluate_output_shape(input_shape)
        return input_shape

    def _input_element(self, h):
        """The element of the input's group acting as the output-group element ``h``: the
        identity map unless the chain restricts the group (e.g. a RestrictionModule)."""
        for m in reversed(list(self._modules.values())):
            if hasattr(m, "_input_element"):
                h = m._input_element(h)
        return h

    def export(self) -> torch.nn.Sequential:
        return torch.nn.Sequential(*[m.export() for m in self._modules.values()]).train(self.training)
