"""The polyhedral groups: tetrahedral T, octahedral O, icosahedral I, and full tetrahedral T_d.

Orientation (fixed, used by every gspace and grid built on these groups):

* **Tetrahedral** T (12 rotations): the symmetries of the regular tetrahedron with vertices
  (1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1); its three 2-fold axes are the coordinate
  axes and its 3-fold axes the diagonals (+-1, +-1, +-1).
* **Octahedral** O (24 rotations): the symmetries of the cube [-1, 1]^3; 4-fold axes along the
  coordinate axes. T is a subgroup of O.
* **Icosahedral** I (60 rotations): the symmetries of the icosahedron with vertices
  (0, +-1, +-phi) and their cyclic permutations (phi the golden ratio); a 2-fold axis along each
  coordinate axis and 3-fold axes along (+-1, +-1, +-1), so T is a subgroup of I as well.
* **FullTetrahedral** T_d (24 elements): the full symmetry group of the tetrahedron above, as
  O(3) matrices: the 12 rotations of T and the 12 improper elements -R for the rotations R of
  O that are not in T (the 6 mirrors and the 6 rotoreflections S4).

Elements: the internal value is an integer index into a canonical element list (identity
first; see :mod:`._finite_o3`). Parametrisations: ``'Q'`` (default) a unit quaternion
``(x, y, z, w)``, scalar last (``q`` and ``-q`` are the same element); ``'MAT'`` the 3x3 matrix;
``'EV'`` the axis-angle vector ``axis * angle``. For T_d, ``'Q'`` and ``'EV'`` values are pairs
``(j, q)`` / ``(j, v)`` meaning the O(3) matrix ``(-1)^j R(q)``, and ``'MAT'`` is that matrix.

Irreps are real orthogonal and computed (never typed in) from restricted O(3) irreps; see
:mod:`._finite_o3`. Their ``frequency`` is the degree l of the first O(3) irrep in which they
occur with multiplicity one. Ids (escnn-style, 1-tuples):

* Ico: (0,) trivial, (1,) the 3-dim standard (in D_1), (2,) the other 3-dim, (3,) 4-dim,
  (4,) 5-dim (= D_2).
* Octa: (-1,) the 1-dim A2, (0,) trivial, (1,) T1 (the standard 3-dim, D_1), (2,) E (2-dim),
  (3,) T2 (3-dim).
* Tetra: (0,) trivial, (1,) the standard 3-dim, (2,) the 2-dim irrep of type 'C' (the pair of
  complex conjugate 1-dim irreps).
* FullTetra: (0,) trivial, (-1,) the determinant, (1,) the standard vector representation,
  (2,) E (2-dim), (3,) the pseudovectors (3-dim).

Subgroup ids: the group's own name ('tetra', 'octa', 'ico', 'fulltetra') gives itself;
'tetra' inside Octa, Ico and FullTetra (its rotations); ``(False, N)`` the cyclic group C_N of
rotations about z (N = 1 the trivial group) and ``(True, N)`` the dihedral group D_N about z
whose flip is the rotation by pi about x (D_N element (f, k) is R_z(2 pi k / N) R_x(pi)^f), for
the N where these are subgroups.
"""

from __future__ import annotations

import numpy as np

from ._finite_o3 import (
    IndexInclude,
    IndexRestrict,
    group_data,
    irrep_data,
    match_elements,
)
from ._planar import as_int
from ._so3_math import (
    axis_angle_vector_to_quaternion,
    canonical_quaternion,
    matrix_to_quaternion,
    quaternion_to_axis_angle_vector,
)
from .group import Group

__all__ = ["Tetrahedral", "Octahedral", "Icosahedral", "FullTetrahedral"]

_NORM_TOL = 1e-6
# The permutation with D_1(R) = P R P^T for the real Wigner-D of degree 1: (x, y, z) -> (y, z, x).
_P = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


def _as_float_array(value, shape, what) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{what} must be an array of shape {shape}, got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} must be an array of shape {shape}, got {value!r}") from err
    if arr.shape != shape:
        raise ValueError(f"{what} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be finite, got {arr!r}")
    return arr


