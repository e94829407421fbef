"""Concatenated nonlinearities (CReLU): f(x) and f(-x) side by side, doubling every field."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from ...group.constructions import representation_from_matrices
from ...group.representation import Representation
from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule

__all__ = ["ConcatenatedNonLinearity", "concatenated_representation"]

_FUNCTIONS = {"c_relu": F.relu, "c_sigmoid": torch.sigmoid, "c_tanh": torch.tanh}
_OUT_NONLINEARITIES = ("pointwise", "norm", "gated", "concatenated")
_TOL = 1e-9


def _check_elements(group) -> list:
    """All elements of a finite group; for a compact one its generators, testing elements and a
    fixed sample (a signed-permutation representation is constant on each connected component,
    so a generic element of each component decides)."""
    if not group.continuous:
        return list(group.elements)
    rng = np.random.default_rng(0)
    return list(group.generators) + list(group.testing_elements()) + [group.sample(rng) for _ in range(8)]


def _signed_permutations(rep: Representation):
    """The matrices of ``rep`` on the checked elements, rounded, if they are all signed
    permutations; else None."""
    m = rep.matrices(_check_elements(rep.group))  # (N, n, n)
    rounded = np.round(m)
    if not np.allclose(m, rounded, atol=_TOL):
        return None
    if not ((np.abs(rounded).sum(axis=1) == 1).all() and (np.abs(rounded).sum(axis=2) == 1).all()):
        return None
    return rounded


@lru_cache(maxsize=None)
def concatenated_representation(rep: Representation) -> Representation:
    """The representation of ``[f(x), f(-x)]`` for fields x of a signed-permutation
    representation rho (every rho(g) a permutation matrix with signs).

    With rho = rho+ - rho- (the positive and negative entries), f(rho x) = rho+ f(x) + rho- f(-x),
    so the pair transforms by the permutation matrices ``[[rho+, rho-], [rho-, rho+]]``. With
    T = [[I, I], [I, -I]] / sqrt(2) this is T (|rho| + rho) T, |rho| = rho+ + rho- the underlying
    permutation representation; for a permutation rho (no signs) it is simply rho + rho.

    Raises:
        ValueError: if rho is not a signed-permutation representation.
    """
    matrices = _signed_permutations(rep)
    if matrices is None:
        raise ValueError(
            f"the concatenated nonlinearity is only equivariant for representations whose matrices "
            f"are signed permutations; {rep.name} is not one"
        )
    group, n, q = rep.group, rep.size, rep.change_of_basis
    name = f"concatenated({rep.name})"
    block = np.zeros((2 * n, 2 * n))
    if (matrices >= 0).all():
        block[:n, :n] = block[n:, n:] = q
        return Representation(group, name, rep.irreps * 2, block, _OUT_NONLINEARITIES)
    if n == 1:  # |rho| is the trivial representation
        absolute = group.trivial_representation
    else:
        absolute = representation_from_matrices(group, lambda g: np.abs(rep(g)), f"|{rep.name}|")
    block[:n, :n] = absolute.change_of_basis
    block[n:, n:] = q
    t = np.block([[np.eye(n), np.eye(n)], [np.eye(n), -np.eye(n)]]) / np.sqrt(2.0)
    return Representation(group, name, absolute.irreps + rep.irreps, t @ block, _OUT_NONLINEARITIES)


def _concatenated_forward(module, x: torch.Tensor) -> torch.Tensor:
    """Shared by the module and its export."""
    f = _FUNCTIONS[module.function]
    if module._uniform is not None:  # (B, F, n, ...) -> (B, F, 2n, ...) without an index
        b, rest = x.shape[0], x.shape[2:]
        xs = x.reshape(b, -1, module._uniform, *rest)
        return torch.cat([f(xs), f(-xs)], dim=2).reshape(b, -1, *rest)
    return torch.cat([f(x), f(-x)], dim=1).index_select(1, module._index)


class _ConcatenatedTorch(torch.nn.Module):
    """Plain-torch export of :class:`ConcatenatedNonLinearity`."""

    def __init__(self, source):
        super().__init__()
        self.function, self._uniform = source.function, source._uniform
        if source._uniform is None:
            self.register_buffer("_index", source._index.clone(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _concatenated_forward(self, x)

    def extra_repr(self):
        return self.function


class ConcatenatedNonLinearity(EquivariantModule):
    """Concatenated nonlinearity: each field x (of size n) becomes the field ``[f(x), f(-x)]``
    of size 2n (CReLU for ``'c_relu'``).

    Equivariant for representations whose matrices are signed permutations (they must support
    ``'concatenated'``: trivial, 1-dim irreps, regular and quotient representations, ...; this is
    also verified numerically). Each output field has the representation
    :func:`concatenated_representation` of its input field: rho + rho for a permutation rho, and
    in general the permutation representation ``[[rho+, rho-], [rho-, rho+]]`` (e.g. for the sign
    representation s: the swap of the two channels where s(g) = -1, i.e. trivial + s in a
    rotated basis). The output fields support ``'pointwise'``.

    Args:
        in_type: the field type.
        function: ``'c_relu'`` (default), ``'c_sigmoid'`` or ``'c_tanh'``.

    Shapes:
        - input: ``(B, C, ...)``
        - output: ``(B, 2C, ...)``; channels of field i: ``[f(x_i), f(-x_i)]``
    """

    def __init__(self, in_type: FieldType, function: str = "c_relu"):
        super().__init__()
        name = type(self).__name__
        check_field_type(in_type, name)
        if function not in _FUNCTIONS:
            raise ValueError(f"unknown function {function!r}; valid: {sorted(_FUNCTIONS)}")
        distinct = list(dict.fromkeys(in_type.representations))
        bad = [r.name for r in distinct if "concatenated" not in r.supported_nonlinearities]
        if bad:
            raise ValueError(
                f"{name} is only equivariant for signed-permutation representations (they support "
                f"'concatenated'); these fields do not: {sorted(bad)}"
            )
        out = {r: concatenated_representation(r) for r in distinct}  # one per distinct representation
        self.in_type = in_type
        self.out_type = FieldType(in_type.gspace, [out[r] for r in in_type.representations])
        self.function = function
        sizes = {r.size for r in distinct}
        self._uniform = next(iter(sizes)) if len(sizes) == 1 else None
        if self._uniform is None:
            c = in_type.size
            index = [
                torch.cat([torch.arange(int(s), int(e)), c + torch.arange(int(s), int(e))])
                for s, e in zip(in_type.fields_start, in_type.fields_end)
            ]
            self.register_buffer("_index", torch.cat(index), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(_concatenated_forward(self, self._check_input(x)), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return self._fieldwise_output_shape(input_shape)

    def export(self) -> torch.nn.Module:
        return _ConcatenatedTorch(self)

    def extra_repr(self):
        return f"{self.function}, {self.in_type}"
