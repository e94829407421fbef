"""Shared machinery of the steerable convolutions on R^2 and R^3 (and their transposes)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ...kernels.bandlimit import default_rings, default_sigma, kernel_grid
from ...kernels.basis import EmptyBasisException
from ..field_type import FieldType, check_type_pair
from ..geometric_tensor import GeometricTensor
from ..init import generalized_he_init
from ..module import EquivariantModule
from .basis_expansion import BlockBasisExpansion, Float64Constants, cached_expansion, trivial_bias_expansion

__all__ = ["RdConv"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _split_groups(field_type: FieldType, groups: int, what: str) -> FieldType:
    if len(field_type) % groups:
        raise ValueError(f"groups={groups} does not divide the {len(field_type)} fields of {what}")
    n = len(field_type) // groups
    first = field_type.representations[:n]
    for g in range(1, groups):
        if field_type.representations[g * n : (g + 1) * n] != first:
            raise ValueError(
                f"with groups={groups}, {what} must consist of {groups} identical groups of fields"
            )
    return field_type.index_select(range(n))


class RdConv(Float64Constants, EquivariantModule):
    """Base of R2Conv/R3Conv and their transposes (see :class:`R2Conv` for the arguments)."""

    _transposed = False

    def __init__(
        self,
        d: int,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size: int,
        padding=0,
        stride=1,
        dilation=1,
        padding_mode: str = "zeros",
        groups: int = 1,
        bias: bool = True,
        sigma=None,
        frequencies_cutoff=None,
        rings=None,
        maximum_offset=None,
        recompute: bool = False,
        basis_filter=None,
        initialize: bool = True,
        output_padding=0,
    ):
        super().__init__()
        check_type_pair(in_type, out_type)
        if in_type.gspace.dimensionality != d:
            raise ValueError(f"{type(self).__name__} needs a gspace on R^{d}, got {in_type.gspace.name}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"groups must be a positive integer, got {groups!r}")
        if maximum_offset is not None:
            raise ValueError("maximum_offset is not supported: use basis_filter or frequencies_cutoff")
        self.d = d
        self.in_type, self.out_type = in_type, out_type
        self.kernel_size = int(kernel_size)
        self.padding, self.stride, self.dilation = padding, stride, dilation
        self.output_padding = output_padding
        self.padding_mode = padding_mode
        self.groups = groups
        self.recompute = recompute
        group_in = _split_groups(in_type, groups, "in_type")
        group_out = _split_groups(out_type, groups, "out_type")
        # the filter is sampled at its dilated positions: rings, widths, band limit and grid all
        # scale with the dilation (anisotropic dilations sample the undilated grid)
        dil = _uniform_dilation(dilation, d)
        if rings is None:
            rings = default_rings(self.kernel_size, dil, d)
        rings = np.asarray(rings, dtype=np.float64)
        if sigma is None:
            sigma = default_sigma(rings, dil, self.kernel_size)
        # a transposed conv is the adjoint of a conv from out_type to in_type
        basis_in, basis_out = (group_out, group_in) if self._transposed else (group_in, group_out)
        basis = self._build_basis(
            in_type.gspace,
            basis_in.representation,
            basis_out.representation,
            rings=rings,
            sigma=sigma,
            frequencies_cutoff=frequencies_cutoff,
            basis_filter=basis_filter,
            dilation=dil,
        )
        if basis.dim == 0:
            raise EmptyBasisException(
                f"no equivariant kernel from {basis_in} to {basis_out} with kernel_size={kernel_size}, "
                f"rings {rings.tolist()}: the layer would be identically zero; allow higher frequencies "
                f"(frequencies_cutoff), more rings or a larger kernel"
            )
        self.basis = basis
        points = kernel_grid(self.kernel_size, d, dil)
        self.expansion = BlockBasisExpansion(
            basis, points, basis_out.representations, basis_in.representations
        )
        self.weights = torch.nn.Parameter(torch.zeros(groups * basis.dim))
        bias_expansion = trivial_bias_expansion(group_out)  # (size, n_trivial)
        if bias and bias_expansion.shape[1]:
            self.register_constant("bias_expansion", bias_expansion)
            self.bias = torch.nn.Parameter(torch.zeros(groups * bias_expansion.shape[1]))
        else:
            self.register_parameter("bias", None)
        self._cache = None
        if initialize:
            self.reset_parameters()

    def _build_basis(
        self, gspace, in_repr, out_repr, rings, sigma, frequencies_cutoff, basis_filter, dilation
    ):
        """The kernel basis (the harmonic one; R3IcoConv overrides this)."""
        return gspace.build_kernel_basis(
            in_repr,
            out_repr,
            rings=rings,
            sigma=sigma,
            frequencies_cutoff=frequencies_cutoff,
            basis_filter=basis_filter,
            dilation=dilation,
            kernel_size=self.kernel_size,
        )

    def reset_parameters(self) -> None:
        per_group = self.weights.view(self.groups, -1)
        for g in range(self.groups):
            generalized_he_init(per_group[g], self.expansion)
        if self.bias is not None:
            with torch.no_grad():
                self.bias.zero_()

    # ------------------------------------------------------------------ expansion
    def expand_parameters(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(filter, bias)`` as used by the plain torch convolution."""
        k = (self.kernel_size,) * self.d
        if self.groups == 1:  # no cat: it would copy the whole filter (forward and backward)
            filt = self.expansion(self.weights)
        else:
            filt = torch.cat([self.expansion(w) for w in self.weights.view(self.groups, -1)], dim=0)
        # filt: (groups * out_g, in_g, P), or the transposed roles
        # transposed: the basis maps out to in, so this is (groups * in_g, out_g, k...), the
        # layout conv_transpose expects
        filt = filt.reshape(filt.shape[0], filt.shape[1], *k)
        bias = None
        if self.bias is not None:
            b = self.bias.view(self.groups, -1)
            bias = torch.cat([self.bias_expansion @ b[g] for g in range(self.groups)])
        return filt, bias

    # ------------------------------------------------------------------ forward
    def _conv(self, x, filt, bias):
        conv = {2: F.conv2d, 3: F.conv3d}[self.d]
        if self.padding_mode != "zeros":
            pad = _expand(self.padding, self.d)
            x = F.pad(x, [p for p in reversed(pad) for _ in range(2)], mode=self.padding_mode)
            return conv(x, filt, bias, self.stride, 0, self.dilation, self.groups)
        return conv(x, filt, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        tensor = self._check_input(x)
        filt, bias = cached_expansion(self)
        if self._transposed:
            conv_t = {2: F.conv_transpose2d, 3: F.conv_transpose3d}[self.d]
            out = conv_t(
                tensor, filt, bias, self.stride, self.padding, self.output_padding, self.groups, self.dilation
            )
        else:
            out = self._conv(tensor, filt, bias)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape):
        if len(input_shape) != 2 + self.d or input_shape[1] != self.in_type.size:
            raise ValueError(
                f"expected an input shape (B, {self.in_type.size}, ...{self.d} dims), got {input_shape}"
            )
        spatial = []
        for n, p, s, dl, op in zip(
            input_shape[2:],
            _expand(self.padding, self.d),
            _expand(self.stride, self.d),
            _expand(self.dilation, self.d),
            _expand(self.output_padding, self.d),
        ):
            if self._transposed:
                spatial.append((n - 1) * s - 2 * p + dl * (self.kernel_size - 1) + op + 1)
            else:
                spatial.append((n + 2 * p - dl * (self.kernel_size - 1) - 1) // s + 1)
        return (input_shape[0], self.out_type.size, *spatial)

    def export(self) -> torch.nn.Module:
        """The equivalent ``torch.nn.Conv{d}d`` / ``ConvTranspose{d}d`` (padding_mode kept)."""
        filt, bias = self.expand_parameters()
        k = self.kernel_size
        common = dict(
            kernel_size=k,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            bias=bias is not None,
            dtype=filt.dtype,
            device=filt.device,
        )
        if self._transposed:
            cls = {2: torch.nn.ConvTranspose2d, 3: torch.nn.ConvTranspose3d}[self.d]
            conv = cls(self.in_type.size, self.out_type.size, output_padding=self.output_padding, **common)
        else:
            cls = {2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[self.d]
            conv = cls(self.in_type.size, self.out_type.size, padding_mode=self.padding_mode, **common)
        with torch.no_grad():
            conv.weight.copy_(filt)
            if bias is not None:
                conv.bias.copy_(bias)
        return conv.train(self.training)

    def extra_repr(self) -> str:
        return (
            f"{self.in_type} -> {self.out_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, padding_mode={self.padding_mode!r}, groups={self.groups}, "
            f"basis_dim={self.basis.dim}"
        )


def _uniform_dilation(dilation, d) -> float:
    values = set(_expand(dilation, d))
    return float(values.pop()) if len(values) == 1 else 1.0


def _expand(value, d):
    if isinstance(value, (tuple, list)):
        if len(value) != d:
            raise ValueError(f"expected {d} values, got {value!r}")
        return tuple(value)
    return (value,) * d
