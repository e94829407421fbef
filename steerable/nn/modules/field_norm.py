"""FieldNorm: per-sample normalisation of every field (a layer/instance norm for fields)."""

from __future__ import annotations

from ..field_type import FieldType, check_field_type
from ._field_statistics import FieldNormalisationModule, check_options, irrep_basis_spec

__all__ = ["FieldNorm"]


class FieldNorm(FieldNormalisationModule):
    """Normalises every field of every sample by statistics of that field alone.

    For each sample and field ``f`` (representation ``rho = Q (psi_1 + ... + psi_k) Q^T``, size
    ``n``), in the irrep basis ``z = Q^T f``:

    * the mean is the projection on the trivial irreps, averaged over the spatial positions (each
      trivial irrep its own mean); it is subtracted;
    * the variance is ``v = mean over positions of |z - mean|^2 / n`` (one per sample and field);
      the centred field is divided by ``sqrt(v + eps)``;
    * with ``affine=True``, a learnable scale per field and a bias on the trivial irreps follow
      (shared by all positions), and the result is mapped back by ``Q``.

    The statistics are taken over the field's channels and all spatial positions of the sample
    (not over the batch), so there are no running statistics and train and eval mode agree.
    Equivariance: the statistics are invariant under ``rho(g)`` and under permutations of the
    positions, so the map is exactly equivariant for the grid symmetries (90-degree rotations,
    reflections, the cube's rotations) and for ``no_base_space``. Without spatial dimensions
    (``no_base_space``, or ``(N, C)`` point features) the statistics are those of each single
    field vector (escnn's FieldNorm always works like that, position by position); then a field
    made only of trivial irreps is centred to zero and becomes its bias.

    Fields with the same representation are normalised together in one vectorised pass.

    Args:
        in_type: the field type (any representations).
        eps: added to the variance.
        affine: learn a scale per field and a bias per trivial irrep.

    Shapes:
        - input/output: ``(B, C, ...)`` or ``(N, C)`` point features
    """

    def __init__(self, in_type: FieldType, eps: float = 1e-05, affine: bool = True):
        super().__init__()
        check_field_type(in_type, "FieldNorm")
        check_options("FieldNorm", eps)
        self.in_type = self.out_type = in_type
        specs = [irrep_basis_spec(r, variance_per_irrep=False) for r in in_type.representations]
        self._build_slots(specs, eps, None, affine, False, per_sample=True)
