"""R2Upsampling / R3Upsampling: exact equivariance to the grid's symmetries (quarter turns, flips,
the cube's rotations) for every mode and align_corners where the sampling grid is symmetric,
output shapes, export, errors."""

import pytest
import torch
import torch.nn.functional as F

from steerable import gspaces, nn

from ._helpers import EXACT, mixed, regular_like


def _type(gs):
    return nn.FieldType(gs, mixed(gs) + [regular_like(gs)])


CASES_2D = [  # (mode, align_corners, scale_factor, size)
    ("bilinear", False, 2, None),
    ("bilinear", True, 2, None),
    ("bilinear", False, 1.5, None),  # 9 -> 13: exact thanks to recompute_scale_factor
    ("bilinear", True, None, 14),
    ("bicubic", False, 3, None),
    ("bicubic", True, None, 12),
    ("nearest", False, 2, None),
    ("nearest", False, 3, None),
    ("nearest-exact", False, 1.5, None),
]


@pytest.mark.parametrize("mode, align, scale, size", CASES_2D)
@pytest.mark.parametrize("space", ["C8", "D4", "SO2"])
def test_r2_equivariance(space, mode, align, scale, size):
    gs = {
        "C8": gspaces.rot2dOnR2(8),
        "D4": gspaces.flipRot2dOnR2(4),
        "SO2": gspaces.rot2dOnR2(-1, maximum_frequency=3),
    }[space]
    up = nn.R2Upsampling(_type(gs), scale_factor=scale, size=size, mode=mode, align_corners=align)
    errors = up.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=9)
    assert len(errors) == (8 if space == "D4" else 4)


@pytest.mark.parametrize(
    "mode, align, scale, size",
    [("trilinear", False, 2, None), ("trilinear", True, None, 7), ("nearest", False, 2, None)],
)
@pytest.mark.parametrize("space", ["SO3", "Octa"])
def test_r3_equivariance(space, mode, align, scale, size):
    gs = gspaces.rot3dOnR3() if space == "SO3" else gspaces.octaOnR3()
    up = nn.R3Upsampling(_type(gs), scale_factor=scale, size=size, mode=mode, align_corners=align)
    errors = up.check_equivariance(atol=EXACT, rtol=0.0, spatial_size=4, batch_size=1)
    assert len(errors) == 24


def test_why_the_scale_is_recomputed():
    """With torch's default (sampling at 1 / scale_factor) a non-integer factor gives an
    asymmetric grid (9 * 1.5 = 13.5 -> 13 pixels sampled as if there were 13.5): a quarter turn
    then does not commute with the upsampling. The sizes' ratio (what the module uses) does."""
    x = torch.randn(1, 1, 9, 9, dtype=torch.float64)
    rot = lambda t: torch.rot90(t, 1, (2, 3))  # noqa: E731
    plain = F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=False)
    assert (F.interpolate(rot(x), scale_factor=1.5, mode="bilinear") - rot(plain)).abs().max() > 1e-3
    gs = gspaces.rot2dOnR2(4)
    up = nn.R2Upsampling(nn.FieldType(gs, [gs.trivial_repr]), scale_factor=1.5)
    y = up(up.in_type(x)).tensor
    assert y.shape == (1, 1, 13, 13)
    assert (up(up.in_type(rot(x))).tensor - rot(y)).abs().max() < EXACT


def test_shapes_and_export():
    gs2, gs3 = gspaces.flipRot2dOnR2(4), gspaces.octaOnR3()
    for up, shape in [
        (nn.R2Upsampling(_type(gs2), scale_factor=2), (2, 0, 5, 7)),
        (nn.R2Upsampling(_type(gs2), scale_factor=1.5, mode="nearest-exact"), (2, 0, 5, 7)),
        (nn.R2Upsampling(_type(gs2), size=(8, 11), mode="bicubic", align_corners=True), (2, 0, 5, 7)),
        (nn.R3Upsampling(_type(gs3), scale_factor=2), (1, 0, 3, 4, 2)),
        (nn.R3Upsampling(_type(gs3), size=6, mode="nearest"), (1, 0, 3, 4, 2)),
    ]:
        shape = (shape[0], up.in_type.size) + shape[2:]
        x = torch.randn(shape, dtype=torch.float64)
        y = up(up.in_type(x)).tensor
        assert y.shape == up.evaluate_output_shape(shape)
        exported = up.export()
        assert isinstance(exported, torch.nn.Upsample)
        assert (exported(x) - y).abs().max() <= 1e-12 * y.abs().max()
    assert nn.R2Upsampling(_type(gs2), size=10).evaluate_output_shape((1, 9, 4, 4)) == (1, 9, 10, 10)
    assert list(nn.R2Upsampling(_type(gs2), scale_factor=2).state_dict()) == []


def test_errors():
    gs2, gs3 = gspaces.rot2dOnR2(4), gspaces.octaOnR3()
    t = _type(gs2)
    with pytest.raises(ValueError, match="R2Upsampling works on 2D gspaces, got Octa_on_R3"):
        nn.R2Upsampling(_type(gs3), scale_factor=2)
    with pytest.raises(ValueError, match="R3Upsampling works on 3D gspaces"):
        nn.R3Upsampling(t, scale_factor=2)
    with pytest.raises(ValueError, match="exactly one of scale_factor and size"):
        nn.R2Upsampling(t)
    with pytest.raises(ValueError, match="exactly one of scale_factor and size"):
        nn.R2Upsampling(t, scale_factor=2, size=10)
    with pytest.raises(ValueError, match="scale_factor must be a positive number, got -2"):
        nn.R2Upsampling(t, scale_factor=-2)
    with pytest.raises(ValueError, match=r"scale_factor must be a positive number, got \(2, 3\)"):
        nn.R2Upsampling(t, scale_factor=(2, 3))
    with pytest.raises(ValueError, match="size must be a positive int or a tuple of 2"):
        nn.R2Upsampling(t, size=(4, 4, 4))
    with pytest.raises(ValueError, match=r"mode must be one of \['nearest', 'nearest-exact', 'trilinear'\]"):
        nn.R3Upsampling(_type(gs3), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners=True needs an interpolating mode"):
        nn.R2Upsampling(t, scale_factor=2, mode="nearest", align_corners=True)
    with pytest.raises(TypeError, match="align_corners must be a bool, got str"):
        nn.R2Upsampling(t, scale_factor=2, align_corners="yes")
    assert nn.R2Upsampling(t, scale_factor=2, align_corners=None).align_corners is False
    up = nn.R2Upsampling(t, scale_factor=2)
    with pytest.raises(ValueError, match="resamples grids; got a point cloud"):
        up(t(torch.randn(5, t.size), coords=torch.randn(5, 2)))
    with pytest.raises(ValueError, match="expects fields of type"):
        up(nn.FieldType(gs2, [gs2.regular_repr])(torch.randn(1, 4, 3, 3)))
