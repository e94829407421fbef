"""Tests for steerable.group.polyhedral: T, O, I and T_d as finite subgroups of O(3)."""

import itertools
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from steerable.group.cyclic import CyclicGroup
from steerable.group.dihedral import DihedralGroup
from steerable.group.polyhedral import FullTetrahedral, Icosahedral, Octahedral, Tetrahedral

PHI = (1 + 5**0.5) / 2
ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-10

GROUPS = [Tetrahedral(), Octahedral(), Icosahedral(), FullTetrahedral()]
IDS = [G.name for G in GROUPS]

EXPECTED = {
    # name: (order, {irrep id: (dim, type, frequency)}, subgroup ids)
    "Tetra": (
        12,
        {0: (1, "R", 0), 1: (3, "R", 1), 2: (2, "C", 2)},
        ["tetra", (False, 1), (False, 2), (True, 1), (True, 2)],
    ),
    "Octa": (
        24,
        {-1: (1, "R", 3), 0: (1, "R", 0), 1: (3, "R", 1), 2: (2, "R", 2), 3: (3, "R", 2)},
        ["octa", "tetra", (False, 1), (False, 2), (False, 4), (True, 1), (True, 2), (True, 4)],
    ),
    "Ico": (
        60,
        {0: (1, "R", 0), 1: (3, "R", 1), 2: (3, "R", 3), 3: (4, "R", 3), 4: (5, "R", 2)},
        ["ico", "tetra", (False, 1), (False, 2), (True, 1), (True, 2)],
    ),
    "FullTetra": (
        24,
        {-1: (1, "R", 0), 0: (1, "R", 0), 1: (3, "R", 1), 2: (2, "R", 2), 3: (3, "R", 1)},
        ["fulltetra", "tetra", (False, 1), (False, 2), (True, 1), (True, 2)],
    ),
}


def mats(G):
    return np.stack([g.to("MAT") for g in G.elements])


def cayley(G):
    els = G.elements
    index = {g: i for i, g in enumerate(els)}
    return np.array([[index[a @ b] for b in els] for a in els])


def table(G, irrep):
    return irrep.matrices(G.elements)


def conjugacy_classes(G):
    els = G.elements
    classes = []
    for g in els:
        if not any(g in c for c in classes):
            classes.append({h @ g @ ~h for h in els})
    return classes


def rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


# ---------------------------------------------------------------------------- elements


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_group_axioms_and_order(G):
    order = EXPECTED[G.name][0]
    assert G.order() == order and len(G.elements) == order
    assert len(set(G.elements)) == order
    t = cayley(G)  # closure: every product is a listed element
    assert (np.sort(t, axis=1) == np.arange(order)).all()  # Latin square
    # associativity on all triples
    a, b, c = np.meshgrid(*(np.arange(order),) * 3, indexing="ij")
    assert (t[t[a, b], c] == t[a, t[b, c]]).all()
    e = G.identity
    assert G.elements[0] == e and e.is_identity()
    assert np.allclose(e.to("MAT"), np.eye(3))
    for g in G.elements:
        assert g @ e == g and e @ g == g
        assert (g @ ~g).is_identity() and (~g @ g).is_identity()


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_matrices_are_a_faithful_orthogonal_action(G):
    m = mats(G)
    assert np.allclose(np.einsum("nji,njk->nik", m, m), np.eye(3), atol=TOL)
    dets = np.linalg.det(m)
    assert np.allclose(np.abs(dets), 1)
    assert (dets < 0).sum() == (12 if G.name == "FullTetra" else 0)
    t = cayley(G)
    assert np.allclose(m[t], m[:, None] @ m[None], atol=TOL)
    assert len({tuple(np.round(x, 6).ravel()) for x in m}) == G.order()


def _vertices(name):
    if name in ("Tetra", "FullTetra"):
        return np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)
    if name == "Octa":
        return np.array(list(itertools.product([-1, 1], repeat=3)), float)
    base = [np.array([0, s1, s2 * PHI]) for s1 in (-1, 1) for s2 in (-1, 1)]
    return np.array([np.roll(v, k) for v in base for k in range(3)])


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_orientation_the_documented_solid_is_preserved(G):
    v = _vertices(G.name)
    key = {tuple(np.round(x, 8)) for x in v}
    for m in mats(G):
        assert {tuple(np.round(x, 8) + 0.0) for x in v @ m.T} == key


