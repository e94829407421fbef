"""NormNonLinearity and InducedNormNonLinearity: exact equivariance on 2D, 3D and 0D gspaces with
mixed field types, values against a per-field reference, export, state, errors."""

import copy
import pickle

import pytest
import torch
import torch.nn.functional as F

from steerable import gspaces, nn
from steerable.group import Representation, change_basis, directsum, so3_group

from ._helpers import EXACT, random_orthogonal

FUNCTIONS = ["n_relu", "n_sigmoid", "n_softplus", "squash"]


def _gspace(name):
    return {
        "C8": lambda: gspaces.rot2dOnR2(8),
        "D4": lambda: gspaces.flipRot2dOnR2(4),
        "SO2": lambda: gspaces.rot2dOnR2(-1, maximum_frequency=4),
        "SO3": lambda: gspaces.rot3dOnR3(),
        "octa": lambda: gspaces.octaOnR3(),
        "SO3_point": lambda: gspaces.no_base_space(so3_group()),
    }[name]()


def _mixed(gs):
    """Trivial, two irreps, a regular-like field, and a sum of irreps in a rotated basis."""
    G = gs.fibergroup
    if G.continuous:
        irreps = [G.irrep(*i) for i in G.bl_irreps(2)]
        regular = G.bl_regular_representation(1)
    else:
        irreps, regular = list(G.irreps()), gs.regular_repr
    nontrivial = [r for r in irreps if not r.is_trivial()]
    block = directsum(nontrivial[:2])
    rotated = change_basis(block, random_orthogonal(block.size, 1), "rotated", ["norm", "gated"])
    return nn.FieldType(gs, [nontrivial[0], gs.trivial_repr, regular, rotated, nontrivial[-1], nontrivial[0]])


SPACES = ["C8", "D4", "SO2", "SO3", "octa", "SO3_point"]


def _input(t, size, dtype=torch.float64):
    return torch.randn((2, t.size) + (size,) * t.gspace.dimensionality, dtype=dtype)


def _spatial(gs):
    return {0: 1, 2: 5, 3: 3}[gs.dimensionality]


def _reference(x, blocks, bias, function):
    """Loop over blocks ``(start, size, field)``: f(|v| - b) v / |v| (squash: |v| / (1 + |v|^2) v)."""
    out = torch.empty_like(x)
    for start, d, field in blocks:
        v = x[:, start : start + d]
        n = v.norm(dim=1, keepdim=True)
        t = n - (0.0 if bias is None else bias[field])
        new = {
            "n_relu": F.relu,
            "n_sigmoid": torch.sigmoid,
            "n_softplus": F.softplus,
            "squash": lambda _, n=n: n * n / (1 + n * n),
        }[function](t)
        out[:, start : start + d] = v * new / n
    return out


def _field_blocks(t):
    return [(int(s), r.size, f) for f, (s, r) in enumerate(zip(t.fields_start, t.representations))]


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_equivariance_mixed_types(space, function):
    gs = _gspace(space)
    t = _mixed(gs)
    module = nn.NormNonLinearity(t, function)
    with torch.no_grad():
        if module.bias is not None:  # thresholds inside the range of the norms (non-trivial)
            module.bias.uniform_(0.5, 2.0)
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=_spatial(gs))
    assert len(errors) >= {"C8": 4, "D4": 8, "SO2": 4, "SO3": 24, "octa": 24, "SO3_point": 24}[space]
    assert max(e for _, e in errors) < EXACT


@pytest.mark.parametrize("layout", ["mixed", "uniform"])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_values_against_reference(function, layout):
    t = _mixed(gspaces.flipRot2dOnR2(4))
    if layout == "uniform":
        t = nn.FieldType(t.gspace, [t.representations[3]] * 3)
    module = nn.NormNonLinearity(t, function).double()
    if module.bias is not None:
        with torch.no_grad():
            module.bias.copy_(torch.linspace(0.3, 2.5, len(t)))  # distinct per field
    x = _input(t, 4)
    y = module(t(x)).tensor
    ref = _reference(x, _field_blocks(t), module.bias, function)
    assert (y - ref).abs().max() < 1e-13
    # the nonlinearity is not the identity and changes the norms field by field
    assert (y - x).abs().max() > 1e-2
    assert module.evaluate_output_shape(x.shape) == tuple(x.shape)


