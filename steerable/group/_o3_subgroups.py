"""Subgroups of O(3) by escnn-style ids, as (H, include, restrict) on O(3) internals (j, q)."""

from __future__ import annotations

import numpy as np

from ._rotations import IDENTITY_Q, axis_rotation, q_compose, q_invert, q_key
from ._so3_subgroups import _ZRestrict, so3_subgroup, split_adjoint

__all__ = ["o3_subgroup", "o3_coset_representatives"]


def _rest(id):
    rest = id[1:]
    return rest[0] if len(rest) == 1 else rest


def o3_subgroup(id, maximum_frequency: int):
    """``(H, include, restrict)``; H is None for O(3) itself."""
    from .o2 import O2

    if id == "inv":
        from .cyclic import CyclicGroup

        return CyclicGroup(2), _InversionInclude(), _InversionRestrict()
    if id == "fulltetra":
        from .polyhedral import FullTetrahedral

        sub = FullTetrahedral()
        return sub, _FullTetraInclude(sub), _FullTetraRestrict(sub)
    if isinstance(id, tuple) and len(id) >= 2 and id[0] is False:
        sub, inc, res = so3_subgroup(_rest(id), maximum_frequency)
        from .so3 import SO3

        return (sub or SO3(maximum_frequency)), _Proper(inc), _ProperRestrict(res)
    if isinstance(id, tuple) and len(id) >= 2 and id[0] is True:
        rest = _rest(id)
        base, _ = split_adjoint(rest, "O(3)")
        if base == "so3":
            return None, _Identity(), _Identity()
        sub, inc, res = so3_subgroup(rest, maximum_frequency)
        return _with_inversion(sub), _WithInversion(inc), _WithInversionRestrict(res)
    if isinstance(id, tuple) and len(id) >= 3 and id[0] == "cone":
        base, adj = split_adjoint(id[1:], "O(3)")
        if not (isinstance(base, tuple) and len(base) == 2):
            raise ValueError(f"a conical subgroup id is ('cone', theta, N), got {id!r}")
        theta, N = base
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N == 0 or N < -1:
            raise ValueError(f"N in {id!r} must be -1 or a positive integer")
        from .dihedral import DihedralGroup

        sub = O2(maximum_frequency) if N == -1 else DihedralGroup(int(N))
        include, restrict = _ConeInclude(int(N), float(theta)), _ConeRestrict(int(N), float(theta))
        if adj is not None:
            include, restrict = _Conj(include, adj), _ConjRestrict(restrict, adj)
        return sub, include, restrict
    raise ValueError(
        f"invalid O(3) subgroup id {id!r}; valid: (False, <SO(3) subgroup id>), "
        f"(True, <SO(3) subgroup id>), ('cone', theta, N), 'fulltetra', 'inv'"
    )


def _with_inversion(sub):
    """H x {identity, inversion}, named like the factory that builds the same group."""
    from . import factories
    from .cyclic import CyclicGroup
    from .dihedral import DihedralGroup
    from .o2 import O2
    from .polyhedral import Icosahedral, Octahedral, Tetrahedral
    from .product import DirectProductGroup
    from .so2 import SO2

    if isinstance(sub, Icosahedral):
        return factories.full_ico_group()
    if isinstance(sub, Octahedral):
        return factories.full_octa_group()
    if isinstance(sub, Tetrahedral):
        return factories.pyrito_group()
    if isinstance(sub, SO2):
        return factories.cylinder_group(sub._maximum_frequency)
    if isinstance(sub, O2):
        return factories.full_cylinder_group(sub._maximum_frequency)
    if isinstance(sub, CyclicGroup):
        return factories.cylinder_discrete_group(sub.N)
    if isinstance(sub, DihedralGroup):
        return factories.full_cylinder_discrete_group(sub.N)
    return DirectProductGroup(sub, CyclicGroup(2))


def o3_coset_representatives(id):
    if isinstance(id, tuple) and len(id) == 2 and id[1] == "so3":
        return [(0, IDENTITY_Q), (1, IDENTITY_Q)] if id[0] is False else [(0, IDENTITY_Q)]
    return None


class _Identity:
    def __call__(self, x):
        return x


class _Proper:
    def __init__(self, inc):
        self.inc = inc

    def __call__(self, h):
        return (0, self.inc(h))


class _ProperRestrict:
    def __init__(self, res):
        self.res = res

    def __call__(self, g):
        if g[0]:
            raise ValueError("an improper element is not in a subgroup of SO(3)")
        return self.res(g[1])


class _WithInversion:
    def __init__(self, inc):
        self.inc = inc

    def __call__(self, h):
        return (h[1], self.inc(h[0]))


class _WithInversionRestrict:
    def __init__(self, res):
        self.res = res

    def __call__(self, g):
        return (self.res(g[1]), g[0])


def _mirror_rotation(theta: float) -> tuple:
    """The rotation part of the mirror through the vertical plane at angle theta: the
    mirror is -R_n(pi) with n the horizontal normal of the plane."""
    return axis_rotation((-np.sin(theta), np.cos(theta), 0.0), np.pi)


class _ConeInclude:
    def __init__(self, n, theta):
        self.n, self.mirror = n, _mirror_rotation(theta)

    def __call__(self, h):
        f, r = h
        angle = r if self.n == -1 else 2 * np.pi * r / self.n
        q = axis_rotation((0.0, 0.0, 1.0), angle)
        return (f, q_compose(q, self.mirror) if f else q)


class _ConeRestrict:
    def __init__(self, n, theta):
        self.n, self.mirror = n, _mirror_rotation(theta)
        self._about_z = _ZRestrict(n)

    def __call__(self, g):
        j, q = g
        if j:
            q = q_compose(q, q_invert(self.mirror))
        return (j, self._about_z(q))


class _Conj:
    def __init__(self, include, adj):
        self.include, self.adj = include, adj

    def __call__(self, h):
        j, q = self.include(h)
        return (j, q_compose(q_compose(self.adj, q), q_invert(self.adj)))


class _ConjRestrict:
    def __init__(self, restrict, adj):
        self.restrict, self.adj = restrict, adj

    def __call__(self, g):
        j, q = g
        return self.restrict((j, q_compose(q_compose(q_invert(self.adj), q), self.adj)))


class _FullTetraInclude:
    def __init__(self, sub):
        self.sub = sub

    def __call__(self, h):
        j, q = self.sub._export(h, "Q")
        return (int(j), q_key(q))


class _FullTetraRestrict:
    def __init__(self, sub):
        self.sub = sub

    def __call__(self, g):
        return self.sub._canonical((g[0], np.array(g[1])), "Q")


class _InversionInclude:
    def __call__(self, k):
        return (k, IDENTITY_Q)


class _InversionRestrict:
    def __call__(self, g):
        j, q = g
        if abs(abs(q[3]) - 1.0) > 1e-9:
            raise ValueError("only the identity and the inversion are in the inversion subgroup")
        return j
