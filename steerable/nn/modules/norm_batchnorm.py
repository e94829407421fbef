"""NormBatchNorm: batch normalisation of the norm of each field."""

from __future__ import annotations

from ..field_type import FieldType, check_field_type
from ._field_statistics import FieldNormalisationModule, FieldSpec, check_options

__all__ = ["NormBatchNorm"]


def _norm_spec(rep) -> tuple:
    n = rep.size
    if rep.is_trivial():  # invariant channels: a standard batch norm (mean shared by the field)
        return (n, True), FieldSpec(None, (0,) * n, (0,) * n)
    return (n, False), FieldSpec(None, (-1,) * n, (0,) * n)


class NormBatchNorm(FieldNormalisationModule):
    """Batch normalisation of the norm of each field (for fields supporting ``'norm'``).

    A non-trivial field ``f`` of size ``n`` is divided by ``sqrt(v + eps)``, with ``v = E[|f|^2] / n``
    the mean squared value of its channels over the batch and the spatial positions (no mean is
    subtracted, so the field's direction is untouched and any orthogonal representation commutes
    with the map); with ``affine=True`` it is then multiplied by a learnable scale per field. Fields
    whose representation is trivial get a standard batch norm: the field's mean is subtracted
    and a learnable bias added. As in torch, the running variance stores the unbiased estimate
    where a mean was subtracted (``E[|f|^2]`` needs no correction); ``momentum=None`` gives the
    cumulative moving average.

    Note: a field that contains the trivial irrep without being trivial (e.g. a regular field) is
    accepted, but its mean is not removed; :class:`GNormBatchNorm` centres its invariant part.

    Fields of the same kind (size, trivial or not) are normalised together in one vectorised pass.

    Args:
        in_type: the field type; every representation must support ``'norm'``.
        eps: added to the variance.
        momentum: running-statistics momentum, or ``None`` for a cumulative average.
        affine: learn a scale per field and a bias per trivial field.
        track_running_stats: keep running statistics (otherwise batch statistics in eval too).

    Shapes:
        - input/output: ``(B, C, ...)`` (any spatial dimensions, or ``(N, C)`` point clouds)
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
        check_field_type(in_type, "NormBatchNorm")
        bad = [r.name for r in in_type.representations if "norm" not in r.supported_nonlinearities]
        if bad:
            raise ValueError(
                f"NormBatchNorm needs representations that support 'norm' (whose norm is invariant); "
                f"these fields do not: {sorted(set(bad))}"
            )
        check_options("NormBatchNorm", eps, momentum)
        self.in_type = self.out_type = in_type
        specs = [_norm_spec(r) for r in in_type.representations]
        self._build_slots(specs, eps, momentum, affine, track_running_stats, per_sample=False)
