"""MergeModule: dict of labelled GeometricTensors -> modules -> concatenation; modules with
several inputs; equivariance on 2D/3D/0D gspaces, export, state, bad input."""

import copy
import pickle

import pytest
import torch

from steerable import gspaces, nn
from steerable.group import so3_group

from ._helpers import EXACT, mixed, regular_like

GSPACES = {
    "C8": lambda: gspaces.rot2dOnR2(8),
    "D4": lambda: gspaces.flipRot2dOnR2(4),
    "octa": lambda: gspaces.octaOnR3(),
    "SO3_point": lambda: gspaces.no_base_space(so3_group()),
}


class _Add(nn.EquivariantModule):
    """A two-input module (in_type is a pair of types): x + y."""

    def __init__(self, t):
        super().__init__()
        self.in_type = (t, t)
        self.out_type = t

    def forward(self, x, y):
        return nn.GeometricTensor(x.tensor + y.tensor, self.out_type)

    def evaluate_output_shape(self, s1, s2):
        return s1

    def export(self):
        return _PlainAdd()


class _PlainAdd(torch.nn.Module):
    def forward(self, x, y):
        return x + y


def _setup(gs):
    m = mixed(gs)
    t_v = nn.FieldType(gs, [m[1], m[2]])
    t_r = nn.FieldType(gs, [regular_like(gs, L=1), gs.trivial_repr])
    d = gs.dimensionality
    if d == 0:
        lin = nn.Linear(t_v, t_r)
    else:
        lin = (nn.R2Conv if d == 2 else nn.R3Conv)(t_v, t_r, 3, padding=1)
    modules = [(lin, "v"), (_Add(t_r), ["r", "s"]), (nn.IdentityModule(t_v), "v")]
    return t_v, t_r, modules


def _inputs(types: dict, n=2):
    return {
        k: t(torch.randn((n, t.size) + (5,) * t.gspace.dimensionality, dtype=torch.float64))
        for k, t in types.items()
    }


@pytest.mark.parametrize("space", list(GSPACES))
def test_forward_and_types(space):
    t_v, t_r, modules = _setup(GSPACES[space]())
    merge = nn.MergeModule(modules).double()
    assert merge.in_type == {"v": t_v, "r": t_r, "s": t_r} and list(merge.in_type) == ["v", "r", "s"]
    assert merge.out_type == t_r + t_r + t_v
    assert len(merge) == 3 and merge[0] is modules[0][0]
    x = _inputs(merge.in_type)
    x["unused"] = x["v"]  # extra labels are ignored
    y = merge(x)
    expected = torch.cat([modules[0][0](x["v"]).tensor, x["r"].tensor + x["s"].tensor, x["v"].tensor], 1)
    assert y.type == merge.out_type and torch.equal(y.tensor, expected)
    shapes = {k: tuple(v.shape) for k, v in x.items()}
    assert merge.evaluate_output_shape(shapes) == tuple(y.shape)


@pytest.mark.parametrize("space", list(GSPACES))
def test_equivariance(space):
    merge = nn.MergeModule(_setup(GSPACES[space]())[2])
    errors = merge.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=5)
    assert len(errors) >= 4 and max(e for _, e in errors) < EXACT


def test_branching_then_merge_equals_multiple():
    gs = gspaces.flipRot2dOnR2(4)
    t_v, t_r, modules = _setup(gs)
    t = t_r + t_v + t_r
    labels = ["r", "r", "v", "v", "s", "s"]
    branching = nn.BranchingModule(t, labels)
    merge = nn.MergeModule(modules)
    x = t(torch.randn(2, t.size, 5, 5))
    y = merge(branching(x))
    assert torch.equal(y.tensor, nn.MultipleModule(t, labels, modules)(x).tensor)


@pytest.mark.parametrize("space", ["C8", "SO3_point"])
def test_export_state_pickle(space):
    _, _, modules = _setup(GSPACES[space]())
    merge = nn.MergeModule(modules).double().eval()
    x = _inputs(merge.in_type)
    with torch.no_grad():
        y = merge(x).tensor
        exported = merge.export()
        assert not any(isinstance(m, nn.EquivariantModule) for m in exported.modules())
        out = exported({k: v.tensor for k, v in x.items()})
        assert (out - y).abs().max() <= 1e-12 * y.abs().max()
    assert list(merge.state_dict()) == list(modules[0][0].state_dict(prefix="0."))
    for clone in (copy.deepcopy(merge), pickle.loads(pickle.dumps(merge))):
        with torch.no_grad():
            assert torch.equal(clone(x).tensor, y)


def test_bad_input():
    t_v, t_r, modules = _setup(gspaces.rot2dOnR2(8))
    with pytest.raises(ValueError, match="needs at least one"):
        nn.MergeModule([])
    with pytest.raises(TypeError, match="entry 0 is a Linear, not an EquivariantModule"):
        nn.MergeModule([(torch.nn.Linear(2, 2), "v")])
    with pytest.raises(ValueError, match="label 'v' is used with two field types"):
        nn.MergeModule([modules[0], (nn.IdentityModule(t_r), "v")])
    with pytest.raises(ValueError, match=r"_Add takes 2 inputs but is given 1 labels \['r'\]"):
        nn.MergeModule([(_Add(t_r), ["r"])])
    with pytest.raises(TypeError, match="out_type is a dict"):
        nn.MergeModule([(nn.BranchingModule(t_v, ["a", "b"]), "v")])
    other = nn.FieldType(gspaces.rot2dOnR2(4), [gspaces.rot2dOnR2(4).trivial_repr])
    with pytest.raises(ValueError, match="must share one gspace"):
        nn.MergeModule([modules[0], (nn.IdentityModule(other), "w")])
    merge = nn.MergeModule(modules)
    with pytest.raises(ValueError, match=r"missing inputs for labels \['s'\]; got labels \['v', 'r'\]"):
        merge({"v": t_v(torch.randn(1, t_v.size, 3, 3)), "r": t_r(torch.randn(1, t_r.size, 3, 3))})
    with pytest.raises(TypeError, match="MergeModule expects a dict"):
        merge(t_v(torch.randn(1, t_v.size, 3, 3)))
    with pytest.raises(ValueError, match="expects fields of type"):
        merge({k: t_r(torch.randn(1, t_r.size, 3, 3)) for k in ("v", "r", "s")})
