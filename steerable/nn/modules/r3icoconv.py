"""R3IcoConv / R3IcoConvTransposed: icosahedral convolutions with an orbit ("aliased") basis."""

from __future__ import annotations

from ...group import Icosahedral
from ...kernels.orbit import ORBIT_SAMPLES, OrbitKernelBasis, rotation_axes
from ._rdconv import RdConv

__all__ = ["R3IcoConv", "R3IcoConvTransposed"]


def _check_ico(in_type, samples: str, module: str) -> None:
    gspace = getattr(in_type, "gspace", None)
    if not isinstance(getattr(gspace, "fibergroup", None), Icosahedral):
        given = getattr(gspace, "name", type(in_type).__name__)
        raise ValueError(
            f"{module} needs field types on the icosahedral gspace (gspaces.icoOnR3()), got {given}; "
            "use R3Conv otherwise"
        )
    if samples not in ORBIT_SAMPLES:
        raise ValueError(f"samples must be one of {sorted(ORBIT_SAMPLES)}, got {samples!r}")


def _orbit_basis(self, gspace, in_repr, out_repr, rings, sigma, frequencies_cutoff, basis_filter, dilation):
    """RdConv's ``_build_basis`` for the icosahedral layers: the orbit basis of ``self._samples``."""
    matrices = gspace.basespace_action.matrices(list(gspace.fibergroup.elements))
    # the last of the sorted axes: a deterministic vertex of the chosen polyhedron
    seed = rotation_axes(matrices, ORBIT_SAMPLES[self._samples])[-1]
    # rings and sigma are already in the (dilated) grid's units
    return OrbitKernelBasis(gspace, in_repr, out_repr, rings, sigma, seed, basis_filter)


class R3IcoConv(RdConv):
    """Icosahedral-steerable convolution on R^3 whose kernels are Gaussian blobs on the vertices
    of a polyhedron (escnn's ``R3IcoConv``): on each ring of radius r > 0 the orbit of a vertex
    of the icosahedron (``samples='ico'``, 12 points), of the dodecahedron (``'dodeca'``, 20) or
    of the icosidodecahedron (``'icosidodeca'``, 30); the ring of radius 0 is the centre. Each
    blob's matrix is constrained by the vertex's stabiliser (C5, C3, C2), so the kernel is
    exactly steerable in the continuum; on the voxel grid the blobs are sampled (aliased).
    :class:`R3Conv` with the harmonic basis is usually the better choice.

    Arguments as :class:`R3Conv`, plus ``samples``; there is no ``frequencies_cutoff``. ``rings``
    and ``sigma`` default to R3Conv's.

    Shapes:
        - input: ``(B, in_type.size, D1, D2, D3)``
        - output: ``(B, out_type.size, D1', D2', D3')`` as for ``torch.nn.Conv3d``
    """

    def __init__(
        self,
        in_type,
        out_type,
        kernel_size,
        padding=0,
        stride=1,
        dilation=1,
        padding_mode="zeros",
        groups=1,
        bias=True,
        samples="ico",
        sigma=None,
        rings=None,
        recompute=False,
        basis_filter=None,
        initialize=True,
    ):
        _check_ico(in_type, samples, "R3IcoConv")
        self._samples = samples
        super().__init__(
            3,
            in_type,
            out_type,
            kernel_size,
            padding,
            stride,
            dilation,
            padding_mode,
            groups,
            bias,
            sigma,
            None,
            rings,
            None,
            recompute,
            basis_filter,
            initialize,
        )

    _build_basis = _orbit_basis

    def extra_repr(self) -> str:
        return super().extra_repr() + f", samples={self._samples!r}"


class R3IcoConvTransposed(RdConv):
    """Transposed :class:`R3IcoConv` (the adjoint of an R3IcoConv from ``out_type`` to
    ``in_type``); arguments as :class:`R3ConvTransposed` plus ``samples``.

    Shapes:
        - input: ``(B, in_type.size, D1, D2, D3)``
        - output: ``(B, out_type.size, D1', D2', D3')`` as for ``torch.nn.ConvTranspose3d``
    """

    _transposed = True

    def __init__(
        self,
        in_type,
        out_type,
        kernel_size,
        padding=0,
        output_padding=0,
        stride=1,
        dilation=1,
        groups=1,
        bias=True,
        samples="ico",
        sigma=None,
        rings=None,
        recompute=False,
        basis_filter=None,
        initialize=True,
    ):
        _check_ico(in_type, samples, "R3IcoConvTransposed")
        self._samples = samples
        super().__init__(
            3,
            in_type,
            out_type,
            kernel_size,
            padding,
            stride,
            dilation,
            "zeros",
            groups,
            bias,
            sigma,
            None,
            rings,
            None,
            recompute,
            basis_filter,
            initialize,
            output_padding,
        )

    _build_basis = _orbit_basis

    def extra_repr(self) -> str:
        return super().extra_repr() + f", samples={self._samples!r}"
