"""Gated nonlinearities (GatedNonLinearity1/2, GatedNonLinearityUniform, InducedGatedNonLinearity1):
exact equivariance on 2D, 3D and 0D gspaces, values against a per-field reference, export,
state, errors."""

import copy
import pickle

import pytest
import torch

from steerable import gspaces, nn
from steerable.group import change_basis, directsum, so3_group

from ._helpers import EXACT, random_orthogonal

SPACES = ["C8", "D4", "SO2", "SO3", "octa", "SO3_point"]


def _gspace(name):
    return {
        "C8": lambda: gspaces.rot2dOnR2(8),
        "D4": lambda: gspaces.flipRot2dOnR2(4),
        "SO2": lambda: gspaces.rot2dOnR2(-1, maximum_frequency=4),
        "SO3": lambda: gspaces.rot3dOnR3(),
        "octa": lambda: gspaces.octaOnR3(),
        "SO3_point": lambda: gspaces.no_base_space(so3_group()),
    }[name]()


def _spatial(gs):
    return {0: 1, 2: 5, 3: 3}[gs.dimensionality]


def _gated_reps(gs):
    """Gated fields of several representations: irreps, a regular-like one, a rotated sum."""
    G = gs.fibergroup
    if G.continuous:
        irreps = [G.irrep(*i) for i in G.bl_irreps(2)]
        regular = G.bl_regular_representation(1)
    else:
        irreps, regular = list(G.irreps()), gs.regular_repr
    nontrivial = [r for r in irreps if not r.is_trivial()]
    block = directsum(nontrivial[:2])
    rotated = change_basis(block, random_orthogonal(block.size, 2), "rotated", ["norm", "gated"])
    return [nontrivial[-1], regular, rotated, nontrivial[0]]


def _interleaved(gs):
    """Gates and gated fields interleaved (not contiguous): ``(type, labels)``."""
    gated = _gated_reps(gs)
    reps, labels = [], []
    for i, r in enumerate(gated):
        if i % 2:
            reps += [r, gs.trivial_repr]
            labels += ["gated", "gate"]
        else:
            reps += [gs.trivial_repr, r]
            labels += ["gate", "gated"]
    return nn.FieldType(gs, reps), labels


def _reference(x, t, labels, bias, keep):
    """Per field: the i-th gate g scales the i-th gated field v by sigmoid(g + b_i)."""
    starts, ends = t.fields_start, t.fields_end
    gates = [i for i, lab in enumerate(labels) if lab == "gate"]
    gated = [i for i, lab in enumerate(labels) if lab == "gated"]
    parts = {}
    for k, (g, v) in enumerate(zip(gates, gated)):
        s = torch.sigmoid(x[:, starts[g] : ends[g]] + (0.0 if bias is None else bias[k]))
        parts[v] = x[:, starts[v] : ends[v]] * s
        parts[g] = s
    order = range(len(t)) if keep else gated
    return torch.cat([parts[i] for i in order], dim=1)


@pytest.mark.parametrize("drop_gates", [True, False])
@pytest.mark.parametrize("space", SPACES)
def test_gated1_equivariance(space, drop_gates):
    gs = _gspace(space)
    t, labels = _interleaved(gs)
    module = nn.GatedNonLinearity1(t, gates=labels, drop_gates=drop_gates)
    with torch.no_grad():
        module.bias.normal_()
    assert module.out_type == (t if not drop_gates else t.index_select([1, 2, 5, 6]))
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=_spatial(gs))
    assert len(errors) >= {"C8": 4, "D4": 8, "SO2": 4, "SO3": 24, "octa": 24, "SO3_point": 24}[space]


@pytest.mark.parametrize("layout", ["interleaved", "default", "uniform_sizes"])
@pytest.mark.parametrize("drop_gates", [True, False])
def test_gated1_values_and_export(layout, drop_gates):
    gs = gspaces.flipRot2dOnR2(4)
    if layout == "interleaved":
        t, labels = _interleaved(gs)
    elif layout == "default":  # gates=None: the first half gates the second half
        reps = _gated_reps(gs)
        t, labels = nn.FieldType(gs, [gs.trivial_repr] * 4 + reps), None
    else:  # equal sizes: one broadcast product
        t = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1, 1), gs.irrep(1, 1), gs.trivial_repr])
        labels = ["gate", "gated", "gated", "gate"]
    module = nn.GatedNonLinearity1(t, gates=labels, drop_gates=drop_gates).double()
    with torch.no_grad():
        module.bias.copy_(torch.linspace(-1.0, 1.0, len(module.bias)))
    x = torch.randn(2, t.size, 3, 3, dtype=torch.float64)
    y = module(t(x)).tensor
    full = labels or ["gate"] * 4 + ["gated"] * 4
    assert (y - _reference(x, t, full, module.bias, not drop_gates)).abs().max() < 1e-14
    assert module.evaluate_output_shape(x.shape) == tuple(y.shape)
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    assert (exported(x) - y).abs().max() <= 1e-12