def _quaternion_of(value, param: str) -> np.ndarray:
    """Unit quaternion of a rotation given as 'Q', 'MAT' (det +1) or 'EV'."""
    if param == "Q":
        q = _as_float_array(value, (4,), "a quaternion (x, y, z, w)")
        if abs(np.linalg.norm(q) - 1.0) > _NORM_TOL:
            raise ValueError(f"a rotation quaternion must have unit norm, got norm {np.linalg.norm(q)}")
        return canonical_quaternion(q)
    if param == "EV":
        return axis_angle_vector_to_quaternion(_as_float_array(value, (3,), "an axis-angle vector"))
    mat = _as_float_array(value, (3, 3), "a rotation matrix")
    if not np.allclose(mat.T @ mat, np.eye(3), atol=_NORM_TOL) or np.linalg.det(mat) < 0:
        raise ValueError(f"expected a 3x3 rotation matrix, got {mat!r}")
    return matrix_to_quaternion(mat)


def _axis_angle_vector(q: np.ndarray) -> np.ndarray:
    # quaternion_to_axis_angle_vector evaluates both branches of a np.where: silence the
    # harmless division by w = 0 of the unused branch for rotations by pi
    with np.errstate(divide="ignore", invalid="ignore"):
        return quaternion_to_axis_angle_vector(q)


