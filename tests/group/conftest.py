import pytest

from steerable import group as G

# every group factory, with small parameters
FINITE = {
    "trivial": G.trivial_group,
    "C2": lambda: G.cyclic_group(2),
    "C5": lambda: G.cyclic_group(5),
    "C8": lambda: G.cyclic_group(8),
    "D1": lambda: G.dihedral_group(1),
    "D5": lambda: G.dihedral_group(5),
    "D8": lambda: G.dihedral_group(8),
    "klein4": G.klein4_group,
    "tetra": G.tetra_group,
    "full_tetra": G.full_tetra_group,
    "pyrito": G.pyrito_group,
    "octa": G.octa_group,
    "full_octa": G.full_octa_group,
    "ico": G.ico_group,
    "full_ico": G.full_ico_group,
    "cylinder_discrete4": lambda: G.cylinder_discrete_group(4),
    "full_cylinder_discrete3": lambda: G.full_cylinder_discrete_group(3),
    "double_C3": lambda: G.double_group(G.cyclic_group(3)),
}
CONTINUOUS = {
    "SO2": lambda: G.so2_group(4),
    "O2": lambda: G.o2_group(4),
    "SO3": lambda: G.so3_group(3),
    "O3": lambda: G.o3_group(2),
    "cylinder": lambda: G.cylinder_group(2),
    "full_cylinder": lambda: G.full_cylinder_group(2),
    "double_SO2": lambda: G.double_group(G.so2_group(2)),
}
ALL = {**FINITE, **CONTINUOUS}


@pytest.fixture(params=sorted(ALL), name="group")
def any_group(request):
    return ALL[request.param]()


@pytest.fixture(params=sorted(FINITE), name="finite_group")
def finite_group_fixture(request):
    return FINITE[request.param]()
