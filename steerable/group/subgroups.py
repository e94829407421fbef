"""Subgroups: ``G.subgroup(id) -> (H, inclusion, restriction)`` with picklable maps."""

from __future__ import annotations

from functools import lru_cache

from .element import GroupElement

__all__ = ["subgroup", "SubgroupInclusion", "SubgroupRestriction", "subgroup_key", "SubgroupId"]


def _typed(x):
    if isinstance(x, tuple):
        return ("tuple",) + tuple(_typed(i) for i in x)
    return (type(x).__name__, x)


class SubgroupId(tuple):
    """A subgroup id as a tuple that compares by value *and type*: in Python
    ``(False, False, 4) == (False, 0.0, 4)``, but the first is C4 about z and the second D4, so
    caches keyed by ids must tell them apart."""

    __slots__ = ()

    def __eq__(self, other):
        if isinstance(other, tuple):
            return _typed(self) == _typed(other)
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        return hash(_typed(self))


def subgroup_key(id):
    """A hashable normal form of a subgroup id (lists become tuples; tuples compare by type)."""
    if isinstance(id, (list, tuple)):
        return SubgroupId(subgroup_key(i) for i in id)
    return id


@lru_cache(maxsize=None)
def _subgroup_cached(group, key):
    return group._subgroup(key)


def subgroup_data(group, id):
    """``(H, include, restrict)`` acting on internal values (cached)."""
    key = subgroup_key(id)
    try:
        hash(key)
    except TypeError as err:
        raise ValueError(f"invalid subgroup id {id!r} for {group.name}") from err
    return _subgroup_cached(group, key)


class SubgroupInclusion:
    """The inclusion H -> G of ``G.subgroup(id)`` (picklable)."""

    def __init__(self, group, id):
        self.group = group
        self.id = subgroup_key(id)

    def __call__(self, h: GroupElement) -> GroupElement:
        sub, include, _ = subgroup_data(self.group, self.id)
        sub._check_element(h)
        return GroupElement(self.group, include(h._internal))

    def __repr__(self):
        return f"SubgroupInclusion({self.group.name}, {self.id!r})"


class SubgroupRestriction:
    """The map G ⊇ H -> H of ``G.subgroup(id)``; raises ValueError for elements not in H."""

    def __init__(self, group, id):
        self.group = group
        self.id = subgroup_key(id)

    def __call__(self, g: GroupElement) -> GroupElement:
        self.group._check_element(g)
        sub, _, restrict = subgroup_data(self.group, self.id)
        return GroupElement(sub, restrict(g._internal))

    def __repr__(self):
        return f"SubgroupRestriction({self.group.name}, {self.id!r})"


def subgroup(group, id):
    sub, _, _ = subgroup_data(group, id)
    return sub, SubgroupInclusion(group, id), SubgroupRestriction(group, id)