class _PolyhedralGroup(Group):
    """Base class: a finite subgroup of O(3) given by a ``KIND`` of :mod:`._finite_o3`."""

    KIND: str = ""
    NAME: str = ""
    SUBGROUP_NAME: str = ""
    PARAM = "Q"
    PARAMETRIZATIONS = ("Q", "MAT", "EV")
    continuous = False
    abelian = False
    # named subgroups: id -> class of the subgroup (its elements are a subset of ours)
    _NAMED_SUBGROUPS: tuple = ()

    def __init__(self):
        super().__init__(None)

    def _key(self):
        return ()

    def __reduce__(self):
        return (type(self), ())

    @property
    def name(self) -> str:
        return self.NAME

    @property
    def _data(self):
        return group_data(self.KIND)

    def order(self) -> int:
        return self._data.order

    # ------------------------------------------------------------------ elements
    def _lookup(self, j: int, q: np.ndarray, value) -> int:
        index = int(match_elements(self._data, [j], q[None])[0])
        if index < 0:
            raise ValueError(f"{value!r} is not an element of {self.name}")
        return index

    def _canonical(self, value, param):
        self._check_param(param)
        return self._lookup(0, _quaternion_of(value, param), value)

    def _export(self, x, param):
        self._check_param(param)
        q = np.array(self._data.quats[x])
        if param == "Q":
            return q
        if param == "EV":
            return _axis_angle_vector(q)
        return self._data.matrices([x])[0]

    def _format(self, x) -> str:
        q = [round(float(v), 4) + 0.0 for v in self._data.quats[x]]
        j = int(self._data.signs[x])
        return f"{'-' if j else ''}Q{tuple(q)}"

    def _identity_internal(self):
        return 0

    def _compose(self, a, b):
        return int(self._data.table[a, b])

    def _invert(self, a):
        return int(self._data.inverse[a])

    def _element_internals(self):
        return list(range(self.order()))

    def _generator_internals(self):
        return list(self._data.generators)

    def _testing_internals(self):
        return self._element_internals()

    def _sample_internal(self, rng):
        return int(rng.integers(self.order()))

    def _grid_internals(self, type, *args, **kwargs):
        if type == "regular":
            return self._element_internals()
        if type == "rand":
            n = args[0] if args else kwargs.get("N", 1)
            rng = np.random.default_rng(kwargs.get("seed", 0))
            return [int(k) for k in rng.integers(self.order(), size=as_int(n, "N"))]
        raise ValueError(f"unknown grid type {type!r} for {self.name}; valid: 'regular', 'rand'")

    # ------------------------------------------------------------------ irreps
    def _irrep_spec(self, id):
        irreps = irrep_data(self.KIND)
        if not isinstance(id, tuple):
            id = (id,)
        if len(id) == 1 and isinstance(id[0], tuple):
            id = id[0]
        if len(id) != 1:
            raise ValueError(f"{self.name} irrep ids are a single integer, got {id!r}")
        k = (as_int(id[0], "irrep id"),)
        if k not in irreps.specs:
            raise ValueError(f"unknown irrep id {id!r} of {self.name}; valid: {[i[0] for i in irreps.ids]}")
        return irreps.specs[k]

    def _irrep_ids(self, L):
        irreps = irrep_data(self.KIND)
        return [i for i in irreps.ids if L is None or irreps.specs[i].frequency <= L]

    def _irrep_matrices(self, id, xs):
        table = irrep_data(self.KIND).tables[self._irrep_spec(id).id]
        return table[np.asarray(xs, dtype=np.int64).reshape(-1)]

    def standard_representation(self):
        """The defining action on R^3: ``rho(g)`` is exactly the 3x3 (rotation) matrix of g."""
        from .representation import Representation

        basis = irrep_data(self.KIND).bases[(1,)]
        return Representation(self, "standard", [(1,)], _P.T @ basis, ("norm", "gated"))

    # ------------------------------------------------------------------ subgroups
    def _valid_axis_orders(self) -> tuple[list, list]:
        """The N for which C_N and D_N about z (flip R_x(pi)) are subgroups."""
        cyclic = [n for n in range(1, 13) if self._z_rotation_index(1, n) >= 0]
        x_flip = self._rotation_index([1.0, 0.0, 0.0], np.pi) >= 0
        return cyclic, (cyclic if x_flip else [])

    def _rotation_index(self, axis, angle) -> int:
        axis = np.asarray(axis, dtype=np.float64)
        q = np.concatenate([np.sin(angle / 2.0) * axis, [np.cos(angle / 2.0)]])
        return int(match_elements(self._data, [0], q[None])[0])

    def _z_rotation_index(self, k: int, n: int) -> int:
        return self._rotation_index([0.0, 0.0, 1.0], 2.0 * np.pi * k / n)

    def _valid_subgroup_ids(self) -> list:
        cyclic, dihedral = self._valid_axis_orders()
        named = [self.SUBGROUP_NAME] + [name for name, _ in self._NAMED_SUBGROUPS]
        return named + [(False, n) for n in cyclic] + [(True, n) for n in dihedral]

    def _subgroup_error(self, id):
        return ValueError(f"unknown subgroup id {id!r} of {self.name}; valid: {self._valid_subgroup_ids()}")

    def _subgroup(self, id):
        from .cyclic import CyclicGroup
        from .dihedral import DihedralGroup

        if isinstance(id, tuple) and len(id) == 1 and isinstance(id[0], str):
            id = id[0]
        if isinstance(id, str):
            if id == self.SUBGROUP_NAME:
                sub = type(self)()
            else:
                named = dict(self._NAMED_SUBGROUPS)
                if id not in named:
                    raise self._subgroup_error(id)
                sub = named[id]()
            sub_data = sub._data
            mapping = match_elements(self._data, sub_data.signs, sub_data.quats)
            if (mapping < 0).any():
                raise ArithmeticError(f"{sub.name} is not contained in {self.name}")
            pairs = {h: int(g) for h, g in enumerate(mapping)}
        elif isinstance(id, tuple) and len(id) == 2 and isinstance(id[0], (bool, np.bool_)):
            flip, n = bool(id[0]), id[1]
            try:
                n = as_int(n, "the order N of the subgroup")
            except TypeError as err:
                raise self._subgroup_error(id) from err
            cyclic, dihedral = self._valid_axis_orders()
            if n not in (dihedral if flip else cyclic):
                raise self._subgroup_error(id)
            x_flip = self._rotation_index([1.0, 0.0, 0.0], np.pi)
            if flip:
                sub = DihedralGroup(n)
                pairs = {
                    (f, k): (
                        self._compose(self._z_rotation_index(k, n), x_flip)
                        if f
                        else self._z_rotation_index(k, n)
                    )
                    for f in (0, 1)
                    for k in range(n)
                }
            else:
                sub = CyclicGroup(n)
                pairs = {k: self._z_rotation_index(k, n) for k in range(n)}
        else:
            raise self._subgroup_error(id)
        table = [None] * self.order()
        for h, g in pairs.items():
            table[g] = h
        return sub, IndexInclude(pairs), IndexRestrict(tuple(table), self.name, sub.name)


