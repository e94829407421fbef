"""InducedNormBatchNorm: batch normalisation of the norms of the sub-fields of induced fields."""

from __future__ import annotations

from ..field_type import FieldType, check_field_type
from ._field_statistics import FieldNormalisationModule, FieldSpec, check_options

__all__ = ["InducedNormBatchNorm"]


def _inducing(rep):
    """The representation of the subgroup that ``rep`` is induced from, or None."""
    return rep.attributes.get("induced_repr")


def _induced_spec(rep) -> tuple:
    n, inner = rep.size, _inducing(rep)
    if inner.is_trivial():
        # induced from a trivial representation (a quotient field): G permutes its channels, so a
        # mean shared by all of them can be removed, as in InnerBatchNorm
        return (n, True), FieldSpec(None, (0,) * n, (0,) * n)
    return (n, False), FieldSpec(None, (-1,) * n, (0,) * n)


class InducedNormBatchNorm(FieldNormalisationModule):
    """Batch normalisation of induced fields ``Ind_H^G psi``, sub-field by sub-field.

    The channels of an induced field are ``|G:H|`` consecutive sub-fields of size ``dim(psi)``
    (one per coset); ``G`` permutes them and acts inside each by ``psi``, so every sub-field's
    norm is permuted. Each sub-field is divided by ``sqrt(v + eps)``, where ``v`` is the mean
    squared value of the channels, averaged over the batch, the spatial positions *and all
    sub-fields of the field* (the statistic must be shared by the sub-fields that ``G``
    permutes); with ``affine=True`` a learnable scale per field follows. Sharing the statistic
    makes this the same map as :class:`NormBatchNorm` on the whole field. If ``psi`` is trivial
    (a quotient field), the mean over the field's channels is subtracted too and a bias added,
    as in :class:`InnerBatchNorm`. ``momentum=None`` gives the cumulative moving average.

    Args:
        in_type: the field type; every representation must be induced (built with
            ``gspace.induced_repr``/``group.induced_representation`` or ``quotient_repr``,
            without a later change of basis).
        eps: added to the variance.
        momentum: running-statistics momentum, or ``None`` for a cumulative average.
        affine: learn a scale per field (and a bias per field induced from a trivial one).
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
        check_field_type(in_type, "InducedNormBatchNorm")
        bad = [r.name for r in in_type.representations if _inducing(r) is None]
        if bad:
            raise ValueError(
                f"InducedNormBatchNorm needs induced representations (gspace.induced_repr(...)); "
                f"these fields are not: {sorted(set(bad))}"
            )
        check_options("InducedNormBatchNorm", eps, momentum)
        self.in_type = self.out_type = in_type
        specs = [_induced_spec(r) for r in in_type.representations]
        self._build_slots(specs, eps, momentum, affine, track_running_stats, per_sample=False)
