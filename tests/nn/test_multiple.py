"""MultipleModule: split by label, one module per label, concatenation in the order of the
modules; equivariance on 2D/3D/0D gspaces with mixed types, export, state, bad input."""

import copy
import pickle

import pytest
import torch

from steerable import gspaces, nn
from steerable.group import so3_group

from ._helpers import EXACT, assert_equivariant, mixed, regular_like

GSPACES = {
    "C8": lambda: gspaces.rot2dOnR2(8),
    "D4": lambda: gspaces.flipRot2dOnR2(4),
    "octa": lambda: gspaces.octaOnR3(),
    "SO3_point": lambda: gspaces.no_base_space(so3_group()),
}
LABELS = ["a", "b", "a", "b", "a"]


def _setup(gs):
    """Input fields trivial(a), rotated irreps(b), regular(a), irrep(b), trivial(a); module 'b'
    is a convolution (a Linear on a point), module 'a' a batch norm + ReLU chain (a Linear)."""
    m = mixed(gs)
    reg = regular_like(gs, L=1)
    t = nn.FieldType(gs, [gs.trivial_repr, m[1], reg, m[2], gs.trivial_repr])
    t_a = nn.FieldType(gs, [gs.trivial_repr, reg, gs.trivial_repr])
    t_b = nn.FieldType(gs, [m[1], m[2]])
    t_b_out = nn.FieldType(gs, [gs.trivial_repr, m[2], reg])
    d = gs.dimensionality
    if d == 0:
        mod_a, mod_b = nn.Linear(t_a, t_a), nn.Linear(t_b, t_b_out)
    else:
        conv = nn.R2Conv if d == 2 else nn.R3Conv
        mod_a = nn.SequentialModule(nn.InnerBatchNorm(t_a), nn.ReLU(t_a))
        mod_b = conv(t_b, t_b_out, 3, padding=1)
    return t, mod_a, mod_b


def _input(t, n=2):
    return t(torch.randn((n, t.size) + (5,) * t.gspace.dimensionality, dtype=torch.float64))


@pytest.mark.parametrize("reshuffle", [0, 1])
@pytest.mark.parametrize("space", list(GSPACES))
def test_forward_is_split_apply_concatenate(space, reshuffle):
    t, mod_a, mod_b = _setup(GSPACES[space]())
    module = nn.MultipleModule(t, LABELS, [(mod_b, "b"), (mod_a, "a")], reshuffle=reshuffle).double()
    assert module.out_type == mod_b.out_type + mod_a.out_type  # the order of `modules`
    x = _input(t)
    y = module(x)
    expected = torch.cat([mod_b(x[:, [1, 3]]).tensor, mod_a(x[:, [0, 2, 4]]).tensor], dim=1)
    assert y.type == module.out_type and torch.equal(y.tensor, expected)
    assert module.evaluate_output_shape(tuple(x.shape)) == tuple(y.shape)


@pytest.mark.parametrize("space", list(GSPACES))
def test_equivariance(space):
    t, mod_a, mod_b = _setup(GSPACES[space]())
    module = nn.MultipleModule(t, LABELS, [(mod_a, "a"), (mod_b, "b")])
    errors = assert_equivariant(module, spatial_size=5)
    assert len(errors) >= 4 and max(e for _, e in errors) < EXACT


def test_label_feeding_two_modules_and_non_string_labels():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.regular_repr])
    t_reg = nn.FieldType(gs, [gs.regular_repr] * 2)
    t_irr = nn.FieldType(gs, [gs.irrep(1)])
    modules = [(nn.ReLU(t_reg), 0), (nn.GroupPooling(t_reg), 0), (nn.IdentityModule(t_irr), (1, "x"))]
    module = nn.MultipleModule(t, [0, (1, "x"), 0], modules)
    x = _input(t)
    y = module(x)
    reg = x[:, [0, 2]]
    expected = torch.cat([torch.relu(reg.tensor), nn.GroupPooling(t_reg)(reg).tensor, x[:, [1]].tensor], 1)
    assert torch.equal(y.tensor, expected)
    assert y.type == t_reg + nn.FieldType(gs, [gs.trivial_repr] * 2) + t_irr
    assert_equivariant(module, spatial_size=5, n_elements=4)


