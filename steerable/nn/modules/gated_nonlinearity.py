"""Gated nonlinearities: scalar gates, squashed by a sigmoid, multiply the gated fields."""

from __future__ import annotations

import torch

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = [
    "GatedNonLinearity1",
    "GatedNonLinearity2",
    "GatedNonLinearityUniform",
    "InducedGatedNonLinearity1",
]


def _channels(field_type: FieldType, fields) -> torch.Tensor:
    starts, ends = field_type.fields_start, field_type.fields_end
    parts = [torch.arange(int(starts[f]), int(ends[f])) for f in fields]
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.long)


def _register_take(module, name: str, channels: torch.Tensor) -> None:
    """A channel selection: a slice when contiguous (no copy), else an index buffer."""
    first, last = int(channels[0]), int(channels[-1]) + 1
    if torch.equal(channels, torch.arange(first, last)):
        setattr(module, f"_{name}_slice", (first, last))
    else:
        setattr(module, f"_{name}_slice", None)
        module.register_buffer(f"_{name}_index", channels, persistent=False)


def _take(module, name: str, x: torch.Tensor) -> torch.Tensor:
    bounds = getattr(module, f"_{name}_slice")
    if bounds is not None:
        return x[:, bounds[0] : bounds[1]]
    return x.index_select(1, getattr(module, f"_{name}_index"))


