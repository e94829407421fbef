"""ConcatenatedNonLinearity: the output representation of [f(x), f(-x)], exact equivariance on 2D,
3D and 0D gspaces (permutation and signed-permutation fields), values, export, errors."""

import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from steerable import gspaces, nn
from steerable.group import Representation, change_basis, so3_group
from steerable.nn.modules.concatenated_nonlinearity import concatenated_representation

from ._helpers import EXACT, random_orthogonal

FUNCTIONS = {"c_relu": F.relu, "c_sigmoid": torch.sigmoid, "c_tanh": torch.tanh}


def _case(name):
    """A gspace and a mixed field type of (signed) permutation representations."""
    if name == "C8":
        gs = gspaces.rot2dOnR2(8)
        reps = [gs.regular_repr, gs.trivial_repr, gs.irrep(4), gs.quotient_repr(2), gs.irrep(4)]
    elif name == "D4":
        gs = gspaces.flipRot2dOnR2(4)
        signed = Representation(gs.fibergroup, "signed_std", [(1, 1)], np.eye(2), ["concatenated"])
        reps = [gs.regular_repr, gs.irrep(1, 0), signed, gs.quotient_repr((0.0, 1)), gs.trivial_repr]
    elif name == "SO2":
        gs = gspaces.rot2dOnR2(-1, maximum_frequency=4)
        reps = [gs.trivial_repr] * 3
    elif name == "O2":
        gs = gspaces.flipRot2dOnR2(-1, maximum_frequency=4)
        reps = [gs.trivial_repr, gs.irrep(1, 0), gs.irrep(1, 0)]
    elif name == "SO3":
        gs = gspaces.rot3dOnR3()
        reps = [gs.trivial_repr] * 2
    elif name == "O3":
        gs = gspaces.flipRot3dOnR3()
        reps = [gs.irrep(1, 0), gs.trivial_repr]
    elif name == "octa":
        gs = gspaces.octaOnR3()
        cube = Representation(
            gs.fibergroup,
            "cube",
            [(1,)],
            gs.fibergroup.standard_representation().change_of_basis,
            ["concatenated"],
        )  # the 3x3 signed permutations
        reps = [gs.regular_repr, gs.irrep(-1), cube, gs.trivial_repr, gs.quotient_repr((False, 4))]
    else:
        gs = gspaces.no_base_space(so3_group())
        reps = [gs.trivial_repr] * 2
    return gs, nn.FieldType(gs, reps)


CASES = ["C8", "D4", "SO2", "O2", "SO3", "O3", "octa", "SO3_point"]


def _spatial(gs):
    return {0: 1, 2: 5, 3: 3}[gs.dimensionality]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_equivariance(case, function):
    gs, t = _case(case)
    module = nn.ConcatenatedNonLinearity(t, function)
    assert len(module.out_type) == len(t) and module.out_type.size == 2 * t.size
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=_spatial(gs))
    n = {"C8": 4, "D4": 8, "SO2": 4, "O2": 8, "SO3": 24, "O3": 48, "octa": 24, "SO3_point": 24}[case]
    assert len(errors) >= n


@pytest.mark.parametrize("case", ["C8", "D4", "O2", "octa"])
def test_output_representation_is_the_block_permutation(case):
    """rho'(g) = [[rho+, rho-], [rho-, rho+]] for every element (a sample for O(2))."""
    gs, t = _case(case)
    G = gs.fibergroup
    elements = G.elements if not G.continuous else list(G.testing_elements())
    for rho in dict.fromkeys(t.representations):
        out = concatenated_representation(rho)
        assert "pointwise" in out.supported_nonlinearities
        m, big = rho.matrices(elements), out.matrices(elements)
        plus, minus = np.clip(m, 0, None), np.clip(-m, 0, None)
        expected = np.block([[plus, minus], [minus, plus]])
        assert np.abs(big - expected).max() < 1e-9
        if (m > -1e-9).all():  # a permutation representation: rho + rho
            assert out.irreps == rho.irreps * 2


