"""Norm nonlinearities: a function of the norm of each field (or of each block of an induced
field) rescales it, keeping its direction."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["NormNonLinearity", "InducedNormNonLinearity"]

# function name -> whether it has a learnable bias (squash is a fixed map of the norm)
_FUNCTIONS = {"n_relu": True, "n_sigmoid": True, "n_softplus": True, "squash": False}
_BIAS_INIT = 0.1


def _multiplier(function: str, norms: torch.Tensor, bias) -> torch.Tensor:
    """The factor new_norm / norm, for norms clamped away from zero."""
    if function == "squash":  # Sabour et al.: |v|^2 / (1 + |v|^2) * v / |v|
        return norms / (1.0 + norms * norms)
    t = norms if bias is None else norms - bias
    if function == "n_relu":
        new = F.relu(t)
    elif function == "n_sigmoid":
        new = torch.sigmoid(t)
    else:
        new = F.softplus(t)
    return new / norms


def _register_blocks(module: torch.nn.Module, in_type: FieldType, block_sizes) -> None:
    """Register the layout of the norm blocks: blocks of equal size are processed together.

    ``block_sizes[f]`` is the size of the blocks of field ``f`` (a divisor of its size). For each
    block size d: ``_channels_{d}`` (channels of those blocks, in order; skipped when they are a
    contiguous range) and ``_fields_{d}`` (the field of each block, to index the bias). When the
    concatenated groups are not in channel order, ``_inverse`` puts them back.
    """
    blocks = []  # (channel start, size, field)
    for f, (start, d) in enumerate(zip(in_type.fields_start, block_sizes)):
        size = in_type.representations[f].size
        blocks.extend((int(start) + i * d, d, f) for i in range(size // d))
    groups, order = [], []
    for d in sorted({b[1] for b in blocks}):
        mine = [b for b in blocks if b[1] == d]
        channels = torch.cat([torch.arange(s, s + d) for s, _, _ in mine])
        first, last = int(channels[0]), int(channels[-1]) + 1
        contiguous = bool(torch.equal(channels, torch.arange(first, last)))
        if not contiguous:
            module.register_buffer(f"_channels_{d}", channels, persistent=False)
        module.register_buffer(f"_fields_{d}", torch.tensor([f for _, _, f in mine]), persistent=False)
        groups.append((d, first, last) if contiguous else (d, None, None))
        order.append(channels)
    order = torch.cat(order)
    module._groups = groups
    module._reorder = not torch.equal(order, torch.arange(in_type.size))
    if module._reorder:
        module.register_buffer("_inverse", torch.argsort(order), persistent=False)


def _norm_forward(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Shared by the equivariant modules and their plain-torch exports."""
    b, rest = x.shape[0], x.shape[2:]
    ones = (1,) * len(rest)
    parts = []
    for d, first, last in module._groups:
        xs = x[:, first:last] if first is not None else x.index_select(1, getattr(module, f"_channels_{d}"))
        xs = xs.reshape(b, -1, d, *rest)  # (B, blocks, d, ...)
        squares = (xs * xs).sum(2, keepdim=True)
        # clamping the squared norm (not the norm) keeps the gradient finite at v = 0
        norms = squares.clamp_min(torch.finfo(squares.dtype).tiny).sqrt()
        bias = None
        if module.bias is not None:
            bias = module.bias.index_select(0, getattr(module, f"_fields_{d}")).view(1, -1, 1, *ones)
            bias = bias.to(xs.dtype)  # the output keeps the input's dtype (e.g. under autocast)
        parts.append((xs * _multiplier(module.function, norms, bias)).reshape(b, -1, *rest))
    out = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
    if module._reorder:
        out = out.index_select(1, module._inverse)
    return out


class _NormTorch(torch.nn.Module):
    """Plain-torch export of the norm nonlinearities (same buffers and bias)."""

    def __init__(self, source: torch.nn.Module):
        super().__init__()
        self.function = source.function
        self._groups = list(source._groups)
        self._reorder = source._reorder
        for name, buf in source.named_buffers(recurse=False):
            self.register_buffer(name, buf.clone(), persistent=False)
        if source.bias is not None:
            self.bias = torch.nn.Parameter(source.bias.detach().clone())
        else:
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _norm_forward(self, x)

    def extra_repr(self):
        return f"{self.function}, blocks={[d for d, _, _ in self._groups]}"


