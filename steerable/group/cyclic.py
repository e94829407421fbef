"""The cyclic group C_N of planar rotations by multiples of 2 pi / N."""

from __future__ import annotations

import numpy as np

from ._planar import angle_of_rotation_matrix, as_int, planar_irrep_matrices, rotation_matrices
from .group import Group, IrrepSpec

__all__ = ["CyclicGroup"]


class CyclicGroup(Group):
    """C_N. Elements are integers k (rotation by 2 pi k / N).

    Parametrisations: ``'int'`` (default), ``'radians'``, ``'MAT'`` (2x2 rotation matrix).
    Irrep ids: ``k`` in 0..N//2; k = 0 and k = N/2 are 1-dimensional (type R), the others are
    2x2 rotations by k times the angle (type C). Subgroup ids: ``M`` dividing N (C_M).
    """

    PARAM = "int"
    PARAMETRIZATIONS = ("int", "radians", "MAT")
    continuous = False
    abelian = True

    def __init__(self, N: int):
        N = as_int(N, "N")
        if N < 1:
            raise ValueError(f"the order N of a cyclic group must be >= 1, got {N}")
        super().__init__(None)
        self.N = N

    def _key(self):
        return (self.N,)

    def __reduce__(self):
        return (CyclicGroup, (self.N,))

    @property
    def name(self) -> str:
        return f"C{self.N}"

    def order(self) -> int:
        return self.N

    # elements
    def _canonical(self, value, param):
        if param == "int":
            return as_int(value, "a C_N element") % self.N
        if param == "MAT":
            theta, flip = angle_of_rotation_matrix(value)
            if flip:
                raise ValueError("a reflection is not an element of a cyclic group")
            value = theta
        k = float(value) * self.N / (2 * np.pi)
        if abs(k - round(k)) > 1e-6:
            raise ValueError(f"angle {value} is not a multiple of 2pi/{self.N}")
        return int(round(k)) % self.N

    def _export(self, x, param):
        self._check_param(param)
        if param == "int":
            return x
        theta = 2 * np.pi * x / self.N
        return theta if param == "radians" else rotation_matrices([theta])[0]

    def _identity_internal(self):
        return 0

    def _compose(self, a, b):
        return (a + b) % self.N

    def _invert(self, a):
        return (-a) % self.N

    def _element_internals(self):
        return list(range(self.N))

    def _generator_internals(self):
        return [1 % self.N]

    def _testing_internals(self):
        return list(range(self.N))

    def _sample_internal(self, rng):
        return int(rng.integers(self.N))

    def _grid_internals(self, type, *args, **kwargs):
        if type == "regular":
            return list(range(self.N))
        if type == "rand":
            n = args[0] if args else kwargs.get("N", 1)
            rng = np.random.default_rng(kwargs.get("seed", 0))
            return [int(k) for k in rng.integers(self.N, size=n)]
        raise ValueError(f"unknown grid type {type!r} for {self.name}; valid: 'regular', 'rand'")

    # irreps
    def _irrep_spec(self, id):
        if len(id) != 1:
            raise ValueError(f"{self.name} irrep ids are a single integer k, got {id!r}")
        k = as_int(id[0], "irrep frequency")
        if not 0 <= k <= self.N // 2:
            raise ValueError(f"{self.name} irrep frequency must be in 0..{self.N // 2}, got {k}")
        real = k == 0 or 2 * k == self.N
        return IrrepSpec((k,), 1 if real else 2, "R" if real else "C", f"irrep_{k}", k)

    def _irrep_ids(self, L):
        top = self.N // 2 if L is None else min(L, self.N // 2)
        return [(k,) for k in range(top + 1)]

    def _irrep_matrices(self, id, xs):
        k = id[0]
        xs = np.asarray(xs, dtype=np.int64)
        if k == 0:
            return np.ones((len(xs), 1, 1))
        if 2 * k == self.N:
            return ((-1.0) ** xs).reshape(-1, 1, 1)
        return planar_irrep_matrices(k, 2 * np.pi * xs / self.N)

    def standard_representation(self):
        from .representation import Representation

        if self.N >= 3:
            return self.irrep(1)
        from ._decompose import decompose_matrices

        ids, q = decompose_matrices(
            self, lambda xs: rotation_matrices(2 * np.pi * np.asarray(xs) / self.N), 2
        )
        return Representation(self, "standard", ids, q, ("norm", "gated"))

    # subgroups
    def _subgroup(self, id):
        if isinstance(id, tuple) and len(id) == 1:
            id = id[0]
        M = as_int(id, f"{self.name} subgroup id")
        if M < 1 or self.N % M != 0:
            raise ValueError(f"{self.name} subgroup id must be a divisor M of {self.N}, got {M}")
        step = self.N // M
        return CyclicGroup(M), _Scale(step, self.N), _Unscale(step, self.N)


class _Scale:
    def __init__(self, step, n):
        self.step, self.n = step, n

    def __call__(self, h):
        return (h * self.step) % self.n


class _Unscale:
    def __init__(self, step, n):
        self.step, self.n = step, n

    def __call__(self, g):
        if g % self.step:
            raise ValueError(f"rotation {g} of C{self.n} is not in the subgroup C{self.n // self.step}")
        return g // self.step