def test_sign_representation_gives_trivial_plus_sign():
    gs = gspaces.flipRot2dOnR2(-1, maximum_frequency=4)
    out = concatenated_representation(gs.irrep(1, 0))
    assert sorted(out.irreps) == [(0, 0), (1, 0)]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_values_layout_and_export(function):
    gs, t = _case("D4")
    module = nn.ConcatenatedNonLinearity(t, function)
    x = torch.randn(2, t.size, 3, 3, dtype=torch.float64)
    y = module(t(x)).tensor
    f = FUNCTIONS[function]
    expected = torch.cat(
        [torch.cat([f(x[:, s:e]), f(-x[:, s:e])], dim=1) for s, e in zip(t.fields_start, t.fields_end)], 1
    )
    assert (y - expected).abs().max() < 1e-15  # (vectorised kernels may differ in the last bit)
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    assert (exported(x) - y).abs().max() <= 1e-12
    assert module.evaluate_output_shape(x.shape) == tuple(y.shape)
    # the uniform path (one reshape) gives the same layout
    tu = nn.FieldType(gs, [gs.regular_repr] * 2)
    xu = torch.randn(2, 16, 3, 3, dtype=torch.float64)
    yu = nn.ConcatenatedNonLinearity(tu, function)(tu(xu)).tensor
    expected = torch.cat([f(xu[:, :8]), f(-xu[:, :8]), f(xu[:, 8:]), f(-xu[:, 8:])], dim=1)
    assert (yu - expected).abs().max() < 1e-15


def test_output_feeds_pointwise_modules_and_pickles():
    gs, t = _case("C8")
    module = nn.ConcatenatedNonLinearity(t)
    relu = nn.ReLU(module.out_type)  # the output fields are permutation fields
    x = t(torch.randn(2, t.size, 3, 3))
    assert torch.equal(relu(module(x)).tensor, module(x).tensor)  # c_relu output is non-negative
    assert list(module.state_dict()) == []
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert torch.equal(clone(x).tensor, module(x).tensor)
        assert clone.out_type == module.out_type


def test_errors():
    gs = gspaces.rot2dOnR2(8)
    with pytest.raises(ValueError, match="signed-permutation representations .*irrep_1"):
        nn.ConcatenatedNonLinearity(nn.FieldType(gs, [gs.regular_repr, gs.irrep(1)]))
    rotated = change_basis(gs.regular_repr, random_orthogonal(8, 4), "rotated_regular")
    with pytest.raises(ValueError, match="do not: \\['rotated_regular'\\]"):
        nn.ConcatenatedNonLinearity(nn.FieldType(gs, [rotated]))
    # a (wrong) user flag is caught by the numerical check
    liar = Representation(gs.fibergroup, "liar", [(1,)], np.eye(2), ["concatenated"])
    with pytest.raises(ValueError, match="are signed permutations; liar is not one"):
        nn.ConcatenatedNonLinearity(nn.FieldType(gs, [liar]))
    so3 = gspaces.rot3dOnR3()
    with pytest.raises(ValueError, match="irrep_1"):
        nn.ConcatenatedNonLinearity(nn.FieldType(so3, [so3.irrep(1), so3.irrep(2)]))
    t = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(ValueError, match="unknown function 'c_elu'; valid: .*c_relu"):
        nn.ConcatenatedNonLinearity(t, "c_elu")
    with pytest.raises(TypeError, match="needs a FieldType"):
        nn.ConcatenatedNonLinearity(gs.regular_repr)
    module = nn.ConcatenatedNonLinearity(t)
    with pytest.raises(ValueError, match="needs a tensor of rank 4"):
        module(t(torch.randn(2, 8, 3, 3, 3)))
    with pytest.raises(ValueError, match="expected 8 channels"):
        module.evaluate_output_shape((2, 16, 3, 3))


def test_flags_of_irreps():
    """Only 1-dim irreps (values +-1) and the trivial one claim 'concatenated'."""
    for gs in (gspaces.rot2dOnR2(8), gspaces.flipRot2dOnR2(4), gspaces.octaOnR3()):
        for irrep in gs.fibergroup.irreps():
            assert ("concatenated" in irrep.supported_nonlinearities) == (irrep.size == 1)