@pytest.mark.parametrize("space", ["D4", "octa", "SO3_point"])
def test_export_state_pickle(space):
    t, mod_a, mod_b = _setup(GSPACES[space]())
    module = nn.MultipleModule(t, LABELS, [(mod_b, "b"), (mod_a, "a")], reshuffle=1).double()
    for _ in range(2):  # running statistics
        module(_input(t, 4))
    module.eval()
    x = _input(t)
    with torch.no_grad():
        y = module(x).tensor
        exported = module.export()
        assert not exported.training
        assert not any(isinstance(m, nn.EquivariantModule) for m in exported.modules())
        assert (exported(x.tensor) - y).abs().max() <= 1e-12 * y.abs().max()
    keys = list(module.state_dict())
    assert keys and all(k.startswith(("merging.0.", "merging.1.")) for k in keys)
    _, new_a, new_b = _setup(t.gspace)  # other initial weights, fresh statistics
    fresh = nn.MultipleModule(t, LABELS, [(new_b, "b"), (new_a, "a")]).double()
    with torch.no_grad():
        assert not torch.equal(fresh.eval()(x).tensor, y)
    fresh.load_state_dict(module.state_dict())
    fresh.eval()
    for clone in (fresh, copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        with torch.no_grad():
            assert torch.equal(clone(x).tensor, y)


def test_two_input_module_gated_nonlinearity():
    """escnn's pattern: gates and gated fields interleaved in one tensor, one module taking both."""
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1), gs.trivial_repr, gs.irrep(2)])
    gates = nn.FieldType(gs, [gs.trivial_repr] * 2)
    gated = nn.FieldType(gs, [gs.irrep(1), gs.irrep(2)])
    gate = nn.GatedNonLinearity2((gates, gated))
    module = nn.MultipleModule(t, ["g", "x", "g", "x"], [(gate, ["g", "x"])])
    assert module.out_type == gated
    x = _input(t)
    y = module(x)
    assert torch.equal(y.tensor, gate(x[:, [0, 2]], x[:, [1, 3]]).tensor)
    assert_equivariant(module, spatial_size=5, n_elements=4)
    assert (module.export()(x.tensor) - y.tensor).abs().max() <= 1e-12 * y.tensor.abs().max()


class _NoExport(nn.EquivariantModule):
    def __init__(self, t):
        super().__init__()
        self.in_type = self.out_type = t

    def forward(self, x):
        return x


def test_bad_input():
    t, mod_a, mod_b = _setup(gspaces.rot2dOnR2(8))
    gs = t.gspace
    with pytest.raises(ValueError, match=r"one label per field of the input type \(5 fields\), got 4 labels"):
        nn.MultipleModule(t, LABELS[:4], [(mod_a, "a"), (mod_b, "b")])
    with pytest.raises(TypeError, match="entry 1 is a ReLU, not an EquivariantModule"):
        nn.MultipleModule(t, LABELS, [(mod_a, "a"), (torch.nn.ReLU(), "b")])
    with pytest.raises(TypeError, match=r"entry 0 must be a \(module, labels\) pair"):
        nn.MultipleModule(t, LABELS, [mod_a, (mod_b, "b")])
    with pytest.raises(ValueError, match="assigned the label 'z', which no field has"):
        nn.MultipleModule(t, LABELS, [(mod_a, "a"), (mod_b, "z")])
    with pytest.raises(ValueError, match=r"no module processes the fields labelled \['b'\]"):
        nn.MultipleModule(t, LABELS, [(mod_a, "a")])
    with pytest.raises(ValueError, match="fields labelled 'b' have type .* but their module expects"):
        nn.MultipleModule(t, LABELS, [(mod_a, "a"), (mod_a, "b")])
    with pytest.raises(ValueError, match="takes one input .* but is given 2 labels"):
        nn.MultipleModule(t, LABELS, [(mod_a, ["a", "b"])])
    with pytest.raises(ValueError, match="reshuffle must be 0, 1, 2 or 3, got -1"):
        nn.MultipleModule(t, LABELS, [(mod_a, "a"), (mod_b, "b")], reshuffle=-1)
    with pytest.raises(TypeError, match="MultipleModule needs a FieldType"):
        nn.MultipleModule(gs.regular_repr, LABELS, [(mod_a, "a"), (mod_b, "b")])
    module = nn.MultipleModule(t, LABELS, [(mod_a, "a"), (mod_b, "b")])
    with pytest.raises(ValueError, match="BranchingModule expects fields of type"):
        module(mod_a.in_type(torch.randn(1, mod_a.in_type.size, 3, 3)))
    no_export = nn.MultipleModule(t, LABELS, [(mod_a, "a"), (_NoExport(mod_b.in_type), "b")])
    with pytest.raises(NotImplementedError, match="MultipleModule cannot be exported: its module 1 has no"):
        no_export.export()
