"""Fourier nonlinearities on a homogeneous space X = G/H (e.g. the sphere SO(3)/SO(2)).

The coefficients of one field of ``G.spectral_quotient_representation(H, *irreps)`` are read
as the band-limited function on X

    f(gH) = sum_psi sum_k sqrt(d_psi) * c_{psi,k}^T psi(g) b_{psi,k}

with b_{psi,k} orthonormal H-invariant vectors of psi (from the homogeneous space's canonical
basis of invariants, ``G.homspace(H)``), one per orbit of the irrep's endomorphisms, so that
f is well defined on cosets (psi(g h) b = psi(g) b) and left translation of f acts on the
coefficients by the spectral quotient representation. See
:mod:`~steerable.nn.modules.fourier_nonlinearity` for the grid operator.
"""

from __future__ import annotations

import numpy as np

from ...group.subgroups import subgroup_key
from ..field_type import FieldType
from .fourier_nonlinearity import (
    _FourierBase,
    build_grid,
    check_arguments,
    check_elements,
    fourier_columns,
    fourier_operator,
    sampling_matrix,
)

__all__ = ["QuotientFourierPointwise", "QuotientFourierELU"]


def _quotient_columns(group, homspace, ids) -> list:
    """The b_k of every irrep of the spectral quotient representation (irreps without
    H-invariant vectors contribute nothing, as in the representation)."""
    out = []
    for i in ids:
        irrep = group.irrep(*i)
        invariants = homspace._invariants(i)  # (d, m) orthonormal H-invariant vectors
        count = invariants.shape[1] // irrep.sum_of_squares_constituents
        if count:
            out.append((i, fourier_columns(irrep, invariants, count)))
    return out


def _distinct_rows(A: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of every distinct row (grid elements in the same coset
    give the same samples: keep one, so that every point of X has the same weight)."""
    from scipy.spatial import cKDTree

    tol = 1e-9 * max(1.0, float(np.abs(A).max()))
    drop = {max(i, j) for i, j in cKDTree(A).query_pairs(tol)}
    return np.array([n for n in range(A.shape[0]) if n not in drop], dtype=np.int64)


class QuotientFourierPointwise(_FourierBase):
    """Pointwise nonlinearity on band-limited functions on X = G/H (escnn's
    QuotientFourierPointwise).

    Each of ``channels`` fields holds the Fourier coefficients of a band-limited function on X
    (``G.spectral_quotient_representation(subgroup_id, *irreps)``, see the module docstring).
    The module samples it on a set of points of X (cosets g_n H of the grid elements g_n),
    applies ``function`` and fits the coefficients of the result in the least-squares sense:
    ``out = A_out^+ function(A c)``. Grid elements of the same coset give the same sample and
    are kept once. Equivariance is exact when the set of cosets is closed under G (e.g. all
    elements of a finite group), otherwise approximate, improving as the grid gets finer.
    ``normalize`` is as in :class:`~steerable.nn.FourierPointwise` (unit rows).

    Args:
        gspace: the gspace; its fibergroup is G.
        subgroup_id: the id of H in G (e.g. ``(False, -1)``: SO(2) in SO(3), X = S^2).
        channels: number of fields.
        irreps: irrep ids of G (the band limit); those without H-invariant vectors add nothing.
        *grid_args, **grid_kwargs: passed to ``G.grid`` when ``grid`` is not given (default for
            finite groups: all elements).
        grid: a list of elements of G whose cosets are the sample points (e.g.
            ``G.sphere_grid('thomson', 100)`` for the sphere).
        function: ``'p_relu'``, ``'p_elu'``, ``'p_sigmoid'``, ``'p_tanh'`` or a callable.
        inplace: apply the named function in place on the (intermediate) samples.
        out_irreps: irreps of the output (default ``irreps``).
        normalize: rescale the sampling matrices to unit rows.

    Shapes:
        - input: ``(B, channels * dim_in, ...)``; output: ``(B, channels * dim_out, ...)``
    """

    def __init__(
        self,
        gspace,
        subgroup_id,
        channels: int,
        irreps,
        *grid_args,
        grid=None,
        function="p_relu",
        inplace: bool = True,
        out_irreps=None,
        normalize: bool = True,
        **grid_kwargs,
    ):
        super().__init__()
        name = type(self).__name__
        G, channels, in_ids, out_ids = check_arguments(gspace, channels, function, irreps, out_irreps, name)
        homspace = G.homspace(subgroup_id)
        rep_in = G.spectral_quotient_representation(subgroup_id, *in_ids)
        rep_out = G.spectral_quotient_representation(subgroup_id, *out_ids)
        if grid is not None:
            if grid_args or grid_kwargs:
                raise ValueError(f"{name}: give either grid or grid arguments, not both")
            elements = check_elements(G, grid, name)
        else:
            elements = build_grid(G, grid_args, grid_kwargs, name)
        A_in = sampling_matrix(G, _quotient_columns(G, homspace, in_ids), elements)
        A_out = (
            A_in
            if out_ids == in_ids
            else sampling_matrix(G, _quotient_columns(G, homspace, out_ids), elements)
        )
        keep = _distinct_rows(np.concatenate([A_in, A_out], axis=1))
        A, A_inv = fourier_operator(A_in[keep], A_out[keep], normalize)
        in_type = FieldType(gspace, [rep_in] * channels)
        out_type = FieldType(gspace, [rep_out] * channels)
        self.subgroup_id = subgroup_key(subgroup_id)
        self.irreps, self.out_irreps, self.normalize = in_ids, out_ids, normalize
        self._setup(in_type, out_type, A, A_inv, channels, function, inplace)

    def extra_repr(self) -> str:
        return f"G/H with H={self.subgroup_id!r}: {super().extra_repr()}"


class QuotientFourierELU(QuotientFourierPointwise):
    """:class:`QuotientFourierPointwise` with ``function='p_elu'``.

    Shapes:
        - input: ``(B, channels * dim_in, ...)``; output: ``(B, channels * dim_out, ...)``
    """

    def __init__(
        self,
        gspace,
        subgroup_id,
        channels: int,
        irreps,
        *grid_args,
        grid=None,
        inplace: bool = True,
        out_irreps=None,
        normalize: bool = True,
        **grid_kwargs,
    ):
        super().__init__(
            gspace,
            subgroup_id,
            channels,
            irreps,
            *grid_args,
            grid=grid,
            function="p_elu",
            inplace=inplace,
            out_irreps=out_irreps,
            normalize=normalize,
            **grid_kwargs,
        )
