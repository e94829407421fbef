"""escnn's group factory functions. Groups are values: calling a factory twice gives equal
groups (``maximum_frequency`` only sets what ``irreps()`` lists, see :class:`Group`)."""

from __future__ import annotations

from .cyclic import CyclicGroup
from .dihedral import DihedralGroup
from .group import Group
from .o2 import O2
from .o3 import O3
from .product import DirectProductGroup, DoubleGroup
from .so2 import SO2
from .so3 import SO3

__all__ = [
    "trivial_group",
    "cyclic_group",
    "dihedral_group",
    "so2_group",
    "o2_group",
    "so3_group",
    "o3_group",
    "klein4_group",
    "ico_group",
    "full_ico_group",
    "octa_group",
    "full_octa_group",
    "tetra_group",
    "full_tetra_group",
    "pyrito_group",
    "cylinder_group",
    "full_cylinder_group",
    "cylinder_discrete_group",
    "full_cylinder_discrete_group",
    "direct_product",
    "double_group",
]


def trivial_group() -> CyclicGroup:
    """The group with one element (C_1)."""
    return CyclicGroup(1)


def cyclic_group(N: int) -> CyclicGroup:
    return CyclicGroup(N)


def dihedral_group(N: int) -> DihedralGroup:
    return DihedralGroup(N)


def so2_group(maximum_frequency: int = 3) -> SO2:
    return SO2(maximum_frequency)


def o2_group(maximum_frequency: int = 3) -> O2:
    return O2(maximum_frequency)


def so3_group(maximum_frequency: int = 2) -> SO3:
    return SO3(maximum_frequency)


def o3_group(maximum_frequency: int = 2) -> O3:
    return O3(maximum_frequency)


def klein4_group() -> DihedralGroup:
    """The Klein four-group C2 x C2, realised as D_2 (identity, rotation by pi, two flips)."""
    return DihedralGroup(2)


def ico_group():
    from .polyhedral import Icosahedral

    return Icosahedral()


def octa_group():
    from .polyhedral import Octahedral

    return Octahedral()


def tetra_group():
    from .polyhedral import Tetrahedral

    return Tetrahedral()


def full_tetra_group():
    """T_d: the 24 symmetries (rotations and reflections) of the regular tetrahedron."""
    from .polyhedral import FullTetrahedral

    return FullTetrahedral()


def full_ico_group() -> DirectProductGroup:
    """I_h = I x {identity, inversion}: ``(rotation, k)``, k = 1 the inversion."""
    return DirectProductGroup(ico_group(), CyclicGroup(2), name="FullIco")


def full_octa_group() -> DirectProductGroup:
    """O_h = O x {identity, inversion}."""
    return DirectProductGroup(octa_group(), CyclicGroup(2), name="FullOcta")


def pyrito_group() -> DirectProductGroup:
    """T_h = T x {identity, inversion} (pyritohedral)."""
    return DirectProductGroup(tetra_group(), CyclicGroup(2), name="Pyrito")


def cylinder_group(maximum_frequency: int = 3) -> DirectProductGroup:
    """SO(2) x C2: rotations about an axis, and the second factor a reflection (its action on
    R^3, inversion or mirror, is decided by the gspace)."""
    return DirectProductGroup(SO2(maximum_frequency), CyclicGroup(2), name="Cylinder")


def full_cylinder_group(maximum_frequency: int = 3) -> DirectProductGroup:
    return DirectProductGroup(O2(maximum_frequency), CyclicGroup(2), name="FullCylinder")


def cylinder_discrete_group(n: int) -> DirectProductGroup:
    return DirectProductGroup(CyclicGroup(n), CyclicGroup(2), name=f"Cylinder{n}")


def full_cylinder_discrete_group(n: int) -> DirectProductGroup:
    return DirectProductGroup(DihedralGroup(n), CyclicGroup(2), name=f"FullCylinder{n}")


def direct_product(G1: Group, G2: Group, name: str | None = None) -> DirectProductGroup:
    return DirectProductGroup(G1, G2, name)


def double_group(G: Group, name: str | None = None) -> DoubleGroup:
    return DoubleGroup(G, name)