def test_gated1_low_precision_input_keeps_its_dtype():
    gs = gspaces.rot2dOnR2(8)
    t, labels = _interleaved(gs)
    module = nn.GatedNonLinearity1(t, labels)
    with torch.no_grad():
        module.bias.normal_()
    x = torch.randn(2, t.size, 3, 3)
    y = module(t(x.bfloat16())).tensor
    assert y.dtype == torch.bfloat16
    ref = module(t(x)).tensor
    assert (y.float() - ref).abs().max() < 0.05 * ref.abs().max()


def test_gated1_state_pickle_deepcopy():
    gs = gspaces.rot2dOnR2(8)
    t, labels = _interleaved(gs)
    module = nn.GatedNonLinearity1(t, labels)
    assert list(module.state_dict()) == ["bias"] and torch.all(module.bias == 0)
    with torch.no_grad():
        module.bias.normal_()
    other = nn.GatedNonLinearity1(t, labels)
    other.load_state_dict(module.state_dict())
    x = t(torch.randn(2, t.size, 3, 3))
    for clone in (other, copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert torch.equal(clone(x).tensor, module(x).tensor)


def test_gated1_errors():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1), gs.trivial_repr, gs.irrep(2)])
    with pytest.raises(ValueError, match="as many gates as gated fields.*got 1 gates and 3 gated"):
        nn.GatedNonLinearity1(t, gates=["gate", "gated", "gated", "gated"])
    with pytest.raises(ValueError, match="one label per field \\(4\\), got 3"):
        nn.GatedNonLinearity1(t, gates=["gate", "gated", "gate"])
    with pytest.raises(ValueError, match="labels must be 'gate' or 'gated', got \\['gat'\\]"):
        nn.GatedNonLinearity1(t, gates=["gate", "gated", "gat", "gated"])
    with pytest.raises(ValueError, match="gates must be trivial.*irrep_1"):
        nn.GatedNonLinearity1(t, gates=["gated", "gate", "gate", "gated"])  # irrep_1 as a gate
    with pytest.raises(ValueError, match="even number of fields; got 3"):
        nn.GatedNonLinearity1(nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1), gs.irrep(1)]))
    unsupported = change_basis(gs.irrep(1), random_orthogonal(2, 5), "no_flags")
    with pytest.raises(ValueError, match="gated fields must support 'gated'.*no_flags"):
        nn.GatedNonLinearity1(nn.FieldType(gs, [gs.trivial_repr, unsupported]))
    with pytest.raises(TypeError, match="drop_gates must be a bool"):
        nn.GatedNonLinearity1(t, gates=["gate", "gated", "gate", "gated"], drop_gates="yes")
    with pytest.raises(TypeError, match="needs a FieldType"):
        nn.GatedNonLinearity1([gs.trivial_repr, gs.irrep(1)])
    module = nn.GatedNonLinearity1(t, gates=["gate", "gated", "gate", "gated"])
    with pytest.raises(ValueError, match="needs a tensor of rank 4"):
        module(t(torch.randn(2, t.size)))
    with pytest.raises(ValueError, match="expects fields of type"):
        module(nn.FieldType(gs, [gs.trivial_repr] * 6)(torch.randn(2, 6, 3, 3)))


