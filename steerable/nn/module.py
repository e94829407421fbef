"""EquivariantModule: the base class of every module that maps GeometricTensors."""

from __future__ import annotations

import copy

import torch

from .field_type import FieldType
from .geometric_tensor import GeometricTensor

__all__ = ["EquivariantModule"]


class EquivariantModule(torch.nn.Module):
    """A ``torch.nn.Module`` from GeometricTensors of ``in_type`` to GeometricTensors of
    ``out_type`` that commutes with the action of the gspace's group.

    Subclasses set ``self.in_type`` / ``self.out_type`` and implement ``forward`` and
    ``evaluate_output_shape``; ``export()`` returns plain torch modules where possible.
    """

    in_type: FieldType
    out_type: FieldType

    def _check_input(self, x) -> torch.Tensor:
        if not isinstance(x, GeometricTensor):
            raise TypeError(
                f"{type(self).__name__} expects a GeometricTensor of type {self.in_type}, "
                f"got {type(x).__name__}; wrap tensors with in_type(tensor)"
            )
        if x.type != self.in_type:
            raise ValueError(f"{type(self).__name__} expects fields of type {self.in_type}, got {x.type}")
        return x.tensor

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        raise NotImplementedError(f"{type(self).__name__} does not implement evaluate_output_shape")

    def _fieldwise_output_shape(self, input_shape) -> tuple:
        """The output shape of a map acting position by position: ``(B, in_type.size, ...)`` to
        ``(B, out_type.size, ...)``."""
        input_shape = tuple(input_shape)
        if len(input_shape) < 2 or input_shape[1] != self.in_type.size:
            n = self.in_type.size
            raise ValueError(
                f"expected {n} channels in dim 1 (expected an input shape (B, {n}, ...)), got {input_shape}"
            )
        return (input_shape[0], self.out_type.size, *input_shape[2:])

    def export(self) -> torch.nn.Module:
        """A plain torch module computing the same function on ``.tensor``s."""
        raise NotImplementedError(f"{type(self).__name__} has no plain-torch export")

    def _input_element(self, h):
        """The element acting on the input when ``h`` acts on the output: ``h`` itself, unless
        the module changes the group (a restriction maps h through the subgroup's inclusion)."""
        return h

    def _default_testing_elements(self) -> list:
        if getattr(self, "out_type", None) is not None and isinstance(self.out_type, FieldType):
            if isinstance(self.in_type, FieldType) and self.out_type.gspace != self.in_type.gspace:
                return list(self.out_type.testing_elements)  # a restricted group: its elements
        return list(_first_type(self.in_type).testing_elements)

    def check_equivariance(
        self,
        atol: float = 1e-7,
        rtol: float = 1e-5,
        elements=None,
        spatial_size: int = 9,
        batch_size: int = 2,
        seed: int = 0,
    ) -> list:
        """Compare f(g x) with g f(x) in float64 on a random input for the gspace's testing
        elements (or ``elements``). Returns ``[(g, max abs error)]`` and raises AssertionError
        if an error exceeds ``atol + rtol * max|f(x)|``.

        Inputs and outputs may be GeometricTensors, tuples of them (a module called with
        several inputs) or dicts of them (labelled branches); if the module restricts the
        group, the elements are the output group's and act on the input through the inclusion.
        """
        model = copy.deepcopy(self).double().eval()
        gen = torch.Generator().manual_seed(seed)
        x = _random_input(self.in_type, batch_size, spatial_size, gen)
        elements = self._default_testing_elements() if elements is None else list(elements)
        with torch.no_grad():
            y = _call(model, x)
            scale = max(float(t.abs().max()) for t in _tensors(y))
            errors = []
            for h in elements:
                lhs = _tensors(_call(model, _transform(x, self._input_element(h))))
                rhs = _tensors(_transform(y, h))
                err = max(float((a - b).abs().max()) for a, b in zip(lhs, rhs))
                errors.append((h, err))
                if not err <= atol + rtol * scale:
                    raise AssertionError(
                        f"{type(self).__name__} is not equivariant to {h}: error {err:.3e} "
                        f"(output scale {scale:.3e})"
                    )
        return errors


def _first_type(in_type) -> FieldType:
    if isinstance(in_type, FieldType):
        return in_type
    values = in_type.values() if isinstance(in_type, dict) else in_type
    return _first_type(next(iter(values)))


def _random_input(in_type, batch_size, spatial_size, gen):
    if isinstance(in_type, FieldType):
        shape = (batch_size, in_type.size) + (spatial_size,) * in_type.gspace.dimensionality
        return GeometricTensor(torch.randn(shape, generator=gen, dtype=torch.float64), in_type)
    if isinstance(in_type, dict):
        return {k: _random_input(t, batch_size, spatial_size, gen) for k, t in in_type.items()}
    return tuple(_random_input(t, batch_size, spatial_size, gen) for t in in_type)


def _call(model, x):
    return model(*x) if isinstance(x, tuple) else model(x)


def _transform(x, g):
    if isinstance(x, GeometricTensor):
        return x.transform(g)
    if isinstance(x, dict):
        return {k: v.transform(g) for k, v in x.items()}
    return tuple(v.transform(g) for v in x)


def _tensors(y) -> list:
    if isinstance(y, GeometricTensor):
        return [y.tensor]
    return [v.tensor for v in (y.values() if isinstance(y, dict) else y)]
