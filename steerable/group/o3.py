"""O(3): 3D rotations and reflections, O(3) = SO(3) x {identity, inversion}."""

from __future__ import annotations

import numpy as np

from ._planar import as_int
from ._rotations import (
    IDENTITY_Q,
    ROTATION_PARAMETRIZATIONS,
    export_rotation,
    is_rotation_param,
    parse_rotation,
    q_compose,
    q_equal,
    q_hash,
    q_invert,
    q_key,
)
from ._so3_math import wigner_D
from .group import Group, IrrepSpec

__all__ = ["O3"]


class O3(Group):
    """O(3). Elements are pairs ``(j, q)``: the matrix (-1)^j R(q) (j = 1: times the inversion).

    Parametrisations: those of SO(3) applied to the rotation part, values ``(j, value)``;
    ``'MAT'`` also accepts a plain 3x3 orthogonal matrix. Irrep ids ``(j, l)``: the Wigner-D
    D_l times (-1)^(j * inversion) (j = 0 even, j = 1 odd parity; the vector representation
    is (1, 1)). Subgroup ids: ``(False, id)`` the SO(3) subgroup ``id``; ``(True, id)`` its
    product with the inversion (``(True, 'so3')`` is O(3) itself); ``('cone', theta, N)`` the
    conical group: rotations about z (C_N, SO(2) for N = -1) and the mirrors through vertical
    planes, one of them containing the horizontal direction at angle theta (D_N or O(2));
    ``'fulltetra'`` the full tetrahedral group T_d; ``'inv'`` {identity, inversion} as C_2.
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
        return (O3, (self._maximum_frequency,))

    @property
    def name(self) -> str:
        return "O(3)"

    def _check_param(self, param):
        if not is_rotation_param(param):
            super()._check_param(param)

    def _canonical(self, value, param):
        if param == "MAT" and isinstance(value, np.ndarray) and value.shape == (3, 3):
            mat = np.asarray(value, dtype=np.float64)
            j = int(np.linalg.det(mat) < 0)
            return (j, parse_rotation(-mat if j else mat, "MAT"))
        try:
            j, rot = value
        except (TypeError, ValueError) as err:
            raise ValueError(f"an O(3) element is a pair (inversion, rotation), got {value!r}") from err
        j = as_int(j, "inversion flag")
        if j not in (0, 1):
            raise ValueError(f"the inversion flag of an O(3) element must be 0 or 1, got {j}")
        return (j, parse_rotation(rot, param))

    def _export(self, x, param):
        if param == "MAT":
            mat = export_rotation(x[1], "MAT")
            return -mat if x[0] else mat
        return (x[0], export_rotation(x[1], param))

    def _format(self, x):
        return f"({x[0]}, {np.round(np.array(x[1]), 4).tolist()})"

    def _identity_internal(self):
        return (0, IDENTITY_Q)

    def _compose(self, a, b):
        return ((a[0] + b[0]) % 2, q_compose(a[1], b[1]))

    def _invert(self, a):
        return (a[0], q_invert(a[1]))

    def _equal(self, a, b):
        return a[0] == b[0] and q_equal(a[1], b[1])

    def _hash_internal(self, a):
        return hash((a[0], q_hash(a[1])))

    def _generator_internals(self):
        from .so3 import SO3

        return [(0, q) for q in SO3()._generator_internals()] + [(1, IDENTITY_Q)]

    def _testing_internals(self):
        from .so3 import SO3

        rots = SO3()._testing_internals()
        return [(j, q) for j in (0, 1) for q in rots]

    def _sample_internal(self, rng):
        q = rng.normal(size=4)
        return (int(rng.integers(2)), q_key(q / np.linalg.norm(q)))

    def _grid_internals(self, type, *args, **kwargs):
        from .grids import so3_grid

        rots = [q_key(q) for q in so3_grid(type, *args, **kwargs)]
        return [(j, q) for j in (0, 1) for q in rots]

    def sphere_grid(self, type: str, *args, **kwargs):
        from .so3 import SO3

        return [self.element((0, g.value), "Q") for g in SO3().sphere_grid(type, *args, **kwargs)]

    def _irrep_spec(self, id):
        if len(id) != 2:
            raise ValueError(f"O(3) irrep ids are pairs (j, l), got {id!r}")
        j, l = as_int(id[0], "j"), as_int(id[1], "l")
        if j not in (0, 1) or l < 0:
            raise ValueError(f"invalid O(3) irrep id {id!r}: j in {{0, 1}}, l >= 0")
        return IrrepSpec((j, l), 2 * l + 1, "R", f"irrep_{j},{l}", l)

    def _irrep_ids(self, L):
        L = self._maximum_frequency if L is None else L
        return [(j, l) for l in range(L + 1) for j in (0, 1)]

    def _irrep_matrices(self, id, xs):
        j, l = id
        flags = np.array([x[0] for x in xs], dtype=np.float64)
        mats = wigner_D(l, np.array([x[1] for x in xs], dtype=np.float64).reshape(-1, 4))
        if j:
            mats = mats * ((-1.0) ** flags)[:, None, None]
        return mats

    def _clebsch_gordan_decomposition(self, m, n):
        from .so3 import SO3

        ids, c = SO3()._clebsch_gordan_decomposition((m[1],), (n[1],))
        parity = (m[0] + n[0]) % 2
        return [(parity, i[0]) for i in ids], c

    def standard_representation(self):
        from .representation import Representation
        from .so3 import _STANDARD_Q

        return Representation(self, "standard", [(1, 1)], _STANDARD_Q, ("norm", "gated"))

    def bl_sphere_representation(self, L: int):
        """Band-limited functions on the sphere S^2 = O(3)/O(2) (O(2) = the symmetries of the
        z axis: rotations about z and mirrors through vertical planes)."""
        return self.bl_quotient_representation(L, ("cone", 0.0, -1))

    def _subgroup(self, id):
        from ._o3_subgroups import o3_subgroup

        sub, include, restrict = o3_subgroup(id, self._maximum_frequency)
        return (self if sub is None else sub), include, restrict

    def _coset_representatives(self, id):
        from ._o3_subgroups import o3_coset_representatives

        return o3_coset_representatives(id)