def test_full_tetra_is_the_full_symmetry_group_of_the_tetrahedron():
    v = _vertices("Tetra")
    # every permutation of the 4 vertices is realised exactly once (T_d = S_4)
    perms = set()
    for m in mats(FullTetrahedral()):
        w = v @ m.T
        perms.add(tuple(int(np.argmin(np.abs(v - x).sum(1))) for x in w))
    assert len(perms) == 24
    rotations = {tuple(np.round(m, 8).ravel()) for m in mats(Tetrahedral())}
    proper = {tuple(np.round(m, 8).ravel()) for m in mats(FullTetrahedral()) if np.linalg.det(m) > 0}
    assert rotations == proper


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_parametrisations_round_trip(G):
    for g in G.elements:
        for p in G.PARAMETRIZATIONS:
            assert G.element(g.to(p), p) == g
        j, q = (0, g.value) if G.name != "FullTetra" else g.value
        assert abs(np.linalg.norm(q) - 1) < 1e-12
        assert G.element(-q if G.name != "FullTetra" else (j, -q)) == g  # q and -q are equal
        r = (1 - 2 * j) * rotation(*_axis_angle(q))
        assert np.allclose(r, g.to("MAT"), atol=TOL)
        ev = g.to("EV") if G.name != "FullTetra" else g.to("EV")[1]
        assert np.linalg.norm(ev) <= np.pi + 1e-12


def _axis_angle(q):
    v, w = np.asarray(q[:3]), q[3]
    s = np.linalg.norm(v)
    if s < 1e-12:
        return np.array([0.0, 0.0, 1.0]), 0.0
    return v / s, 2 * np.arctan2(s, w)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_generators_sample_grid_testing_elements(G):
    gens = G.generators
    assert len(gens) == 2
    reached = {G.identity}
    frontier = [G.identity]
    while frontier:
        frontier = [g @ s for g in frontier for s in gens if g @ s not in reached]
        reached.update(frontier)
    assert reached == set(G.elements)
    rng = np.random.default_rng(0)
    samples = [G.sample(rng) for _ in range(20)]
    assert all(s in set(G.elements) for s in samples)
    rng2 = np.random.default_rng(0)
    assert samples == [G.sample(rng2) for _ in range(20)]
    assert G.grid("regular") == G.elements
    assert list(G.testing_elements()) == G.elements
    with pytest.raises(ValueError):
        G.grid("thomson")


