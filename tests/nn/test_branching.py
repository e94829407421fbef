"""BranchingModule: fields grouped by label (dict in first-appearance order), views vs gathers
(reshuffle), equivariance per branch, export, bad input."""

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
LABELS = ["b", "a", "b", "c", "c", "a"]  # 'b' and 'a' scattered, 'c' consecutive


def _type(gs):
    m = mixed(gs)  # trivial, rotated irreps, an irrep
    return nn.FieldType(gs, [m[1], gs.trivial_repr, m[2], regular_like(gs, L=1), m[1], m[2]])


def _input(t):
    return t(torch.randn((2, t.size) + (3,) * t.gspace.dimensionality, dtype=torch.float64))


@pytest.mark.parametrize("reshuffle", [0, 1, 3])
@pytest.mark.parametrize("space", list(GSPACES))
def test_branches_hold_the_labelled_fields_in_order(space, reshuffle):
    t = _type(GSPACES[space]())
    module = nn.BranchingModule(t, LABELS, reshuffle=reshuffle)
    assert list(module.out_type) == ["b", "a", "c"]
    x = _input(t)
    y = module(x)
    assert list(y) == ["b", "a", "c"]
    for label in y:
        fields = [i for i, lab in enumerate(LABELS) if lab == label]
        assert y[label].type == t.index_select(fields) == module.out_type[label]
        assert torch.equal(y[label].tensor, x[:, fields].tensor)
    shapes = module.evaluate_output_shape(tuple(x.shape))
    assert shapes == {label: tuple(y[label].shape) for label in y}


def test_reshuffle_chooses_views_or_gathers():
    t = _type(gspaces.rot2dOnR2(8))
    x = _input(t)
    y0 = nn.BranchingModule(t, LABELS, reshuffle=0)(x)
    y1 = nn.BranchingModule(t, LABELS, reshuffle=1)(x)
    # reshuffle=0: the consecutive label is a view of the input, the scattered ones are copies
    assert y0["c"].tensor.data_ptr() == x.tensor[:, int(t.fields_start[3]) :].data_ptr()
    assert y0["c"].tensor._base is x.tensor
    assert y0["a"].tensor._base is None
    # reshuffle=1: all branches are views of one gathered copy
    base = y1["b"].tensor._base
    assert base is not None and base is not x.tensor
    assert all(y1[k].tensor._base is base for k in y1)
    # already sorted labels: no copy at all
    sorted_labels = ["a", "a", "b", "b", "b", "c"]
    ys = nn.BranchingModule(t, sorted_labels, reshuffle=2)(x)
    assert all(ys[k].tensor._base is x.tensor for k in ys)


@pytest.mark.parametrize("space", list(GSPACES))
def test_equivariance_per_branch(space):
    t = _type(GSPACES[space]())
    module = nn.BranchingModule(t, LABELS)
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=5)
    assert len(errors) >= 4 and max(e for _, e in errors) < EXACT


def test_export_state_pickle():
    t = _type(gspaces.octaOnR3())
    module = nn.BranchingModule(t, LABELS, reshuffle=1)
    x = _input(t)
    y = module(x)
    exported = module.export()
    assert not isinstance(exported, nn.EquivariantModule)
    out = exported(x.tensor)
    assert list(out) == list(y) and all(torch.equal(out[k], y[k].tensor) for k in y)
    assert list(module.state_dict()) == []
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert clone.out_type == module.out_type
        assert all(torch.equal(clone(x)[k].tensor, y[k].tensor) for k in y)


def test_integer_labels_and_coords_pass_through():
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.trivial_repr, gs.regular_repr, gs.trivial_repr])
    module = nn.BranchingModule(t, [1, 0, 1])
    coords = torch.randn(5, 2)
    x = t(torch.randn(5, t.size), coords=coords)
    y = module(x)
    assert list(y) == [1, 0] and y[1].coords is coords and y[1].type.size == 2


def test_bad_input():
    t = _type(gspaces.rot2dOnR2(8))
    with pytest.raises(ValueError, match=r"one label per field of the input type \(6 fields\), got 5 labels"):
        nn.BranchingModule(t, LABELS[:5])
    with pytest.raises(TypeError, match="labels must be a sequence with one label per field, got 'abcabc'"):
        nn.BranchingModule(t, "abcabc")
    with pytest.raises(TypeError, match=r"labels must be hashable, got \['x'\]"):
        nn.BranchingModule(t, [["x"]] * 6)
    with pytest.raises(ValueError, match="reshuffle must be 0, 1, 2 or 3, got 4"):
        nn.BranchingModule(t, LABELS, reshuffle=4)
    with pytest.raises(ValueError, match="reshuffle must be 0, 1, 2 or 3, got True"):
        nn.BranchingModule(t, LABELS, reshuffle=True)
    with pytest.raises(TypeError, match="BranchingModule needs a FieldType, got list"):
        nn.BranchingModule(list(t.representations), LABELS)
    module = nn.BranchingModule(t, LABELS)
    other = nn.FieldType(t.gspace, [t.gspace.regular_repr])
    with pytest.raises(ValueError, match="BranchingModule expects fields of type"):
        module(other(torch.randn(1, 8, 3, 3)))