# ---------------------------------------------------------------- GatedNonLinearity2
@pytest.mark.parametrize("space", SPACES)
def test_gated2_equivariance_values_export(space):
    gs = _gspace(space)
    input_type = nn.FieldType(gs, _gated_reps(gs))
    gates_type = nn.FieldType(gs, [gs.trivial_repr] * len(input_type))
    module = nn.GatedNonLinearity2((gates_type, input_type))
    assert module.out_type == input_type and module.in_type == (gates_type, input_type)
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=_spatial(gs))
    assert len(errors) >= 4 and max(e for _, e in errors) < EXACT
    spatial = (2,) * gs.dimensionality
    g = torch.randn((2, len(input_type)) + spatial, dtype=torch.float64)
    x = torch.randn((2, input_type.size) + spatial, dtype=torch.float64)
    y = module(gates_type(g), input_type(x)).tensor
    labels = ["gate"] * len(input_type) + ["gated"] * len(input_type)
    both = gates_type + input_type
    assert (y - _reference(torch.cat([g, x], 1), both, labels, None, False)).abs().max() < 1e-14
    assert torch.equal(module((gates_type(g), input_type(x))).tensor, y)  # a tuple works too
    assert (module.export()(g, x) - y).abs().max() <= 1e-12
    assert module.evaluate_output_shape((g.shape, x.shape)) == tuple(x.shape)


def test_gated2_errors():
    gs = gspaces.rot2dOnR2(8)
    input_type = nn.FieldType(gs, [gs.irrep(1), gs.regular_repr])
    gates_type = nn.FieldType(gs, [gs.trivial_repr] * 2)
    with pytest.raises(ValueError, match="as many gates as gated fields, got 3 gates and 2"):
        nn.GatedNonLinearity2((nn.FieldType(gs, [gs.trivial_repr] * 3), input_type))
    with pytest.raises(ValueError, match="gates must be trivial.*irrep_2"):
        nn.GatedNonLinearity2((nn.FieldType(gs, [gs.trivial_repr, gs.irrep(2)]), input_type))
    with pytest.raises(TypeError, match="needs a pair \\(gates_type, input_type\\)"):
        nn.GatedNonLinearity2(input_type)
    other = gspaces.rot2dOnR2(4)
    with pytest.raises(ValueError, match="must share a gspace"):
        nn.GatedNonLinearity2((nn.FieldType(other, [other.trivial_repr] * 2), input_type))
    module = nn.GatedNonLinearity2((gates_type, input_type))
    x = input_type(torch.randn(2, 10, 3, 3))
    with pytest.raises(TypeError, match="the gates is Tensor"):
        module(torch.randn(2, 2, 3, 3), x)
    with pytest.raises(ValueError, match="the gates must have type"):
        module(input_type(torch.randn(2, 10, 3, 3)), x)
    with pytest.raises(ValueError, match="same batch and spatial shape"):
        module(gates_type(torch.randn(2, 2, 4, 4)), x)


# ---------------------------------------------------------------- GatedNonLinearityUniform
@pytest.mark.parametrize("space", ["C8", "SO3", "SO3_point"])
def test_uniform_equivariance_values_export(space):
    gs = _gspace(space)
    rho = _gated_reps(gs)[0]
    t = nn.FieldType(gs, [gs.trivial_repr] * 3 + [rho] * 3)
    module = nn.GatedNonLinearityUniform(t)
    assert module.out_type == nn.FieldType(gs, [rho] * 3)
    assert list(module.state_dict()) == []
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=_spatial(gs))
    assert len(errors) >= 4
    x = torch.randn((2, t.size) + (2,) * gs.dimensionality, dtype=torch.float64)
    y = module(t(x)).tensor
    assert (y - _reference(x, t, ["gate"] * 3 + ["gated"] * 3, None, False)).abs().max() < 1e-14
    assert (module.export()(x) - y).abs().max() <= 1e-12
    # another gate function
    tanh = nn.GatedNonLinearityUniform(t, gate=torch.tanh)
    s = rho.size
    expected = x[:, 3 : 3 + s] * torch.tanh(x[:, 0:1])
    assert (tanh(t(x)).tensor[:, :s] - expected).abs().max() < 1e-14
    assert torch.equal(pickle.loads(pickle.dumps(module))(t(x)).tensor, y)


def test_uniform_errors():
    gs = gspaces.rot2dOnR2(8)
    with pytest.raises(ValueError, match="odd"):
        nn.GatedNonLinearityUniform(nn.FieldType(gs, [gs.trivial_repr] * 2 + [gs.irrep(1)]))
    with pytest.raises(ValueError, match="must all have one representation"):
        nn.GatedNonLinearityUniform(nn.FieldType(gs, [gs.trivial_repr] * 2 + [gs.irrep(1), gs.irrep(2)]))
    with pytest.raises(ValueError, match="gates must be trivial.*irrep_1"):
        nn.GatedNonLinearityUniform(nn.FieldType(gs, [gs.irrep(1), gs.irrep(1)]))
    with pytest.raises(TypeError, match="gate must be a callable"):
        nn.GatedNonLinearityUniform(nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1)]), gate="sigmoid")


