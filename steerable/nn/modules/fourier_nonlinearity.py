"""Fourier nonlinearities: sample band-limited functions on a group grid, apply a pointwise
function, project back to Fourier coefficients.

The coefficients of one field of ``G.spectral_regular_representation(*irreps)`` (irreps psi,
each repeated ``dim(psi) / s`` times, ``s`` = 1, 2, 4 for types R, C, H, change of basis I)
are read as the band-limited function on G

    f(g) = sum_psi sum_k sqrt(d_psi) * c_{psi,k}^T psi(g) b_{psi,k}

with fixed orthonormal vectors b_{psi,k} in R^{d_psi} (:func:`fourier_columns`): the first
standard basis vectors, completed into orbits {E b} of the irrep's endomorphisms E (for type C
and H the functions c^T psi(g) E b are the same as (E^T c)^T psi(g) b, so one b per orbit).
Since f_{psi(h) c}(g) = f_c(h^-1 g), the coefficients transform by the spectral regular
representation exactly when f is left-translated. The sqrt(d_psi) weights make the map
c -> f an isometry into L^2(G) (Peter-Weyl), and every row of the sampling matrix
A[g] = (the coefficients -> f(g) functional) has the same norm sqrt(dim).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ...group.element import GroupElement
from ..field_type import FieldType
from ..geometric_tensor import GeometricTensor
from ..module import EquivariantModule
from .basis_expansion import Float64Constants

__all__ = [
    "FourierPointwise",
    "FourierELU",
    "FourierTransformPointwise",
    "fourier_columns",
    "sampling_matrix",
]

# name -> (out-of-place, in-place); the sampled tensor is always a fresh intermediate, so the
# in-place variant never overwrites the module's input
_FUNCTIONS = {
    "p_relu": (F.relu, F.relu_),
    "p_elu": (F.elu, F.elu_),
    "p_sigmoid": (torch.sigmoid, torch.sigmoid_),
    "p_tanh": (torch.tanh, torch.tanh_),
}


def check_function(function) -> None:
    if callable(function):
        return
    if not isinstance(function, str) or function not in _FUNCTIONS:
        raise ValueError(f"unknown function {function!r}; valid: {sorted(_FUNCTIONS)} or a callable")


def fourier_columns(irrep, candidates: np.ndarray, count: int) -> np.ndarray:
    """``(d, count)`` orthonormal vectors b_k whose endomorphism orbits {E b_k} are mutually
    orthogonal, picked greedily (in order) from the columns of ``candidates``."""
    endos = irrep.endomorphism_basis()  # (s, d, d) orthogonal, E_0 = I
    d = irrep.size
    span = np.zeros((d, 0))
    chosen = []
    for v in np.asarray(candidates, dtype=np.float64).T:
        if len(chosen) == count:
            break
        r = v - span @ (span.T @ v)
        norm = np.linalg.norm(r)
        if norm < 1e-6:
            continue
        b = r / norm
        chosen.append(b)
        span = np.concatenate([span, np.stack([e @ b for e in endos], axis=1)], axis=1)
    if len(chosen) != count:
        raise ArithmeticError(f"found {len(chosen)} of {count} Fourier columns for irrep {irrep.name}")
    return np.stack(chosen, axis=1)


def sampling_matrix(group, columns, elements) -> np.ndarray:
    """``(N, dim)`` matrix A with ``A[n] @ c = f_c(elements[n])`` for coefficient vectors c laid
    out as consecutive copies (irrep by irrep, copy by copy) of the irreps' ``(d, c)`` ``columns``
    (a list of ``(irrep id, columns)``)."""
    blocks = []
    for irrep_id, b in columns:
        irrep = group.irrep(*irrep_id)
        mats = irrep.matrices(elements)  # (N, d, d)
        values = np.einsum("nij,jk->nki", mats, b)  # (N, copies, d): psi(g) b_k
        blocks.append(np.sqrt(irrep.size) * values.reshape(len(elements), -1))
    return np.concatenate(blocks, axis=1)


def check_irreps(group, irreps, what: str) -> list[tuple]:
    """Normalise a user list of irrep ids (or irreps) to canonical id tuples."""
    from ...group.representation import IrreducibleRepresentation

    if isinstance(irreps, (str, bytes)) or not isinstance(irreps, (list, tuple)):
        raise TypeError(f"{what} must be a list of irrep ids of {group.name}, got {irreps!r}")
    if len(irreps) == 0:
        raise ValueError(f"{what} must contain at least one irrep id, got an empty list")
    ids = []
    for i in irreps:
        if isinstance(i, IrreducibleRepresentation):
            if i.group != group:
                raise ValueError(f"{what}: irrep {i.name} belongs to {i.group.name}, not to {group.name}")
            i = i.id
        try:
            ids.append(group._irrep_spec(i if isinstance(i, tuple) else (i,)).id)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{what}: {i!r} is not an irrep id of {group.name} ({err})") from None
    if len(set(ids)) != len(ids):
        raise ValueError(f"{what} must not repeat an irrep, got {list(irreps)!r}")
    return ids


def check_channels(channels) -> int:
    if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1:
        raise ValueError(f"channels must be a positive integer, got {channels!r}")
    return int(channels)


def build_grid(group, grid_args, grid_kwargs, module: str) -> list:
    """``group.grid(*grid_args, **grid_kwargs)``; all elements of a finite group by default."""
    if not grid_args and not grid_kwargs:
        if group.continuous:
            raise ValueError(
                f"{module} on {group.name} needs grid arguments, e.g. type='thomson', N=100 "
                f"(see {group.name}.grid)"
            )
        return list(group.elements)
    try:
        return list(group.grid(*grid_args, **grid_kwargs))
    except TypeError as err:
        raise ValueError(f"{module}: bad grid arguments {grid_args!r}, {grid_kwargs!r}: {err}") from None


class FourierTransformPointwise(Float64Constants, torch.nn.Module):
    """Plain torch: ``A_inv @ function(A @ x)`` on every field of a ``(B, channels * dim_in, ...)``
    tensor (one matmul each way over all channels and positions). This is the export of the
    Fourier nonlinearities.

    Args:
        A: ``(N, dim_in)`` sampling matrix (float64 source).
        A_inv: ``(dim_out, N)`` projection back to coefficients.
        channels: number of fields.
        function: a name of ``_FUNCTIONS`` or a callable applied to the samples.
        inplace: apply a named function in place on the (intermediate) samples.

    Shapes:
        - input: ``(B, channels * dim_in, ...)``; output: ``(B, channels * dim_out, ...)``
    """

    def __init__(self, A: np.ndarray, A_inv: np.ndarray, channels: int, function="p_relu", inplace=True):
        super().__init__()
        check_function(function)
        self.channels = channels
        self.dim_in = A.shape[1]
        self.dim_out = A_inv.shape[0]
        self.grid_size = A.shape[0]
        self.function = function
        self.inplace = inplace
        self.register_constant("A", A)
        self.register_constant("A_inv", A_inv)

    def _apply_function(self, y: torch.Tensor) -> torch.Tensor:
        if callable(self.function):
            return self.function(y)
        return _FUNCTIONS[self.function][1 if self.inplace else 0](y)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, size = x.shape[0], x.shape[1]
        if size != self.channels * self.dim_in:
            raise ValueError(
                f"expected {self.channels} x {self.dim_in} = {self.channels * self.dim_in} channels, "
                f"got shape {tuple(x.shape)}"
            )
        if x.dim() == 2:
            # one GEMM: (B * channels, dim_in) @ (dim_in, N)
            samples = x.reshape(b, self.channels, self.dim_in) @ self.A.t()  # (B, C, N)
            out = self._apply_function(samples) @ self.A_inv.t()  # (B, C, dim_out)
            return out.reshape(b, self.channels * self.dim_out)
        spatial = x.shape[2:]
        t = x.reshape(b, self.channels, self.dim_in, -1)  # (B, C, dim_in, S)
        samples = torch.matmul(self.A, t)  # (B, C, N, S)
        out = torch.matmul(self.A_inv, self._apply_function(samples))  # (B, C, dim_out, S)
        return out.reshape(b, self.channels * self.dim_out, *spatial)

    def extra_repr(self) -> str:
        name = self.function if isinstance(self.function, str) else getattr(self.function, "__name__", "fn")
        return (
            f"channels={self.channels}, dim_in={self.dim_in}, grid={self.grid_size}, "
            f"dim_out={self.dim_out}, function={name}"
        )


def fourier_operator(A_in: np.ndarray, A_out: np.ndarray, normalize: bool):
    """``(A, A_inv)``: the (row-normalised) sampling matrix of the input and the pseudo-inverse
    of the (row-normalised) sampling matrix of the output."""
    if normalize:
        # every row has norm sqrt(dim) (see the module docstring): unit rows keep a white
        # input's samples at the coefficients' scale, which matters for non-homogeneous functions
        A_in = A_in / np.sqrt(A_in.shape[1])
        A_out = A_out / np.sqrt(A_out.shape[1])
    return A_in, np.linalg.pinv(A_out)


class _FourierBase(EquivariantModule):
    """Shared forward/export of the Fourier nonlinearities (subclasses build the operator)."""

    def _setup(self, in_type, out_type, A, A_inv, channels, function, inplace):
        self.in_type, self.out_type = in_type, out_type
        self.channels = channels
        self.function = function
        self.inplace = inplace
        self.grid_size = A.shape[0]
        self.operator = FourierTransformPointwise(A, A_inv, channels, function, inplace)

    @property
    def A(self) -> torch.Tensor:
        """``(N, dim_in)`` sampling matrix (inverse Fourier transform on the grid)."""
        return self.operator.A

    @property
    def A_inv(self) -> torch.Tensor:
        """``(dim_out, N)`` projection of the samples back to coefficients (pseudo-inverse)."""
        return self.operator.A_inv

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(self.operator(self._check_input(x)), self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        return self._fieldwise_output_shape(input_shape)

    def export(self) -> torch.nn.Module:
        import copy

        return copy.deepcopy(self.operator)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, grid={self.grid_size}"


def check_arguments(gspace, channels, function, irreps, out_irreps, module: str) -> tuple:
    """The arguments shared by the Fourier nonlinearities, validated: ``(G, channels, input
    irrep ids, output irrep ids)``."""
    from ...gspaces.gspace import GSpace

    if not isinstance(gspace, GSpace):
        raise TypeError(f"{module} needs a GSpace, got {type(gspace).__name__}")
    G = gspace.fibergroup
    channels = check_channels(channels)
    check_function(function)
    in_ids = check_irreps(G, irreps, "irreps")
    out_ids = in_ids if out_irreps is None else check_irreps(G, out_irreps, "out_irreps")
    return G, channels, in_ids, out_ids


class FourierPointwise(_FourierBase):
    """Pointwise nonlinearity on band-limited functions on the group G (escnn's FourierPointwise).

    Each of ``channels`` fields holds the Fourier coefficients of a band-limited function
    f: G -> R (the representation ``G.spectral_regular_representation(*irreps)``, see the module
    docstring for the basis). The module samples f on a grid {g_n} of G (``A @ c``, the inverse
    Fourier transform), applies ``function`` to every sample and fits the coefficients of the
    result in the least-squares sense (``A_out^+``, the pseudo-inverse of the sampling matrix of
    ``out_irreps``): ``out = A_out^+ function(A c)``.

    Equivariance: exact when the grid is closed under left multiplication, e.g. the whole of
    a finite group (``'regular'``, the default for finite groups): then the grid is permuted,
    and A^+ P = rho A^+ for every permutation P with A rho = P A. On continuous groups the
    function of a band-limited signal is not band-limited, so the result is only approximately
    equivariant, and the error shrinks as the grid grows.

    ``normalize=True`` (our convention for escnn's flag) divides both sampling matrices by
    sqrt(their dimension), which makes every row (the evaluation functional at one grid point)
    a unit vector: a sample of white unit-variance coefficients then has unit variance, the
    scale at which ELU, sigmoid and tanh are meant to act, and ``A_inv`` (the pseudo-inverse of
    the scaled output matrix) grows by the same factor. For positively homogeneous functions
    (ReLU) only the overall factor sqrt(dim_out / dim_in) changes. With ``normalize=False``,
    ``A`` is the isometric (Peter-Weyl) sampling f(g) = sum_psi sqrt(d_psi) Tr(psi(g)^T F_psi)
    with F_psi = sum_k c_{psi,k} b_{psi,k}^T, whose pseudo-inverse is ``A^T / N`` on an exact
    quadrature grid of N points.

    A grid with fewer points than coefficients cannot represent every input (``A`` is not
    injective); the pseudo-inverse then fits the minimum-norm coefficients.

    Args:
        gspace: the gspace; its fibergroup G is the group sampled.
        channels: number of fields.
        irreps: list of irrep ids of G (the band limit of the input).
        *grid_args, **grid_kwargs: passed to ``G.grid`` (e.g. ``'regular', N=8`` for SO(2) and
            O(2), ``'thomson', N=100`` or ``'ico'`` for SO(3)); default for finite groups: all
            elements.
        function: ``'p_relu'``, ``'p_elu'``, ``'p_sigmoid'``, ``'p_tanh'`` or a callable on tensors
            (a module-level one if the module is to be pickled; ``inplace`` does not apply).
        inplace: apply the named function in place on the (intermediate) samples.
        out_irreps: irreps of the output (default ``irreps``).
        normalize: rescale the sampling matrices to unit rows (see above).

    Attributes:
        A: ``(N, dim_in)`` buffer; A_inv: ``(dim_out, N)`` buffer (both non-persistent).

    Shapes:
        - input: ``(B, channels * dim_in, ...)``; output: ``(B, channels * dim_out, ...)``
    """

    def __init__(
        self,
        gspace,
        channels: int,
        irreps,
        *grid_args,
        function="p_relu",
        inplace: bool = True,
        out_irreps=None,
        normalize: bool = True,
        **grid_kwargs,
    ):
        super().__init__()
        name = type(self).__name__
        G, channels, in_ids, out_ids = check_arguments(gspace, channels, function, irreps, out_irreps, name)
        grid = build_grid(G, grid_args, grid_kwargs, name)
        rep_in = G.spectral_regular_representation(*in_ids)
        rep_out = G.spectral_regular_representation(*out_ids)
        A_in = sampling_matrix(G, _regular_columns(G, in_ids), grid)
        A_out = A_in if out_ids == in_ids else sampling_matrix(G, _regular_columns(G, out_ids), grid)
        A, A_inv = fourier_operator(A_in, A_out, normalize)
        in_type = FieldType(gspace, [rep_in] * channels)
        out_type = FieldType(gspace, [rep_out] * channels)
        self.irreps, self.out_irreps, self.normalize = in_ids, out_ids, normalize
        self._setup(in_type, out_type, A, A_inv, channels, function, inplace)


def _regular_columns(group, ids) -> list:
    """The b_k of every irrep of a spectral regular representation: dim/s of them."""
    out = []
    for i in ids:
        irrep = group.irrep(*i)
        out.append(
            (i, fourier_columns(irrep, np.eye(irrep.size), irrep.size // irrep.sum_of_squares_constituents))
        )
    return out


class FourierELU(FourierPointwise):
    """:class:`FourierPointwise` with ``function='p_elu'``.

    Shapes:
        - input: ``(B, channels * dim_in, ...)``; output: ``(B, channels * dim_out, ...)``
    """

    def __init__(
        self,
        gspace,
        channels: int,
        irreps,
        *grid_args,
        inplace: bool = True,
        out_irreps=None,
        normalize: bool = True,
        **grid_kwargs,
    ):
        super().__init__(
            gspace,
            channels,
            irreps,
            *grid_args,
            function="p_elu",
            inplace=inplace,
            out_irreps=out_irreps,
            normalize=normalize,
            **grid_kwargs,
        )


def check_elements(group, grid, module: str) -> list:
    """A user-given grid: a non-empty list of elements of ``group``."""
    if isinstance(grid, (str, bytes)) or not isinstance(grid, (list, tuple)) or len(grid) == 0:
        raise TypeError(
            f"{module}: grid must be a non-empty list of GroupElements of {group.name}, got {grid!r}"
        )
    for g in grid:
        if not isinstance(g, GroupElement) or g.group != group:
            raise ValueError(f"{module}: grid must contain elements of {group.name}, got {g!r}")
    return list(grid)
