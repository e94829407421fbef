"""The gspace factories: the group, its action on R^d (checked against explicit geometry),
testing elements, restriction, value semantics and the errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from steerable import group as G
from steerable import gspaces as gs
from steerable.testing import assert_homomorphism, assert_orthogonal

PI = np.pi


def _adjoint():
    return G.so3_group().sample(np.random.default_rng(5))


# name -> (factory, dimensionality, order (-1: continuous))
SPACES = {
    "rot2dOnR2": (lambda: gs.rot2dOnR2(), 2, -1),
    "rot2dOnR2_N1": (lambda: gs.rot2dOnR2(1), 2, 1),
    "rot2dOnR2_N5": (lambda: gs.rot2dOnR2(5), 2, 5),
    "rot2dOnR2_N8": (lambda: gs.rot2dOnR2(8, maximum_frequency=3), 2, 8),
    "flipRot2dOnR2": (lambda: gs.flipRot2dOnR2(), 2, -1),
    "flipRot2dOnR2_N1": (lambda: gs.flipRot2dOnR2(1), 2, 2),
    "flipRot2dOnR2_N4": (lambda: gs.flipRot2dOnR2(4), 2, 8),
    "flipRot2dOnR2_N6_axis": (lambda: gs.flipRot2dOnR2(6, axis=0.3), 2, 12),
    "flipRot2dOnR2_axis0": (lambda: gs.flipRot2dOnR2(-1, axis=0.0), 2, -1),
    "flip2dOnR2": (lambda: gs.flip2dOnR2(), 2, 2),
    "flip2dOnR2_axis": (lambda: gs.flip2dOnR2(axis=PI / 3), 2, 2),
    "trivialOnR2": (gs.trivialOnR2, 2, 1),
    "rot3dOnR3": (lambda: gs.rot3dOnR3(), 3, -1),
    "flipRot3dOnR3": (lambda: gs.flipRot3dOnR3(), 3, -1),
    "icoOnR3": (gs.icoOnR3, 3, 60),
    "fullIcoOnR3": (gs.fullIcoOnR3, 3, 120),
    "octaOnR3": (gs.octaOnR3, 3, 24),
    "fullOctaOnR3": (gs.fullOctaOnR3, 3, 48),
    "tetraOnR3": (gs.tetraOnR3, 3, 12),
    "fullTetraOnR3": (gs.fullTetraOnR3, 3, 24),
    "pyritoOnR3": (gs.pyritoOnR3, 3, 24),
    "dihedralOnR3": (lambda: gs.dihedralOnR3(), 3, -1),
    "dihedralOnR3_N3_axis": (lambda: gs.dihedralOnR3(3, axis=0.4), 3, 6),
    "rot2dOnR3": (lambda: gs.rot2dOnR3(), 3, -1),
    "rot2dOnR3_N4_adjoint": (lambda: gs.rot2dOnR3(4, adjoint=_adjoint()), 3, 4),
    "conicalOnR3": (lambda: gs.conicalOnR3(), 3, -1),
    "conicalOnR3_N2_axis": (lambda: gs.conicalOnR3(2, axis=0.7), 3, 4),
    "mirOnR3": (lambda: gs.mirOnR3(), 3, 2),
    "mirOnR3_axis": (lambda: gs.mirOnR3(axis=0.5), 3, 2),
    "fullCylindricalOnR3": (lambda: gs.fullCylindricalOnR3(), 3, -1),
    "fullCylindricalOnR3_N2": (lambda: gs.fullCylindricalOnR3(2, axis=0.2), 3, 8),
    "cylindricalOnR3": (lambda: gs.cylindricalOnR3(), 3, -1),
    "cylindricalOnR3_N3": (lambda: gs.cylindricalOnR3(3), 3, 6),
    "invOnR3": (gs.invOnR3, 3, 2),
    "trivialOnR3": (gs.trivialOnR3, 3, 1),
    "no_base_space_C5": (lambda: gs.no_base_space(G.cyclic_group(5)), 0, 5),
    "no_base_space_SO3": (lambda: gs.no_base_space(G.so3_group()), 0, -1),
    "no_base_space_ico": (lambda: gs.no_base_space(G.ico_group()), 0, 60),
    "no_base_space_O2": (lambda: gs.no_base_space(G.o2_group()), 0, -1),
}


def test_every_factory_is_covered():
    factories = {n for n in gs.__all__ if not n.startswith("GSpace")}
    covered = {name.split("_N")[0].split("_axis")[0].split("_adjoint")[0] for name in SPACES}
    covered = {"no_base_space" if n.startswith("no_base_space") else n for n in covered}
    assert factories == covered


def _elements(space, n_random=3):
    group = space.fibergroup
    rng = np.random.default_rng(0)
    base = group.elements if not group.continuous else list(group.testing_elements())
    return list(base) + [group.sample(rng) for _ in range(n_random)]


def _matrices(space, elements=None):
    elements = _elements(space) if elements is None else elements
    return np.stack([space.basespace_matrix(g) for g in elements])


@pytest.mark.parametrize("name", sorted(SPACES))
def test_gspace_basics(name):
    factory, d, order = SPACES[name]
    space = factory()
    assert space.dimensionality == d
    assert isinstance(space, {0: gs.GSpace0D, 2: gs.GSpace2D, 3: gs.GSpace3D}[d])
    assert isinstance(space.name, str) and repr(space) == space.name
    assert space.fibergroup.order() == order
    # value semantics
    again = factory()
    assert again == space and hash(again) == hash(space)
    clone = pickle.loads(pickle.dumps(space))
    assert clone == space and clone.name == space.name
    # pass-throughs to the group
    group = space.fibergroup
    assert space.trivial_repr == group.trivial_representation
    assert [irr.id for irr in space.irreps] == [irr.id for irr in group.irreps()]
    first = group.irreps()[-1]
    assert space.irrep(*first.id) == first
    if not group.continuous:
        assert space.regular_repr == group.regular_representation


@pytest.mark.parametrize("name", sorted(n for n in SPACES if SPACES[n][1] > 0))
def test_basespace_action_is_an_orthogonal_action(name):
    factory, d, order = SPACES[name]
    space = factory()
    action = space.basespace_action
    assert action.group == space.fibergroup and action.size == d
    elements = _elements(space)
    assert_homomorphism(action, elements)
    assert_orthogonal(action, elements)
    mats = _matrices(space, elements)
    np.testing.assert_allclose(mats, action.matrices(elements), atol=1e-14)
    if order > 0:
        # faithful: the finite group's elements move R^d in |G| different ways
        distinct = {tuple(np.round(m, 8).ravel() + 0.0) for m in _matrices(space, space.fibergroup.elements)}
        assert len(distinct) == order


@pytest.mark.parametrize("name", sorted(SPACES))
def test_testing_elements_act_exactly(name):
    factory, d, order = SPACES[name]
    space = factory()
    elements = list(space.testing_elements)
    assert len(elements) >= 1 and space.fibergroup.identity in elements
    if d == 0:
        return_mats = [space.basespace_matrix(g) for g in elements]
        assert all(m.shape == (0, 0) for m in return_mats)
        return
    for m in _matrices(space, elements):
        # signed permutations: exact on the pixel / voxel grid
        assert np.allclose(np.round(m), m, atol=1e-9) and np.allclose(np.abs(m).sum(axis=0), 1)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("rot2dOnR2", 4),
        ("rot2dOnR2_N8", 4),
        ("rot2dOnR2_N5", 1),
        ("flipRot2dOnR2", 8),
        ("flipRot2dOnR2_N4", 8),
        ("flip2dOnR2", 2),
        ("flip2dOnR2_axis", 1),
        ("octaOnR3", 24),
        ("fullOctaOnR3", 48),
        ("tetraOnR3", 12),
        ("fullTetraOnR3", 24),
        ("pyritoOnR3", 24),
        ("icoOnR3", 12),
        ("fullIcoOnR3", 24),
        ("invOnR3", 2),
        ("mirOnR3", 2),
    ],
)
def test_number_of_exact_testing_elements(name, expected):
    """Finite groups keep every element that is a symmetry of the grid."""
    space = SPACES[name][0]()
    assert len(space.testing_elements) == expected


# ------------------------------------------------------------------ explicit geometry
def _rot2(t):
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def _rotz(t):
    m = np.eye(3)
    m[:2, :2] = _rot2(t)
    return m


def _reflection2(axis):
    """Reflection of the plane about the line at angle ``axis``."""
    u = np.array([np.cos(axis), np.sin(axis)])
    return 2 * np.outer(u, u) - np.eye(2)


def _as_set(mats):
    return sorted(tuple(np.round(m, 8).ravel() + 0.0) for m in mats)


def _assert_same_matrices(space, expected):
    got = _matrices(space, space.fibergroup.elements)
    assert len(got) == len(expected)
    assert _as_set(got) == _as_set(expected)


@pytest.mark.parametrize("N", [1, 3, 5, 8])
def test_rot2d_is_the_rotations(N):
    _assert_same_matrices(gs.rot2dOnR2(N), [_rot2(2 * PI * k / N) for k in range(N)])


@pytest.mark.parametrize("N,axis", [(1, PI / 2), (4, PI / 2), (3, 0.3), (6, 0.0)])
def test_flip_rot2d_is_rotations_and_reflections(N, axis):
    rotations = [_rot2(2 * PI * k / N) for k in range(N)]
    flips = [r @ _reflection2(axis) for r in rotations]
    _assert_same_matrices(gs.flipRot2dOnR2(N, axis=axis), rotations + flips)


def test_flip2d_axis():
    # default: the vertical mirror line, x -> -x
    _assert_same_matrices(gs.flip2dOnR2(), [np.eye(2), np.diag([-1.0, 1.0])])
    _assert_same_matrices(gs.flip2dOnR2(axis=0.0), [np.eye(2), np.diag([1.0, -1.0])])
    _assert_same_matrices(gs.flip2dOnR2(axis=PI / 3), [np.eye(2), _reflection2(PI / 3)])
    _assert_same_matrices(gs.trivialOnR2(), [np.eye(2)])


def test_continuous_2d_groups():
    rng = np.random.default_rng(1)
    so2, o2 = gs.rot2dOnR2(), gs.flipRot2dOnR2(axis=0.25)
    for _ in range(5):
        m = so2.basespace_matrix(so2.fibergroup.sample(rng))
        assert np.isclose(np.linalg.det(m), 1.0) and np.allclose(m, _rot2(np.arctan2(m[1, 0], m[0, 0])))
        m = o2.basespace_matrix(o2.fibergroup.sample(rng))
        assert np.allclose(m.T @ m, np.eye(2))
        if np.linalg.det(m) < 0:  # a reflection about some line at angle t/2
            t = np.arctan2(m[1, 0], m[0, 0])
            assert np.allclose(m, _reflection2(t / 2))
    # O(2) contains the reflection about the line at angle ``axis``
    mats = _matrices(o2, list(o2.fibergroup.testing_elements()))
    assert any(np.allclose(m, _reflection2(0.25)) for m in mats)


def _signed_permutations():
    import itertools

    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product([1.0, -1.0], repeat=3):
            m = np.zeros((3, 3))
            m[np.arange(3), perm] = signs
            out.append(m)
    return out


def test_octahedral_groups_are_the_cube_symmetries():
    cube = _signed_permutations()
    _assert_same_matrices(gs.fullOctaOnR3(), cube)
    _assert_same_matrices(gs.octaOnR3(), [m for m in cube if np.linalg.det(m) > 0])


def test_tetrahedral_groups():
    tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)

    def preserves(m):
        return _as_set([m @ v for v in tet]) == _as_set(list(tet))

    cube = _signed_permutations()
    _assert_same_matrices(gs.tetraOnR3(), [m for m in cube if np.linalg.det(m) > 0 and preserves(m)])
    _assert_same_matrices(gs.fullTetraOnR3(), [m for m in cube if preserves(m)])
    rot = [m for m in cube if np.linalg.det(m) > 0 and preserves(m)]
    _assert_same_matrices(gs.pyritoOnR3(), rot + [-m for m in rot])


def test_icosahedral_groups():
    ico = gs.icoOnR3()
    mats = _matrices(ico, ico.fibergroup.elements)
    assert np.allclose(np.linalg.det(mats), 1.0)
    # closed under products and 60 distinct rotations; the orders of rotations are 1, 2, 3, 5
    keys = set(_as_set(mats))
    assert len(keys) == 60
    for a in mats[::7]:
        for b in mats[::5]:
            assert tuple(np.round(a @ b, 8).ravel() + 0.0) in keys
    angles = np.arccos(np.clip((np.trace(mats, axis1=1, axis2=2) - 1) / 2, -1, 1))
    counts = {k: int(np.sum(np.isclose(angles, 2 * PI / k))) for k in (2, 3, 5)}
    assert counts == {2: 15, 3: 20, 5: 12}
    _assert_same_matrices(gs.fullIcoOnR3(), list(mats) + [-m for m in mats])
    # Ico contains the tetrahedral group of the standard frame (its testing elements)
    assert len(ico.testing_elements) == 12


def test_so3_and_o3():
    rng = np.random.default_rng(2)
    so3, o3 = gs.rot3dOnR3(), gs.flipRot3dOnR3()
    for _ in range(5):
        m = so3.basespace_matrix(so3.fibergroup.sample(rng))
        assert np.allclose(m.T @ m, np.eye(3)) and np.isclose(np.linalg.det(m), 1.0)
    dets = [np.linalg.det(o3.basespace_matrix(o3.fibergroup.sample(rng))) for _ in range(30)]
    assert np.allclose(np.abs(dets), 1.0) and min(dets) < 0 < max(dets)
    assert any(np.allclose(m, -np.eye(3)) for m in _matrices(o3, list(o3.fibergroup.testing_elements())))


def _adjoint_matrix():
    return G.so3_group().standard_representation()(_adjoint())


@pytest.mark.parametrize("n", [1, 4, 5])
def test_rot2d_on_r3(n):
    _assert_same_matrices(gs.rot2dOnR3(n), [_rotz(2 * PI * k / n) for k in range(n)])
    a = _adjoint_matrix()
    _assert_same_matrices(
        gs.rot2dOnR3(n, adjoint=_adjoint()), [a @ _rotz(2 * PI * k / n) @ a.T for k in range(n)]
    )


def _flip_about(axis):
    """The rotation by pi about the horizontal axis at angle ``axis``."""
    u = np.array([np.cos(axis), np.sin(axis), 0.0])
    return 2 * np.outer(u, u) - np.eye(3)


def _mirror(axis):
    """The reflection through the vertical plane containing z and the direction at ``axis``."""
    n = np.array([-np.sin(axis), np.cos(axis), 0.0])
    return np.eye(3) - 2 * np.outer(n, n)


@pytest.mark.parametrize("n,axis", [(1, PI / 2), (3, 0.4), (4, 0.6)])
def test_dihedral_conical_cylindrical_on_r3(n, axis):
    rot = [_rotz(2 * PI * k / n) for k in range(n)]
    _assert_same_matrices(gs.dihedralOnR3(n, axis=axis), rot + [r @ _flip_about(axis) for r in rot])
    _assert_same_matrices(gs.conicalOnR3(n, axis=axis), rot + [r @ _mirror(axis) for r in rot])
    dihedral = rot + [r @ _flip_about(axis) for r in rot]
    _assert_same_matrices(gs.fullCylindricalOnR3(n, axis=axis), dihedral + [-m for m in dihedral])
    _assert_same_matrices(gs.cylindricalOnR3(n), rot + [-r for r in rot])
    a = _adjoint_matrix()
    adj = _adjoint()
    _assert_same_matrices(gs.dihedralOnR3(n, axis=axis, adjoint=adj), [a @ m @ a.T for m in dihedral])
    conical = rot + [r @ _mirror(axis) for r in rot]
    _assert_same_matrices(gs.conicalOnR3(n, axis=axis, adjoint=adj), [a @ m @ a.T for m in conical])


def test_mirror_inversion_trivial_on_r3():
    _assert_same_matrices(gs.mirOnR3(), [np.eye(3), np.diag([-1.0, 1.0, 1.0])])  # x -> -x
    _assert_same_matrices(gs.mirOnR3(axis=0.5), [np.eye(3), _mirror(0.5)])
    _assert_same_matrices(gs.invOnR3(), [np.eye(3), -np.eye(3)])
    _assert_same_matrices(gs.trivialOnR3(), [np.eye(3)])


def test_continuous_3d_subgroups_fix_the_z_axis():
    rng = np.random.default_rng(3)
    ez = np.array([0.0, 0.0, 1.0])
    for factory, allowed in (
        (gs.rot2dOnR3, (1,)),
        (gs.conicalOnR3, (1,)),
        (gs.dihedralOnR3, (1, -1)),
        (gs.cylindricalOnR3, (1, -1)),
        (gs.fullCylindricalOnR3, (1, -1)),
    ):
        space = factory()
        seen = set()
        for _ in range(24):
            m = space.basespace_matrix(space.fibergroup.sample(rng))
            assert np.allclose(m.T @ m, np.eye(3))
            s = float(np.round(ez @ m @ ez, 8))
            assert s in allowed
            seen.add(s)
        assert seen == set(allowed)


def test_subgroup_ids_false_and_zero_axis_are_different_groups():
    """(False, False, n) (C_n about z) and (False, 0.0, n) (D_n with its flip axis at angle 0)
    compare equal as tuples (False == 0.0); the gspaces must still get the right group, in
    whichever order they are built."""
    assert gs.dihedralOnR3(7, axis=0.0).fibergroup.order() == 14
    assert gs.rot2dOnR3(7).fibergroup.order() == 7
    assert gs.rot2dOnR3(9).fibergroup.order() == 9
    assert gs.dihedralOnR3(9, axis=0.0).fibergroup.order() == 18
    assert gs.fullCylindricalOnR3(7, axis=0.0).fibergroup.order() == 28
    assert gs.cylindricalOnR3(7).fibergroup.order() == 14
    assert gs.rot2dOnR3(7) != gs.dihedralOnR3(7, axis=0.0)
    assert gs.rot2dOnR3(7).embedding != gs.dihedralOnR3(7, axis=0.0).embedding


# ------------------------------------------------------------------ restriction
@pytest.mark.parametrize(
    "factory,sgid,sub_name",
    [
        (lambda: gs.flipRot2dOnR2(), (None, -1), "SO(2)"),
        (lambda: gs.flipRot2dOnR2(8), (None, 4), "C4"),
        (lambda: gs.rot2dOnR2(8), 2, "C2"),
        (gs.rot3dOnR3, "octa", "Octa"),
        (gs.rot3dOnR3, "ico", "Ico"),
        (gs.flipRot3dOnR3, (False, "so3"), "SO(3)"),
        (gs.icoOnR3, "tetra", "Tetra"),
        (gs.octaOnR3, (False, 4), "C4"),
    ],
)
def test_restrict(factory, sgid, sub_name):
    space = factory()
    sub, inclusion, restriction = space.restrict(sgid)
    assert type(sub) is type(space)
    assert sub.fibergroup.name == sub_name
    assert sub.dimensionality == space.dimensionality
    rng = np.random.default_rng(0)
    for h in list(sub.testing_elements) + [sub.fibergroup.sample(rng) for _ in range(3)]:
        g = inclusion(h)
        assert g.group == space.fibergroup
        np.testing.assert_allclose(sub.basespace_matrix(h), space.basespace_matrix(g), atol=1e-12)
        assert restriction(g) == h


def test_restricting_twice_composes():
    octa = gs.flipRot3dOnR3().restrict((False, "so3"))[0].restrict("octa")[0]
    assert octa.fibergroup == G.octa_group()
    _assert_same_matrices(octa, [m for m in _signed_permutations() if np.linalg.det(m) > 0])
    c2 = gs.flipRot2dOnR2(8).restrict((None, 8))[0].restrict(2)[0]
    _assert_same_matrices(c2, [np.eye(2), -np.eye(2)])
    assert len(c2.embedding.chain) == 3


@pytest.mark.parametrize(
    "factory,sgid",
    [
        (lambda: gs.rot2dOnR2(8), 3),
        (lambda: gs.rot2dOnR2(8), 0),
        (lambda: gs.flipRot2dOnR2(4), (None, 3)),
        (gs.rot3dOnR3, "bogus"),
        (gs.icoOnR3, "octa"),
        (gs.octaOnR3, (False, 3)),
        (gs.tetraOnR3, (False, 4)),
        (gs.flipRot3dOnR3, ("cone", 0.0)),
        (gs.flipRot3dOnR3, ["not", "an", "id", "at", "all"]),
        (gs.rot3dOnR3, {"unhashable": 1}),
    ],
)
def test_restrict_invalid_id_raises(factory, sgid):
    with pytest.raises(ValueError):
        factory().restrict(sgid)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "4", None])
@pytest.mark.parametrize(
    "factory",
    [
        gs.rot2dOnR2,
        gs.flipRot2dOnR2,
        gs.dihedralOnR3,
        gs.rot2dOnR3,
        gs.conicalOnR3,
        gs.fullCylindricalOnR3,
        gs.cylindricalOnR3,
    ],
)
def test_invalid_n_raises(factory, bad):
    with pytest.raises(ValueError):
        factory(bad)


def test_no_base_space():
    with pytest.raises(TypeError):
        gs.no_base_space("SO(3)")
    space = gs.no_base_space(G.dihedral_group(3))
    with pytest.raises(ValueError):
        _ = space.basespace_action
    assert space.basespace_matrix(space.fibergroup.identity).shape == (0, 0)
    assert len(space.testing_elements) == 6
    assert gs.no_base_space(G.dihedral_group(3)) != gs.flipRot2dOnR2(3)
    assert gs.rot2dOnR2(4) != gs.rot2dOnR2(8) and gs.rot2dOnR2(4) != gs.rot2dOnR3(4)
    assert gs.flipRot2dOnR2(4, axis=0.0) != gs.flipRot2dOnR2(4)