# ---------------------------------------------------------------- InducedGatedNonLinearity1
def _induced_case(space):
    if space == "D4":
        gs = gspaces.flipRot2dOnR2(4)
        sgid, psi = (None, 4), gs.fibergroup.subgroup((None, 4))[0].irrep(1)  # 2 blocks of 2
        other = ((0.0, 1), gs.fibergroup.subgroup((0.0, 1))[0].irrep(1, 0))  # 4 blocks of 1
    elif space == "O2":
        gs = gspaces.flipRot2dOnR2(-1, maximum_frequency=4)
        sgid, psi = (None, -1), gs.fibergroup.subgroup((None, -1))[0].irrep(2)
        other = (sgid, gs.fibergroup.subgroup(sgid)[0].irrep(1))
    else:
        gs = gspaces.octaOnR3()
        sgid, psi = (False, 4), gs.fibergroup.subgroup((False, 4))[0].irrep(1)  # 6 blocks of 2
        other = ((False, 2), gs.fibergroup.subgroup((False, 2))[0].irrep(1))  # 12 blocks of 1
    a, b = gs.induced_repr(sgid, psi), gs.induced_repr(*other)
    qa, qb = gs.quotient_repr(sgid), gs.quotient_repr(other[0])
    return gs, nn.FieldType(gs, [qa, a, b, qb, qa, a]), ["gate", "gated", "gated", "gate", "gate", "gated"]


def _induced_reference(x, t, labels, bias):
    starts, ends = t.fields_start, t.fields_end
    gates = [i for i, lab in enumerate(labels) if lab == "gate"]
    gated = [i for i, lab in enumerate(labels) if lab == "gated"]
    out = []
    for k, (g, v) in enumerate(zip(gates, gated)):
        s = torch.sigmoid(x[:, starts[g] : ends[g]] + bias[k])  # (B, k cosets, ...)
        d = t.representations[v].induced_repr.size
        out.append(x[:, starts[v] : ends[v]] * s.repeat_interleave(d, dim=1))
    return torch.cat(out, dim=1)


@pytest.mark.parametrize("space", ["D4", "O2", "octa"])
def test_induced_gated(space):
    gs, t, labels = _induced_case(space)
    module = nn.InducedGatedNonLinearity1(t, gates=labels)
    with torch.no_grad():
        module.bias.copy_(torch.tensor([-0.5, 0.3, 1.0]))
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=_spatial(gs))
    assert len(errors) >= 8
    module = module.double()
    x = torch.randn((2, t.size) + (2,) * gs.dimensionality, dtype=torch.float64)
    y = module(t(x)).tensor
    assert (y - _induced_reference(x, t, labels, module.bias)).abs().max() < 1e-14
    assert (module.export()(x) - y).abs().max() <= 1e-12
    kept = nn.InducedGatedNonLinearity1(t, gates=labels, drop_gates=False)
    assert kept.out_type == t
    kept.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=_spatial(gs))


def test_induced_gated_errors():
    gs, t, labels = _induced_case("D4")
    reps = t.representations
    # the gate of the (None, 4)-induced field is the quotient of another subgroup
    with pytest.raises(ValueError, match="must be the quotient representation of that subgroup.*quotient"):
        nn.InducedGatedNonLinearity1(nn.FieldType(gs, [reps[3], reps[1]]))
    with pytest.raises(ValueError, match="must be the quotient representation.*irrep_0,0"):
        nn.InducedGatedNonLinearity1(nn.FieldType(gs, [gs.trivial_repr, reps[1]]))
    with pytest.raises(ValueError, match="gated fields must support 'induced_gated'.*irrep_1,1"):
        nn.InducedGatedNonLinearity1(nn.FieldType(gs, [reps[0], gs.irrep(1, 1)]))
    with pytest.raises(ValueError, match="as many gates as gated fields"):
        nn.InducedGatedNonLinearity1(t, gates=["gate"] * 2 + ["gated"] * 4)
