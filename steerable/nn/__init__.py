"""Equivariant neural network modules (escnn-compatible)."""

from . import init
from .field_type import FieldType
from .geometric_tensor import GeometricTensor, tensor_directsum
from .module import EquivariantModule
from .modules.conv_transposed import R2ConvTransposed, R3ConvTransposed
from .modules.group_pooling import GroupPooling
from .modules.inner_batchnorm import InnerBatchNorm
from .modules.linear import Linear
from .modules.mask import MaskModule
from .modules.pointwise_nonlinearity import ELU, LeakyReLU, PointwiseNonLinearity, ReLU
from .modules.pointwise_pooling import PointwiseAvgPool2D, PointwiseAvgPoolAntialiased2D, PointwiseMaxPool2D
from .modules.r2conv import R2Conv
from .modules.r3conv import R3Conv
from .modules.sequential import SequentialModule

# escnn's aliases
PointwiseMaxPool = PointwiseMaxPool2D
PointwiseAvgPool = PointwiseAvgPool2D
PointwiseAvgPoolAntialiased = PointwiseAvgPoolAntialiased2D

__all__ = [
    "FieldType",
    "GeometricTensor",
    "tensor_directsum",
    "EquivariantModule",
    "R2Conv",
    "R3Conv",
    "R2ConvTransposed",
    "R3ConvTransposed",
    "Linear",
    "SequentialModule",
    "PointwiseNonLinearity",
    "ReLU",
    "ELU",
    "LeakyReLU",
    "InnerBatchNorm",
    "GroupPooling",
    "MaskModule",
    "PointwiseAvgPool2D",
    "PointwiseMaxPool2D",
    "PointwiseAvgPoolAntialiased2D",
    "PointwiseMaxPool",
    "PointwiseAvgPool",
    "PointwiseAvgPoolAntialiased",
    "init",
]
