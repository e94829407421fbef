"""Groups, their elements, irreducible and general representations (escnn-compatible).

Pure numpy/scipy: this subpackage never imports torch.
"""

from .constructions import (
    induced_representation,
    quotient_representation,
    regular_representation,
    representation_from_matrices,
)
from .cyclic import CyclicGroup
from .dihedral import DihedralGroup
from .element import GroupElement
from .factories import (
    cyclic_group,
    cylinder_discrete_group,
    cylinder_group,
    dihedral_group,
    direct_product,
    double_group,
    full_cylinder_discrete_group,
    full_cylinder_group,
    full_ico_group,
    full_octa_group,
    full_tetra_group,
    ico_group,
    klein4_group,
    o2_group,
    o3_group,
    octa_group,
    pyrito_group,
    so2_group,
    so3_group,
    tetra_group,
    trivial_group,
)
from .group import Group
from .homspace import HomSpace
from .o2 import O2
from .o3 import O3
from .polyhedral import FullTetrahedral, Icosahedral, Octahedral, Tetrahedral
from .product import DirectProductGroup, DoubleGroup
from .representation import (
    IrreducibleRepresentation,
    Representation,
    change_basis,
    directsum,
    disentangle,
    homomorphism_space,
)
from .so2 import SO2
from .so3 import SO3

__all__ = [
    "Group",
    "GroupElement",
    "CyclicGroup",
    "DihedralGroup",
    "SO2",
    "O2",
    "SO3",
    "O3",
    "Icosahedral",
    "Octahedral",
    "Tetrahedral",
    "FullTetrahedral",
    "DirectProductGroup",
    "DoubleGroup",
    "Representation",
    "IrreducibleRepresentation",
    "HomSpace",
    "directsum",
    "change_basis",
    "disentangle",
    "homomorphism_space",
    "regular_representation",
    "quotient_representation",
    "induced_representation",
    "representation_from_matrices",
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
