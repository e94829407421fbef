"""Reference models."""

from .c8_rotmnist import C8SteerableCNN, PlainCNN, cnn_baseline, plain_cnn_parameters
from .e2cnn_models import C8_TUTORIAL_FIELDS, E2MNISTNet, fields_for
from .registry import MODELS, build_model, is_equivariant
from .wide_resnet import WideBasicBlock

__all__ = [
    "C8SteerableCNN",
    "PlainCNN",
    "cnn_baseline",
    "plain_cnn_parameters",
    "E2MNISTNet",
    "C8_TUTORIAL_FIELDS",
    "fields_for",
    "MODELS",
    "build_model",
    "is_equivariant",
    "WideBasicBlock",
]
