"""Linear: equivariant linear maps between fields on a point (``no_base_space``)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ...kernels.basis import EmptyBasisException
from ..field_type import FieldType, check_type_pair
from ..geometric_tensor import GeometricTensor
from ..init import generalized_he_init
from ..module import EquivariantModule
from .basis_expansion import BlockBasisExpansion, Float64Constants, cached_expansion, trivial_bias_expansion

__all__ = ["Linear"]


class Linear(Float64Constants, EquivariantModule):
    """The most general G-equivariant linear map between two field types of a ``no_base_space``
    gspace: W = sum_e w_e B_e over the basis B of Hom_G(rho_in, rho_out) (Schur blocks per
    irrep pair), plus a bias on the trivial fields. ``export()`` gives ``torch.nn.Linear``.

    Args:
        in_type, out_type: field types of one ``no_base_space`` gspace.
        bias: learn a bias on the trivial fields of ``out_type``.
        basisexpansion: only ``'blocks'`` (escnn's name) is supported.
        recompute: recompute the matrix in eval mode too.
        initialize: apply the generalised He initialisation.

    Shapes:
        - input: ``(B, in_type.size)``
        - output: ``(B, out_type.size)``
    """

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        bias: bool = True,
        basisexpansion: str = "blocks",
        recompute: bool = False,
        initialize: bool = True,
    ):
        super().__init__()
        check_type_pair(in_type, out_type)
        if in_type.gspace.dimensionality != 0:
            raise ValueError(
                f"Linear needs a no_base_space gspace, got {in_type.gspace.name}; use R2Conv/R3Conv"
            )
        if basisexpansion != "blocks":
            raise ValueError(f"basisexpansion must be 'blocks', got {basisexpansion!r}")
        self.in_type, self.out_type = in_type, out_type
        self.recompute = recompute
        basis = in_type.gspace.build_kernel_basis(in_type.representation, out_type.representation)
        if basis.dim == 0:
            raise EmptyBasisException(
                f"no equivariant linear map from {in_type} to {out_type}: they share no irrep"
            )
        self.basis = basis
        self.expansion = BlockBasisExpansion(
            basis, np.zeros((1, 0)), out_type.representations, in_type.representations
        )
        self.weights = torch.nn.Parameter(torch.zeros(basis.dim))
        bias_expansion = trivial_bias_expansion(out_type)
        if bias and bias_expansion.shape[1]:
            self.register_constant("bias_expansion", bias_expansion)
            self.bias = torch.nn.Parameter(torch.zeros(bias_expansion.shape[1]))
        else:
            self.register_parameter("bias", None)
        self._cache = None
        if initialize:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        # gain 1: He's factor 2 is for the ReLU that usually follows a conv, not for MLP blocks
        generalized_he_init(self.weights, self.expansion, gain=1.0)
        if self.bias is not None:
            with torch.no_grad():
                self.bias.zero_()

    def expand_parameters(self):
        """``(matrix (out, in), bias (out,) or None)``."""
        matrix = self.expansion(self.weights)[..., 0]
        bias = None if self.bias is None else self.bias_expansion @ self.bias
        return matrix, bias

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        tensor = self._check_input(x)
        matrix, bias = cached_expansion(self)
        return GeometricTensor(F.linear(tensor, matrix, bias), self.out_type)

    def evaluate_output_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[1] != self.in_type.size:
            raise ValueError(f"expected an input shape (B, {self.in_type.size}), got {input_shape}")
        return (input_shape[0], self.out_type.size)

    def export(self) -> torch.nn.Linear:
        matrix, bias = self.expand_parameters()
        lin = torch.nn.Linear(
            self.in_type.size,
            self.out_type.size,
            bias=bias is not None,
            dtype=matrix.dtype,
            device=matrix.device,
        )
        with torch.no_grad():
            lin.weight.copy_(matrix)
            if bias is not None:
                lin.bias.copy_(bias)
        return lin.train(self.training)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, basis_dim={self.basis.dim}"
