"""RestrictionModule: type change only, equivariance to the subgroup, D16 -> C16 chains, export."""

import copy
import pickle

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import so3_group

from ._helpers import EXACT, field_types, small_irreps


def _cases():
    """(gspace, subgroup id, number of exact testing elements of the subgroup)."""
    return {
        "C8->C4": (lambda: gspaces.rot2dOnR2(8), 4, 4),
        "D4->C4": (lambda: gspaces.flipRot2dOnR2(4), (None, 4), 4),
        "D4->D1": (lambda: gspaces.flipRot2dOnR2(4), (0.0, 1), 2),
        "D16->C16": (lambda: gspaces.flipRot2dOnR2(16), (None, 16), 4),
        "octa->C4": (lambda: gspaces.octaOnR3(), (False, 4), 4),
        "SO3->octa": (lambda: gspaces.no_base_space(so3_group()), "octa", 24),
        "SO3->SO2": (lambda: gspaces.no_base_space(so3_group()), (False, -1), None),
    }


def _in_type(gs):
    if gs.dimensionality == 2:
        return field_types(gs)["mixed"] + field_types(gs)["regular"]
    G = gs.fibergroup
    reg = G.bl_regular_representation(1) if G.continuous else gs.regular_repr
    return nn.FieldType(gs, [gs.trivial_repr] + small_irreps(gs)[1:3] + [reg])


@pytest.mark.parametrize("case", list(_cases()))
def test_type_changes_tensor_does_not(case):
    make, id, n_elements = _cases()[case]
    gs = make()
    t = _in_type(gs)
    module = nn.RestrictionModule(t, id)
    assert module.out_type == t.restrict(id)
    assert module.out_type.gspace == gs.restrict(id)[0]
    assert module.out_type.size == t.size and len(module.out_type) == len(t)
    x = t(torch.randn((2, t.size) + (5,) * gs.dimensionality))
    y = module(x)
    assert y.tensor is x.tensor and y.type == module.out_type
    assert y.type == x.restrict(id).type
    assert module.evaluate_output_shape(tuple(x.shape)) == tuple(x.shape)


@pytest.mark.parametrize("case", list(_cases()))
def test_equivariant_to_the_subgroup(case):
    make, id, n_elements = _cases()[case]
    gs = make()
    module = nn.RestrictionModule(_in_type(gs), id)
    errors = module.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=5)
    sub = module.out_type.gspace
    assert [h for h, _ in errors] == list(sub.testing_elements)
    assert all(h.group == sub.fibergroup for h, _ in errors)
    if n_elements is not None:
        assert len(errors) == n_elements
    else:
        assert len(errors) >= 4
    assert max(e for _, e in errors) < EXACT
    # the check is not vacuous: the fields really move under the tested (non-identity) elements,
    # and the restricted type acts exactly as the original one through the inclusion
    for h, _ in errors[1:]:
        rho_out = module.out_type.fiber_representation(h)
        assert np.abs(rho_out - np.eye(len(rho_out))).max() > 0.5
        rho_in = module.in_type.fiber_representation(module._inclusion(h))
        np.testing.assert_allclose(rho_out, rho_in, atol=1e-12)


def _d16_chain():
    gs = gspaces.flipRot2dOnR2(16)
    t_in = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1, 1)])
    t_mid = nn.FieldType(gs, [gs.regular_repr])
    conv1 = nn.R2Conv(t_in, t_mid, 3, padding=1)
    restrict = nn.RestrictionModule(t_mid, (None, 16))
    sub = restrict.out_type.gspace
    assert sub.fibergroup.name == "C16"
    t_out = nn.FieldType(sub, [sub.trivial_repr, sub.irrep(1)])
    conv2 = nn.R2Conv(restrict.out_type, t_out, 3, padding=1)
    return gs, nn.SequentialModule(conv1, restrict, conv2)


def test_d16_conv_restrict_c16_conv_chain():
    gs, seq = _d16_chain()
    assert seq.out_type.gspace.fibergroup.name == "C16" and seq.in_type.gspace == gs
    errors = seq.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=7)
    assert len(errors) == 4 and max(e for _, e in errors) < EXACT
    # the C16 conv breaks the reflection symmetry: the invariant (trivial) output channel of a
    # reflected input is not the reflected invariant channel
    model = copy.deepcopy(seq).double().eval()
    t = seq.in_type
    x = t(torch.randn(2, t.size, 7, 7, dtype=torch.float64))
    flip = gs.fibergroup.element((1, 0))
    trivial = nn.FieldType(gs, [gs.trivial_repr])
    with torch.no_grad():
        lhs = model(x.transform(flip)).tensor[:, :1]
        rhs = trivial.transform(model(x).tensor[:, :1], flip)
    assert (lhs - rhs).abs().max() > 1e-3
    # while a rotation by a quarter turn (an element of C16) commutes
    rot = seq.out_type.gspace.fibergroup.element(4)
    with torch.no_grad():
        lhs = model(x.transform(seq[1]._inclusion(rot)))
        assert (lhs.tensor - model(x).transform(rot).tensor).abs().max() < EXACT


def test_chain_export_and_state():
    _, seq = _d16_chain()
    seq = seq.double().eval()
    exported = seq.export()
    assert isinstance(exported[1], torch.nn.Identity)
    assert not any(isinstance(m, nn.EquivariantModule) for m in exported.modules())
    x = torch.randn(2, seq.in_type.size, 7, 7, dtype=torch.float64)
    with torch.no_grad():
        y = seq(seq.in_type(x)).tensor
        assert (y - exported(x)).abs().max() <= 1e-12 * y.abs().max()
    keys = list(seq.state_dict())
    assert keys and all(k.startswith(("0.", "2.")) for k in keys)  # the restriction has no state
    for clone in (copy.deepcopy(seq), pickle.loads(pickle.dumps(seq))):
        assert clone.out_type == seq.out_type
        with torch.no_grad():
            assert torch.equal(clone(clone.in_type(x)).tensor, y)
        clone.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=5)


def test_export_is_identity():
    gs = gspaces.rot2dOnR2(8)
    module = nn.RestrictionModule(field_types(gs)["mixed"], 2)
    exported = module.export()
    assert type(exported) is torch.nn.Identity
    x = torch.randn(2, module.in_type.size, 5, 5)
    assert torch.equal(exported(x), module(module.in_type(x)).tensor)


def test_bad_input():
    gs = gspaces.flipRot2dOnR2(16)
    t = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(ValueError, match=r"cannot restrict D16_on_R2 .* subgroup \(None, 5\).*divide"):
        nn.RestrictionModule(t, (None, 5))
    with pytest.raises(TypeError, match="RestrictionModule needs a FieldType, got list"):
        nn.RestrictionModule([gs.regular_repr], (None, 16))
    module = nn.RestrictionModule(t, (None, 16))
    with pytest.raises(ValueError, match="RestrictionModule expects fields of type"):
        module(module.out_type(torch.randn(1, 32, 3, 3)))  # the restricted type is not the input type
    with pytest.raises(TypeError, match="expects a GeometricTensor"):
        module(torch.randn(1, 32, 3, 3))
