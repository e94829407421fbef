"""The C8-equivariant rotated-MNIST CNN of the escnn tutorial, a plain CNN of the same width (the
speed reference) and a plain CNN baseline with about the same number of parameters."""

from __future__ import annotations

import torch

from .. import gspaces, nn

__all__ = [
    "C8SteerableCNN",
    "PlainCNN",
    "TutorialCNN",
    "cnn_baseline",
    "plain_cnn_parameters",
    "tutorial_features",
]


TUTORIAL_KERNELS = (7, 5, 5, 5, 5, 5)
TUTORIAL_PADDINGS = (1, 2, 2, 2, 2, 1)


def tutorial_features(input_type, fields, nonlinearity, restrict: int | None = None) -> nn.SequentialModule:
    """The escnn tutorial's feature stack on 29x29 images: a disk mask, six R2Conv (kernels 7, 5,
    5, 5, 5, 5) to ``fields[i]`` regular fields, each followed by InnerBatchNorm and
    ``nonlinearity(type)``, anti-aliased average pooling after the second and fourth, then
    anti-aliased pooling to 1x1 and group pooling. With ``restrict = r`` the fields of a
    dihedral gspace are restricted to its rotations before convolution ``r``."""
    layers = [nn.MaskModule(input_type, 29, margin=1)]
    in_type = input_type
    gs = input_type.gspace
    for i, (f, k, p) in enumerate(zip(fields, TUTORIAL_KERNELS, TUTORIAL_PADDINGS)):
        if restrict is not None and i == restrict:
            layers.append(nn.RestrictionModule(in_type, (None, gs.fibergroup.N)))
            in_type = layers[-1].out_type
            gs = in_type.gspace
        out_type = nn.FieldType(gs, [gs.regular_repr] * f)
        layers += [
            nn.R2Conv(in_type, out_type, kernel_size=k, padding=p, bias=False),
            nn.InnerBatchNorm(out_type),
            nonlinearity(out_type),
        ]
        if i in (1, 3):
            layers.append(nn.PointwiseAvgPoolAntialiased2D(out_type, sigma=0.66, stride=2))
        in_type = out_type
    layers.append(nn.PointwiseAvgPoolAntialiased2D(in_type, sigma=0.66, stride=1, padding=0))
    layers.append(nn.GroupPooling(in_type))
    return nn.SequentialModule(*layers)


