"""e2cnn-style rotated-MNIST models: C_N / D_N regular steerable CNNs, with an optional
restriction from D_N to C_N after the first layers (e2cnn's "D16|5 C16").

The macro-architecture is the one of the escnn rotated-MNIST tutorial (six steerable
convolutions with kernels 7, 5, 5, 5, 5, 5, batch norm and a pointwise nonlinearity after each,
anti-aliased pooling after the second and fourth, invariant pooling over the group and over
space, then a two-layer MLP), on regular fields of a cyclic or dihedral group. The number of
fields of each layer is the tutorial's C8 width times ``sqrt(8 / |G|) * width``, which keeps the
number of parameters of the tutorial model (a regular-to-regular kernel has about ``|G| k^2``
free parameters per pair of fields).
"""

from __future__ import annotations

import math

from .. import gspaces, nn
from .c8_rotmnist import TutorialCNN

__all__ = ["E2MNISTNet", "C8_TUTORIAL_FIELDS", "fields_for"]

C8_TUTORIAL_FIELDS = (24, 48, 48, 96, 96, 64)


def fields_for(order: int, width: float = 1.0) -> tuple[int, ...]:
    """Regular fields per layer for a group of ``order`` elements (same parameters as C8 tutorial)."""
    if order < 1 or width <= 0:
        raise ValueError(f"expected a group order >= 1 and width > 0, got order={order}, width={width}")
    scale = math.sqrt(8.0 / order) * width
    return tuple(max(1, round(f * scale)) for f in C8_TUTORIAL_FIELDS)


class E2MNISTNet(TutorialCNN):
    """A C_N- or D_N-equivariant CNN for 29x29 images, invariant in its output.

    Args:
        N: the number of rotations (C_N or D_N).
        flips: ``True`` for D_N (rotations and reflections), ``False`` for C_N.
        restrict: for D_N, the number of convolution layers (1..5) after which the fields are
            restricted to C_N (``nn.RestrictionModule(type, (None, N))``); ``None`` keeps D_N.
        fields: regular fields per layer (6 numbers), in units of the group of that layer; the
            default is :func:`fields_for` of the group (of C_N for the layers after restriction).
        width: multiplies the default fields (ignored when ``fields`` is given).
        n_classes: number of logits.

    Shapes:
        - input: ``(B, 1, 29, 29)`` (a plain tensor)
        - output: ``(B, n_classes)`` logits
    """

    def __init__(
        self,
        N: int = 16,
        flips: bool = True,
        restrict: int | None = None,
        fields=None,
        width: float = 1.0,
        n_classes: int = 10,
    ):
        if restrict is not None and (not flips or not 1 <= int(restrict) <= 5):
            raise ValueError(
                f"restrict must be None or a layer count in 1..5 of a dihedral model, got "
                f"restrict={restrict!r} with flips={flips}"
            )
        N, flips = int(N), bool(flips)
        gs = gspaces.flipRot2dOnR2(N) if flips else gspaces.rot2dOnR2(N)
        if fields is None:
            full = fields_for(N * (2 if flips else 1), width)
            rot = fields_for(N, width)
            fields = tuple(full[i] if restrict is None or i < restrict else rot[i] for i in range(6))
        fields = tuple(int(f) for f in fields)
        if len(fields) != 6 or min(fields) < 1:
            raise ValueError(f"expected 6 positive field counts, got {fields}")
        super().__init__(
            nn.FieldType(gs, [gs.trivial_repr]),
            fields,
            lambda t: nn.ELU(t, inplace=True),
            n_classes,
            restrict,
        )
        self.N, self.flips, self.restrict, self.fields = N, flips, restrict, fields