# ---------------------------------------------------------------------------- irreps


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_irrep_ids_dims_types_frequencies(G):
    expected = EXPECTED[G.name][1]
    irreps = G.irreps()
    assert irreps[0].id == (0,) and G.trivial_representation.id == (0,)
    assert {i.id[0]: (i.size, i.type, i.frequency) for i in irreps} == expected
    assert len(irreps) == len(expected)
    for L in range(4):
        assert set(G.bl_irreps(L)) == {(k,) for k, v in expected.items() if v[2] <= L}
    n_complex = sum(1 for i in irreps if i.type == "C")
    assert n_complex == (1 if G.name == "Tetra" else 0)
    assert all(i.type != "H" for i in irreps)
    assert G.irrep(1) is G.irrep((1,)) and G.irrep(1).id == (1,)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_irreps_are_orthogonal_homomorphisms(G):
    t = cayley(G)
    for irrep in G.irreps():
        psi = table(G, irrep)
        d = irrep.size
        assert np.allclose(np.einsum("nji,njk->nik", psi, psi), np.eye(d), atol=TOL)
        assert np.allclose(psi[t], psi[:, None] @ psi[None], atol=TOL)
        assert np.allclose(psi[0], np.eye(d), atol=TOL)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_character_orthogonality_and_completeness(G):
    irreps = G.irreps()
    chars = np.stack([np.trace(table(G, i), axis1=1, axis2=2) for i in irreps])
    gram = chars @ chars.T / G.order()
    s = np.array([i.sum_of_squares_constituents for i in irreps])
    assert np.allclose(gram, np.diag(s), atol=1e-9)
    assert sum(i.size**2 / i.sum_of_squares_constituents for i in irreps) == G.order()
    # completeness: a real irrep of type C stands for two complex ones
    n_classes = len(conjugacy_classes(G))
    assert sum(2 if i.type == "C" else 1 for i in irreps) == n_classes
    # each irrep's endomorphism algebra has dimension s (Schur)
    for i in irreps:
        assert i.endomorphism_basis().shape[0] == i.sum_of_squares_constituents


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_irreps_are_distinct_and_known_characters(G):
    irreps = {i.id[0]: np.trace(table(G, i), axis1=1, axis2=2) for i in G.irreps()}
    m = mats(G)
    det = np.linalg.det(m)
    rot = m * det[:, None, None]
    # the standard irrep's character is the trace of the defining matrices
    assert np.allclose(irreps[1], np.trace(m, axis1=1, axis2=2), atol=1e-9)
    if G.name == "FullTetra":
        assert np.allclose(irreps[-1], det, atol=1e-9)
        assert np.allclose(irreps[3], np.trace(rot, axis1=1, axis2=2), atol=1e-9)
    if G.name == "Ico":  # the other 3-dim irrep is the Galois conjugate (phi <-> -1/phi)
        tr = np.trace(m, axis1=1, axis2=2)
        conj = np.where(np.isclose(tr, PHI), 1 - PHI, np.where(np.isclose(tr, 1 - PHI), PHI, tr))
        assert np.allclose(irreps[2], conj, atol=1e-9)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_standard_representation_is_the_matrix_action(G):
    std = G.standard_representation()
    assert std.irreps == [(1,)]
    assert np.allclose(std.matrices(G.elements), mats(G), atol=TOL)
    for g in G.elements[:5]:
        assert np.allclose(std(g), g.to("MAT"), atol=TOL)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_regular_representation_multiplicities(G):
    reg = G.regular_representation
    assert reg.size == G.order()
    for irrep in G.irreps():
        assert reg.multiplicity(irrep.id) == irrep.size // irrep.sum_of_squares_constituents
    t = cayley(G)
    perm = np.zeros((G.order(), G.order(), G.order()))
    for g in range(G.order()):
        perm[g, t[g], np.arange(G.order())] = 1
    assert np.allclose(reg.matrices(G.elements), perm, atol=1e-9)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_finite_decomposition_of_the_regular_matrices(G):
    from steerable.group._decompose import decompose_matrices

    t = cayley(G)
    n = G.order()

    def regular(xs):
        out = np.zeros((len(xs), n, n))
        for k, g in enumerate(xs):
            out[k, t[g], np.arange(n)] = 1
        return out

    ids, q = decompose_matrices(G, regular, n)
    blocks = np.zeros((n, n, n))
    start = 0
    for i in ids:
        d = G.irrep(*i).size
        blocks[:, start : start + d, start : start + d] = table(G, G.irrep(*i))
        start += d
    assert np.allclose(q.T @ q, np.eye(n), atol=1e-12)
    assert np.allclose(regular(list(range(n))), q @ blocks @ q.T, atol=1e-10)
    with pytest.raises(ValueError):
        decompose_matrices(G, lambda xs: np.stack([np.eye(2) * 0.5] * len(xs)), 2)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_clebsch_gordan_intertwines(G):
    irreps = G.irreps()
    els = G.elements
    for a, b in itertools.product(irreps, irreps):
        pa, pb = table(G, a), table(G, b)
        prod = np.einsum("gij,gkl->gikjl", pa, pb).reshape(len(els), a.size * b.size, -1)
        decomposition = G._tensor_product_irreps(a.id, b.id)
        assert sum(G.irrep(*j).size * m for j, m in decomposition) == a.size * b.size
        for c in irreps:
            cg = G._clebsh_gordan_coeff(a.id, b.id, c.id)
            mult = dict(decomposition).get(c.id, 0)
            assert cg.shape == (a.size, b.size, mult, c.size)
            pc = table(G, c)
            for k in range(mult):
                x = cg[:, :, k, :].reshape(a.size * b.size, c.size)
                assert np.allclose(x.T @ x, np.eye(c.size), atol=1e-10)
                assert np.allclose(prod @ x, x @ pc, atol=1e-10)


