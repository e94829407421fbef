"""IIDBatchNorm1d/2d/3d: batch normalisation assuming i.i.d. components in the irrep basis."""

from __future__ import annotations

from ..field_type import FieldType, check_field_type
from ..geometric_tensor import GeometricTensor
from ._field_statistics import FieldNormalisationModule, check_options, irrep_basis_spec

__all__ = ["IIDBatchNorm1d", "IIDBatchNorm2d", "IIDBatchNorm3d"]


class _IIDBatchNorm(FieldNormalisationModule):
    """Batch normalisation for fields of any representation, assuming that the components of a
    field in its irrep basis ``z = Q^T f`` are identically distributed (e.g. the channels of a
    regular field in its Fourier basis), so one variance describes the whole field.

    In the irrep basis, the trivial irreps are centred (each its own mean over the batch and the
    spatial positions; the other components have zero mean under a G-invariant data distribution,
    and subtracting one there would break equivariance). The field is then divided by
    ``sqrt(v + eps)`` with ``v = E[|z - mean|^2] / dim``, one variance per field over its channels,
    the batch and the spatial positions, multiplied by a learnable scale per field and shifted by
    a learnable bias on the trivial irreps only (``affine=True``), and mapped back by ``Q``. Unlike
    :class:`GNormBatchNorm` (a variance per irrep block), this keeps the relative scale of the
    irreps of a field, which the i.i.d. assumption fixes. The running variance is the unbiased
    estimate (the degrees of freedom lost to the means are discounted); ``momentum=None`` gives
    the cumulative moving average.

    Fields with the same representation are normalised together in one vectorised pass.

    Args:
        in_type: the field type (any representations).
        eps: added to the variance.
        momentum: running-statistics momentum, or ``None`` for a cumulative average.
        affine: learn a scale per field and a bias per trivial irrep.
        track_running_stats: keep running statistics (otherwise batch statistics in eval too).
    """

    _ranks: tuple = ()
    _dimensionality: int | None = None

    def __init__(
        self,
        in_type: FieldType,
        eps: float = 1e-05,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ):
        super().__init__()
        name = type(self).__name__
        check_field_type(in_type, name)
        d = in_type.gspace.dimensionality
        if self._dimensionality is not None and d != self._dimensionality:
            raise ValueError(
                f"{name} normalises {self._dimensionality}D feature maps, got the {d}D gspace "
                f"{in_type.gspace.name}"
            )
        check_options(name, eps, momentum)
        self.in_type = self.out_type = in_type
        specs = [irrep_basis_spec(r, variance_per_irrep=False) for r in in_type.representations]
        self._build_slots(specs, eps, momentum, affine, track_running_stats, per_sample=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        tensor = self._check_input(x)
        if tensor.dim() not in self._ranks:
            raise ValueError(
                f"{type(self).__name__} expects inputs of rank {' or '.join(map(str, self._ranks))}, "
                f"got shape {tuple(tensor.shape)}"
            )
        return GeometricTensor(self._normalise(tensor), self.out_type, x.coords)


class IIDBatchNorm1d(_IIDBatchNorm):
    __doc__ = (
        _IIDBatchNorm.__doc__
        + """
    For ``no_base_space`` features and point clouds (``(N, C)`` with coordinates), of any gspace.

    Shapes:
        - input/output: ``(B, C)`` (or ``(N, C)`` point features)
    """
    )
    _ranks = (2,)


class IIDBatchNorm2d(_IIDBatchNorm):
    __doc__ = (
        _IIDBatchNorm.__doc__
        + """
    Shapes:
        - input/output: ``(B, C, H, W)`` (2D gspaces)
    """
    )
    _ranks = (4,)
    _dimensionality = 2


class IIDBatchNorm3d(_IIDBatchNorm):
    __doc__ = (
        _IIDBatchNorm.__doc__
        + """
    Shapes:
        - input/output: ``(B, C, D1, D2, D3)`` (3D gspaces)
    """
    )
    _ranks = (5,)
    _dimensionality = 3