def test_relu_zeroes_small_fields_and_zero_stays_zero_with_finite_gradient():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.irrep(1), gs.irrep(2), gs.trivial_repr])
    module = nn.NormNonLinearity(t).double()
    with torch.no_grad():
        module.bias.fill_(1.0)
    x = torch.zeros(1, 5, 2, 2, dtype=torch.float64)
    x[0, 0:2, 0, 0] = torch.tensor([0.3, 0.4])  # norm 0.5 < bias: zeroed
    x[0, 2:4, 0, 0] = torch.tensor([3.0, 4.0])  # norm 5: scaled to norm 4
    x.requires_grad_(True)
    y = module(t(x)).tensor
    assert torch.equal(y[0, 0:2, 0, 0], torch.zeros(2, dtype=torch.float64))
    assert torch.allclose(y[0, 2:4, 0, 0], torch.tensor([2.4, 3.2], dtype=torch.float64), atol=1e-15)
    assert y[:, :, 1].abs().max() == 0  # zero fields stay zero
    y.sum().backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(module.bias.grad).all()


@pytest.mark.parametrize("function", FUNCTIONS)
def test_export_matches(function):
    t = _mixed(gspaces.rot3dOnR3())
    module = nn.NormNonLinearity(t, function).double()
    if module.bias is not None:
        with torch.no_grad():
            module.bias.uniform_(0.2, 1.5)
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    x = _input(t, 3)
    y = module(t(x)).tensor
    assert (exported(x) - y).abs().max() <= 1e-12
    # the export is a plain module with its own copy of the bias
    assert (function == "squash") == (exported.bias is None)


def test_float32_and_to():
    gs = gspaces.rot2dOnR2(8)
    t = _mixed(gs)
    module = nn.NormNonLinearity(t, "n_sigmoid")
    x = _input(t, 5, torch.float32)
    y32 = module(t(x)).tensor
    assert y32.dtype == torch.float32
    y64 = copy.deepcopy(module).to(torch.float64)(t(x.double())).tensor
    assert (y32.double() - y64).abs().max() < 1e-5


def test_low_precision_input_keeps_its_dtype():
    gs = gspaces.rot2dOnR2(8)
    t = _mixed(gs)
    module = nn.NormNonLinearity(t)  # float32 bias
    x = _input(t, 3, torch.bfloat16)
    y = module(t(x)).tensor
    assert y.dtype == torch.bfloat16 and torch.isfinite(y).all()
    ref = module(t(x.float())).tensor
    assert (y.float() - ref).abs().max() < 0.05 * ref.abs().max()


def test_state_pickle_deepcopy():
    t = _mixed(gspaces.flipRot2dOnR2(4))
    module = nn.NormNonLinearity(t)
    assert list(module.state_dict()) == ["bias"]
    assert module.bias.shape == (len(t),) and torch.all(module.bias == 0.1)
    with torch.no_grad():
        module.bias.normal_()
    other = nn.NormNonLinearity(t)
    other.load_state_dict(module.state_dict())
    x = t(_input(t, 3, torch.float32))
    for clone in (other, copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert torch.equal(clone(x).tensor, module(x).tensor)
    module.reset_parameters()
    assert torch.all(module.bias == 0.1)


def test_bias_options():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.irrep(1)] * 2)
    assert list(nn.NormNonLinearity(t, bias=False).state_dict()) == []
    # squash has no bias, whatever `bias` says
    assert nn.NormNonLinearity(t, "squash", bias=True).bias is None
    x = t(torch.randn(2, 4, 3, 3, dtype=torch.float64))
    no_bias = nn.NormNonLinearity(t, "n_relu", bias=False).double()
    assert torch.allclose(no_bias(x).tensor, x.tensor, atol=1e-15)  # relu(|v|) v / |v| = v


def test_errors():
    gs = gspaces.rot2dOnR2(8)
    plain = change_basis(gs.irrep(1), random_orthogonal(2, 3), "no_flags")  # supports nothing
    with pytest.raises(ValueError, match="NormNonLinearity needs fields that support 'norm'.*no_flags"):
        nn.NormNonLinearity(nn.FieldType(gs, [gs.irrep(1), plain]))
    t = nn.FieldType(gs, [gs.irrep(1), gs.regular_repr])
    with pytest.raises(ValueError, match="unknown function 'n_tanh'; valid: .*n_relu"):
        nn.NormNonLinearity(t, "n_tanh")
    with pytest.raises(TypeError, match="needs a FieldType, got list"):
        nn.NormNonLinearity([gs.irrep(1)])
    module = nn.NormNonLinearity(t)
    with pytest.raises(ValueError, match="needs a tensor of rank 4"):
        module(t(torch.randn(2, 10, 3)))
    with pytest.raises(TypeError, match="expects a GeometricTensor"):
        module(torch.randn(2, 10, 3, 3))
    with pytest.raises(ValueError, match="expects fields of type"):
        module(nn.FieldType(gs, [gs.regular_repr, gs.irrep(1)])(torch.randn(2, 10, 3, 3)))
    with pytest.raises(ValueError, match="expected 10 channels"):
        module.evaluate_output_shape((2, 9, 3, 3))


