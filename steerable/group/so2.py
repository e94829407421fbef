"""SO(2): continuous planar rotations."""

from __future__ import annotations

import numpy as np

from ._planar import (
    ANGLE_TOL,
    TOPOLOGICAL_ANGLES,
    angle_key,
    angle_of_rotation_matrix,
    as_int,
    planar_irrep_matrices,
    rotation_matrices,
    wrap_angle,
)
from .group import Group, IrrepSpec

__all__ = ["SO2"]


class SO2(Group):
    """SO(2). Elements are angles in [0, 2 pi).

    Parametrisations: ``'radians'`` (default), ``'MAT'``. Irrep ids: frequency ``k >= 0``
    (k = 0 trivial; k > 0 the 2x2 rotation by k theta, type C). Subgroup ids: ``M >= 1`` the
    rotations C_M; ``-1`` SO(2) itself. Element equality is up to 1e-9 rad.
    """

    PARAM = "radians"
    PARAMETRIZATIONS = ("radians", "MAT")
    continuous = True
    abelian = True

    def __init__(self, maximum_frequency: int = 3):
        super().__init__(as_int(maximum_frequency, "maximum_frequency"))

    def _key(self):
        return ()

    def __reduce__(self):
        return (SO2, (self._maximum_frequency,))

    @property
    def name(self) -> str:
        return "SO(2)"

    def _canonical(self, value, param):
        if param == "MAT":
            theta, flip = angle_of_rotation_matrix(value)
            if flip:
                raise ValueError("a reflection is not an element of SO(2)")
            return angle_key(theta)
        value = np.asarray(value, dtype=np.float64)
        if value.size != 1 or not np.isfinite(value):
            raise ValueError(f"an SO(2) element is a finite angle, got {value!r}")
        return angle_key(float(value))

    def _export(self, x, param):
        self._check_param(param)
        return x if param == "radians" else rotation_matrices([x])[0]

    def _identity_internal(self):
        return 0.0

    def _compose(self, a, b):
        return angle_key(a + b)

    def _invert(self, a):
        return angle_key(-a)

    def _equal(self, a, b):
        d = abs(wrap_angle(a - b))
        return min(d, 2 * np.pi - d) < ANGLE_TOL

    def _hash_internal(self, a):
        return hash(round(a, 6) % round(2 * np.pi, 6))

    def _generator_internals(self):
        return [angle_key(t) for t in TOPOLOGICAL_ANGLES]

    def _testing_internals(self):
        return [angle_key(2 * np.pi * k / 8) for k in range(8)] + [angle_key(t) for t in (1.0, 2.5)]

    def _sample_internal(self, rng):
        return angle_key(rng.uniform(0, 2 * np.pi))

    def _grid_internals(self, type, *args, **kwargs):
        n = as_int(args[0] if args else kwargs.get("N"), "N")
        if n < 1:
            raise ValueError(f"a grid needs N >= 1 points, got {n}")
        if type == "regular":
            return [angle_key(2 * np.pi * k / n) for k in range(n)]
        if type == "rand":
            rng = np.random.default_rng(kwargs.get("seed", 0))
            return [angle_key(t) for t in rng.uniform(0, 2 * np.pi, size=n)]
        raise ValueError(f"unknown grid type {type!r} for SO(2); valid: 'regular', 'rand'")

    def _irrep_spec(self, id):
        if len(id) != 1:
            raise ValueError(f"SO(2) irrep ids are a single frequency k, got {id!r}")
        k = as_int(id[0], "frequency")
        if k < 0:
            raise ValueError(f"SO(2) irrep frequency must be >= 0, got {k}")
        return IrrepSpec((k,), 1 if k == 0 else 2, "R" if k == 0 else "C", f"irrep_{k}", k)

    def _irrep_ids(self, L):
        L = self._maximum_frequency if L is None else L
        return [(k,) for k in range(L + 1)]

    def _irrep_matrices(self, id, xs):
        k = id[0]
        if k == 0:
            return np.ones((len(xs), 1, 1))
        return planar_irrep_matrices(k, np.asarray(xs, dtype=np.float64))

    def standard_representation(self):
        return self.irrep(1)

    def _subgroup(self, id):
        from .cyclic import CyclicGroup

        if isinstance(id, tuple) and len(id) == 1:
            id = id[0]
        M = as_int(id, "SO(2) subgroup id")
        if M == -1:
            return SO2(self._maximum_frequency), _same, _same
        if M < 1:
            raise ValueError(f"SO(2) subgroup id must be -1 or a positive integer M, got {M}")
        return CyclicGroup(M), _CyclicInclude(M), _CyclicRestrict(M)

    def _coset_representatives(self, id):
        return [0.0] if id in (-1, (-1,)) else None


def _same(x):
    return x


class _CyclicInclude:
    def __init__(self, m):
        self.m = m

    def __call__(self, k):
        return angle_key(2 * np.pi * k / self.m)


class _CyclicRestrict:
    def __init__(self, m):
        self.m = m

    def __call__(self, theta):
        k = theta * self.m / (2 * np.pi)
        if abs(k - round(k)) > 1e-6:
            raise ValueError(f"rotation by {theta} is not in C{self.m}")
        return int(round(k)) % self.m
