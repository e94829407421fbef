"""The dihedral group D_N: N rotations and N reflections of the plane."""

from __future__ import annotations

import numpy as np

from ._planar import angle_of_rotation_matrix, as_int, planar_irrep_matrices
from .group import Group, IrrepSpec

__all__ = ["DihedralGroup"]


class DihedralGroup(Group):
    """D_N (order 2N). Elements are pairs ``(f, k)`` meaning R(2 pi k / N) F^f, where F is the
    reflection diag(1, -1) (about the x axis); (1, k) is the reflection about the line at angle
    pi k / N.

    Parametrisations: ``'int'`` (default, ``(f, k)``), ``'radians'`` (``(f, theta)``),
    ``'MAT'`` (2x2 orthogonal matrix).
    Irrep ids ``(j, k)``: (0, 0) trivial; (1, 0) the sign of reflections; (1, k) for
    0 < k < N/2 the 2-dimensional R(k theta) F^f; for even N also (0, N/2) and (1, N/2)
    (1-dimensional). All are of type R.
    Subgroup ids ``(axis, M)`` with M dividing N: ``(None, M)`` the rotations C_M;
    ``(a, M)`` for an integer a in 0..N/M-1 the dihedral D_M whose reflections include (1, a).
    """

    PARAM = "int"
    PARAMETRIZATIONS = ("int", "radians", "MAT")
    continuous = False

    def __init__(self, N: int):
        N = as_int(N, "N")
        if N < 1:
            raise ValueError(f"the number of rotations N of a dihedral group must be >= 1, got {N}")
        super().__init__(None)
        self.N = N
        self.abelian = N <= 2

    def _key(self):
        return (self.N,)

    def __reduce__(self):
        return (DihedralGroup, (self.N,))

    @property
    def name(self) -> str:
        return f"D{self.N}"

    def order(self) -> int:
        return 2 * self.N

    # elements
    def _canonical(self, value, param):
        if param == "MAT":
            theta, f = angle_of_rotation_matrix(value)
            param, value = "radians", (f, theta)
        try:
            f, r = value
        except (TypeError, ValueError) as err:
            raise ValueError(f"a {self.name} element is a pair (flip, rotation), got {value!r}") from err
        f = as_int(f, "the flip of a dihedral element")
        if f not in (0, 1):
            raise ValueError(f"the flip of a dihedral element must be 0 or 1, got {f}")
        if param == "int":
            return (f, as_int(r, "the rotation of a dihedral element") % self.N)
        k = float(r) * self.N / (2 * np.pi)
        if abs(k - round(k)) > 1e-6:
            raise ValueError(f"angle {r} is not a multiple of 2pi/{self.N}")
        return (f, int(round(k)) % self.N)

    def _export(self, x, param):
        self._check_param(param)
        f, k = x
        if param == "int":
            return (f, k)
        theta = 2 * np.pi * k / self.N
        if param == "radians":
            return (f, theta)
        return planar_irrep_matrices(1, [theta], [f])[0]

    def _identity_internal(self):
        return (0, 0)

    def _compose(self, a, b):
        sign = -1 if a[0] else 1
        return ((a[0] + b[0]) % 2, (a[1] + sign * b[1]) % self.N)

    def _invert(self, a):
        return a if a[0] else (0, (-a[1]) % self.N)

    def _element_internals(self):
        return [(f, k) for f in (0, 1) for k in range(self.N)]

    def _generator_internals(self):
        return [(0, 1 % self.N), (1, 0)]

    def _testing_internals(self):
        return self._element_internals()

    def _sample_internal(self, rng):
        return (int(rng.integers(2)), int(rng.integers(self.N)))

    def _grid_internals(self, type, *args, **kwargs):
        if type == "regular":
            return self._element_internals()
        if type == "rand":
            n = args[0] if args else kwargs.get("N", 1)
            rng = np.random.default_rng(kwargs.get("seed", 0))
            return [self._sample_internal(rng) for _ in range(n)]
        raise ValueError(f"unknown grid type {type!r} for {self.name}; valid: 'regular', 'rand'")

    # irreps
    def _irrep_spec(self, id):
        if len(id) != 2:
            raise ValueError(f"{self.name} irrep ids are pairs (j, k), got {id!r}")
        j, k = as_int(id[0], "j"), as_int(id[1], "k")
        half = self.N / 2
        valid = (
            (j, k) in ((0, 0), (1, 0))
            or (j == 1 and 0 < k < half)
            or (self.N % 2 == 0 and k == self.N // 2 and j in (0, 1))
        )
        if not valid:
            raise ValueError(
                f"invalid irrep id {id!r} for {self.name}: valid ids are (0,0), (1,0), (1,k) for "
                f"0<k<N/2{', (0,N/2), (1,N/2)' if self.N % 2 == 0 else ''}"
            )
        dim = 2 if (j == 1 and 0 < k < half) else 1
        return IrrepSpec((j, k), dim, "R", f"irrep_{j},{k}", k)

    def _irrep_ids(self, L):
        top = self.N // 2 if L is None else min(L, self.N // 2)
        ids = [(0, 0), (1, 0)]
        for k in range(1, top + 1):
            if 2 * k < self.N:
                ids.append((1, k))
            else:
                ids.extend([(0, k), (1, k)])
        return ids

    def _irrep_matrices(self, id, xs):
        j, k = id
        f = np.array([x[0] for x in xs], dtype=np.int64)
        r = np.array([x[1] for x in xs], dtype=np.int64)
        if self._irrep_spec(id).dim == 1:
            value = np.ones(len(xs))
            if k:  # k = N/2
                value = value * (-1.0) ** r
            if j:
                value = value * (-1.0) ** f
            return value.reshape(-1, 1, 1)
        return planar_irrep_matrices(k, 2 * np.pi * r / self.N, f)

    def standard_representation(self):
        if self.N >= 3:
            return self.irrep(1, 1)
        from ._decompose import decompose_matrices
        from .representation import Representation

        def mats(xs):
            return planar_irrep_matrices(1, [2 * np.pi * x[1] / self.N for x in xs], [x[0] for x in xs])

        ids, q = decompose_matrices(self, mats, 2)
        return Representation(self, "standard", ids, q, ("norm", "gated"))

    # subgroups
    def _subgroup(self, id):
        from .cyclic import CyclicGroup

        if not (isinstance(id, tuple) and len(id) == 2):
            raise ValueError(f"{self.name} subgroup ids are pairs (axis, M), got {id!r}")
        axis, M = id
        M = as_int(M, "M")
        if M < 1 or self.N % M:
            raise ValueError(f"M must divide {self.N}, got {M}")
        step = self.N // M
        if axis is None:
            return CyclicGroup(M), _RotInclude(step), _RotRestrict(step, self.N)
        axis = as_int(axis, "axis")
        if not 0 <= axis < step:
            raise ValueError(
                f"axis must be in 0..{step - 1} for the subgroup D{M} of {self.name}, got {axis}"
            )
        return DihedralGroup(M), _DihInclude(step, axis, self.N), _DihRestrict(step, axis, self.N)


class _RotInclude:
    def __init__(self, step):
        self.step = step

    def __call__(self, h):
        return (0, h * self.step)


class _RotRestrict:
    def __init__(self, step, n):
        self.step, self.n = step, n

    def __call__(self, g):
        if g[0] or g[1] % self.step:
            raise ValueError(f"{g} of D{self.n} is not in the rotation subgroup C{self.n // self.step}")
        return g[1] // self.step


class _DihInclude:
    def __init__(self, step, axis, n):
        self.step, self.axis, self.n = step, axis, n

    def __call__(self, h):
        f, j = h
        return (f, (j * self.step + self.axis * f) % self.n)


class _DihRestrict:
    def __init__(self, step, axis, n):
        self.step, self.axis, self.n = step, axis, n

    def __call__(self, g):
        f, k = g
        shifted = (k - self.axis * f) % self.n
        if shifted % self.step:
            raise ValueError(f"{g} of D{self.n} is not in the subgroup D{self.n // self.step}")
        return (f, shifted // self.step)