class Tetrahedral(_PolyhedralGroup):
    """T: the 12 rotations of the tetrahedron (1,1,1), (1,-1,-1), (-1,1,-1), (-1,-1,1).

    Irrep ids: (0,) trivial, (1,) the standard 3-dim, (2,) 2-dim of type 'C'.
    Subgroup ids: 'tetra', (False, N) for N in (1, 2), (True, N) for N in (1, 2).
    See the module docstring for parametrisations and orientation.
    """

    KIND = "Tetra"
    NAME = "Tetra"
    SUBGROUP_NAME = "tetra"


class Octahedral(_PolyhedralGroup):
    """O: the 24 rotations of the cube [-1, 1]^3.

    Irrep ids: (-1,) A2, (0,) trivial, (1,) the standard 3-dim, (2,) E, (3,) T2.
    Subgroup ids: 'octa', 'tetra', (False, N) for N in (1, 2, 4), (True, N) for N in (1, 2, 4).
    See the module docstring for parametrisations and orientation.
    """

    KIND = "Octa"
    NAME = "Octa"
    SUBGROUP_NAME = "octa"
    _NAMED_SUBGROUPS = (("tetra", Tetrahedral),)


class Icosahedral(_PolyhedralGroup):
    """I: the 60 rotations of the icosahedron with vertices (0, +-1, +-phi) and cyclic shifts.

    Irrep ids: (0,) trivial, (1,) the standard 3-dim, (2,) the other 3-dim, (3,) 4-dim,
    (4,) 5-dim. Subgroup ids: 'ico', 'tetra', (False, N) and (True, N) for N in (1, 2).
    See the module docstring for parametrisations and orientation.
    """

    KIND = "Ico"
    NAME = "Ico"
    SUBGROUP_NAME = "ico"
    _NAMED_SUBGROUPS = (("tetra", Tetrahedral),)


class FullTetrahedral(_PolyhedralGroup):
    """T_d: the 24 symmetries (rotations and improper elements -R) of the tetrahedron.

    Values of ``'Q'`` are pairs ``(j, q)`` and of ``'EV'`` pairs ``(j, v)``, meaning the O(3)
    matrix ``(-1)^j R``; ``'MAT'`` is that matrix. Irrep ids: (0,) trivial, (-1,) the
    determinant, (1,) the standard vector representation, (2,) E, (3,) pseudovectors.
    Subgroup ids: 'fulltetra', 'tetra' (the rotations), (False, N) and (True, N) for N in (1, 2)
    (rotations about z, flip R_x(pi)).
    """

    KIND = "FullTetra"
    NAME = "FullTetra"
    SUBGROUP_NAME = "fulltetra"
    _NAMED_SUBGROUPS = (("tetra", Tetrahedral),)

    def _canonical(self, value, param):
        self._check_param(param)
        if param == "MAT":
            mat = _as_float_array(value, (3, 3), "an O(3) matrix")
            if not np.allclose(mat.T @ mat, np.eye(3), atol=_NORM_TOL):
                raise ValueError(f"expected an orthogonal 3x3 matrix, got {mat!r}")
            j = int(np.linalg.det(mat) < 0)
            return self._lookup(j, matrix_to_quaternion(mat * (1.0 - 2.0 * j)), value)
        if isinstance(value, np.ndarray) or not isinstance(value, (tuple, list)) or len(value) != 2:
            raise TypeError(
                f"a {self.name} element in parametrisation {param!r} is a pair (j, value) with "
                f"j in {{0, 1}}, got {value!r}"
            )
        j = as_int(value[0], "the parity j")
        if j not in (0, 1):
            raise ValueError(f"the parity j of a {self.name} element must be 0 or 1, got {j}")
        return self._lookup(j, _quaternion_of(value[1], param), value)

    def _export(self, x, param):
        self._check_param(param)
        if param == "MAT":
            return self._data.matrices([x])[0]
        j = int(self._data.signs[x])
        q = np.array(self._data.quats[x])
        return (j, q) if param == "Q" else (j, _axis_angle_vector(q))
