"""Orbit ("aliased") kernel bases for finite groups in 3D: kernels made of Gaussian blobs placed
on the vertices of a polyhedron (an orbit of the group) instead of harmonics on spheres.

For a finite G <= O(3) and an orbit G p0 (p0 with stabiliser H), a kernel is

    k(x) = sum_{g in G} exp(-|x - r g p0|^2 / (2 sigma^2)) psi_out(g) B psi_in(g)^T / |H|

for each ring radius r and each B in Hom_H(psi_in, psi_out) (the constraint at p0). It is
exactly steerable, k(g x) = psi_out(g) k(x) psi_in(g)^T, because the Euclidean distance is
invariant and g permutes the orbit. A ring of radius 0 is the origin, whose stabiliser is G.

This is the basis of escnn's ``R3IcoConv`` (orbits of the icosahedral group: the 12 vertices of
the icosahedron, the 20 of the dodecahedron or the 30 of the icosidodecahedron). The harmonic
basis of :class:`~steerable.kernels.SteerableKernelBasis` is usually the better choice; this one
exists for compatibility and comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..group._linalg import canonical_basis
from ..group.grids import unique_rows
from ..group.representation import irrep_of
from .basis import SteerableKernelBasis
from .radial import GaussianRadialProfile

__all__ = ["OrbitKernelBasis", "ORBIT_SAMPLES", "rotation_axes"]

# escnn's ``samples`` names -> the order of the rotations whose axes form the orbit
ORBIT_SAMPLES = {"ico": 5, "dodeca": 3, "icosidodeca": 2}


def rotation_axes(matrices: np.ndarray, order: int) -> np.ndarray:
    """Unit axes (both signs, deduplicated, sorted) of the proper rotations of a given order
    among ``matrices`` ``(n, 3, 3)``: for the icosahedral group and order 5 / 3 / 2 these are
    the vertices of the icosahedron / dodecahedron / icosidodecahedron."""
    axes = []
    for m in matrices:
        if np.linalg.det(m) < 0:
            continue
        angle = np.arccos(np.clip((np.trace(m) - 1.0) / 2.0, -1.0, 1.0))
        if abs(angle - 2 * np.pi / order) > 1e-6:
            continue
        # the axis: the antisymmetric part (angle < pi) or the +1 eigenvector (angle = pi)
        if order > 2:
            a = np.array([m[2, 1] - m[1, 2], m[0, 2] - m[2, 0], m[1, 0] - m[0, 1]])
        else:
            a = (m + np.eye(3))[:, np.argmax(np.linalg.norm(m + np.eye(3), axis=0))]
        a = a / np.linalg.norm(a)
        axes += [a, -a]
    if not axes:
        raise ValueError(f"the group has no rotation of order {order}")
    axes = np.round(np.array(axes), 12)
    return unique_rows(axes)


@dataclass(frozen=True)
class _OrbitPairBasis:
    """One irrep pair: per ring, the H-intertwiners B (stabiliser of the ring's orbit point)."""

    out_id: tuple
    in_id: tuple
    ring: np.ndarray
    order: np.ndarray
    copy: np.ndarray
    steered: tuple  # per ring: (|G|, k_r, d_out, d_in) psi_out(g) B psi_in(g)^T / |H|, or None
    d_out: int
    d_in: int

    @property
    def size(self) -> int:
        return self.ring.size

    def sample(self, embedding, radial, points, shared=None) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64)
        parts = []
        for r, steered in enumerate(self.steered):
            if steered is None:
                continue
            centres = radial.orbit_points(r)  # (|G|, 3)
            dist2 = ((points[:, None, :] - centres[None]) ** 2).sum(-1)  # (N, |G|)
            blobs = np.exp(-0.5 * dist2 / radial.sigma[r] ** 2)
            parts.append(np.tensordot(blobs, steered, axes=([1], [0])))  # (N, k_r, d_out, d_in)
        if not parts:
            return np.zeros((points.shape[0], 0, self.d_out, self.d_in))
        return np.concatenate(parts, axis=1)


