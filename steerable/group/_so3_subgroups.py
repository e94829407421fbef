"""Subgroups of SO(3) by escnn's ids, as (H, include, restrict) acting on quaternion tuples.

Ids: ``'so3'``; ``'ico'``, ``'octa'``, ``'tetra'``; ``(False, N)`` the rotations about the z
axis (C_N, or SO(2) for N = -1); ``(True, N)`` the dihedral group about z whose flip is the
rotation by pi about the x axis (D_N, or O(2) for N = -1); ``(theta, N)`` the same with the
flip axis at angle ``theta`` in the xy-plane. A trailing SO(3) element ``adj`` conjugates the
subgroup: H' = adj H adj^-1.
"""

from __future__ import annotations

import numpy as np

from ._rotations import axis_rotation, q_compose, q_invert, q_key

__all__ = ["so3_subgroup", "split_adjoint"]

_Z = (0.0, 0.0, 1.0)


def split_adjoint(id, group_name: str):
    """``(id without trailing element, adjoint quaternion or None)``."""
    from .element import GroupElement

    if isinstance(id, tuple) and id and isinstance(id[-1], GroupElement):
        adj = id[-1]
        if adj.group.name not in ("SO(3)", "O(3)"):
            raise ValueError(f"the adjoint element of a {group_name} subgroup id must be a rotation")
        internal = adj._internal
        if adj.group.name == "O(3)":
            # the inversion is central: conjugating by -R is conjugating by R
            internal = internal[1]
        rest = id[:-1]
        if len(rest) == 1:
            rest = rest[0]
        return rest, internal
    return id, None


def so3_subgroup(id, maximum_frequency: int):
    """``(H, include, restrict)``; include maps H internals to quaternion tuples."""
    from .cyclic import CyclicGroup
    from .dihedral import DihedralGroup
    from .o2 import O2
    from .so2 import SO2

    base, adj = split_adjoint(id, "SO(3)")
    if base == "so3":
        sub, include, restrict = None, _Same(), _Same()
    elif base in ("ico", "octa", "tetra"):
        from . import polyhedral

        sub = {"ico": polyhedral.Icosahedral, "octa": polyhedral.Octahedral, "tetra": polyhedral.Tetrahedral}[
            base
        ]()
        include, restrict = _PolyInclude(sub), _PolyRestrict(sub)
    elif isinstance(base, tuple) and len(base) == 2:
        kind, N = base
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N == 0 or N < -1:
            raise ValueError(f"N in the SO(3) subgroup id {id!r} must be -1 or a positive integer")
        N = int(N)
        if kind is False:
            sub = SO2(maximum_frequency) if N == -1 else CyclicGroup(N)
            include, restrict = _ZInclude(N), _ZRestrict(N)
        elif kind is True or isinstance(kind, (float, np.floating, int, np.integer)):
            theta = 0.0 if kind is True else float(kind)
            sub = O2(maximum_frequency) if N == -1 else DihedralGroup(N)
            include, restrict = _DihInclude(N, theta), _DihRestrict(N, theta)
        else:
            raise ValueError(f"invalid SO(3) subgroup id {id!r}")
    else:
        raise ValueError(
            f"invalid SO(3) subgroup id {id!r}; valid: 'so3', 'ico', 'octa', 'tetra', "
            f"(False, N), (True, N), (theta, N), optionally followed by an adjoint element"
        )
    if adj is not None:
        include, restrict = _Conjugated(include, adj), _ConjugatedRestrict(restrict, adj)
    return sub, include, restrict


class _Same:
    def __call__(self, x):
        return x


class _PolyInclude:
    def __init__(self, sub):
        self.sub = sub

    def __call__(self, h):
        return q_key(self.sub._export(h, "Q"))


class _PolyRestrict:
    def __init__(self, sub):
        self.sub = sub

    def __call__(self, q):
        return self.sub._canonical(np.array(q), "Q")


def _z_angle(q, what):
    if abs(q[0]) > 1e-9 or abs(q[1]) > 1e-9:
        raise ValueError(f"{what}: the rotation is not about the z axis")
    return float(np.mod(2 * np.arctan2(q[2], q[3]), 2 * np.pi))


def _index(theta, n, what):
    k = theta * n / (2 * np.pi)
    if abs(k - round(k)) > 1e-6:
        raise ValueError(f"{what}: the rotation is not in C{n}")
    return int(round(k)) % n


class _ZInclude:
    def __init__(self, n):
        self.n = n

    def __call__(self, h):
        theta = h if self.n == -1 else 2 * np.pi * h / self.n
        return axis_rotation(_Z, theta)


class _ZRestrict:
    def __init__(self, n):
        self.n = n

    def __call__(self, q):
        from ._planar import angle_key

        theta = _z_angle(q, "restriction to a rotation subgroup about z")
        return angle_key(theta) if self.n == -1 else _index(theta, self.n, "restriction")


class _DihInclude:
    """(f, r) -> R_z(r) R_a(pi)^f with a the horizontal axis at angle theta."""

    def __init__(self, n, theta):
        self.n, self.theta = n, theta
        self.flip = axis_rotation((np.cos(theta), np.sin(theta), 0.0), np.pi)

    def __call__(self, h):
        f, r = h
        angle = r if self.n == -1 else 2 * np.pi * r / self.n
        q = axis_rotation(_Z, angle)
        return q_compose(q, self.flip) if f else q


class _DihRestrict:
    def __init__(self, n, theta):
        self.n, self.theta = n, theta
        self.flip = axis_rotation((np.cos(theta), np.sin(theta), 0.0), np.pi)

    def __call__(self, q):
        from ._planar import angle_key

        # a rotation maps z to +z (rotation about z) or to -z (rotation about z times the flip)
        zz = 1 - 2 * (q[0] ** 2 + q[1] ** 2)
        f = 0
        if zz < 0:
            f, q = 1, q_compose(q, q_invert(self.flip))
        theta = _z_angle(q, "restriction to a dihedral subgroup about z")
        return (f, angle_key(theta) if self.n == -1 else _index(theta, self.n, "restriction"))


class _Conjugated:
    def __init__(self, include, adj):
        self.include, self.adj = include, adj

    def __call__(self, h):
        return q_compose(q_compose(self.adj, self.include(h)), q_invert(self.adj))


class _ConjugatedRestrict:
    def __init__(self, restrict, adj):
        self.restrict, self.adj = restrict, adj

    def __call__(self, q):
        return self.restrict(q_compose(q_compose(q_invert(self.adj), q), self.adj))