# ---------------------------------------------------------------- induced representations
def _induced_types():
    d4 = gspaces.flipRot2dOnR2(4)
    H = d4.fibergroup.subgroup((0.0, 1))[0]  # a reflection
    o2 = gspaces.flipRot2dOnR2(-1, maximum_frequency=4)
    so2 = o2.fibergroup.subgroup((None, -1))[0]
    octa = gspaces.octaOnR3()
    c4 = octa.fibergroup.subgroup((False, 4))[0]
    c2 = d4.fibergroup.subgroup((None, 2))[0]  # rotations by 180 degrees
    c4 = d4.fibergroup.subgroup((None, 4))[0]
    return {
        # induced sign characters of a reflection and of the half turn (blocks of 1), a quotient,
        # and C4's 2-dim irrep induced (2 blocks of 2)
        "D4": nn.FieldType(
            d4,
            [
                d4.induced_repr((0.0, 1), H.irrep(1, 0)),
                d4.quotient_repr((0.0, 1)),
                d4.induced_repr((None, 2), c2.irrep(1)),
                d4.induced_repr((None, 4), c4.irrep(1)),
                d4.induced_repr((0.0, 1), H.irrep(1, 0)),
            ],
        ),
        "O2": nn.FieldType(
            o2, [o2.induced_repr((None, -1), so2.irrep(2)), o2.induced_repr((None, -1), so2.irrep(1))]
        ),
        "octa": nn.FieldType(
            octa, [octa.induced_repr((False, 4), c4.irrep(1)), octa.quotient_repr((False, 4))]
        ),
    }


def _induced_blocks(t):
    blocks = []
    for f, (s, r) in enumerate(zip(t.fields_start, t.representations)):
        d = r.induced_repr.size
        blocks.extend((int(s) + i * d, d, f) for i in range(r.size // d))
    return blocks


@pytest.mark.parametrize("space", ["D4", "O2", "octa"])
@pytest.mark.parametrize("function", ["n_relu", "n_sigmoid", "squash"])
def test_induced_equivariance_and_values(space, function):
    t = _induced_types()[space]
    module = nn.InducedNormNonLinearity(t, function)
    if module.bias is not None:
        with torch.no_grad():
            module.bias.copy_(torch.linspace(0.4, 1.2, len(t)))
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=_spatial(t.gspace))
    assert len(errors) >= 8
    module = module.double()
    x = _input(t, 3)
    y = module(t(x)).tensor
    blocks = _induced_blocks(t)
    assert len(blocks) > len(t)  # several blocks per field: not the plain norm nonlinearity
    assert (y - _reference(x, blocks, module.bias, function)).abs().max() < 1e-13
    assert (module.export()(x) - y).abs().max() <= 1e-12


def test_induced_norm_differs_from_field_norm():
    """The per-block norm is not the per-field norm: the plain NormNonLinearity gives another map."""
    t = _induced_types()["D4"]
    x = t(_input(t, 3))
    a = nn.InducedNormNonLinearity(t).double()(x).tensor
    b = nn.NormNonLinearity(t).double()(x).tensor
    assert (a - b).abs().max() > 1e-3


def test_induced_errors():
    gs = gspaces.flipRot2dOnR2(4)
    with pytest.raises(ValueError, match="InducedNormNonLinearity needs fields that support 'induced_norm'"):
        nn.InducedNormNonLinearity(nn.FieldType(gs, [gs.irrep(1, 1)]))
    # the flag without the record of the induced representation
    fake = Representation(gs.fibergroup, "fake", [(1, 1)], torch.eye(2).numpy(), ["induced_norm"])
    with pytest.raises(ValueError, match="record the induced subgroup representation.*fake"):
        nn.InducedNormNonLinearity(nn.FieldType(gs, [fake]))
    with pytest.raises(ValueError, match="unknown function 'relu'"):
        nn.InducedNormNonLinearity(_induced_types()["D4"], "relu")
