"""HarmonicPolynomialR3: 3D vectors -> the harmonic polynomials (solid harmonics) of degree <= L."""

from __future__ import annotations

import math

import torch

from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["HarmonicPolynomialR3", "SolidHarmonics"]


class SolidHarmonics(torch.nn.Module):
    """Plain torch: the homogeneous harmonic polynomials ``P_l(v) = |v|^l Y_l(v / |v|)`` of
    degrees ``l = 0..L`` at vectors v = (x, y, z), concatenated (degree l at columns
    ``l^2 .. (l+1)^2 - 1``, orders ``m = -l..l``).

    ``Y_l`` are the library's real spherical harmonics (:mod:`steerable.group._so3_math`: no
    Condon-Shortley phase, ``sum_m Y_lm^2 = 2l + 1`` on the unit sphere, so ``P_1(v) =
    sqrt(3) (y, z, x)``), with ``P_l(R v) = D_l(R) P_l(v)``. Computed without square roots or
    angles: ``P_lm = sqrt(2) Q_lm(z, r^2) Re/Im (x + i y)^m`` with ``Q_lm = r^(l-m) q_lm(z / r)``
    following the normalised Legendre recurrence, so the map is a polynomial (smooth at 0).

    Shapes:
        - input: ``(B, 3)``; output: ``(B, (L + 1)^2)``
    """

    def __init__(self, L: int):
        super().__init__()
        self.L = L

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        x, y, z = v[..., 0], v[..., 1], v[..., 2]
        r2 = x * x + y * y + z * z
        L = self.L
        cols: list = [None] * ((L + 1) ** 2)
        c, s = torch.ones_like(x), torch.zeros_like(x)  # Re, Im of (x + i y)^m
        q_mm = 1.0
        for m in range(L + 1):
            if m > 0:
                c, s = x * c - y * s, x * s + y * c
                q_mm *= math.sqrt((2 * m + 1) / (2 * m))
            q_prev, q_cur = None, None
            for l in range(m, L + 1):
                if l == m:
                    q_prev, q_cur = None, torch.full_like(z, q_mm)
                elif l == m + 1:
                    q_prev, q_cur = q_cur, math.sqrt(2 * m + 3) * z * q_cur
                else:
                    a = math.sqrt((4 * l * l - 1) / (l * l - m * m))
                    b = math.sqrt(((l - 1) ** 2 - m * m) / (4 * (l - 1) ** 2 - 1))
                    q_prev, q_cur = q_cur, a * (z * q_cur - b * r2 * q_prev)
                if m == 0:
                    cols[l * l + l] = q_cur
                else:
                    cols[l * l + l + m] = math.sqrt(2.0) * q_cur * c
                    cols[l * l + l - m] = math.sqrt(2.0) * q_cur * s
        return torch.stack(cols, dim=-1)

    def extra_repr(self) -> str:
        return f"L={self.L}"


class HarmonicPolynomialR3(EquivariantModule):
    """Maps 3D vectors (the standard representation of SO(3) or O(3)) to their harmonic
    polynomials of degrees 0..L, which transform by ``G.bl_sphere_representation(L)``
    (escnn's HarmonicPolynomialR3).

    The output of degree l is ``P_l(v) = |v|^l Y_l(v / |v|)`` (see :class:`SolidHarmonics`):
    ``P_l(R v) = D_l(R) P_l(v)`` for rotations, and ``P_l(-v) = (-1)^l P_l(v)``, the O(3) irrep
    ``(l mod 2, l)``. Works on ``no_base_space`` tensors and point clouds (coords are kept).

    Args:
        L: the maximum degree (a non-negative integer).
        group: ``'so3'`` or ``'o3'``, or an SO3 / O3 group.

    Shapes:
        - input: ``(B, 3)``; output: ``(B, (L + 1)^2)``
    """

    def __init__(self, L: int, group="so3"):
        super().__init__()
        from ...group import O3, SO3, o3_group, so3_group
        from ...gspaces import no_base_space

        if isinstance(L, bool) or not isinstance(L, int) or L < 0:
            raise ValueError(f"L must be a non-negative integer, got {L!r}")
        if isinstance(group, str):
            factories = {"so3": so3_group, "o3": o3_group}
            if group not in factories:
                raise ValueError(f"group must be 'so3', 'o3' or an SO3/O3 group, got {group!r}")
            group = factories[group](L)
        elif not isinstance(group, (SO3, O3)):
            raise TypeError(f"group must be 'so3', 'o3' or an SO3/O3 group, got {type(group).__name__}")
        self.L = L
        gspace = no_base_space(group)
        self.in_type = FieldType(gspace, [group.standard_representation()])
        self.out_type = FieldType(gspace, [group.bl_sphere_representation(L)])
        self.harmonics = SolidHarmonics(L)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(self.harmonics(self._check_input(x)), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[1] != 3:
            raise ValueError(f"expected an input shape (B, 3), got {input_shape}")
        return (input_shape[0], self.out_type.size)

    def export(self) -> torch.nn.Module:
        return SolidHarmonics(self.L)

    def extra_repr(self) -> str:
        return f"L={self.L}, group={self.in_type.fibergroup.name}"
