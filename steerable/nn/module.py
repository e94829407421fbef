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

    def export(self) -> torch.nn.Module:
        """A plain torch module computing the same function on ``.tensor``s."""
        raise NotImplementedError(f"{type(self).__name__} has no plain-torch export")

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
        if an error exceeds ``atol + rtol * max|f(x)|``."""
        model = copy.deepcopy(self).double().eval()
        gen = torch.Generator().manual_seed(seed)
        d = self.in_type.gspace.dimensionality
        shape = (batch_size, self.in_type.size) + (spatial_size,) * d
        x = GeometricTensor(torch.randn(shape, generator=gen, dtype=torch.float64), self.in_type)
        elements = list(self.in_type.testing_elements if elements is None else elements)
        with torch.no_grad():
            y = model(x)
            scale = float(y.tensor.abs().max())
            errors = []
            for g in elements:
                lhs = model(x.transform(g)).tensor
                rhs = y.transform(g).tensor
                err = float((lhs - rhs).abs().max())
                errors.append((g, err))
                if not err <= atol + rtol * scale:
                    raise AssertionError(
                        f"{type(self).__name__} is not equivariant to {g}: error {err:.3e} "
                        f"(output scale {scale:.3e})"
                    )
        return errors
