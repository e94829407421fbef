"""A kernel basis is a deterministic function of its inputs: the same in every process,
whatever PYTHONHASHSEED and the BLAS thread count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent(
    """
    import hashlib, json, sys
    import numpy as np
    from steerable import gspaces as gs
    from steerable import group as G

    def digest(basis, points):
        values = np.round(basis.sample(points), 8) + 0.0  # + 0.0 turns -0.0 into 0.0
        h = hashlib.sha256(values.tobytes())
        for key in sorted(basis.attributes):
            h.update(key.encode())
            h.update(np.ascontiguousarray(basis.attributes[key], dtype=np.float64).tobytes())
        return h.hexdigest(), values

    rng = np.random.default_rng(0)
    out, arrays = {}, {}
    c8 = gs.rot2dOnR2(8)
    so3 = gs.rot3dOnR3()
    ico = gs.icoOnR3()
    cases = {
        "C8_regular": (c8, c8.regular_repr, c8.regular_repr, [0.0, 1.0, 2.0]),
        "SO3_bl_regular2": (so3, so3.fibergroup.bl_regular_representation(2),
                            so3.fibergroup.bl_regular_representation(2), [0.0, 1.0]),
        "ico_regular": (ico, ico.regular_repr, G.directsum(ico.irreps, name="all"), [0.0, 1.0, 1.6]),
    }
    for name, (space, rin, rout, rings) in cases.items():
        basis = space.build_kernel_basis(rin, rout, rings=rings, sigma=0.6, frequencies_cutoff=2.0)
        points = np.random.default_rng(1).normal(size=(3, space.dimensionality))
        out[name], arrays[name] = digest(basis, points)
        out[name + "_dim"] = basis.dim
    np.savez(sys.argv[1], **arrays)
    print(json.dumps(out))
    """
)


def _run(tmp_path, tag, hashseed, threads):
    env = dict(os.environ)
    env.update(
        PYTHONHASHSEED=str(hashseed),
        OMP_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
    )
    path = tmp_path / f"{tag}.npz"
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1]), np.load(path)


def test_basis_is_the_same_in_every_process(tmp_path):
    a, arrays_a = _run(tmp_path, "a", hashseed=0, threads=1)
    b, arrays_b = _run(tmp_path, "b", hashseed=4242, threads=2)
    assert set(a) == set(b) and len(a) == 6
    assert all(a[k] > 0 for k in a if k.endswith("_dim"))
    for key in arrays_a.files:
        # first the values (a clear message if they differ), then the hash of the rounded values
        np.testing.assert_allclose(arrays_a[key], arrays_b[key], atol=1e-12, err_msg=key)
    assert a == b
