"""Direct products G1 x G2 (cylinder groups, Klein-type products, double groups)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._linalg import canonical_basis
from .group import Group, IrrepSpec

__all__ = ["DirectProductGroup", "DoubleGroup"]


class DirectProductGroup(Group):
    """G1 x G2. Elements are pairs ``(g1, g2)`` of values of the factors (in their default
    parametrisations; ``param`` may be a pair of parametrisations).

    Irrep ids ``(id1, id2)`` (each the factor's id tuple): the tensor product psi1 (x) psi2,
    irreducible when at least one factor irrep is of type R. When both are of type C, the
    real tensor product splits into two type-C irreps, with ids ``(id1, id2, 0)`` and
    ``(id1, id2, 1)``: the eigenspaces of J1 (x) J2 for eigenvalue +1 and -1 (J the canonical
    complex structures). Quaternionic factor irreps paired with a non-real irrep are not
    supported (ValueError). Subgroup ids ``(id1, id2)``: the product of the two subgroups.
    """

    def __init__(self, G1: Group, G2: Group, name: str | None = None):
        if not isinstance(G1, Group) or not isinstance(G2, Group):
            raise TypeError("direct_product takes two steerable.group.Group instances")
        mf = None
        if G1.continuous or G2.continuous:
            mf = max(G._maximum_frequency or 0 for G in (G1, G2))
        super().__init__(mf)
        self.G1, self.G2 = G1, G2
        self._name = name or f"{G1.name}x{G2.name}"
        self.continuous = G1.continuous or G2.continuous
        self.abelian = G1.abelian and G2.abelian
        self.PARAM = (G1.PARAM, G2.PARAM)

    def _key(self):
        return (self.G1, self.G2, self._name)

    def __reduce__(self):
        return (type(self), (self.G1, self.G2, self._name))

    @property
    def name(self) -> str:
        return self._name

    def order(self) -> int:
        if self.continuous:
            return -1
        return self.G1.order() * self.G2.order()

    def _check_param(self, param):
        if not (isinstance(param, tuple) and len(param) == 2):
            raise ValueError(f"a parametrisation of {self.name} is a pair, got {param!r}")
        self.G1._check_param(param[0])
        self.G2._check_param(param[1])

    def element(self, value, param=None):
        if isinstance(param, str):
            param = (param, param)
        return super().element(value, param)

    def _canonical(self, value, param):
        try:
            a, b = value
        except (TypeError, ValueError) as err:
            raise ValueError(f"an element of {self.name} is a pair (g1, g2), got {value!r}") from err
        return (self.G1._canonical(a, param[0]), self.G2._canonical(b, param[1]))

    def _export(self, x, param):
        if isinstance(param, str):
            param = (param, param)
        return (self.G1._export(x[0], param[0]), self.G2._export(x[1], param[1]))

    def _format(self, x):
        return f"({self.G1._format(x[0])}, {self.G2._format(x[1])})"

    def _identity_internal(self):
        return (self.G1._identity_internal(), self.G2._identity_internal())

    def _compose(self, a, b):
        return (self.G1._compose(a[0], b[0]), self.G2._compose(a[1], b[1]))

    def _invert(self, a):
        return (self.G1._invert(a[0]), self.G2._invert(a[1]))

    def _equal(self, a, b):
        return self.G1._equal(a[0], b[0]) and self.G2._equal(a[1], b[1])

    def _hash_internal(self, a):
        return hash((self.G1._hash_internal(a[0]), self.G2._hash_internal(a[1])))

    def _element_internals(self):
        return [(a, b) for a in self.G1._element_internals() for b in self.G2._element_internals()]

    def _generator_internals(self):
        e1, e2 = self.G1._identity_internal(), self.G2._identity_internal()
        return [(g, e2) for g in self.G1._generator_internals()] + [
            (e1, g) for g in self.G2._generator_internals()
        ]

    def _testing_internals(self):
        t1, t2 = self.G1._testing_internals(), self.G2._testing_internals()
        if len(t1) * len(t2) <= 200:
            return [(a, b) for a in t1 for b in t2]
        e1, e2 = self.G1._identity_internal(), self.G2._identity_internal()
        return [(a, e2) for a in t1] + [(e1, b) for b in t2] + [(a, b) for a, b in zip(t1, t2)]

    def _sample_internal(self, rng):
        return (self.G1._sample_internal(rng), self.G2._sample_internal(rng))

    def _grid_internals(self, type, *args, **kwargs):
        raise ValueError(f"{self.name} has no grids; build grids of the factors")

    # irreps
    def _irrep_spec(self, id):
        if len(id) not in (2, 3):
            raise ValueError(f"{self.name} irrep ids are (id1, id2) or (id1, id2, k), got {id!r}")
        s1 = self.G1._irrep_spec(id[0] if isinstance(id[0], tuple) else (id[0],))
        s2 = self.G2._irrep_spec(id[1] if isinstance(id[1], tuple) else (id[1],))
        split = s1.type != "R" and s2.type != "R"
        if split and (s1.type == "H" or s2.type == "H"):
            raise ValueError(
                f"the tensor product of the irreps {s1.name} ({s1.type}) and {s2.name} ({s2.type}) "
                f"of {self.name} is not supported: quaternionic x non-real products are not split"
            )
        freq = max(s1.frequency, s2.frequency)
        name = f"[{s1.name}]x[{s2.name}]"
        if split:
            if len(id) != 3 or id[2] not in (0, 1):
                raise ValueError(
                    f"the product of two complex-type irreps splits in two: use ids "
                    f"({s1.id}, {s2.id}, 0) and ({s1.id}, {s2.id}, 1), got {id!r}"
                )
            return IrrepSpec((s1.id, s2.id, int(id[2])), s1.dim * s2.dim // 2, "C", f"{name}_{id[2]}", freq)
        if len(id) == 3:
            raise ValueError(f"irrep id {id!r} of {self.name}: only complex x complex products split")
        kind = s1.type if s2.type == "R" else s2.type
        return IrrepSpec((s1.id, s2.id), s1.dim * s2.dim, kind, name, freq)

    def _irrep_ids(self, L):
        pairs = [(a, b) for a in self.G1._irrep_ids(L) for b in self.G2._irrep_ids(L)]
        # stable sort by frequency so that bl_irreps(L) is a prefix of bl_irreps(L + 1)
        pairs.sort(key=lambda p: max(self.G1._irrep_frequency(p[0]), self.G2._irrep_frequency(p[1])))
        ids = []
        for a, b in pairs:
            if self.G1._irrep_spec(a).type != "R" and self.G2._irrep_spec(b).type != "R":
                ids.extend([(a, b, 0), (a, b, 1)])
            else:
                ids.append((a, b))
        return ids

    def _irrep_matrices(self, id, xs):
        a = self.G1._irrep_matrices(id[0], [x[0] for x in xs])
        b = self.G2._irrep_matrices(id[1], [x[1] for x in xs])
        n = len(xs)
        kron = np.einsum("nij,nkl->nikjl", a, b).reshape(n, a.shape[1] * b.shape[1], -1)
        if len(id) == 2:
            return kron
        basis = _split_basis(self, id[0], id[1], id[2])
        return np.einsum("ji,njk,kl->nil", basis, kron, basis)

    def _subgroup(self, id):
        if not (isinstance(id, tuple) and len(id) == 2):
            raise ValueError(f"{self.name} subgroup ids are pairs (id1, id2), got {id!r}")
        from .subgroups import subgroup_data

        H1, inc1, res1 = subgroup_data(self.G1, id[0])
        H2, inc2, res2 = subgroup_data(self.G2, id[1])
        return DirectProductGroup(H1, H2), _PairMap(inc1, inc2), _PairMap(res1, res2)

    def _coset_representatives(self, id):
        from .constructions import coset_representatives

        try:
            r1 = coset_representatives(self.G1, id[0])
            r2 = coset_representatives(self.G2, id[1])
        except ValueError:
            return None
        return [(a, b) for a in r1 for b in r2]


class DoubleGroup(DirectProductGroup):
    """G x G (escnn's ``double_group``)."""

    def __init__(self, G: Group, name: str | None = None):
        super().__init__(G, G, name or f"{G.name}x{G.name}")

    def __reduce__(self):
        return (DoubleGroup, (self.G1, self._name))


class _PairMap:
    def __init__(self, f1, f2):
        self.f1, self.f2 = f1, f2

    def __call__(self, x):
        return (self.f1(x[0]), self.f2(x[1]))


@lru_cache(maxsize=None)
def _split_basis(group, id1, id2, k):
    """Orthonormal basis of the (+1 if k == 0 else -1)-eigenspace of J1 (x) J2."""
    from .representation import irrep_of

    j1 = irrep_of(group.G1, id1).endomorphism_basis()[1]
    j2 = irrep_of(group.G2, id2).endomorphism_basis()[1]
    op = np.kron(j1, j2)  # symmetric, squares to the identity
    sign = 1.0 if k == 0 else -1.0
    projector = 0.5 * (np.eye(op.shape[0]) + sign * op)
    return canonical_basis(projector)