def _register_layout(module, gate_sizes, gated_sizes, keep_order=None) -> None:
    """Gate field i (``gate_sizes[i]`` channels c) multiplies gated field i (size s = c * d):
    gate channel j scales the j-th block of d channels. Uniform layouts (same c and s for every
    pair) use one broadcast product; mixed ones expand the gates with one index_select.
    ``keep_order``: the channel positions of [gated outputs, gates] in the output, when the
    gates are kept (``drop_gates=False``)."""
    pairs = set(zip(gate_sizes, gated_sizes))
    module._uniform = None
    if len(pairs) == 1:
        c, s = next(iter(pairs))
        module._uniform = (c, s // c)
    else:
        expand, offset = [], 0
        for c, s in zip(gate_sizes, gated_sizes):
            expand.append(torch.arange(offset, offset + c).repeat_interleave(s // c))
            offset += c
        module.register_buffer("_expand", torch.cat(expand), persistent=False)
    # bias (one per gate field) -> gate channels, needed when a gate field has several channels
    module._bias_per_channel = any(c != 1 for c in gate_sizes)
    if module._bias_per_channel:
        index = torch.arange(len(gate_sizes)).repeat_interleave(torch.tensor(gate_sizes))
        module.register_buffer("_bias_index", index, persistent=False)
    module._reorder = False
    if keep_order is not None and not torch.equal(keep_order, torch.arange(len(keep_order))):
        module._reorder = True
        module.register_buffer("_inverse", torch.argsort(keep_order), persistent=False)


def _gated_forward(module, gates: torch.Tensor, gated: torch.Tensor, keep_gates: bool) -> torch.Tensor:
    """Shared by the equivariant modules and their exports. ``gates``: (B, gate channels, ...),
    ``gated``: (B, gated channels, ...)."""
    b, rest = gated.shape[0], gated.shape[2:]
    if module.bias is not None:
        bias = module.bias.index_select(0, module._bias_index) if module._bias_per_channel else module.bias
        gates = gates + bias.to(gates.dtype).view(1, -1, *(1,) * len(rest))
    act = module._gate_function(gates)
    if module._uniform is not None:
        c, d = module._uniform
        out = gated.reshape(b, -1, c, d, *rest) * act.reshape(b, -1, c, 1, *rest)
        out = out.reshape(b, -1, *rest)
    else:
        out = gated * act.index_select(1, module._expand)
    if keep_gates:
        out = torch.cat([out, act], dim=1)
        if module._reorder:
            out = out.index_select(1, module._inverse)
    return out


class _GatedTorch(torch.nn.Module):
    """Plain-torch export of the gated nonlinearities: ``forward(x)``, or ``forward(gates, x)``
    for :class:`GatedNonLinearity2`."""

    def __init__(self, source: torch.nn.Module, two_inputs: bool):
        super().__init__()
        for name in ("_uniform", "_bias_per_channel", "_reorder", "_gate_function", "drop_gates"):
            setattr(self, name, getattr(source, name))
        self._two_inputs = two_inputs
        self._gate_slice = getattr(source, "_gate_slice", (0, 0))
        self._gated_slice = getattr(source, "_gated_slice", (0, 0))
        for name, buf in source.named_buffers(recurse=False):
            self.register_buffer(name, buf.clone(), persistent=False)
        if source.bias is not None:
            self.bias = torch.nn.Parameter(source.bias.detach().clone())
        else:
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor, gated: torch.Tensor | None = None) -> torch.Tensor:
        if self._two_inputs:
            return _gated_forward(self, x, gated, False)
        return _gated_forward(self, _take(self, "gate", x), _take(self, "gated", x), not self.drop_gates)


def _check_gates(field_type: FieldType, fields, name: str) -> None:
    bad = [
        field_type.representations[i].name
        for i in fields
        if field_type.representations[i].size != 1
        or "gate" not in field_type.representations[i].supported_nonlinearities
    ]
    if bad:
        raise ValueError(f"{name}: gates must be trivial (1-dim, invariant) fields, got {sorted(set(bad))}")


def _check_gated(field_type: FieldType, fields, flag: str, name: str) -> None:
    bad = [
        field_type.representations[i].name
        for i in fields
        if flag not in field_type.representations[i].supported_nonlinearities
    ]
    if bad:
        raise ValueError(f"{name}: gated fields must support {flag!r}; these do not: {sorted(set(bad))}")


def _labels(in_type: FieldType, gates, name: str) -> tuple[list[int], list[int]]:
    """Indices of the gate and gated fields from escnn's ``gates`` labels."""
    n = len(in_type)
    if gates is None:  # escnn's default: the first half of the fields gate the second half
        if n % 2:
            raise ValueError(
                f"{name}: without `gates`, the first half of the fields are the gates of the second "
                f"half, which needs an even number of fields; got {n}"
            )
        gates = ["gate"] * (n // 2) + ["gated"] * (n // 2)
    gates = list(gates)
    if len(gates) != n:
        raise ValueError(f"{name}: `gates` needs one label per field ({n}), got {len(gates)}")
    unknown = sorted({str(g) for g in gates if g not in ("gate", "gated")})
    if unknown:
        raise ValueError(f"{name}: `gates` labels must be 'gate' or 'gated', got {unknown}")
    gate_fields = [i for i, g in enumerate(gates) if g == "gate"]
    gated_fields = [i for i, g in enumerate(gates) if g == "gated"]
    if len(gate_fields) != len(gated_fields) or not gate_fields:
        raise ValueError(
            f"{name} needs as many gates as gated fields (at least one), got {len(gate_fields)} "
            f"gates and {len(gated_fields)} gated fields"
        )
    return gate_fields, gated_fields


class _GatedOneInput(EquivariantModule):
    """Gates and gated fields in one input tensor."""

    def _setup(self, in_type, gate_fields, gated_fields, gate_sizes, drop_gates, bias, gate_function):
        if not isinstance(drop_gates, bool):
            raise TypeError(f"drop_gates must be a bool, got {type(drop_gates).__name__}")
        self.in_type = in_type
        self.drop_gates = drop_gates
        self.gate_fields, self.gated_fields = list(gate_fields), list(gated_fields)
        self.out_type = in_type if not drop_gates else in_type.index_select(gated_fields)
        self._gate_function = gate_function
        gate_ch, gated_ch = _channels(in_type, gate_fields), _channels(in_type, gated_fields)
        _register_take(self, "gate", gate_ch)
        _register_take(self, "gated", gated_ch)
        gated_sizes = [in_type.representations[i].size for i in gated_fields]
        _register_layout(
            self, gate_sizes, gated_sizes, None if drop_gates else torch.cat([gated_ch, gate_ch])
        )
        if bias:
            self.bias = torch.nn.Parameter(torch.zeros(len(gate_fields)))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.bias is not None:
            with torch.no_grad():
                self.bias.zero_()

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        t = self._check_input(x)
        out = _gated_forward(self, _take(self, "gate", t), _take(self, "gated", t), not self.drop_gates)
        return GeometricTensor(out, self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return self._fieldwise_output_shape(input_shape)

    def export(self) -> torch.nn.Module:
        return _GatedTorch(self, two_inputs=False).train(self.training)

    def extra_repr(self):
        return (
            f"{self.in_type} -> {self.out_type}, gates={len(self.gate_fields)}, drop_gates={self.drop_gates}"
        )


class GatedNonLinearity1(_GatedOneInput):
    """Gated nonlinearity (Weiler et al. 2018): the i-th gate field g (trivial) multiplies the
    i-th gated field v: ``v * sigmoid(g + b)``, with a learnable bias b per gate (initialised to 0).

    Gates and gated fields come in one tensor; ``gates`` labels every field ``'gate'`` or
    ``'gated'``; gates and gated fields are paired in their order of appearance. By default
    (``gates=None``) the first half of the fields are the gates of the second half.

    Args:
        in_type: the field type with both gates (trivial fields, ``'gate'``) and gated fields
            (any representation supporting ``'gated'``).
        gates: one label per field, ``'gate'`` or ``'gated'``; as many gates as gated fields.
        drop_gates: if True (default) the output holds the gated fields only (in input order);
            if False the output has the input's type, the gate fields holding ``sigmoid(g + b)``.

    Shapes:
        - input: ``(B, in_type.size, ...)``
        - output: ``(B, out_type.size, ...)``
    """

    def __init__(self, in_type: FieldType, gates=None, drop_gates: bool = True):
        super().__init__()
        name = type(self).__name__
        check_field_type(in_type, name)
        gate_fields, gated_fields = _labels(in_type, gates, name)
        _check_gates(in_type, gate_fields, name)
        _check_gated(in_type, gated_fields, "gated", name)
        self._setup(
            in_type, gate_fields, gated_fields, [1] * len(gate_fields), drop_gates, True, torch.sigmoid
        )


class InducedGatedNonLinearity1(_GatedOneInput):
    """Gated nonlinearity for induced representations Ind_H^G psi (k blocks of size dim(psi), one
    per coset of H). Its gate is a quotient field of G/H (k channels, one per coset, permuted
    like the blocks): gate channel j scales block j, ``v_j * sigmoid(g_j + b)``, with one
    learnable bias b per gate field (initialised to 0).

    Labels and pairing as in :class:`GatedNonLinearity1` (by default the first half of the
    fields gate the second half); the i-th gate must be the quotient representation of the
    subgroup the i-th gated field is induced from.

    Args:
        in_type: the field type: quotient fields (gates) and induced fields (``'induced_gated'``).
        gates: one label per field, ``'gate'`` or ``'gated'``.
        drop_gates: if False, the gates (after the sigmoid) are kept in the output, in place.

    Shapes:
        - input: ``(B, in_type.size, ...)``
        - output: ``(B, out_type.size, ...)``
    """

    def __init__(self, in_type: FieldType, gates=None, drop_gates: bool = True):
        super().__init__()
        name = type(self).__name__
        check_field_type(in_type, name)
        gate_fields, gated_fields = _labels(in_type, gates, name)
        _check_gated(in_type, gated_fields, "induced_gated", name)
        reps = in_type.representations
        for i, j in zip(gate_fields, gated_fields):
            gate, gated = reps[i], reps[j]
            psi = gated.attributes.get("induced_repr")
            sub = gated.attributes.get("induced_subgroup_id")
            gate_psi = gate.attributes.get("induced_repr")  # a quotient G/H is Ind_H^G(trivial)
            ok = (
                psi is not None
                and gate_psi is not None
                and gate_psi.size == 1
                and gate_psi.is_trivial()
                and gate.attributes.get("induced_subgroup_id") == sub
                and gate.size * psi.size == gated.size
            )
            if not ok:
                raise ValueError(
                    f"{name}: the gate of the induced field {gated.name} (induced from subgroup {sub!r}) "
                    f"must be the quotient representation of that subgroup, got {gate.name}"
                )
        gate_sizes = [reps[i].size for i in gate_fields]
        self._setup(in_type, gate_fields, gated_fields, gate_sizes, drop_gates, True, torch.sigmoid)


class GatedNonLinearityUniform(_GatedOneInput):
    """Gated nonlinearity on a uniform layout: ``in_type`` is N trivial gate fields followed by
    N gated fields, all of one representation rho; gated field i is multiplied by ``gate(g_i)``
    (no bias). The output is the N gated fields.

    Args:
        in_type: ``[trivial] * N + [rho] * N`` (rho supports ``'gated'``).
        gate: the function applied to the gates (default ``torch.sigmoid``; use a picklable
            callable if the module must be pickled).

    Shapes:
        - input: ``(B, N + N * rho.size, ...)``
        - output: ``(B, N * rho.size, ...)``
    """

    def __init__(self, in_type: FieldType, gate=torch.sigmoid):
        super().__init__()
        name = type(self).__name__
        check_field_type(in_type, name)
        if not callable(gate):
            raise TypeError(f"{name}: gate must be a callable, got {type(gate).__name__}")
        n = len(in_type)
        if n % 2:
            raise ValueError(f"{name} needs N gates followed by N gated fields, got {n} fields (odd)")
        gate_fields, gated_fields = list(range(n // 2)), list(range(n // 2, n))
        _check_gates(in_type, gate_fields, name)
        reps = {in_type.representations[i] for i in gated_fields}
        if len(reps) != 1:
            raise ValueError(
                f"{name}: the gated fields (the second half) must all have one representation, got "
                f"{sorted(r.name for r in reps)}"
            )
        _check_gated(in_type, gated_fields, "gated", name)
        self._setup(in_type, gate_fields, gated_fields, [1] * len(gate_fields), True, False, gate)

    def extra_repr(self):
        return f"{self.in_type} -> {self.out_type}, gate={getattr(self._gate_function, '__name__', 'gate')}"


class GatedNonLinearity2(EquivariantModule):
    """Gated nonlinearity with the gates in a separate tensor: ``forward(gates, input)`` (or a
    tuple ``(gates, input)``) returns ``input_i * sigmoid(gates_i)`` for each field i.

    Args:
        in_type: a pair ``(gates_type, input_type)``: ``gates_type`` has one trivial field per
            field of ``input_type``, whose fields support ``'gated'``.

    Shapes:
        - gates: ``(B, N, ...)``; input: ``(B, input_type.size, ...)``
        - output: ``(B, input_type.size, ...)``, of type ``input_type``
    """

    def __init__(self, in_type):
        super().__init__()
        name = type(self).__name__
        if not (isinstance(in_type, (tuple, list)) and len(in_type) == 2):
            raise TypeError(f"{name} needs a pair (gates_type, input_type), got {type(in_type).__name__}")
        gates_type, input_type = in_type
        check_field_type(gates_type, name)
        check_field_type(input_type, name)
        if gates_type.gspace != input_type.gspace:
            raise ValueError(
                f"{name}: gates and input must share a gspace, got {gates_type.gspace} and "
                f"{input_type.gspace}"
            )
        if len(gates_type) != len(input_type):
            raise ValueError(
                f"{name} needs as many gates as gated fields, got {len(gates_type)} gates and "
                f"{len(input_type)} gated fields"
            )
        _check_gates(gates_type, range(len(gates_type)), name)
        _check_gated(input_type, range(len(input_type)), "gated", name)
        self.in_type = (gates_type, input_type)
        self.out_type = input_type
        self.drop_gates = True
        self._gate_function = torch.sigmoid
        _register_layout(self, [1] * len(gates_type), [r.size for r in input_type.representations])
        self.register_parameter("bias", None)

    def _check_pair(self, gates, input):
        if input is None and isinstance(gates, (tuple, list)) and len(gates) == 2:
            gates, input = gates
        for x, t, what in ((gates, self.in_type[0], "gates"), (input, self.in_type[1], "input")):
            if not isinstance(x, GeometricTensor):
                raise TypeError(
                    f"{type(self).__name__} expects GeometricTensors (gates, input); the {what} is "
                    f"{type(x).__name__}"
                )
            if x.type != t:
                raise ValueError(f"{type(self).__name__}: the {what} must have type {t}, got {x.type}")
        if gates.tensor.shape[0] != input.tensor.shape[0] or gates.tensor.shape[2:] != input.tensor.shape[2:]:
            raise ValueError(
                f"gates and input must have the same batch and spatial shape, got "
                f"{tuple(gates.tensor.shape)} and {tuple(input.tensor.shape)}"
            )
        return gates, input

    def forward(self, gates, input: GeometricTensor | None = None) -> GeometricTensor:
        gates, input = self._check_pair(gates, input)
        out = _gated_forward(self, gates.tensor, input.tensor, False)
        return GeometricTensor(out, self.out_type, input.coords)

    def evaluate_output_shape(self, input_shape):
        gates_shape, shape = (tuple(s) for s in input_shape)
        if gates_shape[1:2] != (len(self.in_type[0]),) or shape[1:2] != (self.in_type[1].size,):
            raise ValueError(
                f"expected shapes (B, {len(self.in_type[0])}, ...) and (B, {self.in_type[1].size}, ...)"
            )
        return shape

    def export(self) -> torch.nn.Module:
        return _GatedTorch(self, two_inputs=True).train(self.training)

    def extra_repr(self):
        return f"gates={self.in_type[0]}, input={self.in_type[1]}"
