"""Vector field nonlinearity (Marcos et al. 2017): orientation responses -> a planar vector."""

from __future__ import annotations

import math

import numpy as np
import torch

from ...group.cyclic import CyclicGroup
from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["VectorFieldNonLinearity"]


def _orientations(rep) -> np.ndarray:
    """``(N,)`` integers: channel j of a regular field of C_N holds the response to the rotation
    g_j = r^k (angle 2 pi k / N) with rho(g_j) e_0 = e_j; returns k per channel.

    Derived from the matrices, so it holds for any ordering of the channels.
    """
    group = rep.group
    elements = group.elements
    m = rep.matrices(elements)  # (N, N, N) permutation matrices
    rounded = np.round(m)
    n = rep.size
    targets = np.argmax(rounded[:, :, 0], axis=1)  # the channel of rho(g) e_0, per element
    if not (
        len(elements) == n
        and np.allclose(m, rounded, atol=1e-9)
        and (rounded >= 0).all()
        and (rounded.sum(axis=1) == 1).all()
        and sorted(targets.tolist()) == list(range(n))
    ):
        raise ValueError(f"VectorFieldNonLinearity needs regular representations of C_N, got {rep.name}")
    out = np.zeros(n, dtype=np.int64)
    out[targets] = [int(g.value) for g in elements]  # C_N elements are r^k, value k
    # the output basis: the standard representation must rotate (1, 0) to (cos, sin) of the angle
    first = group.standard_representation().matrices(elements)[:, :, 0]
    angles = 2 * np.pi * out[targets] / n
    if not np.allclose(first, np.stack([np.cos(angles), np.sin(angles)], axis=1), atol=1e-9):
        raise ArithmeticError(f"the standard representation of {group.name} is not rotation by 2 pi k / N")
    return out


def _vectorfield_forward(module, x: torch.Tensor) -> torch.Tensor:
    b, rest = x.shape[0], x.shape[2:]
    values, index = x.reshape(b, -1, module._n, *rest).max(dim=2)  # (B, F, ...)
    # directions computed in float64 at each call: exact in any dtype, whatever .to() was done
    angles = module._orientations.to(torch.float64) * (2 * math.pi / module._n)
    directions = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1).to(x.dtype)  # (N, 2)
    out = values.unsqueeze(-1) * directions[index]  # (B, F, ..., 2)
    return out.movedim(-1, 2).reshape(b, -1, *rest)  # (B, 2F, ...)


class _VectorFieldTorch(torch.nn.Module):
    """Plain-torch export of :class:`VectorFieldNonLinearity`."""

    def __init__(self, source):
        super().__init__()
        self._n = source._n
        self.register_buffer("_orientations", source._orientations.clone(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _vectorfield_forward(self, x)


class VectorFieldNonLinearity(EquivariantModule):
    """Vector field nonlinearity (Marcos et al., "Rotation equivariant vector field networks",
    2017): a regular field of C_N holds the responses to N orientations; it becomes the planar
    vector ``m * (cos t, sin t)`` with m the maximal response and t the angle of the orientation
    that attains it (the first one on ties). The output field is C_N's standard representation
    (rotations of the plane; irrep 1 for N >= 3). The maximum is not rectified: a negative m
    gives a vector pointing opposite to t (still equivariant).

    Args:
        in_type: regular fields of a cyclic group C_N, N >= 2 (they support ``'vectorfield'``).

    Shapes:
        - input: ``(B, F * N, ...)``
        - output: ``(B, F * 2, ...)``
    """

    def __init__(self, in_type: FieldType, **kwargs):
        super().__init__()
        name = type(self).__name__
        if kwargs:
            raise TypeError(f"{name} takes no keyword arguments besides in_type, got {sorted(kwargs)}")
        check_field_type(in_type, name)
        group = in_type.fibergroup
        if not isinstance(group, CyclicGroup) or group.order() < 2:
            raise ValueError(
                f"{name} needs the regular fields of a cyclic group C_N (N >= 2), got {group.name}"
            )
        bad = [r.name for r in in_type.representations if "vectorfield" not in r.supported_nonlinearities]
        if bad or not in_type.uniform:
            raise ValueError(
                f"{name} needs regular fields of {group.name} (supporting 'vectorfield') only, got "
                f"{sorted({r.name for r in in_type.representations})}"
            )
        rep = in_type.representations[0]
        self.register_buffer("_orientations", torch.as_tensor(_orientations(rep)), persistent=False)
        self._n = rep.size
        self.in_type = in_type
        self.out_type = FieldType(in_type.gspace, [group.standard_representation()] * len(in_type))

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(_vectorfield_forward(self, self._check_input(x)), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return self._fieldwise_output_shape(input_shape)

    def export(self) -> torch.nn.Module:
        return _VectorFieldTorch(self)

    def extra_repr(self):
        return f"{self.in_type} -> {self.out_type}"
