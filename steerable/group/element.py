"""Group elements: immutable values tied to their group."""

from __future__ import annotations

from typing import Any

__all__ = ["GroupElement"]


class GroupElement:
    """An element of a :class:`~steerable.group.Group`.

    Elements are immutable and hashable. They are created by ``group.element(value, param)``;
    ``value`` is in the group's default parametrisation (``group.PARAM``) unless ``param`` says
    otherwise. ``a @ b`` composes, ``~a`` inverts, ``a.to('MAT')`` converts.
    """

    __slots__ = ("_group", "_internal")

    def __init__(self, group, internal: Any):
        object.__setattr__(self, "_group", group)
        object.__setattr__(self, "_internal", internal)

    def __setattr__(self, key, value):
        raise AttributeError("GroupElement is immutable")

    def __reduce__(self):
        return (GroupElement, (self._group, self._internal))

    @property
    def group(self):
        return self._group

    @property
    def param(self) -> str:
        return self._group.PARAM

    @property
    def value(self):
        """The element in the group's default parametrisation (a copy)."""
        return self._group._export(self._internal, self._group.PARAM)

    def to(self, param: str):
        """The element's value in another parametrisation."""
        return self._group._export(self._internal, param)

    def __matmul__(self, other: GroupElement) -> GroupElement:
        if not isinstance(other, GroupElement):
            return NotImplemented
        if other._group != self._group:
            raise ValueError(
                f"cannot compose an element of {self._group.name} with one of {other._group.name}"
            )
        return GroupElement(self._group, self._group._compose(self._internal, other._internal))

    def __invert__(self) -> GroupElement:
        return GroupElement(self._group, self._group._invert(self._internal))

    def __eq__(self, other) -> bool:
        if not isinstance(other, GroupElement):
            return NotImplemented
        return other._group == self._group and self._group._equal(self._internal, other._internal)

    def __hash__(self) -> int:
        return hash((self._group, self._group._hash_internal(self._internal)))

    def is_identity(self) -> bool:
        return self == self._group.identity

    def __repr__(self) -> str:
        return f"{self._group.name}[{self._group._format(self._internal)}]"
