"""R2Conv: steerable convolution on the plane."""

from __future__ import annotations

from ._rdconv import RdConv

__all__ = ["R2Conv"]


class R2Conv(RdConv):
    """G-steerable convolution between feature fields on R^2 (escnn's arguments).

    The filter is a learned combination of the steerable kernel basis of
    ``in_type.gspace.build_kernel_basis`` (Gaussian rings ``rings`` with widths ``sigma``,
    harmonics up to the per-ring cutoff ``frequencies_cutoff``; see
    :mod:`steerable.kernels.bandlimit` for the defaults), sampled on the ``kernel_size`` grid.
    ``bias`` is learned on the trivial irreps of ``out_type`` only. In eval mode the expanded
    filter is cached and recomputed when the weights change. ``export()`` gives the equivalent
    ``torch.nn.Conv2d`` (with the same ``padding_mode``).

    Args:
        in_type, out_type: field types of one 2D gspace.
        kernel_size: filter size (odd or even).
        padding, stride, dilation, padding_mode, groups: as ``torch.nn.Conv2d``; with
            ``groups`` > 1 both types must be ``groups`` identical groups of fields.
        bias: learn a bias on the trivial fields.
        sigma, rings, frequencies_cutoff, basis_filter: shape the kernel basis.
        recompute: recompute the filter in eval mode too (no cache).
        initialize: apply the generalised He initialisation.

    Shapes:
        - input: ``(B, in_type.size, H, W)`` (a GeometricTensor of ``in_type``)
        - output: ``(B, out_type.size, H', W')`` with H', W' as for ``torch.nn.Conv2d``
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
        sigma=None,
        frequencies_cutoff=None,
        rings=None,
        maximum_offset=None,
        recompute=False,
        basis_filter=None,
        initialize=True,
    ):
        super().__init__(
            2,
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
            frequencies_cutoff,
            rings,
            maximum_offset,
            recompute,
            basis_filter,
            initialize,
        )
