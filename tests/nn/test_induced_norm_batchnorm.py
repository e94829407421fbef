"""InducedNormBatchNorm: induced fields (sub-field norms, one statistic per field), statistics
against a loop-per-field reference, equivariance in train and eval mode, export, state, errors."""

import numpy as np
import pytest
import torch

from steerable import group, gspaces, nn

from ._norm_helpers import (
    assert_equivariant_modes,
    assert_export_matches,
    assert_float32,
    assert_matches_reference,
    assert_state_round_trip,
    random_input,
)


def _c8():
    gs = gspaces.rot2dOnR2(8)
    C4 = gs.fibergroup.subgroup(4)[0]
    return gs, [
        gs.induced_repr(4, C4.irrep(1)),
        gs.induced_repr(4, C4.irrep(2)),
        gs.induced_repr(4, C4.irrep(0)),
    ]


def _d4():
    gs = gspaces.flipRot2dOnR2(4)
    C4 = gs.fibergroup.subgroup((None, 4))[0]
    return gs, [gs.induced_repr((None, 4), C4.irrep(1)), gs.quotient_repr((None, 4))]


def _o2():
    gs = gspaces.flipRot2dOnR2(-1, maximum_frequency=3)
    SO2 = gs.fibergroup.subgroup((None, -1))[0]
    return gs, [gs.induced_repr((None, -1), SO2.irrep(1)), gs.induced_repr((None, -1), SO2.irrep(2))]


def _octa():
    gs = gspaces.octaOnR3()
    C4 = gs.fibergroup.subgroup((False, 4))[0]
    return gs, [gs.induced_repr((False, 4), C4.irrep(1)), gs.induced_repr((False, 4), C4.irrep(0))]


def _octa_0d():
    gs = gspaces.no_base_space(group.octa_group())
    C4 = gs.fibergroup.subgroup((False, 4))[0]
    return gs, [gs.induced_repr((False, 4), C4.irrep(1)), gs.induced_repr((False, 4), C4.irrep(2))]


SPACES = {
    "C8": (_c8, (5, 5), 4),
    "D4": (_d4, (5, 5), 8),
    "O2": (_o2, (5, 5), 8),
    "Octa": (_octa, (3, 3, 3), 24),
}
SPACES["Octa_0D"] = (_octa_0d, (), None)


def _type(space):
    gs, reps = SPACES[space][0]()
    # repeated representations, in an interleaved order
    return nn.FieldType(gs, reps + reps[:1] + reps[::-1])


def test_induced_basis_permutes_sub_fields():
    """What the module relies on: rho(g) permutes the consecutive sub-fields of size dim(psi) and
    acts on each by an orthogonal block, so each sub-field's norm is permuted."""
    for space in SPACES:
        gs, reps = SPACES[space][0]()
        for rep in reps:
            d = rep.attributes["induced_repr"].size
            k = rep.size // d
            for g in list(gs.testing_elements)[:6] + [gs.fibergroup.sample()]:
                blocks = rep(g).reshape(k, d, k, d).transpose(0, 2, 1, 3)  # (i, j, d, d)
                norms = np.linalg.norm(blocks, axis=(2, 3)) ** 2 / d
                assert np.allclose(np.sort(norms, axis=1), [[0.0] * (k - 1) + [1.0]] * k, atol=1e-9)


@pytest.mark.parametrize("momentum", [0.3, None])
@pytest.mark.parametrize("space", ["D4", "Octa_0D"])
def test_statistics_match_reference(space, momentum):
    t = _type(space)
    bn = nn.InducedNormBatchNorm(t, momentum=momentum)
    trivial = [r.attributes["induced_repr"].is_trivial() for r in t.representations]
    assert bn.running_var.shape == bn.weight.shape == (len(t),)
    if any(trivial):
        assert bn.running_mean.shape == bn.bias.shape == (sum(trivial),)
    else:
        assert bn.running_mean is None and bn.bias is None
    assert_matches_reference("induced", bn, SPACES[space][1], momentum)


def test_sub_field_norms_share_one_scale():
    gs, reps = _c8()
    t = nn.FieldType(gs, reps[:1])  # Ind_C4^C8 of a 2-dim irrep: two sub-fields of size 2
    bn = nn.InducedNormBatchNorm(t, affine=False, eps=0.0).double()
    x = random_input(t, (5, 5))
    x[:, 2:] *= 3.0  # the second sub-field is larger
    y = bn(t(x)).tensor
    ratio = y / x
    assert (ratio - ratio[0, 0, 0, 0]).abs().max() < 1e-12  # the same scale for both sub-fields
    assert float((y**2).mean()) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("space", sorted(SPACES))
def test_equivariance(space, mode):
    _, spatial, n = SPACES[space]
    assert_equivariant_modes(nn.InducedNormBatchNorm(_type(space)), spatial, n, modes=(mode,))


@pytest.mark.parametrize("space", ["C8", "Octa", "Octa_0D"])
def test_export(space):
    assert_export_matches(nn.InducedNormBatchNorm(_type(space)), SPACES[space][1])


def test_state_and_dtypes():
    bn = nn.InducedNormBatchNorm(_type("C8"))
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert_state_round_trip(bn, (3, 3))
    assert_float32(bn, (3, 3))


def test_errors():
    gs, reps = _c8()
    with pytest.raises(ValueError, match=r"needs induced representations.*regular"):
        nn.InducedNormBatchNorm(nn.FieldType(gs, reps[:1] + [gs.regular_repr]))
    with pytest.raises(TypeError, match="InducedNormBatchNorm needs a FieldType"):
        nn.InducedNormBatchNorm(reps)
    t = nn.FieldType(gs, reps)
    with pytest.raises(ValueError, match="momentum must be None or a number"):
        nn.InducedNormBatchNorm(t, momentum=True)
    bn = nn.InducedNormBatchNorm(t)
    with pytest.raises(ValueError, match="expects fields of type"):
        bn(nn.FieldType(gs, reps[:1])(torch.randn(2, 4, 3, 3)))
