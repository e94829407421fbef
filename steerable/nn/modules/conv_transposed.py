"""Transposed steerable convolutions (R2ConvTransposed, R3ConvTransposed)."""

from __future__ import annotations

from ._rdconv import RdConv

__all__ = ["R2ConvTransposed", "R3ConvTransposed"]


class R2ConvTransposed(RdConv):
    """Transposed G-steerable convolution on R^2: the adjoint of a steerable convolution from
    ``out_type`` to ``in_type``, hence equivariant from ``in_type`` to ``out_type``.
    Arguments as :class:`R2Conv` plus ``output_padding``; ``padding_mode`` must be 'zeros'.

    Shapes:
        - input: ``(B, in_type.size, H, W)``
        - output: ``(B, out_type.size, H', W')`` as for ``torch.nn.ConvTranspose2d``
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
        sigma=None,
        frequencies_cutoff=None,
        rings=None,
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
            "zeros",
            groups,
            bias,
            sigma,
            frequencies_cutoff,
            rings,
            None,
            recompute,
            basis_filter,
            initialize,
            output_padding,
        )


class R3ConvTransposed(RdConv):
    """Transposed G-steerable convolution on R^3 (see :class:`R2ConvTransposed`).

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
            "zeros",
            groups,
            bias,
            sigma,
            frequencies_cutoff,
            rings,
            None,
            recompute,
            basis_filter,
            initialize,
            output_padding,
        )
