"""GNormBatchNorm: batch normalisation of generic fields, irrep by irrep."""

from __future__ import annotations

from ..field_type import FieldType, check_field_type
from ._field_statistics import FieldNormalisationModule, check_options, irrep_basis_spec

__all__ = ["GNormBatchNorm"]


class GNormBatchNorm(FieldNormalisationModule):
    """Batch normalisation for fields of any representation, in the irrep basis.

    A field ``f`` of representation ``rho = Q (psi_1 + ... + psi_k) Q^T`` is mapped to the irrep
    basis ``z = Q^T f``. There, each block ``z_i`` (of irrep ``psi_i``, size ``d_i``) is

    * centred if ``psi_i`` is trivial (its mean over the batch and the spatial positions is
      subtracted; the other blocks have zero mean under a G-invariant data distribution, and
      subtracting a mean there would break equivariance),
    * divided by ``sqrt(v_i + eps)`` with ``v_i = E[|z_i|^2] / d_i``, the mean squared value of the
      block's (centred) channels over the batch and the spatial positions,
    * with ``affine=True``, multiplied by a learnable scale (one per irrep block of every field)
      and, for trivial blocks only, shifted by a learnable bias,

    and mapped back by ``Q``. Every step commutes with ``psi_i(g)``, so the map is equivariant in
    train mode (batch statistics are invariant) and in eval mode. The running variance stores the
    unbiased estimate for trivial blocks (as torch) and ``E[|z_i|^2] / d_i`` for the others;
    ``momentum=None`` gives the cumulative moving average.

    Fields with the same representation are normalised together in one vectorised pass.
    ``export()`` returns a plain module with the same buffers that works on inputs of any
    dimensionality (escnn's export always builds a 3D batch norm).

    Args:
        in_type: the field type (any representations).
        eps: added to the variances.
        momentum: running-statistics momentum, or ``None`` for a cumulative average.
        affine: learn a scale per irrep block and a bias per trivial irrep.
        track_running_stats: keep running statistics (otherwise batch statistics in eval too).

    Shapes:
        - input/output: ``(B, C, ...)``
    """

    def __init__(
        self,
        in_type: FieldType,
        eps: float = 1e-05,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ):
        super().__init__()
        check_field_type(in_type, "GNormBatchNorm")
        check_options("GNormBatchNorm", eps, momentum)
        self.in_type = self.out_type = in_type
        specs = [irrep_basis_spec(r, variance_per_irrep=True) for r in in_type.representations]
        self._build_slots(specs, eps, momentum, affine, track_running_stats, per_sample=False)