# ---------------------------------------------------------------------------- subgroups


def _sub_matrix(G, id, h):
    """Expected O(3) matrix of the subgroup element h."""
    if isinstance(id, str):
        return h.to("MAT")
    flip, n = id
    if flip:
        f, k = h.value
        return rotation([0, 0, 1], 2 * np.pi * k / n) @ np.linalg.matrix_power(rotation([1, 0, 0], np.pi), f)
    return rotation([0, 0, 1], 2 * np.pi * h.value / n)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_subgroups(G):
    assert G._valid_subgroup_ids() == EXPECTED[G.name][2]
    for id in EXPECTED[G.name][2]:
        H, incl, res = G.subgroup(id)
        if isinstance(id, str):
            assert (
                H
                == {
                    "tetra": Tetrahedral(),
                    "octa": Octahedral(),
                    "ico": Icosahedral(),
                    "fulltetra": FullTetrahedral(),
                }[id]
            )
        else:
            assert H == (DihedralGroup(id[1]) if id[0] else CyclicGroup(id[1]))
        image = {incl(h) for h in H.elements}
        assert len(image) == H.order()
        for h in H.elements:
            assert res(incl(h)) == h
            assert np.allclose(incl(h).to("MAT"), _sub_matrix(G, id, h), atol=TOL)
        for h1, h2 in itertools.product(H.elements, repeat=2):
            assert incl(h1 @ h2) == incl(h1) @ incl(h2)
        outside = [g for g in G.elements if g not in image]
        assert len(outside) == G.order() - H.order()
        for g in outside[:3]:
            with pytest.raises(ValueError):
                res(g)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_irrep_restriction_is_consistent(G):
    for id in EXPECTED[G.name][2]:
        H, incl, _ = G.subgroup(id)
        for irrep in G.irreps():
            r = irrep.restrict(id)
            assert r.group == H and r.size == irrep.size
            hs = H.elements
            expected = irrep.matrices([incl(h) for h in hs])
            assert np.allclose(r.matrices(hs), expected, atol=1e-9)


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_bad_subgroup_ids(G):
    for bad in [
        "so3",
        "octa" if G.name != "Octa" else "ico",
        (False, 3),
        (True, 5),
        (False, -1),
        7,
        (None, 2),
    ]:
        with pytest.raises(ValueError, match="valid"):
            G.subgroup(bad)


# ---------------------------------------------------------------------------- value semantics


@pytest.mark.parametrize("G", GROUPS, ids=IDS)
def test_pickle_and_equality(G):
    assert type(G)() == G and hash(type(G)()) == hash(G)
    assert all(G != H for H in GROUPS if H is not G)
    G2 = pickle.loads(pickle.dumps(G))
    assert G2 == G
    g = G.elements[-1]
    assert pickle.loads(pickle.dumps(g)) == g
    for irrep in G.irreps():
        irrep2 = pickle.loads(pickle.dumps(irrep))
        assert irrep2 == irrep and np.allclose(irrep2(g), irrep(g))
    std = pickle.loads(pickle.dumps(G.standard_representation()))
    assert np.allclose(std(g), g.to("MAT"))
    sub_id = EXPECTED[G.name][2][-1]
    H, incl, res = pickle.loads(pickle.dumps(G.subgroup(sub_id)))
    h = H.elements[-1]
    assert res(incl(h)) == h


def test_irrep_tables_are_read_only_or_copies():
    G = Icosahedral()
    g = G.elements[7]
    m = G.irrep(3)(g)
    m[:] = 0
    assert not np.allclose(G.irrep(3)(g), 0)
    q = g.value
    q[:] = 0
    assert np.linalg.norm(g.value) == pytest.approx(1)


_HASH_SCRIPT = """
import hashlib, numpy as np
from steerable.group.polyhedral import FullTetrahedral, Icosahedral, Octahedral, Tetrahedral
h = hashlib.sha256()
for G in [Tetrahedral(), Octahedral(), Icosahedral(), FullTetrahedral()]:
    for i in G.irreps():
        h.update(np.ascontiguousarray(np.round(i.matrices(G.elements), 9) + 0.0).tobytes())
    for a in G.irreps():
        for b in G.irreps():
            for c in G.irreps():
                cg = G._clebsh_gordan_coeff(a, b, c)
                h.update(np.ascontiguousarray(np.round(cg, 9) + 0.0).tobytes())
print(h.hexdigest())
"""


