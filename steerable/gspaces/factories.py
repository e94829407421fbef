"""escnn's G-space factories.

Axes: the 2D reflection "axis" is the angle of the mirror line (pi/2: the vertical axis,
x -> -x). In 3D, ``axis`` is always an angle in the xy-plane: for dihedral groups the flip is
the rotation by pi about the horizontal axis at that angle, for conical groups the mirror plane
contains the z axis and the horizontal direction at that angle, and ``fullCylindricalOnR3``
uses the same flip as ``dihedralOnR3`` times the inversion (escnn handled this axis
inconsistently; here it means the same thing everywhere). The cylinder groups' C2 factor acts as
the inversion -I. ``adjoint`` (an SO(3) element) conjugates the subgroup: H' = adj H adj^-1.
"""

from __future__ import annotations

import numpy as np

from ..group import Group
from ..group import factories as groups
from ..kernels.solver import Embedding
from .gspace import GSpace0D, GSpace2D, GSpace3D

__all__ = [
    "no_base_space",
    "rot2dOnR2",
    "flipRot2dOnR2",
    "flip2dOnR2",
    "trivialOnR2",
    "rot3dOnR3",
    "flipRot3dOnR3",
    "icoOnR3",
    "fullIcoOnR3",
    "octaOnR3",
    "fullOctaOnR3",
    "tetraOnR3",
    "fullTetraOnR3",
    "pyritoOnR3",
    "dihedralOnR3",
    "rot2dOnR3",
    "conicalOnR3",
    "mirOnR3",
    "fullCylindricalOnR3",
    "cylindricalOnR3",
    "invOnR3",
    "trivialOnR3",
]


def _check_n(N) -> int:
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N == 0 or N < -1:
        raise ValueError(f"N must be -1 (continuous) or a positive integer, got {N!r}")
    return int(N)


def _on_r2(sgid, name, maximum_frequency=6) -> GSpace2D:
    ambient = groups.o2_group(maximum_frequency)
    embedding = Embedding(2, ((ambient, sgid),))
    return GSpace2D(ambient.subgroup(sgid)[0], embedding, name)


def _on_r3(sgid, name, maximum_frequency=2) -> GSpace3D:
    ambient = groups.o3_group(maximum_frequency)
    embedding = Embedding(3, ((ambient, sgid),))
    return GSpace3D(ambient.subgroup(sgid)[0], embedding, name)


def _with_adjoint(sgid: tuple, adjoint) -> tuple:
    return sgid if adjoint is None else sgid + (adjoint,)


def no_base_space(G: Group) -> GSpace0D:
    """G acting on a single point: equivariant MLPs (``nn.Linear``)."""
    if not isinstance(G, Group):
        raise TypeError(f"no_base_space takes a steerable.group.Group, got {type(G).__name__}")
    return GSpace0D(G, Embedding(0, ()), f"{G.name}_on_R0")


def rot2dOnR2(N: int = -1, maximum_frequency: int = 6) -> GSpace2D:
    """Rotations of the plane: C_N, or SO(2) for N = -1."""
    N = _check_n(N)
    return _on_r2((None, N), "SO(2)_on_R2" if N == -1 else f"C{N}_on_R2", maximum_frequency)


def flipRot2dOnR2(N: int = -1, maximum_frequency: int = 6, axis: float = np.pi / 2) -> GSpace2D:
    """Rotations and reflections of the plane: D_N, or O(2) for N = -1."""
    N = _check_n(N)
    return _on_r2((float(axis), N), "O(2)_on_R2" if N == -1 else f"D{N}_on_R2", maximum_frequency)


def flip2dOnR2(axis: float = np.pi / 2) -> GSpace2D:
    """The reflection about the line at angle ``axis`` (default: x -> -x)."""
    return _on_r2((float(axis), 1), f"Flip_{axis:.3f}_on_R2")


def trivialOnR2() -> GSpace2D:
    return _on_r2((None, 1), "Trivial_on_R2")


def rot3dOnR3(maximum_frequency: int = 2) -> GSpace3D:
    return _on_r3((False, "so3"), "SO(3)_on_R3", maximum_frequency)


def flipRot3dOnR3(maximum_frequency: int = 2) -> GSpace3D:
    return _on_r3((True, "so3"), "O(3)_on_R3", maximum_frequency)


def icoOnR3() -> GSpace3D:
    return _on_r3((False, "ico"), "Ico_on_R3")


def fullIcoOnR3() -> GSpace3D:
    return _on_r3((True, "ico"), "FullIco_on_R3")


def octaOnR3() -> GSpace3D:
    return _on_r3((False, "octa"), "Octa_on_R3")


def fullOctaOnR3() -> GSpace3D:
    return _on_r3((True, "octa"), "FullOcta_on_R3")


def tetraOnR3() -> GSpace3D:
    return _on_r3((False, "tetra"), "Tetra_on_R3")


def fullTetraOnR3() -> GSpace3D:
    """T_d: the rotations and reflections of the regular tetrahedron."""
    return _on_r3("fulltetra", "FullTetra_on_R3")


def pyritoOnR3() -> GSpace3D:
    """T_h = T x {identity, inversion}."""
    return _on_r3((True, "tetra"), "Pyrito_on_R3")


def dihedralOnR3(n: int = -1, axis: float = np.pi / 2, adjoint=None, maximum_frequency: int = 2) -> GSpace3D:
    n = _check_n(n)
    sgid = _with_adjoint((False, float(axis), n), adjoint)
    return _on_r3(sgid, "O(2)dihedral_on_R3" if n == -1 else f"D{n}dihedral_on_R3", maximum_frequency)


def rot2dOnR3(n: int = -1, adjoint=None, maximum_frequency: int = 2) -> GSpace3D:
    n = _check_n(n)
    sgid = _with_adjoint((False, False, n), adjoint)
    return _on_r3(sgid, "SO(2)_on_R3" if n == -1 else f"C{n}_on_R3", maximum_frequency)


def conicalOnR3(n: int = -1, axis: float = np.pi / 2, adjoint=None, maximum_frequency: int = 2) -> GSpace3D:
    n = _check_n(n)
    sgid = _with_adjoint(("cone", float(axis), n), adjoint)
    return _on_r3(sgid, "O(2)conical_on_R3" if n == -1 else f"D{n}conical_on_R3", maximum_frequency)


def mirOnR3(axis: float = np.pi / 2, adjoint=None) -> GSpace3D:
    sgid = _with_adjoint(("cone", float(axis), 1), adjoint)
    return _on_r3(sgid, "Mirror_on_R3")


def fullCylindricalOnR3(
    n: int = -1, axis: float = np.pi / 2, adjoint=None, maximum_frequency: int = 2
) -> GSpace3D:
    n = _check_n(n)
    sgid = _with_adjoint((True, float(axis), n), adjoint)
    return _on_r3(sgid, "FullCylinder_on_R3" if n == -1 else f"FullCylinder{n}_on_R3", maximum_frequency)


def cylindricalOnR3(n: int = -1, adjoint=None, maximum_frequency: int = 2) -> GSpace3D:
    n = _check_n(n)
    sgid = _with_adjoint((True, False, n), adjoint)
    return _on_r3(sgid, "Cylinder_on_R3" if n == -1 else f"Cylinder{n}_on_R3", maximum_frequency)


def invOnR3() -> GSpace3D:
    return _on_r3("inv", "Inv_on_R3")


def trivialOnR3() -> GSpace3D:
    return _on_r3((False, False, 1), "Trivial_on_R3")
