"""Deterministic grids and quadratures on SO(3), the sphere S^2 and the circle.

Everything here is pure numpy/scipy in float64 and deterministic: the same arguments give the
same arrays in every process (any random start uses ``numpy.random.default_rng(seed)`` with an
explicit, fixed ``seed``; the global RNG state is never touched).

Conventions
-----------
* A rotation is a unit quaternion stored as a row ``(x, y, z, w)`` (scalar LAST), acting on
  vectors by ``v -> q v q^{-1}`` (Hamilton product), i.e. the rotation by angle ``t`` about the
  unit axis ``n`` is ``(sin(t/2) n, cos(t/2))``. Composition ``R1 R2`` is the product ``q1 q2``.
* Since ``q`` and ``-q`` are the same rotation, every returned quaternion has a canonical sign:
  the first component with ``|.| > 1e-12`` in the order ``w, x, y, z`` is positive.
* Points on the sphere are unit 3-vectors; angles on the circle are radians.

Orientation of the polyhedral grids (shared by :func:`so3_grid` and :func:`sphere_grid`)
----------------------------------------------------------------------------------------
* ``'tetra'``: the 12 rotations of the regular tetrahedron with vertices ``(1,1,1), (1,-1,-1),
  (-1,1,-1), (-1,-1,1)``: identity, the 180 degree rotations about the x, y and z axes and the
  120 degree rotations about the 4 body diagonals. As quaternions ``(w, x, y, z)``:
  ``1, i, j, k`` and ``(1 +- i +- j +- k) / 2`` (the binary tetrahedral group modulo sign).
* ``'cube'``: the 24 rotations of the cube ``[-1, 1]^3`` (octahedral group, 4-fold axes along
  the coordinate axes): the tetrahedral ones plus the 12 quaternions with exactly two nonzero
  entries ``+-1/sqrt(2)``.
* ``'ico'``: the 60 rotations of the icosahedron with the 12 vertices ``(0, +-1, +-phi)`` and
  their cyclic permutations (``phi`` the golden ratio), which has a 2-fold axis along each
  coordinate axis: the tetrahedral ones plus the 48 quaternions (modulo sign)
  ``(w, x, y, z) = (0, +-1, +-1/phi, +-phi) / 2`` under the even permutations of the four
  coordinates (the binary icosahedral group).
* In all three the identity is the first row.
"""

from __future__ import annotations

import inspect
import itertools
import operator

import numpy as np

__all__ = [
    "SO3_GRID_TYPES",
    "SPHERE_GRID_TYPES",
    "so3_grid",
    "sphere_grid",
    "circle_grid",
    "sphere_quadrature",
    "so3_quadrature",
]

_PHI = (1.0 + 5.0**0.5) / 2.0  # golden ratio
# Super-Fibonacci constants (Alexa, CVPR 2022): sqrt(2) and the real root of x^4 = x + 4.
_SF_PHI = 2.0**0.5
_SF_PSI = 1.533751168755204288118041
_RIESZ_S = 4.0  # Riesz exponent; s > dim (3 for SO(3)) makes the energy local
_DEFAULT_STEPS = 300
_REPEL_LR = 1.5  # stable up to ~3 on S^2 in experiments; half of that for margin


# ----------------------------------------------------------------------------- quaternion helpers


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of (..., 4) quaternions in (x, y, z, w) order (broadcasting)."""
    # written out: np.cross costs ~20x more per call on these small arrays
    ax, ay, az, aw = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bx, by, bz, bw = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    return np.stack(
        [
            aw * bx + bw * ax + ay * bz - az * by,
            aw * by + bw * ay + az * bx - ax * bz,
            aw * bz + bw * az + ax * by - ay * bx,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        axis=-1,
    )


def _quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of unit quaternions (..., 4) in (x, y, z, w) order."""
    x, y, z, w = np.moveaxis(np.asarray(q, dtype=np.float64), -1, 0)
    rows = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def _axis_quat(axis: int, angle: np.ndarray) -> np.ndarray:
    """Quaternions (N, 4) of the rotations by ``angle`` about coordinate axis 0, 1 or 2."""
    angle = np.asarray(angle, dtype=np.float64)
    q = np.zeros(angle.shape + (4,))
    q[..., axis] = np.sin(angle / 2)
    q[..., 3] = np.cos(angle / 2)
    return q


