"""The abstract group: elements, irreps, and the representations every group can build.

A concrete group implements a handful of private hooks on its *internal* element values
(hashable canonical values such as an integer index or a rounded quaternion tuple):

=========================  ===========================================================
``_key()``                 hashable identity of the group (``==``, ``hash``, pickling)
``_canonical(v, param)``   validate a user value and return the internal value
``_export(x, param)``      internal value -> user value in a parametrisation
``_identity_internal()``   the identity
``_compose(a, b)``         product a b
``_invert(a)``             inverse
``_irrep_spec(id)``        normalise an irrep id -> :class:`IrrepSpec` (raise ValueError)
``_irrep_matrices(id, xs)`` ``(N, d, d)`` irrep matrices at a list of internal values
``_irrep_ids(L)``          ids of the irreps of "frequency" <= L, in canonical order
``_generator_internals()`` generators (finite) or topological generators (compact)
``_testing_internals()``   a small set of elements used by tests and equivariance checks
``_sample_internal(rng)``  a random element (Haar measure)
=========================  ===========================================================

Finite groups also implement ``_element_internals()``. Everything else (representations,
restriction, induction, Clebsch-Gordan) is generic and lives in the sibling modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .element import GroupElement

if TYPE_CHECKING:
    from .representation import IrreducibleRepresentation, Representation

__all__ = ["Group", "IrrepSpec"]


@dataclass(frozen=True)
class IrrepSpec:
    """What a group says about one of its irreps (plain data)."""

    id: tuple
    dim: int
    type: str  # 'R', 'C' or 'H'
    name: str
    frequency: int = 0  # the band-limit level at which it first appears

    @property
    def sum_of_squares_constituents(self) -> int:
        return {"R": 1, "C": 2, "H": 4}[self.type]


class Group:
    """Base class of every group. Groups are immutable values: equal when mathematically equal.

    ``maximum_frequency`` (continuous groups) only decides which irreps ``irreps()`` lists;
    it is not part of the group's identity: ``so3_group(2) == so3_group(5)``, and any irrep
    can always be asked for with ``irrep(*id)``.
    """

    PARAM: str = "int"
    PARAMETRIZATIONS: tuple = ("int",)
    continuous: bool = False
    abelian: bool = False

    def __init__(self, maximum_frequency: int | None = None):
        self._maximum_frequency = maximum_frequency

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # memoise each group's _irrep_spec per instance: it sits on every hot path
        raw = cls.__dict__.get("_irrep_spec")
        if raw is not None:

            def cached(self, id, _raw=raw):
                cache = self.__dict__.setdefault("_spec_cache", {})
                try:
                    return cache[id]
                except KeyError:
                    spec = cache[id] = _raw(self, id)
                    return spec
                except TypeError:  # unhashable (invalid) id: let the group explain
                    return _raw(self, id)

            cached.__doc__ = raw.__doc__
            cls._irrep_spec = cached

    # ---------------------------------------------------------------- identity of the group
    def _key(self) -> tuple:
        raise NotImplementedError

    @property
    def name(self) -> str:
        raise NotImplementedError

    def __eq__(self, other) -> bool:
        if not isinstance(other, Group):
            return NotImplemented
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name

    # ---------------------------------------------------------------- elements
    def order(self) -> int:
        """Number of elements, or -1 for an infinite group."""
        return -1

    def element(self, value, param: str | None = None) -> GroupElement:
        """The element with the given ``value`` in parametrisation ``param`` (default ``PARAM``)."""
        param = self.PARAM if param is None else param
        self._check_param(param)
        return GroupElement(self, self._canonical(value, param))

    def _check_param(self, param: str) -> None:
        if param not in self.PARAMETRIZATIONS:
            raise ValueError(
                f"unknown parametrisation {param!r} for {self.name}; valid: {list(self.PARAMETRIZATIONS)}"
            )

    @property
    def identity(self) -> GroupElement:
        return GroupElement(self, self._identity_internal())

    @property
    def elements(self) -> list[GroupElement] | None:
        """All elements of a finite group, ``None`` for an infinite one."""
        if self.continuous:
            return None
        return [GroupElement(self, x) for x in self._element_internals()]

    @property
    def generators(self) -> list[GroupElement]:
        """Generators of a finite group (topological generators of a compact one)."""
        return [GroupElement(self, x) for x in self._generator_internals()]

    def sample(self, rng: np.random.Generator | None = None) -> GroupElement:
        """A random element (Haar measure). Pass ``rng`` for reproducibility."""
        rng = np.random.default_rng() if rng is None else rng
        return GroupElement(self, self._sample_internal(rng))

    def testing_elements(self):
        """A small set of elements used to check equivariance (all elements if finite & small)."""
        return iter([GroupElement(self, x) for x in self._testing_internals()])

    def grid(self, type: str, *args, **kwargs) -> list[GroupElement]:
        """A grid of elements; the valid ``type`` values depend on the group."""
        return [GroupElement(self, x) for x in self._grid_internals(type, *args, **kwargs)]

    def _grid_internals(self, type, *args, **kwargs):
        raise ValueError(f"{self.name} has no grids")

    def _check_element(self, g) -> None:
        if not isinstance(g, GroupElement):
            raise TypeError(f"expected a GroupElement of {self.name}, got {type(g).__name__}")
        if g.group != self:
            raise ValueError(f"expected an element of {self.name}, got one of {g.group.name}")

    def _format(self, x) -> str:
        return repr(self._export(x, self.PARAM))

    def _equal(self, a, b) -> bool:
        return a == b

    def _hash_internal(self, a) -> int:
        return hash(a)

    # ---------------------------------------------------------------- irreps
    def irrep(self, *id) -> IrreducibleRepresentation:
        """The irrep with the given id (see the group's docstring for its id scheme)."""
        spec = self._irrep_spec(id)
        return _irrep_cached(self, spec.id)

    def irreps(self) -> list[IrreducibleRepresentation]:
        """All irreps (finite group) or those up to ``maximum_frequency`` (compact group)."""
        return [self.irrep(*i) for i in self._irrep_ids(self._maximum_frequency)]

    def bl_irreps(self, L: int) -> list[tuple]:
        """Ids of the irreps of frequency at most ``L`` (band-limited), in canonical order."""
        if not isinstance(L, (int, np.integer)) or L < 0:
            raise ValueError(f"band limit L must be a non-negative integer, got {L!r}")
        # stable sort by frequency: bl_irreps(L) is always a prefix of bl_irreps(L + 1)
        return sorted(self._irrep_ids(int(L)), key=self._irrep_frequency)

    @property
    def trivial_representation(self) -> IrreducibleRepresentation:
        return self.irrep(*self._irrep_ids(0)[0])

    @property
    def representations(self) -> dict:
        """Named representations: the trivial one, the irreps listed by ``irreps()``, and the
        regular one for finite groups. A fresh dict on every call (no mutable registry)."""
        reps = {"trivial": self.trivial_representation}
        for irr in self.irreps():
            reps[irr.name] = irr
        if not self.continuous:
            reps["regular"] = self.regular_representation
        return reps

    def _irrep_matrix(self, id: tuple, x) -> np.ndarray:
        return self._irrep_matrices(id, [x])[0]

    def _all_irrep_ids(self):
        """Iterate over every irrep id in canonical order (finitely many for finite groups)."""
        if not self.continuous:
            yield from self._irrep_ids(None)
            return
        level = 0
        seen = set()
        while True:
            for i in self._irrep_ids(level):
                if i not in seen:
                    seen.add(i)
                    yield i
            level += 1

    def _irrep_frequency(self, id: tuple) -> int:
        return self._irrep_spec(id).frequency

    # ---------------------------------------------------------------- representations
    @property
    def regular_representation(self) -> Representation:
        from .constructions import regular_representation

        return regular_representation(self)

    def bl_regular_representation(self, L: int) -> Representation:
        from .constructions import spectral_regular_representation

        return spectral_regular_representation(self, *self.bl_irreps(L), name=f"regular_{L}")

    def spectral_regular_representation(self, *irreps, name: str | None = None) -> Representation:
        from .constructions import spectral_regular_representation

        return spectral_regular_representation(self, *irreps, name=name)

    def quotient_representation(self, subgroup_id) -> Representation:
        from .constructions import quotient_representation

        return quotient_representation(self, subgroup_id)

    def bl_quotient_representation(self, L: int, subgroup_id) -> Representation:
        from .constructions import spectral_quotient_representation

        return spectral_quotient_representation(
            self, subgroup_id, *self.bl_irreps(L), name=f"quotient[{subgroup_id}]_{L}"
        )

    def spectral_quotient_representation(self, subgroup_id, *irreps, name=None) -> Representation:
        from .constructions import spectral_quotient_representation

        return spectral_quotient_representation(self, subgroup_id, *irreps, name=name)

    def induced_representation(self, subgroup_id, repr) -> Representation:
        from .constructions import induced_representation

        return induced_representation(self, subgroup_id, repr)

    def restrict_representation(self, id, repr) -> Representation:
        from .restriction import restrict_representation

        return restrict_representation(self, id, repr)

    def standard_representation(self) -> Representation:
        """The defining action on R^2 or R^3, where the group has one."""
        raise ValueError(f"{self.name} has no standard representation")

    # ---------------------------------------------------------------- subgroups
    def subgroup(self, id):
        """``(H, inclusion, restriction)`` for the subgroup with the given id.

        ``inclusion`` maps elements of H to elements of this group; ``restriction`` maps
        elements of this group that lie in H to elements of H (and raises otherwise).
        """
        from .subgroups import subgroup

        return subgroup(self, id)

    def _subgroup(self, id):
        """Hook: ``(H, include, restrict)`` where include/restrict act on internal values.
        The two functions must be picklable (bound methods or module-level functions)."""
        raise ValueError(f"{self.name} has no subgroup with id {id!r}")

    def homspace(self, id):
        from .homspace import HomSpace

        return HomSpace(self, id)

    # ---------------------------------------------------------------- Clebsch-Gordan
    def _tensor_product_irreps(self, m, n) -> list[tuple]:
        """``[(irrep id, multiplicity)]`` of the decomposition of irrep(m) x irrep(n)."""
        from .clebsch_gordan import tensor_product_irreps

        return tensor_product_irreps(self, _as_id(m), _as_id(n))

    def _clebsh_gordan_coeff(self, m, n, j) -> np.ndarray:
        """Array ``(dim_m, dim_n, multiplicity, dim_j)`` of Clebsch-Gordan coefficients."""
        from .clebsch_gordan import clebsch_gordan_coeff

        return clebsch_gordan_coeff(self, _as_id(m), _as_id(n), _as_id(j))


def _as_id(id) -> tuple:
    from .representation import IrreducibleRepresentation

    if isinstance(id, IrreducibleRepresentation):
        return id.id
    return id if isinstance(id, tuple) else (id,)


def _irrep_cached(group: Group, id: tuple):
    from .representation import irrep_of

    return irrep_of(group, id)
