"""SO(3): 3D rotations."""

from __future__ import annotations

from itertools import chain

import numpy as np

from ._planar import as_int
from ._rotations import (
    IDENTITY_Q,
    ROTATION_PARAMETRIZATIONS,
    axis_rotation,
    export_rotation,
    is_rotation_param,
    parse_rotation,
    q_compose,
    q_equal,
    q_hash,
    q_invert,
    q_key,
)
from ._so3_math import clebsch_gordan_so3, wigner_D
from .group import Group, IrrepSpec

__all__ = ["SO3"]

# Three rotations about non-coplanar axes by angles incommensurate with pi: they generate a
# dense subgroup of SO(3), so invariance under them is invariance under SO(3).
_TOPOLOGICAL = (
    axis_rotation((1.0, 0.3, -0.5), 1.0),
    axis_rotation((-0.2, 1.0, 0.7), float(np.sqrt(2.0))),
    axis_rotation((0.4, -0.6, 1.0), float(np.sqrt(3.0))),
)
# z is the rotation axis of SO(2) subgroups; rotation by pi/2 about each axis is exact on voxels
_TESTING = (
    IDENTITY_Q,
    axis_rotation((1, 0, 0), np.pi / 2),
    axis_rotation((0, 1, 0), np.pi / 2),
    axis_rotation((0, 0, 1), np.pi / 2),
    axis_rotation((1, 1, 1), 2 * np.pi / 3),
    axis_rotation((1, 0, 0), np.pi),
    axis_rotation((0.3, -0.8, 0.5), 1.234),
    axis_rotation((-0.6, 0.2, 0.9), 2.718),
)


class SO3(Group):
    """SO(3). Elements are rotations, stored as canonical unit quaternions.

    Parametrisations: ``'Q'`` (default, quaternion (x, y, z, w), scalar last), ``'MAT'``
    (3x3 matrix), ``'EV'`` (axis times angle), and any 3-letter Euler convention of scipy
    (``'ZYZ'`` intrinsic, ``'xyz'`` extrinsic, ...). Irrep ids: ``l >= 0`` (real Wigner-D of
    dimension 2l+1, type R; see :mod:`steerable.group._so3_math` for the convention:
    Y_l(R x) = D_l(R) Y_l(x) with real spherical harmonics). Subgroup ids: see
    :mod:`steerable.group._so3_subgroups`. Element equality is up to 1e-9.
    """

    PARAM = "Q"
    PARAMETRIZATIONS = ROTATION_PARAMETRIZATIONS
    continuous = True
    abelian = False

    def __init__(self, maximum_frequency: int = 2):
        super().__init__(as_int(maximum_frequency, "maximum_frequency"))

    def _key(self):
        return ()

    def __reduce__(self):
        return (SO3, (self._maximum_frequency,))

    @property
    def name(self) -> str:
        return "SO(3)"

    def _check_param(self, param):
        if not is_rotation_param(param):
            super()._check_param(param)

    def _canonical(self, value, param):
        return parse_rotation(value, param)

    def _export(self, x, param):
        return export_rotation(x, param)

    def _identity_internal(self):
        return IDENTITY_Q

    def _compose(self, a, b):
        return q_compose(a, b)

    def _invert(self, a):
        return q_invert(a)

    def _equal(self, a, b):
        return q_equal(a, b)

    def _hash_internal(self, a):
        return q_hash(a)

    def _generator_internals(self):
        return list(_TOPOLOGICAL)

    def _testing_internals(self):
        return list(_TESTING)

    def _sample_internal(self, rng):
        q = rng.normal(size=4)
        return q_key(q / np.linalg.norm(q))

    def _grid_internals(self, type, *args, **kwargs):
        from .grids import so3_grid

        return [q_key(q) for q in so3_grid(type, *args, **kwargs)]

    def sphere_grid(self, type: str, *args, **kwargs):
        """Rotations R with R e_z on a sphere grid (the minimal rotation taking z there);
        they represent the cosets of SO(3)/SO(2). See :func:`steerable.group.grids.sphere_grid`."""
        from .grids import sphere_grid

        return [self.element(q, "Q") for q in _rotations_to_points(sphere_grid(type, *args, **kwargs))]

    # irreps
    def _irrep_spec(self, id):
        if len(id) != 1:
            raise ValueError(f"SO(3) irrep ids are a single integer l, got {id!r}")
        l = as_int(id[0], "l")
        if l < 0:
            raise ValueError(f"SO(3) irrep degree l must be >= 0, got {l}")
        return IrrepSpec((l,), 2 * l + 1, "R", f"irrep_{l}", l)

    def _irrep_ids(self, L):
        L = self._maximum_frequency if L is None else L
        return [(l,) for l in range(L + 1)]

    def _irrep_matrices(self, id, xs):
        # fromiter over the flattened tuples: ~3x faster than np.asarray on 10^4 small tuples
        q = np.fromiter(chain.from_iterable(xs), dtype=np.float64, count=4 * len(xs)).reshape(-1, 4)
        return wigner_D(id[0], q)

    def _clebsch_gordan_decomposition(self, m, n):
        l1, l2 = m[0], n[0]
        ids, cols = [], []
        for l3 in range(abs(l1 - l2), l1 + l2 + 1):
            ids.append((l3,))
            cols.append(clebsch_gordan_so3(l1, l2, l3).reshape((2 * l1 + 1) * (2 * l2 + 1), 2 * l3 + 1))
        return ids, np.concatenate(cols, axis=1)

    def standard_representation(self):
        from .representation import Representation

        return Representation(self, "standard", [(1,)], _STANDARD_Q, ("norm", "gated"))

    def bl_sphere_representation(self, L: int):
        """Band-limited functions on the sphere S^2 = SO(3)/SO(2): each l <= L once."""
        return self.bl_quotient_representation(L, (False, -1))

    def _subgroup(self, id):
        from ._so3_subgroups import so3_subgroup

        sub, include, restrict = so3_subgroup(id, self._maximum_frequency)
        return (self if sub is None else sub), include, restrict

    def _coset_representatives(self, id):
        from ._so3_subgroups import split_adjoint

        base, _ = split_adjoint(id, "SO(3)")
        return [IDENTITY_Q] if base == "so3" else None


# D_1(R) = P R P^T with P: (x, y, z) -> (y, z, x); the standard representation is R = Q D_1 Q^T
_STANDARD_Q = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _rotations_to_points(points: np.ndarray) -> np.ndarray:
    """Quaternions of the minimal rotations taking e_z to each unit point."""
    points = np.asarray(points, dtype=np.float64)
    z = np.array([0.0, 0.0, 1.0])
    # half-way vector trick: q = (z x p, 1 + z.p) normalised; antipode handled separately
    cross = np.cross(np.broadcast_to(z, points.shape), points)
    w = 1.0 + points @ z
    q = np.concatenate([cross, w[:, None]], axis=1)
    antipodal = w < 1e-12
    q[antipodal] = np.array([1.0, 0.0, 0.0, 0.0])
    return q / np.linalg.norm(q, axis=1, keepdims=True)
