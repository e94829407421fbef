"""escnn's kernel-basis factories: one general solver; per group only the embedding in O(d).

Every factory returns a :class:`SteerableKernelBasis` for representations of the named group
acting on R^2 or R^3 and raises :class:`EmptyBasisException` when the kernel space is empty.
``radii``/``sigma`` define Gaussian rings; ``maximum_frequency`` caps the harmonic order on
every ring (default: the per-ring cutoff of :mod:`.bandlimit`, J <= 2 r);
``frequencies_cutoff`` (float F: J <= F r, or a callable of r) is also accepted.
"""

from __future__ import annotations

import numpy as np

from ..group import factories as groups
from .bandlimit import max_orders
from .basis import EmptyBasisException, SteerableKernelBasis
from .radial import GaussianRadialProfile
from .solver import Embedding

__all__ = [
    "steerable_basis",
    "kernels_O2_act_R2",
    "kernels_SO2_act_R2",
    "kernels_CN_act_R2",
    "kernels_DN_act_R2",
    "kernels_Flip_act_R2",
    "kernels_Trivial_act_R2",
    "kernels_O3_act_R3",
    "kernels_SO3_act_R3",
    "kernels_Ico_act_R3",
    "kernels_FullIco_act_R3",
    "kernels_Octa_act_R3",
    "kernels_FullOcta_act_R3",
    "kernels_Tetra_act_R3",
    "kernels_FullTetra_act_R3",
    "kernels_Pyrito_act_R3",
    "kernels_SO2_act_R3",
    "kernels_CN_act_R3",
    "kernels_O2_conical_act_R3",
    "kernels_DN_conical_act_R3",
    "kernels_O2_dihedral_act_R3",
    "kernels_DN_dihedral_act_R3",
    "kernels_Inv_act_R3",
    "kernels_Trivial_act_R3",
    "kernels_O3_subgroup_act_R3",
]


def steerable_basis(
    embedding: Embedding,
    in_repr,
    out_repr,
    radii,
    sigma,
    maximum_frequency=None,
    frequencies_cutoff=None,
    filter=None,
    dilation: float = 1.0,
    allow_empty: bool = False,
    kernel_size: int | None = None,
) -> SteerableKernelBasis:
    """The G-steerable basis for G embedded in O(d) by ``embedding``, on Gaussian rings.

    Raises :class:`EmptyBasisException` if the basis is empty, unless ``allow_empty``."""
    group = embedding.group
    for name, rep in (("in_repr", in_repr), ("out_repr", out_repr)):
        if rep.group != group:
            raise ValueError(
                f"{name} is a representation of {rep.group.name}, but this basis is for "
                f"{group.name} acting on R^{embedding.d}"
            )
    radial = GaussianRadialProfile(radii, sigma)
    orders = max_orders(
        radial.radii, frequencies_cutoff, maximum_frequency, dilation, kernel_size, embedding.d
    )
    basis = SteerableKernelBasis(embedding, group, in_repr, out_repr, radial, orders, filter)
    if basis.dim == 0 and not allow_empty:
        raise EmptyBasisException(
            f"the {group.name}-steerable kernel space from {in_repr.name} {in_repr.irreps} to "
            f"{out_repr.name} {out_repr.irreps} on R^{embedding.d} is empty for rings "
            f"{radial.radii.tolist()} with harmonic orders up to {orders}; allow higher "
            f"frequencies (frequencies_cutoff / maximum_frequency) or larger rings"
        )
    return basis


def _on(d: int, sgid):
    ambient = groups.o2_group() if d == 2 else groups.o3_group()
    return Embedding(d, ((ambient, sgid),))


def _adjoint(sgid, adjoint):
    return sgid if adjoint is None else tuple(sgid) + (adjoint,)


def _r2(sgid, in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kwargs):
    return steerable_basis(
        _on(2, sgid), in_repr, out_repr, radii, sigma, maximum_frequency, filter=filter, **kwargs
    )


def _r3(sgid, in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kwargs):
    return steerable_basis(
        _on(3, sgid), in_repr, out_repr, radii, sigma, maximum_frequency, filter=filter, **kwargs
    )


def _order(rep, what: str) -> int:
    N = getattr(rep.group, "N", None)
    if N is None:
        raise ValueError(f"{what} expects representations of a cyclic/dihedral group, got {rep.group.name}")
    return N