def _zyz_quat(alpha: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Quaternions of R = Rz(alpha) Ry(beta) Rz(gamma) (broadcasting)."""
    return _qmul(_qmul(_axis_quat(2, alpha), _axis_quat(1, beta)), _axis_quat(2, gamma))


def _canonical(q: np.ndarray) -> np.ndarray:
    """Normalise and fix the sign: first component with |.| > 1e-12 among (w, x, y, z) > 0."""
    q = np.array(q, dtype=np.float64).reshape(-1, 4)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    ordered = q[:, [3, 0, 1, 2]]
    first = np.argmax(np.abs(ordered) > 1e-12, axis=1)
    sign = np.where(ordered[np.arange(len(q)), first] < 0, -1.0, 1.0)
    return q * sign[:, None] + 0.0  # "+ 0.0" turns -0.0 into 0.0, for byte-stable output


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- argument checks


def _count(value, name: str, minimum: int = 1) -> int:
    """``value`` as a Python int >= minimum, else ValueError (bools and floats are refused)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {n}")
    return int(n)


def _seed(value) -> int:
    return _count(value, "seed", minimum=0)


def _dispatch(kind: str, table: dict, what: str, args: tuple, kwargs: dict):
    """Call ``table[kind](*args, **kwargs)``; unknown types and bad signatures give ValueError."""
    if not isinstance(kind, str) or kind not in table:
        raise ValueError(f"unknown {what} grid type {kind!r}; valid types are {sorted(table)}")
    fn = table[kind]
    try:
        # Bind first so a wrong call is reported as a ValueError without masking internal errors.
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as err:
        sig = str(inspect.signature(fn))
        raise ValueError(f"bad arguments for {what} grid {kind!r} {sig}: {err}") from None
    return fn(*args, **kwargs)


# ----------------------------------------------------------------------------- repulsion


def _repel(x: np.ndarray, steps: int, projective: bool, group: np.ndarray | None = None) -> np.ndarray:
    """Preconditioned projected gradient descent on the Riesz energy sum_{i<j} d_ij^{-4}.

    ``x`` (N, D) are unit vectors. On S^2 (``projective=False``) d^2 = |x_i - x_j|^2 = 2 - 2c;
    on SO(3) = RP^3 (``projective=True``) d^2 = 1 - c^2 = sin^2(omega/2) with ``omega`` the
    rotation angle between the two rotations, so ``q`` and ``-q`` are the same point. With
    ``group`` (G, 4) quaternions (identity first), the energy is that of the orbit set
    {g x_i}; by invariance its gradient at x_i is (up to the factor G) the force on x_i
    from every orbit point but itself.

    Each step is ``x_i -= lr * grad_i / kappa_i`` projected to the tangent space and
    renormalised, with ``kappa_i = (s + 1) sum_j s d_ij^{-s-2}`` a bound on the curvature of
    the energy at x_i (Jacobi preconditioning), and clipped to 0.3 of the typical spacing.
    Why not a normalised step: a step scaled by 1/|grad| never settles and amplifies rounding
    differences into O(1) changes of the result; this smooth, curvature-scaled map contracts
    towards a minimum, so the output is stable under 1e-14 perturbations (and therefore across
    BLAS builds), and for small N it reaches the known optima (antipodal/orthogonal pairs, the
    cube and icosahedral groups up to rotation for N = 24, 60).
    """
    n, _ = x.shape
    total = n * (1 if group is None else len(group))
    # Typical spacing: vol(RP^3) = pi^2, area(S^2) = 4 pi; capped for tiny N.
    h = (np.pi**2 / total) ** (1 / 3) if projective else (4 * np.pi / total) ** 0.5
    h = min(h, 1.0)
    s = _RIESZ_S  # the weights below hard-code s = 4
    eye = np.eye(n, dtype=bool)
    if group is None:
        self_mask = eye
    else:
        self_mask = np.zeros((n, total), dtype=bool)
        self_mask[:, :n] = eye  # group[0] is the identity: column j < n is x_j itself
    for _ in range(steps):
        others = x if group is None else _qmul(group[:, None, :], x[None]).reshape(-1, 4)
        c = x @ others.T
        d2 = 1.0 - c * c if projective else 2.0 - 2.0 * c
        d2 = np.where(self_mask, 1.0, np.maximum(d2, 1e-12))
        inv = 1.0 / d2
        w = s * inv * inv * inv  # s * d2^(-s/2 - 1) for s = 4, without the slow np.power
        w[self_mask] = 0.0
        kappa = (s + 1.0) * w.sum(axis=1, keepdims=True)
        # dE/dx_i = sum_j w_ij c_ij x_j on RP^3, sum_j w_ij x_j on S^2.
        grad = (w * c if projective else w) @ others
        grad -= np.sum(grad * x, axis=1, keepdims=True) * x  # tangent part
        step = _REPEL_LR * grad / kappa
        length = np.linalg.norm(step, axis=1, keepdims=True)
        step *= np.minimum(1.0, 0.3 * h / np.maximum(length, 1e-300))
        x = _normalise(x - step)
    return x


# ----------------------------------------------------------------------------- SO(3) grids


def _so3_rand(N, seed=0):
    n = _count(N, "N")
    rng = np.random.default_rng(_seed(seed))
    # A normalised isotropic Gaussian in R^4 is uniform on S^3, i.e. Haar on SO(3).
    return _canonical(rng.standard_normal((n, 4)))


def _so3_thomson(N, steps=_DEFAULT_STEPS, seed=0):
    n = _count(N, "N")
    steps = _count(steps, "steps", minimum=0)
    x = _so3_rand(n, seed)
    if n > 1:
        x = _repel(x, steps, projective=True)
    return _canonical(x)


def _so3_thomson_cube(N, steps=_DEFAULT_STEPS, seed=0):
    n = _count(N, "N")
    steps = _count(steps, "steps", minimum=0)
    cube = _cube_group()
    reps = _repel(_so3_rand(n, seed), steps, projective=True, group=cube)
    # Row g * N + i is cube[g] * reps[i]; cube[0] is the identity, so rows :N are the reps.
    return _canonical(_qmul(cube[:, None, :], reps[None, :, :]).reshape(-1, 4))


def _tetra_group() -> np.ndarray:
    # (w, x, y, z) = 1, i, j, k and (1 +- i +- j +- k)/2, stored as (x, y, z, w).
    units = np.array([[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], dtype=np.float64)
    halves = [(a, b, c, 1.0) for a, b, c in itertools.product((1.0, -1.0), repeat=3)]
    return _canonical(np.concatenate([units, 0.5 * np.array(halves)]))


def unique_rows(a: np.ndarray) -> np.ndarray:
    """The distinct rows of a 2D array, sorted lexicographically (``np.unique(a, axis=0)``,
    without its first-call import of numpy.ma, ~0.1 s)."""
    return np.array(sorted(set(map(tuple, np.asarray(a).tolist()))), dtype=np.asarray(a).dtype).reshape(
        -1, np.asarray(a).shape[1]
    )


def _cube_group() -> np.ndarray:
    extra = []
    for i, j in itertools.combinations(range(4), 2):
        for si, sj in itertools.product((1.0, -1.0), repeat=2):
            q = np.zeros(4)
            q[i], q[j] = si, sj
            extra.append(q)
    extra = _canonical(np.array(extra))
    extra = unique_rows(np.round(extra, 12))  # +-q pairs coincide after canonicalising
    return np.concatenate([_tetra_group(), _canonical(extra)])


def _even_permutations(k: int):
    for p in itertools.permutations(range(k)):
        inversions = sum(p[a] > p[b] for a in range(k) for b in range(a + 1, k))
        if inversions % 2 == 0:
            yield p


def _ico_group() -> np.ndarray:
    base = np.array([0.0, 1.0, 1.0 / _PHI, _PHI]) / 2.0
    extra = []
    for p in _even_permutations(4):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            wxyz = np.zeros(4)
            wxyz[list(p)] = base * np.array([1.0, *signs])
            extra.append(wxyz[[1, 2, 3, 0]])
    extra = unique_rows(np.round(_canonical(np.array(extra)), 12))
    return np.concatenate([_tetra_group(), _canonical(extra)])


def _so3_ico():
    return _ico_group()


def _so3_cube():
    return _cube_group()


def _so3_tetra():
    return _tetra_group()


def _hopf_counts(N, n_circle):
    """Split the grid size into sphere points and per-fibre circle counts."""
    if n_circle is not None:
        n_s = _count(N, "n_sphere")
        n_c = _count(n_circle, "n_circle")
        return n_s, np.full(n_s, n_c)
    n = _count(N, "N")
    # Balance spacings: sqrt(4 pi / n_s) ~ 2 pi / n_c with n_s * n_c = N  =>  n_c^3 ~ pi N.
    n_c = max(1, int(round((np.pi * n) ** (1 / 3))))
    n_s = max(1, int(round(n / n_c)))
    counts = np.full(n_s, n // n_s) + (np.arange(n_s) < n % n_s)
    return n_s, counts


def _so3_hopf(N, n_circle=None):
    n_s, counts = _hopf_counts(N, n_circle)
    pts = _sphere_fibonacci(n_s)
    beta = np.arccos(np.clip(pts[:, 2], -1.0, 1.0))
    alpha = np.arctan2(pts[:, 1], pts[:, 0])
    quats = []
    for a, b, m in zip(alpha, beta, counts, strict=True):
        gamma = 2 * np.pi * np.arange(m) / m
        quats.append(_zyz_quat(a, b, gamma))
    return _canonical(np.concatenate(quats))


def _so3_fibonacci(N):
    n = _count(N, "N")
    s = np.arange(n) + 0.5
    r, R = np.sqrt(s / n), np.sqrt(1.0 - s / n)
    # Reduce the angles mod 2 pi exactly in units of turns, for accuracy at large i.
    alpha = 2 * np.pi * np.mod(s / _SF_PHI, 1.0)
    beta = 2 * np.pi * np.mod(s / _SF_PSI, 1.0)
    q = np.stack([r * np.sin(alpha), r * np.cos(alpha), R * np.sin(beta), R * np.cos(beta)], 1)
    return _canonical(q)


_SO3_GRIDS = {
    "rand": _so3_rand,
    "thomson": _so3_thomson,
    "thomson_cube": _so3_thomson_cube,
    "ico": _so3_ico,
    "cube": _so3_cube,
    "tetra": _so3_tetra,
    "hopf": _so3_hopf,
    "fibonacci": _so3_fibonacci,
}
SO3_GRID_TYPES = tuple(_SO3_GRIDS)


def so3_grid(type: str, *args, **kwargs) -> np.ndarray:  # noqa: A002 (escnn's argument name)
    """A deterministic grid of rotations, as canonical unit quaternions ``(N, 4)`` (x, y, z, w).

    Types and arguments:

    * ``'rand', N, seed=0``: N Haar-random rotations (normalised Gaussians in R^4) drawn with
      ``numpy.random.default_rng(seed)``.
    * ``'thomson', N, steps=300, seed=0``: N rotations spread by minimising the repulsion energy
      ``sum_{i<j} (1 - (q_i . q_j)^2)^(-2)`` (``1 - (q_i.q_j)^2 = sin^2(omega_ij / 2)``, omega the
      angle of ``R_i^T R_j``, so q and -q are the same point), starting from ``'rand', N, seed``
      and taking ``steps`` curvature-preconditioned projected gradient steps (see ``_repel``).
    * ``'thomson_cube', N, steps=300, seed=0``: ``24 N`` rotations closed under left
      multiplication by the 24 cube rotations: the orbit ``{g r_i}`` of N representatives r_i
      that minimise the same energy of the whole orbit set. Row ``g * N + i`` is
      ``cube[g] r_i`` with ``cube = so3_grid('cube')``, so the first N rows are the r_i.
    * ``'ico'``, ``'cube'``, ``'tetra'``: the 60, 24 and 12 rotations of the icosahedral,
      octahedral and tetrahedral groups, oriented as in the module docstring.
    * ``'hopf', N`` or ``'hopf', n_sphere, n_circle``: the Hopf-fibration grid
      ``R = Rz(a_i) Ry(b_i) Rz(2 pi k / m_i)``, k = 0..m_i-1, where
      ``(sin b_i cos a_i, sin b_i sin a_i, cos b_i) = R e_z`` runs over
      ``sphere_grid('fibonacci', n_sphere)``; each fibre (rotations with the same ``R e_z``) is
      sampled uniformly. With two arguments ``m_i = n_circle`` (``n_sphere * n_circle``
      rotations); with one, ``n_circle ~ (pi N)^(1/3)`` balances the two spacings,
      ``n_sphere = round(N / n_circle)``, and the N rotations are split over the fibres as evenly
      as possible (the first ``N mod n_sphere`` fibres get one more).
    * ``'fibonacci', N``: the super-Fibonacci spiral of Alexa (CVPR 2022):
      ``s = i + 1/2``, ``q_i = (r sin a, r cos a, R sin b, R cos b)`` with ``r = sqrt(s/N)``,
      ``R = sqrt(1 - s/N)``, ``a = 2 pi s / sqrt(2)``, ``b = 2 pi s / psi`` (psi the real root
      of ``x^4 = x + 4``), then sign-canonicalised.

    Raises:
        ValueError: on an unknown type or bad arguments; the message lists the valid types.
    """
    return _dispatch(type, _SO3_GRIDS, "SO(3)", args, kwargs)


# ----------------------------------------------------------------------------- sphere grids


def _sphere_fibonacci(N):
    n = _count(N, "N")
    i = np.arange(n)
    z = 1.0 - (2.0 * i + 1.0) / n
    golden_angle = np.pi * (3.0 - 5.0**0.5)
    # Reduce in units of turns before multiplying by 2 pi, for accuracy at large i.
    phi = 2 * np.pi * np.mod(i * golden_angle / (2 * np.pi), 1.0)
    rho = np.sqrt(np.maximum(1.0 - z * z, 0.0))
    return np.stack([rho * np.cos(phi), rho * np.sin(phi), z], axis=1)


def _sphere_thomson(N, steps=_DEFAULT_STEPS):
    n = _count(N, "N")
    steps = _count(steps, "steps", minimum=0)
    x = _sphere_fibonacci(n)
    return _repel(x, steps, projective=False) if n > 1 else x


def _sphere_rand(N, seed=0):
    n = _count(N, "N")
    rng = np.random.default_rng(_seed(seed))
    return _normalise(rng.standard_normal((n, 3)))


def _sphere_ico():
    v = [(0.0, a, b * _PHI) for a in (1.0, -1.0) for b in (1.0, -1.0)]
    v = np.array(v)
    return _normalise(np.concatenate([v, np.roll(v, 1, axis=1), np.roll(v, 2, axis=1)]))


def _sphere_cube():
    return np.concatenate([np.eye(3), -np.eye(3)])


def _sphere_tetra():
    v = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=np.float64)
    return v / np.sqrt(3.0)


_SPHERE_GRIDS = {
    "fibonacci": _sphere_fibonacci,
    "thomson": _sphere_thomson,
    "rand": _sphere_rand,
    "ico": _sphere_ico,
    "cube": _sphere_cube,
    "tetra": _sphere_tetra,
}
SPHERE_GRID_TYPES = tuple(_SPHERE_GRIDS)


def sphere_grid(type: str, *args, **kwargs) -> np.ndarray:  # noqa: A002
    """A deterministic grid of unit vectors ``(N, 3)`` on the sphere S^2.

    Types and arguments:

    * ``'fibonacci', N``: the golden-angle lattice ``z_i = 1 - (2 i + 1) / N``,
      ``phi_i = i * pi (3 - sqrt 5)``, i = 0..N-1.
    * ``'thomson', N, steps=300``: the Fibonacci lattice relaxed by ``steps`` projected gradient
      steps on the Riesz energy ``sum_{i<j} |x_i - x_j|^(-4)``.
    * ``'rand', N, seed=0``: N uniform random points (normalised Gaussians).
    * ``'ico'``: the 12 icosahedron vertices ``(0, +-1, +-phi)`` and cyclic permutations,
      normalised; ``'cube'``: the 6 face centres ``+-e_x, +-e_y, +-e_z``; ``'tetra'``: the 4
      vertices ``(1,1,1), (1,-1,-1), (-1,1,-1), (-1,-1,1)`` over sqrt(3).

    Raises:
        ValueError: on an unknown type or bad arguments; the message lists the valid types.
    """
    return _dispatch(type, _SPHERE_GRIDS, "sphere", args, kwargs)


def circle_grid(N: int, offset: float = 0.0) -> np.ndarray:
    """The N equally spaced angles ``2 pi k / N + offset``, k = 0..N-1 (float64, radians).

    Raises:
        ValueError: if N is not a positive integer or offset is not a finite number.
    """
    n = _count(N, "N")
    try:
        off = float(offset)
    except (TypeError, ValueError):
        raise ValueError(f"offset must be a real number, got {offset!r}") from None
    if not np.isfinite(off):
        raise ValueError(f"offset must be finite, got {offset!r}")
    return 2 * np.pi * np.arange(n) / n + off


# ----------------------------------------------------------------------------- quadratures


def _gauss_legendre(n: int):
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return nodes, weights / 2.0  # weights of the mean over [-1, 1]


def sphere_quadrature(L: int) -> tuple[np.ndarray, np.ndarray]:
    """A product quadrature on S^2, exact for polynomials of total degree <= L.

    Points ``(sin t cos p, sin t sin p, cos t)`` with ``cos t`` the ``L // 2 + 1`` Gauss-Legendre
    nodes and ``p = 2 pi k / (L + 1)``, k = 0..L. Weighted sums equal the mean over the sphere
    (weights sum to 1) for every polynomial of degree <= L in (x, y, z), i.e. every spherical
    harmonic of degree <= L (a product of two band-limited functions of degrees l1, l2 needs
    ``L >= l1 + l2``). Exactness: the phi rule kills all frequencies 0 < |m| <= L, and the
    surviving m = 0 part is a polynomial of degree <= L in cos t, integrated exactly by
    Gauss-Legendre with ``L // 2 + 1`` nodes.

    Returns:
        ``(points (N, 3), weights (N,))`` with ``N = (L // 2 + 1) (L + 1)``.

    Raises:
        ValueError: if L is not a non-negative integer.
    """
    L = _count(L, "L", minimum=0)
    z, wz = _gauss_legendre(L // 2 + 1)
    n_phi = L + 1
    phi = 2 * np.pi * np.arange(n_phi) / n_phi
    zz, pp = np.meshgrid(z, phi, indexing="ij")
    rho = np.sqrt(1.0 - zz * zz)
    pts = np.stack([rho * np.cos(pp), rho * np.sin(pp), zz], axis=-1).reshape(-1, 3)
    weights = np.repeat(wz / n_phi, n_phi)
    return pts, weights


def so3_quadrature(L: int) -> tuple[np.ndarray, np.ndarray]:
    """A product quadrature on SO(3), exact for Wigner-D matrix entries of degree <= L.

    Rotations ``R = Rz(a) Ry(b) Rz(c)`` (ZYZ Euler angles) with ``a, c = 2 pi k / (L + 1)``,
    k = 0..L, and ``cos b`` the ``L // 2 + 1`` Gauss-Legendre nodes. Weighted sums equal the
    Haar mean (weights sum to 1) of every entry ``D^l_{mn}(R) = e^{-i m a} d^l_{mn}(b)
    e^{-i n c}`` with l <= L, hence of every polynomial of degree <= L in the entries of R
    (a product of band-limited functions of degrees l1, l2 needs ``L >= l1 + l2``). Exactness:
    the uniform rules in a and c kill 0 < |m|, |n| <= L, and ``d^l_{00}(b) = P_l(cos b)`` is
    integrated exactly by Gauss-Legendre.

    Returns:
        ``(quaternions (N, 4) in (x, y, z, w) order, canonical sign; weights (N,))`` with
        ``N = (L + 1)^2 (L // 2 + 1)``, ordered with a slowest, then b, then c.

    Raises:
        ValueError: if L is not a non-negative integer.
    """
    L = _count(L, "L", minimum=0)
    zb, wb = _gauss_legendre(L // 2 + 1)
    m = L + 1
    ang = 2 * np.pi * np.arange(m) / m
    a, b, c = np.meshgrid(ang, np.arccos(zb), ang, indexing="ij")
    q = _canonical(_zyz_quat(a.ravel(), b.ravel(), c.ravel()))
    weights = np.broadcast_to((wb / (m * m))[None, :, None], a.shape).ravel().copy()
    return q, weights
