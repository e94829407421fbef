"""escnn's kernel factories ``kernels_*_act_R2/R3``, and the errors of the kernel layer."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_checks import ATOL, check_elements, random_orthogonal, random_points

import steerable.kernels as K
from steerable import group as G
from steerable import gspaces as gs

RADII, SIGMA = [0.0, 1.0, 2.0], 0.6

# factory name -> (group, extra keyword arguments)
FACTORIES = {
    "kernels_O2_act_R2": (lambda: G.o2_group(3), {}),
    "kernels_SO2_act_R2": (lambda: G.so2_group(3), {}),
    "kernels_CN_act_R2": (lambda: G.cyclic_group(6), {}),
    "kernels_DN_act_R2": (lambda: G.dihedral_group(3), {"axis": 0.4}),
    "kernels_Flip_act_R2": (lambda: G.dihedral_group(1), {"axis": 0.0}),
    "kernels_Trivial_act_R2": (G.trivial_group, {}),
    "kernels_O3_act_R3": (lambda: G.o3_group(2), {}),
    "kernels_SO3_act_R3": (lambda: G.so3_group(2), {}),
    "kernels_Ico_act_R3": (G.ico_group, {}),
    "kernels_FullIco_act_R3": (G.full_ico_group, {}),
    "kernels_Octa_act_R3": (G.octa_group, {}),
    "kernels_FullOcta_act_R3": (G.full_octa_group, {}),
    "kernels_Tetra_act_R3": (G.tetra_group, {}),
    "kernels_FullTetra_act_R3": (G.full_tetra_group, {}),
    "kernels_Pyrito_act_R3": (G.pyrito_group, {}),
    "kernels_SO2_act_R3": (lambda: G.so2_group(3), {}),
    "kernels_CN_act_R3": (
        lambda: G.cyclic_group(4),
        {"adjoint": G.so3_group().sample(np.random.default_rng(3))},
    ),
    "kernels_O2_conical_act_R3": (lambda: G.o2_group(3), {"axis": 0.3}),
    "kernels_DN_conical_act_R3": (lambda: G.dihedral_group(3), {}),
    "kernels_O2_dihedral_act_R3": (lambda: G.o2_group(3), {}),
    "kernels_DN_dihedral_act_R3": (lambda: G.dihedral_group(2), {"axis": 1.0}),
    "kernels_Inv_act_R3": (lambda: G.cyclic_group(2), {}),
    "kernels_Trivial_act_R3": (G.trivial_group, {}),
    "kernels_O3_subgroup_act_R3": (lambda: G.dihedral_group(4), {"sg_id": ("cone", 0.0, 4)}),
}


def test_every_factory_is_covered():
    names = {n for n in K.__all__ if n.startswith("kernels_") and n != "kernels_on_point"}
    assert names == set(FACTORIES)


def _base_matrix(embedding, g):
    ambient = embedding.chain[0][0]
    return ambient.standard_representation()(embedding.include(g))


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factory_basis_is_steerable(name):
    group_factory, kwargs = FACTORIES[name]
    group = group_factory()
    irreps = list(group.irreps())
    rin = G.directsum([irreps[-1], group.trivial_representation], name="in")
    rin = G.change_basis(rin, random_orthogonal(rin.size, 1), name="in_q")
    rout = G.directsum(irreps[:3], name="out")
    kwargs = dict(kwargs)
    if "sg_id" in kwargs:
        basis = getattr(K, name)(rin, rout, kwargs.pop("sg_id"), RADII, SIGMA, **kwargs)
    else:
        basis = getattr(K, name)(rin, rout, RADII, SIGMA, **kwargs)
    assert isinstance(basis, K.SteerableKernelBasis)
    assert basis.group == group and basis.dim > 0
    assert len(basis) == basis.dim
    d = basis.embedding.d
    assert d == (2 if name.endswith("R2") else 3)
    elements = check_elements(group, n_random=3)
    points = random_points(d, 8, seed=2)
    k = basis.sample(points)
    for g in elements:
        a = _base_matrix(basis.embedding, g)
        assert np.allclose(a.T @ a, np.eye(d), atol=1e-12)
        moved = basis.sample(points @ a.T)
        expected = np.einsum("ij,ndjk,lk->ndil", rout(g), k, rin(g), optimize=True)
        err = np.abs(moved - expected).max()
        assert err < ATOL, (g, err)


@pytest.mark.parametrize(
    "name,gspace",
    [
        ("kernels_CN_act_R2", lambda: gs.rot2dOnR2(6)),
        ("kernels_O2_act_R2", lambda: gs.flipRot2dOnR2(-1)),
        ("kernels_DN_act_R2", lambda: gs.flipRot2dOnR2(3, axis=0.4)),
        ("kernels_Octa_act_R3", gs.octaOnR3),
        ("kernels_SO3_act_R3", gs.rot3dOnR3),
        ("kernels_O2_conical_act_R3", lambda: gs.conicalOnR3(axis=0.3)),
        ("kernels_FullTetra_act_R3", gs.fullTetraOnR3),
        ("kernels_Inv_act_R3", gs.invOnR3),
    ],
)
def test_factory_agrees_with_gspace(name, gspace):
    """The factory and the matching gspace build the same basis."""
    group_factory, kwargs = FACTORIES[name]
    space = gspace()
    rep = space.basespace_action + space.trivial_repr
    a = getattr(K, name)(rep, rep, RADII, SIGMA, **kwargs)
    b = space.build_kernel_basis(rep, rep, rings=RADII, sigma=SIGMA)
    points = random_points(a.embedding.d, 5, seed=9)
    assert a.dim == b.dim
    np.testing.assert_allclose(a.sample(points), b.sample(points), atol=1e-12)


# ------------------------------------------------------------------------------ errors
def test_empty_basis_raises_with_representation_names():
    so2 = G.so2_group(3)
    rin, rout = so2.irrep(3), so2.trivial_representation
    with pytest.raises(K.EmptyBasisException) as err:
        K.kernels_SO2_act_R2(rin, rout, RADII, SIGMA, maximum_frequency=1, frequencies_cutoff=2.0)
    assert isinstance(err.value, ValueError)
    assert rin.name in str(err.value) and rout.name in str(err.value)
    # with a high enough frequency the same request succeeds
    assert K.kernels_SO2_act_R2(rin, rout, RADII, SIGMA, maximum_frequency=3, frequencies_cutoff=2.0).dim > 0
    # the gspace allows an empty basis
    assert (
        gs.rot2dOnR2(-1).build_kernel_basis(rin, rout, rings=RADII, sigma=SIGMA, maximum_frequency=1).dim == 0
    )


def test_empty_basis_3d():
    o3 = G.o3_group(2)
    with pytest.raises(K.EmptyBasisException, match="irrep"):
        # scalar -> pseudoscalar needs a harmonic D_J = (J mod 2, J) restricting to (1, 0): none
        K.kernels_O3_act_R3(o3.irrep(0, 0), o3.irrep(1, 0), RADII, SIGMA)


def test_mismatched_groups_name_both():
    c8, c4 = G.cyclic_group(8), G.cyclic_group(4)
    space = gs.rot2dOnR2(4)
    with pytest.raises(ValueError) as err:
        space.build_kernel_basis(
            c8.regular_representation,
            c4.regular_representation,
            rings=RADII,
            sigma=SIGMA,
            frequencies_cutoff=2.0,
        )
    assert "C8" in str(err.value) and "C4" in str(err.value)
    with pytest.raises(ValueError) as err:
        space.build_kernel_basis(
            c4.regular_representation, c8.irrep(1), rings=RADII, sigma=SIGMA, frequencies_cutoff=2.0
        )
    assert "C8" in str(err.value) and "C4" in str(err.value)
    with pytest.raises(ValueError) as err:
        gs.rot3dOnR3().build_kernel_basis(
            G.o3_group().irrep(0, 1), G.so3_group().irrep(1), rings=RADII, sigma=SIGMA, frequencies_cutoff=2.0
        )
    assert "O(3)" in str(err.value) and "SO(3)" in str(err.value)
    with pytest.raises(ValueError) as err:
        K.kernels_CN_act_R2(c8.irrep(1), c4.irrep(1), RADII, SIGMA)
    assert "C8" in str(err.value) and "C4" in str(err.value)
    with pytest.raises(ValueError) as err:
        gs.no_base_space(c8).build_kernel_basis(c4.irrep(0), c4.irrep(0))
    assert "C8" in str(err.value) and "C4" in str(err.value)
    with pytest.raises(ValueError):
        K.kernels_on_point(c8.irrep(0), c4.irrep(0))


def test_factory_needs_a_finite_cyclic_or_dihedral_group():
    with pytest.raises(ValueError, match="SO\\(2\\)"):
        K.kernels_CN_act_R2(G.so2_group().irrep(1), G.so2_group().irrep(1), RADII, SIGMA)


@pytest.mark.parametrize(
    "radii,sigma",
    [
        ([0.0, -1.0], 0.6),
        ([1.0], -0.5),
        ([1.0], 0.0),
        ([np.nan], 0.6),
        ([1.0], np.inf),
        ([], 0.6),
        ([1.0, 2.0], [0.5, -0.1]),
    ],
)
def test_bad_rings_raise(radii, sigma):
    space = gs.rot2dOnR2(4)
    rep = space.regular_repr
    with pytest.raises(ValueError):
        space.build_kernel_basis(rep, rep, rings=radii, sigma=sigma, frequencies_cutoff=2.0)
    with pytest.raises(ValueError):
        K.GaussianRadialProfile(radii, sigma)
    with pytest.raises(ValueError):
        K.kernels_CN_act_R2(rep, rep, radii, sigma)


def test_build_kernel_basis_needs_rings_on_rd():
    space = gs.rot2dOnR2(4)
    with pytest.raises(ValueError):
        space.build_kernel_basis(space.trivial_repr, space.trivial_repr)


def test_bad_points_raise():
    space = gs.rot3dOnR3()
    basis = space.build_kernel_basis(
        space.trivial_repr, space.trivial_repr, rings=RADII, sigma=SIGMA, frequencies_cutoff=2.0
    )
    for bad in (np.zeros((4, 2)), np.zeros(3), np.array([[0.0, np.nan, 1.0]])):
        with pytest.raises(ValueError):
            basis.sample(bad)


def test_bad_frequency_cutoff_raises():
    space = gs.rot2dOnR2(4)
    rep = space.trivial_repr
    with pytest.raises(ValueError):
        space.build_kernel_basis(rep, rep, rings=RADII, sigma=SIGMA, frequencies_cutoff=-1.0)
    with pytest.raises(ValueError):
        space.build_kernel_basis(rep, rep, rings=RADII, sigma=SIGMA, frequencies_cutoff=float("nan"))


def test_embedding_keys_tell_false_from_zero():
    """(False, False, 4) is C4 about z and (False, 0.0, 4) is D4; as plain tuples they compare
    equal (False == 0.0), so the embeddings (keys of the solver's caches) must not."""
    o3 = G.o3_group()
    c4 = K.Embedding(3, ((o3, (False, False, 4)),))
    d4 = K.Embedding(3, ((o3, (False, 0.0, 4)),))
    assert c4 != d4 and c4 == K.Embedding(3, ((G.o3_group(5), (False, False, 4)),))
    assert hash(c4) == hash(K.Embedding(3, ((o3, (False, False, 4)),)))
