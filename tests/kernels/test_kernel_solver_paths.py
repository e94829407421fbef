"""The solver's fast path (Reynolds projector for small finite planar groups) against the general
path (Clebsch-Gordan x restricted harmonics): the same coefficient space, orthonormal bases."""

from __future__ import annotations

import numpy as np
import pytest

from steerable import gspaces
from steerable.kernels import solver

GSPACES = {
    "C1": lambda: gspaces.rot2dOnR2(1),
    "C3": lambda: gspaces.rot2dOnR2(3),
    "C8": lambda: gspaces.rot2dOnR2(8),
    "D1": lambda: gspaces.flipRot2dOnR2(1),
    "D4": lambda: gspaces.flipRot2dOnR2(4),
    "D6_axis0": lambda: gspaces.flipRot2dOnR2(6, axis=0.0),
    "D16": lambda: gspaces.flipRot2dOnR2(16),
    "flip": lambda: gspaces.flip2dOnR2(),
}


def _projector(w: np.ndarray) -> np.ndarray:
    flat = w.reshape(w.shape[0], -1)
    return flat.T @ flat


@pytest.mark.parametrize("name", sorted(GSPACES))
def test_averaged_path_spans_the_cg_path(name):
    gs = GSPACES[name]()
    G, emb = gs.fibergroup, gs.embedding
    ids = [irr.id for irr in G.irreps()]
    checked = 0
    for a in ids:
        for b in ids:
            for J in range(0, 6):
                assert solver._use_average(emb, G, a, b, J)
                fast = solver._averaged_coefficients(emb, G, a, b, J)
                ref = solver._cg_coefficients(emb, G, a, b, J)
                assert fast.shape == ref.shape, (a, b, J)
                if fast.shape[0] == 0:
                    continue
                flat = fast.reshape(fast.shape[0], -1)
                np.testing.assert_allclose(flat @ flat.T, np.eye(flat.shape[0]), atol=1e-12)
                np.testing.assert_allclose(_projector(fast), _projector(ref), atol=1e-10)
                checked += 1
    assert checked >= len(ids)


def test_continuous_and_3d_groups_take_the_cg_path():
    for gs in (gspaces.rot2dOnR2(-1), gspaces.flipRot2dOnR2(-1), gspaces.octaOnR3(), gspaces.icoOnR3()):
        G = gs.fibergroup
        irr = G.irreps()[0].id
        assert not solver._use_average(gs.embedding, G, irr, irr, 1)


def test_large_products_take_the_cg_path():
    # the projector is (d_out d_in dim_J)^2: bounded so a big group never builds a huge average
    gs = gspaces.flipRot2dOnR2(600)
    G = gs.fibergroup
    two = G.irrep(1, 3).id
    assert not solver._use_average(gs.embedding, G, two, two, 2)