def test_determinism_across_processes():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    digests = set()
    for seed in ("0", "12345"):
        env["PYTHONHASHSEED"] = seed
        out = subprocess.run(
            [sys.executable, "-c", _HASH_SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(out.stdout.strip())
    local = {}
    exec(_HASH_SCRIPT.replace("print(h.hexdigest())", "digest = h.hexdigest()"), local)
    digests.add(local["digest"])
    assert len(digests) == 1


def test_cold_build_time_of_ico_with_all_cg():
    script = (
        "import time\n"
        "import numpy, scipy.linalg\n"
        "t0 = time.perf_counter()\n"
        "from steerable.group.polyhedral import Icosahedral\n"
        "t1 = time.perf_counter()\n"
        "G = Icosahedral()\n"
        "irreps = G.irreps()\n"
        "for a in irreps:\n"
        "    for b in irreps:\n"
        "        for c in irreps:\n"
        "            G._clebsh_gordan_coeff(a, b, c)\n"
        "t2 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    import_s, build_s = (float(x) for x in out.stdout.split())
    print(
        f"\ncold Icosahedral + all irreps + all CG coefficients: build {build_s:.3f} s "
        f"(plus {import_s:.3f} s to import steerable.group)"
    )
    assert build_s > 0


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("G", GROUPS[:3], ids=IDS[:3])
def test_bad_elements_rotation_groups(G):
    not_in_group = np.array([np.sin(0.05), 0, 0, np.cos(0.05)])
    with pytest.raises(ValueError, match="not an element"):
        G.element(not_in_group)
    with pytest.raises(ValueError):
        G.element([0, 0, 0, 2.0])  # not a unit quaternion
    with pytest.raises(ValueError):
        G.element([0, 0, 1.0])  # wrong shape
    with pytest.raises(ValueError):
        G.element([np.nan, 0, 0, 1.0])
    with pytest.raises(TypeError):
        G.element("identity")
    with pytest.raises(ValueError):
        G.element(np.eye(3), "radians")  # unknown parametrisation
    with pytest.raises(ValueError):
        G.element(-np.eye(3), "MAT")  # improper
    with pytest.raises(ValueError):
        G.element(np.ones((3, 3)), "MAT")
    with pytest.raises(ValueError, match="not an element"):
        G.element([0.1, 0, 0], "EV")
    with pytest.raises(ValueError, match="valid"):
        G.irrep(7)
    with pytest.raises(ValueError):
        G.irrep(0, 1)
    with pytest.raises(TypeError):
        G.irrep("a")
    with pytest.raises(ValueError):
        G.identity.to("radians")
    with pytest.raises(TypeError):
        G.standard_representation()(3)
    with pytest.raises(ValueError):
        G.irrep(1)(Octahedral().identity if G.name != "Octa" else Icosahedral().identity)


def test_bad_elements_full_tetra():
    G = FullTetrahedral()
    s4 = np.array([0, 0, np.sin(np.pi / 4), np.cos(np.pi / 4)])  # R_z(pi/2) is not in T
    assert G.element((1, s4)).to("MAT") == pytest.approx(-rotation([0, 0, 1], np.pi / 2))
    with pytest.raises(ValueError, match="not an element"):
        G.element((0, s4))
    with pytest.raises(ValueError, match="not an element"):
        G.element((1, [0, 0, 0, 1.0]))  # the inversion is not in T_d
    with pytest.raises(ValueError):
        G.element((2, [0, 0, 0, 1.0]))
    with pytest.raises(TypeError):
        G.element([0, 0, 0, 1.0])  # not a pair
    with pytest.raises(ValueError, match="not an element"):
        G.element(-np.eye(3), "MAT")
    with pytest.raises(ValueError):
        G.element(2 * np.eye(3), "MAT")
    mirror = np.eye(3)[[1, 0, 2]]  # x <-> y is a mirror of the tetrahedron
    assert np.allclose(G.element(mirror, "MAT").to("MAT"), mirror)
    assert G.element(mirror, "MAT").value[0] == 1
