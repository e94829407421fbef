"""O(2): continuous planar rotations and reflections."""

from __future__ import annotations

import numpy as np

from ._planar import (
    ANGLE_TOL,
    TOPOLOGICAL_ANGLES,
    angle_key,
    angle_of_rotation_matrix,
    as_int,
    planar_irrep_matrices,
    wrap_angle,
)
from .group import Group, IrrepSpec

__all__ = ["O2"]


class O2(Group):
    """O(2). Elements are pairs ``(f, theta)`` meaning R(theta) F^f, F = diag(1, -1).

    Parametrisations: ``'radians'`` (default), ``'MAT'``. Irrep ids ``(j, k)``: (0, 0)
    trivial, (1, 0) the determinant, (1, k) for k >= 1 the 2-dimensional R(k theta) F^f; all
    of type R. Subgroup ids ``(axis, M)``: ``(None, -1)`` SO(2); ``(None, M)`` C_M;
    ``(axis, M)`` the dihedral D_M whose reflections include the reflection about the line at
    angle ``axis`` (``M = -1``: O(2) itself, conjugated so that its flip is that reflection).
    """

    PARAM = "radians"
    PARAMETRIZATIONS = ("radians", "MAT")
    continuous = True
    abelian = False

    def __init__(self, maximum_frequency: int = 3):
        super().__init__(as_int(maximum_frequency, "maximum_frequency"))

    def _key(self):
        return ()

    def __reduce__(self):
        return (O2, (self._maximum_frequency,))

    @property
    def name(self) -> str:
        return "O(2)"

    def _canonical(self, value, param):
        if param == "MAT":
            theta, f = angle_of_rotation_matrix(value)
            return (f, angle_key(theta))
        try:
            f, theta = value
        except (TypeError, ValueError) as err:
            raise ValueError(f"an O(2) element is a pair (flip, angle), got {value!r}") from err
        f = as_int(f, "flip")
        if f not in (0, 1):
            raise ValueError(f"the flip of an O(2) element must be 0 or 1, got {f}")
        if not np.isfinite(theta):
            raise ValueError(f"the angle of an O(2) element must be finite, got {theta}")
        return (f, angle_key(float(theta)))

    def _export(self, x, param):
        self._check_param(param)
        return x if param == "radians" else planar_irrep_matrices(1, [x[1]], [x[0]])[0]

    def _identity_internal(self):
        return (0, 0.0)

    def _compose(self, a, b):
        sign = -1.0 if a[0] else 1.0
        return ((a[0] + b[0]) % 2, angle_key(a[1] + sign * b[1]))

    def _invert(self, a):
        return a if a[0] else (0, angle_key(-a[1]))

    def _equal(self, a, b):
        d = abs(wrap_angle(a[1] - b[1]))
        return a[0] == b[0] and min(d, 2 * np.pi - d) < ANGLE_TOL

    def _hash_internal(self, a):
        return hash((a[0], round(a[1], 6) % round(2 * np.pi, 6)))

    def _generator_internals(self):
        return [(0, angle_key(t)) for t in TOPOLOGICAL_ANGLES] + [(1, 0.0)]

    def _testing_internals(self):
        angles = [angle_key(2 * np.pi * k / 8) for k in range(8)] + [1.0, 2.5]
        return [(f, t) for f in (0, 1) for t in angles]

    def _sample_internal(self, rng):
        return (int(rng.integers(2)), angle_key(rng.uniform(0, 2 * np.pi)))

    def _grid_internals(self, type, *args, **kwargs):
        n = as_int(args[0] if args else kwargs.get("N"), "N")
        if n < 1:
            raise ValueError(f"a grid needs N >= 1 rotations, got {n}")
        if type == "regular":
            return [(f, angle_key(2 * np.pi * k / n)) for f in (0, 1) for k in range(n)]
        if type == "rand":
            rng = np.random.default_rng(kwargs.get("seed", 0))
            return [self._sample_internal(rng) for _ in range(n)]
        raise ValueError(f"unknown grid type {type!r} for O(2); valid: 'regular', 'rand'")

    def _irrep_spec(self, id):
        if len(id) != 2:
            raise ValueError(f"O(2) irrep ids are pairs (j, k), got {id!r}")
        j, k = as_int(id[0], "j"), as_int(id[1], "k")
        if j not in (0, 1) or k < 0 or (j == 0 and k > 0):
            raise ValueError(f"invalid O(2) irrep id {id!r}: valid ids are (0,0), (1,0), (1,k) k>=1")
        return IrrepSpec((j, k), 1 if k == 0 else 2, "R", f"irrep_{j},{k}", k)

    def _irrep_ids(self, L):
        L = self._maximum_frequency if L is None else L
        return [(0, 0), (1, 0)] + [(1, k) for k in range(1, L + 1)]

    def _irrep_matrices(self, id, xs):
        j, k = id
        f = np.array([x[0] for x in xs], dtype=np.int64)
        theta = np.array([x[1] for x in xs], dtype=np.float64)
        if k == 0:
            value = (-1.0) ** f if j else np.ones(len(xs))
            return value.reshape(-1, 1, 1)
        return planar_irrep_matrices(k, theta, f)

    def standard_representation(self):
        return self.irrep(1, 1)

    def _subgroup(self, id):
        from .cyclic import CyclicGroup
        from .dihedral import DihedralGroup
        from .so2 import SO2

        if not (isinstance(id, tuple) and len(id) == 2):
            raise ValueError(f"O(2) subgroup ids are pairs (axis, M), got {id!r}")
        axis, M = id
        M = as_int(M, "M")
        if M == 0 or M < -1:
            raise ValueError(f"M must be -1 or a positive integer, got {M}")
        if axis is None:
            if M == -1:
                return SO2(self._maximum_frequency), _RotInclude(None), _RotRestrict(None)
            return CyclicGroup(M), _RotInclude(M), _RotRestrict(M)
        if not np.isfinite(axis):
            raise ValueError(f"axis must be None or a finite angle, got {axis!r}")
        shift = angle_key(2 * float(axis))
        if M == -1:
            return O2(self._maximum_frequency), _DihInclude(None, shift), _DihRestrict(None, shift)
        return DihedralGroup(M), _DihInclude(M, shift), _DihRestrict(M, shift)

    def _coset_representatives(self, id):
        if id == (None, -1):
            return [(0, 0.0), (1, 0.0)]
        if isinstance(id, tuple) and len(id) == 2 and id[1] == -1:
            return [(0, 0.0)]
        return None


def _to_index(theta, m, what):
    k = theta * m / (2 * np.pi)
    if abs(k - round(k)) > 1e-6:
        raise ValueError(f"{what} is not in the subgroup")
    return int(round(k)) % m


class _RotInclude:
    def __init__(self, m):
        self.m = m

    def __call__(self, h):
        return (0, h if self.m is None else angle_key(2 * np.pi * h / self.m))


class _RotRestrict:
    def __init__(self, m):
        self.m = m

    def __call__(self, g):
        if g[0]:
            raise ValueError(f"the reflection {g} is not in a rotation subgroup of O(2)")
        return g[1] if self.m is None else _to_index(g[1], self.m, f"rotation {g[1]}")


class _DihInclude:
    def __init__(self, m, shift):
        self.m, self.shift = m, shift

    def __call__(self, h):
        f, r = h
        theta = r if self.m is None else 2 * np.pi * r / self.m
        return (f, angle_key(theta + self.shift * f))


class _DihRestrict:
    def __init__(self, m, shift):
        self.m, self.shift = m, shift

    def __call__(self, g):
        f, theta = g
        theta = angle_key(theta - self.shift * f)
        if self.m is None:
            return (f, theta)
        return (f, _to_index(theta, self.m, f"element {g}"))
