"""Elements: parametrisations, group axioms, value semantics, pickling, determinism, errors."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

from steerable import group as G
from steerable import testing


def test_group_axioms(group):
    elements = testing.testing_elements(group)[:10] + testing.random_elements(group, 4)
    e = group.identity
    for a in elements:
        assert a @ e == a and e @ a == a
        assert a @ ~a == e
        for b in elements[:5]:
            for c in elements[:5]:
                assert (a @ b) @ c == a @ (b @ c)


def test_elements_roundtrip_through_every_parametrisation(group):
    params = group.PARAMETRIZATIONS if isinstance(group.PARAM, str) else [group.PARAM]
    for g in testing.random_elements(group, 5) + testing.testing_elements(group)[:5]:
        for p in params:
            assert group.element(g.to(p), p) == g
        assert group.element(g.value) == g


def test_value_semantics_and_pickling(group):
    assert group == pickle.loads(pickle.dumps(group))
    assert hash(group) == hash(pickle.loads(pickle.dumps(group)))
    g = group.sample(np.random.default_rng(3))
    g2 = pickle.loads(pickle.dumps(g))
    assert g2 == g and hash(g2) == hash(g)
    irrep = group.irreps()[-1]
    irrep2 = pickle.loads(pickle.dumps(irrep))
    assert irrep2 == irrep
    np.testing.assert_array_equal(irrep2(g), irrep(g))
    rho = G.directsum(group.irreps()[:2])
    assert pickle.loads(pickle.dumps(rho)) == rho


def test_maximum_frequency_is_not_part_of_the_identity():
    assert G.so3_group(2) == G.so3_group(5)
    assert hash(G.so2_group(1)) == hash(G.so2_group(7))
    assert len(G.so3_group(2).irreps()) == 3 and len(G.so3_group(5).irreps()) == 6
    # any irrep can be asked for whatever maximum_frequency says
    assert G.so3_group(1).irrep(9).size == 19
    assert G.cyclic_group(4) != G.cyclic_group(5)
    assert G.dihedral_group(4) != G.cyclic_group(8)


def test_finite_group_elements_and_generators(finite_group):
    elements = finite_group.elements
    assert len(set(elements)) == finite_group.order()
    # the generators generate the group
    reached = {finite_group.identity}
    frontier = list(reached)
    gens = finite_group.generators
    while frontier:
        frontier = [g @ s for g in frontier for s in gens if g @ s not in reached]
        reached.update(frontier)
    assert len(reached) == finite_group.order()


def test_so3_parametrisations_agree_with_matrices():
    so3 = G.so3_group()
    g = so3.sample(np.random.default_rng(0))
    h = so3.sample(np.random.default_rng(1))
    np.testing.assert_allclose((g @ h).to("MAT"), g.to("MAT") @ h.to("MAT"), atol=1e-12)
    ev = g.to("EV")
    assert so3.element(ev, "EV") == g
    assert so3.element(g.to("ZYZ"), "ZYZ") == g
    assert so3.element(-g.value, "Q") == g  # q and -q are one rotation
    o3 = G.o3_group()
    m = -g.to("MAT")
    assert o3.element(m, "MAT").to("MAT") == pytest.approx(m)
    assert o3.element((1, g.to("MAT")), "MAT") == o3.element(m, "MAT")


def test_planar_element_conventions():
    d4 = G.dihedral_group(4)
    flip, rot = d4.element((1, 0)), d4.element((0, 1))
    np.testing.assert_allclose(flip.to("MAT"), np.diag([1.0, -1.0]))
    np.testing.assert_allclose((rot @ flip).to("MAT"), rot.to("MAT") @ flip.to("MAT"), atol=1e-12)
    np.testing.assert_allclose(d4.standard_representation()(rot @ flip), (rot @ flip).to("MAT"), atol=1e-12)
    o2 = G.o2_group()
    g = o2.element((1, 0.3))
    np.testing.assert_allclose(o2.standard_representation()(g), g.to("MAT"), atol=1e-12)
    assert ~g == g


_DETERMINISM_SCRIPT = """
import hashlib, numpy as np
from steerable import group as G
parts = []
for grp in [G.dihedral_group(6), G.so3_group(), G.o2_group(), G.full_octa_group(), G.ico_group()]:
    if grp.continuous:
        parts.append(grp.irrep(*grp.irreps()[-1].id).endomorphism_basis())
    else:
        parts.append(grp.regular_representation.change_of_basis)
so3 = G.so3_group()
parts.append(so3.irrep(3).restrict((True, 4)).change_of_basis)
parts.append(so3._clebsh_gordan_coeff(2, 2, 2))
parts.append(G.o2_group().induced_representation((None, -1), G.so2_group().irrep(2)).change_of_basis)
double = G.double_group(G.so2_group())
parts.append(double.irrep((1,), (2,), 1)(double.element((0.3, 1.1))))
h = hashlib.sha256()
for p in parts:
    h.update((np.round(np.asarray(p, dtype=np.float64), 8) + 0.0).tobytes())  # +0.0: no -0.0
print(h.hexdigest())
"""


def test_determinism_across_processes():
    digests = set()
    for seed in ("0", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", _DETERMINISM_SCRIPT],
            env={"PYTHONHASHSEED": seed, "OMP_NUM_THREADS": seed[-1] if seed != "0" else "1", "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: G.cyclic_group(0), ValueError),
        (lambda: G.cyclic_group(2.5), TypeError),
        (lambda: G.dihedral_group(-1), ValueError),
        (lambda: G.cyclic_group(4).irrep(3), ValueError),
        (lambda: G.dihedral_group(5).irrep(0, 1), ValueError),
        (lambda: G.o2_group().irrep(0, 2), ValueError),
        (lambda: G.so3_group().irrep(-1), ValueError),
        (lambda: G.so3_group().element([1, 0, 0], "Q"), ValueError),
        (lambda: G.so3_group().element(np.eye(3), "quat"), ValueError),
        (lambda: G.so3_group().element(np.diag([1.0, 1, -1]), "MAT"), ValueError),
        (lambda: G.cyclic_group(4).element(0.3, "radians"), ValueError),
        (lambda: G.cyclic_group(4).subgroup(3), ValueError),
        (lambda: G.so3_group().subgroup("cube"), ValueError),
        (lambda: G.o3_group().subgroup(("cone", 0.0, 0)), ValueError),
        (lambda: G.so3_group().irrep(1)(G.so2_group().identity), ValueError),
        (lambda: G.so3_group().irrep(1)(np.eye(3)), TypeError),
        (lambda: G.so2_group().element(0.1) @ G.o2_group().element((0, 0.1)), ValueError),
        (lambda: G.so3_group().bl_irreps(-1), ValueError),
    ],
)
def test_bad_input_raises_clear_errors(call, error):
    with pytest.raises(error):
        call()