class _NormBase(EquivariantModule):
    def __init__(self, in_type: FieldType, function: str, bias: bool, flag: str):
        super().__init__()
        name = type(self).__name__
        check_field_type(in_type, name)
        if function not in _FUNCTIONS:
            raise ValueError(f"unknown function {function!r}; valid: {sorted(_FUNCTIONS)}")
        bad = [r.name for r in in_type.representations if flag not in r.supported_nonlinearities]
        if bad:
            raise ValueError(
                f"{name} needs fields that support {flag!r} (an invariant norm); these do not: "
                f"{sorted(set(bad))}"
            )
        self.in_type = self.out_type = in_type
        self.function = function
        if bias and _FUNCTIONS[function]:
            self.bias = torch.nn.Parameter(torch.empty(len(in_type)))
        else:  # squash has no bias: `bias` is ignored for it
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.bias is not None:
            with torch.no_grad():
                self.bias.fill_(_BIAS_INIT)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(_norm_forward(self, self._check_input(x)), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return self._fieldwise_output_shape(input_shape)

    def export(self) -> torch.nn.Module:
        return _NormTorch(self).train(self.training)

    def extra_repr(self):
        return f"{self.function}, {self.in_type}, bias={self.bias is not None}"


class NormNonLinearity(_NormBase):
    """Norm nonlinearity: each field v becomes ``f(|v| - b) * v / |v|``, a function of its norm
    (invariant under any orthogonal representation) that keeps its direction.

    Functions: ``'n_relu'`` f = ReLU, ``'n_sigmoid'`` f = sigmoid, ``'n_softplus'`` f = softplus
    (the output norm is ``f(|v| - b)``, with a learnable bias b per field, initialised to 0.1),
    and ``'squash'`` (Sabour et al.'s capsule squash ``|v|^2 / (1 + |v|^2) * v / |v|``, no bias:
    ``bias`` is ignored). A field equal to zero stays zero. Fields of equal size are processed
    together in one vectorised call.

    Args:
        in_type: the field type; every representation must support ``'norm'``.
        function: ``'n_relu'`` (default), ``'n_sigmoid'``, ``'n_softplus'`` or ``'squash'``.
        bias: whether to learn the per-field bias b (else b = 0).

    Shapes:
        - input/output: ``(B, C, ...)``, same shape and type
    """

    def __init__(self, in_type: FieldType, function: str = "n_relu", bias: bool = True):
        super().__init__(in_type, function, bias, "norm")
        _register_blocks(self, in_type, [r.size for r in in_type.representations])


class InducedNormNonLinearity(_NormBase):
    """Norm nonlinearity for induced representations Ind_H^G psi: the field's channels are one
    block of size dim(psi) per coset of H (G permutes the blocks and acts inside them by psi), so
    the norm of each block is invariant; each block v becomes ``f(|v| - b) * v / |v|`` with one
    bias per field shared by its blocks (see :class:`NormNonLinearity` for the functions).

    Args:
        in_type: the field type; every representation must support ``'induced_norm'`` (built
            by ``gspace.induced_repr`` / ``group.induced_representation`` or a quotient
            representation).
        function: ``'n_relu'`` (default), ``'n_sigmoid'``, ``'n_softplus'`` or ``'squash'``.
        bias: whether to learn the per-field bias.

    Shapes:
        - input/output: ``(B, C, ...)``, same shape and type
    """

    def __init__(self, in_type: FieldType, function: str = "n_relu", bias: bool = True):
        super().__init__(in_type, function, bias, "induced_norm")
        sizes = []
        for r in in_type.representations:
            psi = r.attributes.get("induced_repr")
            if psi is None or r.size % psi.size:
                raise ValueError(
                    f"InducedNormNonLinearity needs induced representations that record the induced "
                    f"subgroup representation ('induced_repr'); {r.name} does not"
                )
            sizes.append(psi.size)
        _register_blocks(self, in_type, sizes)
