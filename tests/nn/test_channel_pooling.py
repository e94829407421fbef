"""MaxPoolChannels: max over groups of consecutive channels. Output types (block permutations,
trivial), equivariance, values, export, shapes, and rejection of non-equivariant groupings."""

import copy
import pickle

import numpy as np
import pytest
import torch

from steerable import gspaces, nn

from ._helpers import assert_equivariant


def _d4_type():
    gs = gspaces.flipRot2dOnR2(4)
    return nn.FieldType(
        gs, [gs.regular_repr] + [gs.trivial_repr] * 4 + [gs.quotient_repr((0.0, 1)), gs.regular_repr]
    )


def test_d4_regular_pooled_over_rotations_keeps_the_reflection():
    """The 8 channels of D4's regular field are the 4 rotations of each reflection: pooling 4
    consecutive channels leaves a 2-channel field that the flips swap and the rotations fix."""
    t = _d4_type()
    module = nn.MaxPoolChannels(t, 4)
    G = t.fibergroup
    reps = module.out_type.representations
    # regular/4, the 4 trivial fields together, the whole quotient field (size 4), regular/4
    assert [r.size for r in reps] == [2, 1, 1, 2]
    assert reps[1] == reps[2] == G.trivial_representation and reps[0] == reps[3]
    assert "pointwise" in reps[0].supported_nonlinearities
    for g in G.elements:
        m = reps[0](g)
        assert np.allclose(m, np.eye(2)) or np.allclose(m, [[0, 1], [1, 0]])
    swaps = [g for g in G.elements if np.allclose(reps[0](g), [[0, 1], [1, 0]])]
    assert len(swaps) == 4  # the reflections
    assert_equivariant(module, spatial_size=5, n_elements=8)


@pytest.mark.parametrize(
    "space,kernel,n_elements",
    [("C8", 8, 4), ("D4", 8, 8), ("D4", 2, 8), ("octa", 24, 24), ("octa", 48, 24), ("SO3", 2, 24)],
)
def test_equivariance_values_export(space, kernel, n_elements):
    gs = {
        "C8": lambda: gspaces.rot2dOnR2(8),
        "D4": lambda: gspaces.flipRot2dOnR2(4),
        "octa": gspaces.octaOnR3,
        "SO3": gspaces.rot3dOnR3,
    }[space]()
    if space == "SO3":
        t = nn.FieldType(gs, [gs.trivial_repr] * 4)
    elif kernel == 2:  # pairs of whole trivial fields
        t = nn.FieldType(gs, [gs.trivial_repr] * 4)
    else:  # a whole regular field (GroupPooling), or two of them together
        t = nn.FieldType(gs, [gs.regular_repr] * 2)
    module = nn.MaxPoolChannels(t, kernel)
    assert module.out_type.size == t.size // kernel
    assert all(r.is_trivial() for r in module.out_type)
    assert_equivariant(module, spatial_size=5, n_elements=n_elements)
    x = torch.randn((2, t.size) + (3,) * gs.dimensionality, dtype=torch.float64)
    y = module(t(x)).tensor
    expected = torch.stack([x[:, i : i + kernel].amax(1) for i in range(0, t.size, kernel)], 1)
    assert torch.equal(y, expected)
    assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape))
    assert torch.equal(module.export()(x), y)


def test_whole_field_kernel_is_group_pooling_and_one_is_identity():
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr] * 3)
    x = t(torch.randn(2, 12, 3, 3))
    pool = nn.MaxPoolChannels(t, 4)
    assert pool.out_type == nn.GroupPooling(t).out_type
    assert torch.equal(pool(x).tensor, nn.GroupPooling(t)(x).tensor)
    same = nn.MaxPoolChannels(t, 1)
    assert same.out_type == t and torch.equal(same(x).tensor, x.tensor)


def test_point_clouds_copies_and_empty_state():
    gs = gspaces.rot3dOnR3()
    t = nn.FieldType(gs, [gs.trivial_repr] * 6)
    coords = torch.randn(5, 3)
    module = nn.MaxPoolChannels(t, 3)
    out = module(nn.GeometricTensor(torch.randn(5, 6), t, coords))
    assert out.coords is coords and out.shape == (5, 2)
    x = t(torch.randn(1, 6, 2, 2, 2))
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert torch.equal(clone(x).tensor, module(x).tensor)
    assert module.state_dict() == {} and "kernel_size=3" in repr(module)


def test_errors():
    gs = gspaces.rot2dOnR2(4)
    reg = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(
        ValueError, match="blocks of 2 consecutive channels of the field regular.*not permuted"
    ):
        nn.MaxPoolChannels(reg, 2)  # a quarter turn shifts the channels by one
    with pytest.raises(ValueError, match="MaxPoolChannels acts channel by channel.*irrep_1"):
        nn.MaxPoolChannels(nn.FieldType(gs, [gs.irrep(1)]), 2)
    with pytest.raises(ValueError, match="kernel_size=3 does not divide the number of channels 4"):
        nn.MaxPoolChannels(reg, 3)
    with pytest.raises(ValueError, match="kernel_size must be >= 1, got 0"):
        nn.MaxPoolChannels(reg, 0)
    with pytest.raises(TypeError, match="kernel_size must be an int, got 2.0"):
        nn.MaxPoolChannels(reg, 2.0)
    mixed = nn.FieldType(gs, [gs.trivial_repr, gs.regular_repr, gs.trivial_repr])
    with pytest.raises(ValueError, match=r"starting in field 0 \(irrep_0\) splits a field.*\[1, 4, 1\]"):
        nn.MaxPoolChannels(mixed, 2)
    with pytest.raises(ValueError, match=r"expects a shape \(B, 4, ...\)"):
        nn.MaxPoolChannels(reg, 4).evaluate_output_shape((1, 5, 3, 3))
