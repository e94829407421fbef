"""R3Conv: steerable convolution in 3D space."""

from __future__ import annotations

from ._rdconv import RdConv

__all__ = ["R3Conv"]


class R3Conv(RdConv):
    """G-steerable convolution between feature fields on R^3; arguments as :class:`R2Conv`.

    Shapes:
        - input: ``(B, in_type.size, D1, D2, D3)`` (axes -Z, -Y, X)
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
        sigma=None,
        frequencies_cutoff=None,
        rings=None,
        recompute=False,
        basis_filter=None,
        initialize=True,
    ):
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
            frequencies_cutoff,
            rings,
            None,
            recompute,
            basis_filter,
            initialize,
        )