class TutorialCNN(torch.nn.Module):
    """A tutorial feature stack (:func:`tutorial_features`) and an MLP head (Linear, BatchNorm1d,
    ELU, Linear) on the invariant features.

    Shapes:
        - input: ``(B, 1, 29, 29)`` (a plain tensor)
        - output: ``(B, n_classes)`` logits
    """

    def __init__(self, input_type, fields, nonlinearity, n_classes: int, restrict: int | None = None):
        super().__init__()
        self.input_type = input_type
        self.features = tutorial_features(input_type, fields, nonlinearity, restrict)
        c = self.features.out_type.size
        self.head = torch.nn.Sequential(
            torch.nn.Linear(c, 64),
            torch.nn.BatchNorm1d(64),
            torch.nn.ELU(inplace=True),
            torch.nn.Linear(64, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.features(nn.GeometricTensor(x, self.input_type)).tensor  # (B, fields, 1, 1)
        return self.head(features.reshape(features.shape[0], -1))

    def export(self) -> torch.nn.Module:
        """A plain torch model (Conv2d, BatchNorm2d, ...) with identical outputs."""
        return torch.nn.Sequential(self.features.export(), torch.nn.Flatten(), *self.head)


class C8SteerableCNN(TutorialCNN):
    """Six C8-steerable convolutions (1 -> 24 -> 48 -> 48 -> 96 -> 96 -> 64 regular fields,
    kernels 7, 5, 5, 5, 5, 5), each followed by InnerBatchNorm and ReLU, anti-aliased average
    pooling, group pooling to 64 invariant channels, then an MLP. Invariant to rotations by
    multiples of 45 degrees (exactly so for multiples of 90 degrees on the pixel grid).

    Shapes:
        - input: ``(B, 1, 29, 29)`` (a plain tensor)
        - output: ``(B, n_classes)`` logits
    """

    def __init__(self, n_classes: int = 10, N: int = 8, widths=(24, 48, 48, 96, 96, 64)):
        gs = gspaces.rot2dOnR2(N)
        super().__init__(
            nn.FieldType(gs, [gs.trivial_repr]), widths, lambda t: nn.ReLU(t, inplace=True), n_classes
        )
        self.gspace = gs


class PlainCNN(torch.nn.Module):
    """The same network with ``torch.nn.Conv2d`` on the same channel counts (the speed reference).

    Shapes:
        - input: ``(B, 1, 29, 29)``; output: ``(B, n_classes)``
    """

    def __init__(self, n_classes: int = 10, channels=(192, 384, 384, 768, 768, 512), pool_out: int = 64):
        super().__init__()
        kernels = (7, 5, 5, 5, 5, 5)
        paddings = (1, 2, 2, 2, 2, 1)
        layers, c_in = [], 1
        for i, (c, k, p) in enumerate(zip(channels, kernels, paddings)):
            layers += [
                torch.nn.Conv2d(c_in, c, k, padding=p, bias=False),
                torch.nn.BatchNorm2d(c),
                torch.nn.ReLU(inplace=True),
            ]
            if i in (1, 3):
                layers.append(torch.nn.AvgPool2d(5, 2, 2))
            c_in = c
        layers.append(torch.nn.AvgPool2d(5, 1, 0))
        self.features = torch.nn.Sequential(*layers)
        self.pool_out = pool_out
        self.head = torch.nn.Sequential(
            torch.nn.Linear(pool_out, 64),
            torch.nn.BatchNorm1d(64),
            torch.nn.ELU(inplace=True),
            torch.nn.Linear(64, n_classes),
        )

    def forward(self, x):
        f = self.features(x)
        f = f.reshape(f.shape[0], self.pool_out, -1).amax(dim=2)
        return self.head(f)


_KERNELS = (7, 5, 5, 5, 5, 5)


def plain_cnn_parameters(channels, n_classes: int = 10) -> int:
    """The number of parameters of ``PlainCNN(channels, pool_out=channels[-1])`` (closed form)."""
    total, c_in = 0, 1
    for c, k in zip(channels, _KERNELS):
        total += c_in * c * k * k + 2 * c  # bias-free convolution, batch-norm affine
        c_in = c
    return total + (c_in * 64 + 64) + 2 * 64 + (64 * n_classes + n_classes)


def cnn_baseline(widths=(24, 48, 48, 96, 96, 64), n_classes: int = 10, target: int | None = None) -> PlainCNN:
    """A conventional CNN with the C8 model's layout and about its number of parameters.

    The channels are ``8 * widths`` scaled by one factor, chosen so that the parameter count is
    closest to ``target`` (default: that of ``C8SteerableCNN(n_classes, widths=widths)``). It ends
    in global spatial pooling and has no group pooling: it is not invariant to rotations.
    """
    widths = tuple(int(w) for w in widths)
    if target is None:
        target = sum(p.numel() for p in C8SteerableCNN(n_classes, widths=widths).parameters())

    def channels(alpha):
        return tuple(max(1, round(alpha * 8 * w)) for w in widths)

    lo, hi = 1e-3, 1.0
    for _ in range(60):  # bisection: the count grows with alpha
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if plain_cnn_parameters(channels(mid), n_classes) < target else (lo, mid)
    best = min((lo, hi), key=lambda a: abs(plain_cnn_parameters(channels(a), n_classes) - target))
    ch = channels(best)
    return PlainCNN(n_classes, channels=ch, pool_out=ch[-1])