class _OrbitProfile(GaussianRadialProfile):
    """The ring radii and widths, plus the orbit's points at each radius."""

    def __init__(self, radii, sigma, unit_orbit: np.ndarray):
        super().__init__(radii, sigma)
        self.unit_orbit = unit_orbit  # (|G|, 3): g p0 for every g, in group.elements order

    def orbit_points(self, ring: int) -> np.ndarray:
        return self.radii[ring] * self.unit_orbit


class OrbitKernelBasis(SteerableKernelBasis):
    """The orbit basis of a finite group acting on R^3 (see the module docstring).

    Args:
        gspace: a 3D gspace of a finite group.
        in_repr, out_repr: representations of its group.
        radii, sigma: ring radii (0 = the origin) and Gaussian widths (one or one per ring).
        seed_point: p0, a unit vector (its orbit is placed on every ring of radius > 0).
        basis_filter: as for :class:`SteerableKernelBasis` (attributes ``ring``, ``radius``, ...).

    Attributes ``order`` is 0 for every element (there are no harmonic orders).
    """

    def __init__(self, gspace, in_repr, out_repr, radii, sigma, seed_point, basis_filter=None):
        group = gspace.fibergroup
        if group.continuous or gspace.dimensionality != 3:
            raise ValueError(f"orbit bases need a finite group acting on R^3, got {gspace.name}")
        p0 = np.asarray(seed_point, dtype=np.float64).reshape(3)
        if not np.isclose(np.linalg.norm(p0), 1.0):
            raise ValueError(f"seed_point must be a unit vector, got {p0.tolist()}")
        elements = list(group.elements)
        mats = gspace.basespace_action.matrices(elements)  # (|G|, 3, 3)
        unit_orbit = mats @ p0
        self._elements = elements
        self._stabilisers = {
            "origin": np.arange(len(elements)),
            "orbit": np.flatnonzero(np.linalg.norm(unit_orbit - p0, axis=1) < 1e-9),
        }
        radial = _OrbitProfile(radii, sigma, unit_orbit)
        super().__init__(
            gspace.embedding, group, in_repr, out_repr, radial, (0,) * len(radial), basis_filter=basis_filter
        )

    def _pair_basis(self, out_id, in_id):
        group = self.group
        psi_out = irrep_of(group, out_id).matrices(self._elements)  # (|G|, a, a)
        psi_in = irrep_of(group, in_id).matrices(self._elements)
        d_out, d_in = psi_out.shape[1], psi_in.shape[1]
        ring, copy, steered = [], [], []
        for r, radius in enumerate(self.radial.radii):
            stab = self._stabilisers["origin" if radius < 1e-12 else "orbit"]
            # Hom_H(psi_in, psi_out): vec(B) fixed by psi_out (x) psi_in on H (Reynolds projector)
            proj = np.einsum("hab,hcd->acbd", psi_out[stab], psi_in[stab]).reshape(d_out * d_in, -1)
            proj /= stab.size
            k = int(round(float(np.trace(proj))))
            if k == 0:
                steered.append(None)
                continue
            b = canonical_basis(proj, k).T.reshape(k, d_out, d_in)
            if radius < 1e-12:  # G-intertwiners: every g gives B itself; one blob at 0
                s = np.zeros((len(self._elements), k, d_out, d_in))
                s[0] = b
            else:
                s = np.einsum("gab,kbc,gdc->gkad", psi_out, b, psi_in) / stab.size
            steered.append(s)
            ring += [r] * k
            copy += list(range(k))
        ring = np.array(ring, dtype=np.int64)
        return _OrbitPairBasis(
            out_id,
            in_id,
            ring,
            np.zeros_like(ring),
            np.array(copy, dtype=np.int64),
            tuple(steered),
            d_out,
            d_in,
        )