# ------------------------------------------------------------------------------------- R^2
def kernels_O2_act_R2(
    in_repr, out_repr, radii, sigma, maximum_frequency=None, axis=np.pi / 2, filter=None, **kw
):
    """O(2) with its reflection about the line at angle ``axis``."""
    return _r2((float(axis), -1), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_SO2_act_R2(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r2((None, -1), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_CN_act_R2(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    N = _order(in_repr, "kernels_CN_act_R2")
    return _r2((None, N), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_DN_act_R2(
    in_repr, out_repr, radii, sigma, axis=np.pi / 2, maximum_frequency=None, filter=None, **kw
):
    N = _order(in_repr, "kernels_DN_act_R2")
    return _r2((float(axis), N), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_Flip_act_R2(
    in_repr, out_repr, radii, sigma, axis=np.pi / 2, maximum_frequency=None, filter=None, **kw
):
    return _r2((float(axis), 1), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_Trivial_act_R2(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r2((None, 1), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


# ------------------------------------------------------------------------------------- R^3
def kernels_O3_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r3((True, "so3"), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_SO3_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r3((False, "so3"), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_Ico_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r3((False, "ico"), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_FullIco_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r3((True, "ico"), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_Octa_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r3((False, "octa"), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_FullOcta_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r3((True, "octa"), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_Tetra_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r3((False, "tetra"), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_FullTetra_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    """T_d: the full symmetry group of the tetrahedron (rotations and reflections)."""
    return _r3("fulltetra", in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_Pyrito_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    """T_h = T x {identity, inversion}."""
    return _r3((True, "tetra"), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_SO2_act_R3(
    in_repr, out_repr, radii, sigma, maximum_frequency=None, adjoint=None, filter=None, **kw
):
    """Rotations about the z axis."""
    sgid = _adjoint((False, False, -1), adjoint)
    return _r3(sgid, in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_CN_act_R3(
    in_repr, out_repr, radii, sigma, maximum_frequency=None, adjoint=None, filter=None, **kw
):
    N = _order(in_repr, "kernels_CN_act_R3")
    sgid = _adjoint((False, False, N), adjoint)
    return _r3(sgid, in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_O2_conical_act_R3(
    in_repr, out_repr, radii, sigma, axis=np.pi / 2, maximum_frequency=None, adjoint=None, filter=None, **kw
):
    """Rotations about z and mirrors through the vertical planes (one at angle ``axis``)."""
    sgid = _adjoint(("cone", float(axis), -1), adjoint)
    return _r3(sgid, in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_DN_conical_act_R3(
    in_repr, out_repr, radii, sigma, axis=np.pi / 2, maximum_frequency=None, adjoint=None, filter=None, **kw
):
    N = _order(in_repr, "kernels_DN_conical_act_R3")
    sgid = _adjoint(("cone", float(axis), N), adjoint)
    return _r3(sgid, in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_O2_dihedral_act_R3(
    in_repr, out_repr, radii, sigma, axis=np.pi / 2, maximum_frequency=None, adjoint=None, filter=None, **kw
):
    """Rotations about z and rotations by pi about horizontal axes (one at angle ``axis``)."""
    sgid = _adjoint((False, float(axis), -1), adjoint)
    return _r3(sgid, in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_DN_dihedral_act_R3(
    in_repr, out_repr, radii, sigma, axis=np.pi / 2, maximum_frequency=None, adjoint=None, filter=None, **kw
):
    N = _order(in_repr, "kernels_DN_dihedral_act_R3")
    sgid = _adjoint((False, float(axis), N), adjoint)
    return _r3(sgid, in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_Inv_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    """The group {identity, inversion} (C2 acting by -I)."""
    return _r3("inv", in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_Trivial_act_R3(in_repr, out_repr, radii, sigma, maximum_frequency=None, filter=None, **kw):
    return _r3((False, False, 1), in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)


def kernels_O3_subgroup_act_R3(
    in_repr, out_repr, sg_id, radii, sigma, maximum_frequency=5, filter=None, **kw
):
    """Any subgroup of O(3), by its O(3) subgroup id."""
    return _r3(sg_id, in_repr, out_repr, radii, sigma, maximum_frequency, filter, **kw)
