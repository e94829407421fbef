"""Equivariant neural network modules (escnn-compatible)."""

from . import init
from .field_type import FieldType
from .geometric_tensor import GeometricTensor, tensor_directsum
from .module import EquivariantModule
from .modules.adaptive_pooling import (
    PointwiseAdaptiveAvgPool2D,
    PointwiseAdaptiveAvgPool3D,
    PointwiseAdaptiveMaxPool2D,
    PointwiseAdaptiveMaxPool3D,
)
from .modules.branching import BranchingModule
from .modules.channel_pooling import MaxPoolChannels
from .modules.concatenated_nonlinearity import ConcatenatedNonLinearity
from .modules.conv_transposed import R2ConvTransposed, R3ConvTransposed
from .modules.disentangle import DisentangleModule
from .modules.dropout import FieldDropout, PointwiseDropout
from .modules.field_norm import FieldNorm
from .modules.fourier_nonlinearity import FourierELU, FourierPointwise
from .modules.gated_nonlinearity import (
    GatedNonLinearity1,
    GatedNonLinearity2,
    GatedNonLinearityUniform,
    InducedGatedNonLinearity1,
)
from .modules.gnorm_batchnorm import GNormBatchNorm
from .modules.group_pooling import GroupPooling
from .modules.harmonic_polynomial import HarmonicPolynomialR3
from .modules.identity import IdentityModule
from .modules.iid_batchnorm import IIDBatchNorm1d, IIDBatchNorm2d, IIDBatchNorm3d
from .modules.induced_norm_batchnorm import InducedNormBatchNorm
from .modules.inner_batchnorm import InnerBatchNorm
from .modules.linear import Linear
from .modules.mask import MaskModule
from .modules.merge import MergeModule
from .modules.multiple import MultipleModule
from .modules.norm_batchnorm import NormBatchNorm
from .modules.norm_max_pool import NormMaxPool
from .modules.norm_nonlinearity import InducedNormNonLinearity, NormNonLinearity
from .modules.norm_pooling import InducedNormPool, NormPool
from .modules.point_conv import R2PointConv, R3PointConv
from .modules.pointwise_nonlinearity import ELU, LeakyReLU, PointwiseNonLinearity, ReLU
from .modules.pointwise_pooling import (
    PointwiseAvgPool2D,
    PointwiseAvgPool3D,
    PointwiseMaxPool2D,
    PointwiseMaxPool3D,
)
from .modules.pointwise_pooling_antialiased import (
    PointwiseAvgPoolAntialiased2D,
    PointwiseAvgPoolAntialiased3D,
    PointwiseMaxPoolAntialiased2D,
    PointwiseMaxPoolAntialiased3D,
)
from .modules.quotient_fourier_nonlinearity import QuotientFourierELU, QuotientFourierPointwise
from .modules.r2conv import R2Conv
from .modules.r3conv import R3Conv
from .modules.r3icoconv import R3IcoConv, R3IcoConvTransposed
from .modules.reshuffle import ReshuffleModule
from .modules.restriction import RestrictionModule
from .modules.sequential import SequentialModule
from .modules.tensor_product import TensorProductModule
from .modules.upsampling import R2Upsampling, R3Upsampling
from .modules.vectorfield_nonlinearity import VectorFieldNonLinearity

# escnn's aliases
PointwiseMaxPool = PointwiseMaxPool2D
PointwiseAvgPool = PointwiseAvgPool2D
PointwiseAvgPoolAntialiased = PointwiseAvgPoolAntialiased2D
PointwiseMaxPoolAntialiased = PointwiseMaxPoolAntialiased2D
PointwiseAdaptiveAvgPool = PointwiseAdaptiveAvgPool2D
PointwiseAdaptiveMaxPool = PointwiseAdaptiveMaxPool2D

__all__ = [
    "FieldType",
    "GeometricTensor",
    "tensor_directsum",
    "EquivariantModule",
    "R2Conv",
    "R3Conv",
    "R3IcoConv",
    "R3IcoConvTransposed",
    "R2ConvTransposed",
    "R3ConvTransposed",
    "R2PointConv",
    "R3PointConv",
    "Linear",
    "SequentialModule",
    "IdentityModule",
    "MultipleModule",
    "BranchingModule",
    "MergeModule",
    "ReshuffleModule",
    "RestrictionModule",
    "DisentangleModule",
    "PointwiseNonLinearity",
    "ReLU",
    "ELU",
    "LeakyReLU",
    "NormNonLinearity",
    "InducedNormNonLinearity",
    "GatedNonLinearity1",
    "GatedNonLinearity2",
    "GatedNonLinearityUniform",
    "InducedGatedNonLinearity1",
    "ConcatenatedNonLinearity",
    "VectorFieldNonLinearity",
    "FourierPointwise",
    "FourierELU",
    "QuotientFourierPointwise",
    "QuotientFourierELU",
    "TensorProductModule",
    "HarmonicPolynomialR3",
    "InnerBatchNorm",
    "NormBatchNorm",
    "InducedNormBatchNorm",
    "GNormBatchNorm",
    "IIDBatchNorm1d",
    "IIDBatchNorm2d",
    "IIDBatchNorm3d",
    "FieldNorm",
    "FieldDropout",
    "PointwiseDropout",
    "R2Upsampling",
    "R3Upsampling",
    "GroupPooling",
    "MaskModule",
    "PointwiseAvgPool2D",
    "PointwiseMaxPool2D",
    "PointwiseAvgPoolAntialiased2D",
    "PointwiseMaxPool",
    "PointwiseAvgPool",
    "PointwiseAvgPoolAntialiased",
    "PointwiseMaxPool3D",
    "PointwiseAvgPool3D",
    "PointwiseAvgPoolAntialiased3D",
    "PointwiseMaxPoolAntialiased2D",
    "PointwiseMaxPoolAntialiased3D",
    "PointwiseMaxPoolAntialiased",
    "PointwiseAdaptiveAvgPool2D",
    "PointwiseAdaptiveAvgPool3D",
    "PointwiseAdaptiveMaxPool2D",
    "PointwiseAdaptiveMaxPool3D",
    "PointwiseAdaptiveAvgPool",
    "PointwiseAdaptiveMaxPool",
    "NormMaxPool",
    "MaxPoolChannels",
    "NormPool",
    "InducedNormPool",
    "init",
]
