"""R2PointConv / R3PointConv: steerable convolutions on point clouds (geometric graphs)."""

from __future__ import annotations

import copy

import numpy as np
import torch

from ...kernels.basis import EmptyBasisException
from ...pointcloud.graph import radius_graph
from ..field_type import FieldType, check_type_pair
from ..geometric_tensor import GeometricTensor
from ..init import generalized_he_init
from ..module import EquivariantModule
from ._point_kernel import PointKernel, blocks_by_type
from ._rdconv import _split_groups
from .basis_expansion import Float64Constants, cached_expansion, trivial_bias_expansion

__all__ = ["R2PointConv", "R3PointConv", "PointConvExport"]

DEFAULT_N_RINGS = 3
DEFAULT_SIGMA = 0.6  # ring width, in units of the distance to the nearest other ring
DEFAULT_CUTOFF = 2.0  # harmonic orders J <= 2 r, r in units of the ring spacing


def point_rings(width, n_rings, rings, sigma) -> tuple[np.ndarray, np.ndarray, float]:
    """``(rings, sigma, spacing)`` from the user's arguments (see :class:`R2PointConv`)."""
    if rings is not None:
        if width is not None or n_rings is not None:
            raise ValueError(
                f"give either rings or width/n_rings, not both (got rings={rings}, width={width}, "
                f"n_rings={n_rings})"
            )
        rings = np.asarray(rings, dtype=np.float64).reshape(-1)
        if rings.size == 0 or not np.all(np.isfinite(rings)) or np.any(rings < 0):
            raise ValueError(f"rings must be a non-empty list of non-negative radii, got {rings.tolist()}")
    else:
        if width is None:
            raise ValueError(
                "a point convolution needs the radius of its kernel: width (the largest edge length, "
                "e.g. the r of radius_graph) or explicit rings"
            )
        width = float(width)
        if not np.isfinite(width) or width <= 0:
            raise ValueError(f"width must be a positive number, got {width}")
        n_rings = DEFAULT_N_RINGS if n_rings is None else n_rings
        if isinstance(n_rings, bool) or not isinstance(n_rings, (int, np.integer)) or n_rings < 2:
            raise ValueError(f"n_rings must be an integer >= 2 (or use rings=[...]), got {n_rings!r}")
        rings = np.linspace(0.0, width, int(n_rings))
    distinct = np.unique(rings)
    gaps = np.diff(distinct)
    if gaps.size:
        spacing = float(gaps.min())
        nearest = np.array([np.min(np.abs(distinct[distinct != r] - r)) for r in rings])
    else:
        spacing = float(distinct[0]) if distinct[0] > 0 else 1.0
        nearest = np.array([spacing] * rings.size) if distinct[0] > 0 else None
    if sigma is None:
        if nearest is None:
            raise ValueError("a single ring at radius 0 needs an explicit sigma")
        sigma = DEFAULT_SIGMA * nearest
    sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64).reshape(-1), rings.shape).copy()
    if not np.all(np.isfinite(sigma)) or np.any(sigma <= 0):
        raise ValueError(f"sigma must be positive (one value or one per ring), got {sigma.tolist()}")
    return rings, sigma, spacing


def _he_scales(basis, spacing: float) -> np.ndarray:
    """Per-weight He standard deviations, as if every point had its neighbours on the cubic
    lattice of the ring spacing inside the largest ring (like a pixel-grid conv); the angular
    part is averaged over directions (the coefficients' Frobenius norm), so no lattice
    direction is favoured."""
    d, radial = basis.embedding.d, basis.radial
    n = int(np.floor(radial.radii.max() / spacing + 1e-9))
    axis = np.arange(-n, n + 1) * spacing
    lattice = np.stack(np.meshgrid(*([axis] * d), indexing="ij"), -1).reshape(-1, d)
    r = np.linalg.norm(lattice, axis=1)
    r = r[r <= radial.radii.max() + 1e-9 * spacing]
    profile = radial(r) ** 2  # (points, rings)
    shell_all, shell_off = profile.sum(0), profile[r > 1e-12].sum(0)  # J > 0 vanishes at 0
    norms = []
    for pair in basis.pairs:
        coeff = np.array(
            [np.sum(pair.coefficients[J][c] ** 2) for J, c in zip(pair.order.tolist(), pair.copy.tolist())]
        )
        shell = np.where(pair.order == 0, shell_all[pair.ring], shell_off[pair.ring]) if pair.size else []
        norms.append(coeff * shell if pair.size else np.zeros(0))
    attrs = basis.attributes
    offsets = np.cumsum([0] + [v.size for v in norms])
    element = np.concatenate(norms)[offsets[attrs["pair"]] + attrs["inner_idx"]]
    feeding = np.bincount(attrs["out_irrep_idx"], minlength=len(basis.out_blocks))[attrs["out_irrep_idx"]]
    d_out = np.array([b[2] - b[1] for b in basis.out_blocks])[attrs["out_irrep_idx"]]
    return np.sqrt(d_out / np.maximum(feeding * element, 1e-12))


class _RdPointConv(Float64Constants, EquivariantModule):
    """Base of R2PointConv/R3PointConv (see :class:`R2PointConv` for the arguments)."""

    def __init__(
        self,
        d: int,
        in_type: FieldType,
        out_type: FieldType,
        groups: int = 1,
        bias: bool = True,
        sigma=None,
        width=None,
        n_rings=None,
        frequencies_cutoff=None,
        rings=None,
        basis_filter=None,
        recompute: bool = False,
        initialize: bool = True,
    ):
        super().__init__()
        name = type(self).__name__
        check_type_pair(in_type, out_type)
        if in_type.gspace.dimensionality != d:
            raise ValueError(f"{name} needs a gspace on R^{d}, got {in_type.gspace.name}")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"groups must be a positive integer, got {groups!r}")
        self.d = d
        self.in_type, self.out_type = in_type, out_type
        self.groups, self.recompute = groups, recompute
        group_in = _split_groups(in_type, groups, "in_type")
        group_out = _split_groups(out_type, groups, "out_type")
        ring_radii, sigma, spacing = point_rings(width, n_rings, rings, sigma)
        self.rings, self.sigma, self.spacing = ring_radii, sigma, spacing
        self.width = float(ring_radii.max())
        basis = in_type.gspace.build_kernel_basis(
            group_in.representation,
            group_out.representation,
            rings=ring_radii,
            sigma=sigma,
            frequencies_cutoff=DEFAULT_CUTOFF if frequencies_cutoff is None else frequencies_cutoff,
            basis_filter=basis_filter,
            dilation=spacing,  # the cutoff counts r in ring spacings
        )
        if basis.dim == 0:
            raise EmptyBasisException(
                f"no equivariant kernel from {group_in} to {group_out} with rings {ring_radii.tolist()}: "
                f"the layer would be identically zero; allow higher frequencies (frequencies_cutoff) "
                f"or more rings"
            )
        self.basis = basis
        self.kernel = PointKernel(basis, in_type, out_type, groups)
        self._register_gathers(basis)
        self.weights = torch.nn.Parameter(torch.zeros(groups * basis.dim))
        bias_expansion = trivial_bias_expansion(group_out)  # (size, n_trivial)
        if bias and bias_expansion.shape[1]:
            self.register_constant("bias_expansion", bias_expansion)
            self.bias = torch.nn.Parameter(torch.zeros(groups * bias_expansion.shape[1]))
        else:
            self.register_parameter("bias", None)
        self._he = _he_scales(basis, spacing)
        self._cache = None
        if initialize:
            self.reset_parameters()

    def _register_gathers(self, basis) -> None:
        """Per pair of the plan: which flat weight feeds (out block, in block, element); elements
        removed by basis_filter point at an appended zero."""
        attrs = basis.attributes
        ranks = []
        for blocks in (basis.out_blocks, basis.in_blocks):
            rank = np.zeros(len(blocks), dtype=np.int64)
            for _, members in blocks_by_type(blocks):
                rank[members] = np.arange(len(members))
            ranks.append(rank)
        out_rank, in_rank = ranks
        self._pair_shapes = []
        for k, (p, _, _, n_p, _, _, O, I, _, _) in enumerate(self.kernel._plan):
            gather = np.full((O * I, n_p), basis.dim, dtype=np.int64)
            mine = np.flatnonzero(attrs["pair"] == p)
            rows = out_rank[attrs["out_irrep_idx"][mine]] * I + in_rank[attrs["in_irrep_idx"][mine]]
            gather[rows, attrs["inner_idx"][mine]] = mine
            self.register_buffer(f"gather_{k}", torch.as_tensor(gather), persistent=False)
            self._pair_shapes.append((O, I, n_p))

    def he_scales(self) -> np.ndarray:
        """Standard deviations of the generalised He initialisation, one per weight (of one group)."""
        return self._he.copy()

    def reset_parameters(self) -> None:
        per_group = self.weights.view(self.groups, -1)
        for g in range(self.groups):
            generalized_he_init(per_group[g], self)
        if self.bias is not None:
            with torch.no_grad():
                self.bias.zero_()

    def expand_parameters(self) -> tuple[tuple, torch.Tensor | None]:
        """``(pair_weights, bias)``: per irrep pair ``(groups, n_out_blocks, n_in_blocks, n)``
        coefficients of the basis, and the bias ``(out_type.size,)`` in the fields' basis."""
        G = self.groups
        padded = torch.cat([self.weights.view(G, -1), self.weights.new_zeros(G, 1)], dim=1)
        pair_weights = tuple(
            padded[:, getattr(self, f"gather_{k}")].view(G, O, I, n_p)
            for k, (O, I, n_p) in enumerate(self._pair_shapes)
        )
        bias = None
        if self.bias is not None:
            bias = (self.bias.view(G, -1) @ self.bias_expansion.T).reshape(-1)
        return pair_weights, bias

    # ------------------------------------------------------------------ forward
    def _edges(self, x: GeometricTensor, tensor, edge_index, edge_delta):
        name = type(self).__name__
        if not isinstance(edge_index, torch.Tensor):
            raise TypeError(f"edge_index must be a (2, E) int64 tensor, got {type(edge_index).__name__}")
        if edge_index.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"edge_index must be an int64 (or int32) tensor, got {edge_index.dtype}")
        if edge_index.dim() != 2 or edge_index.shape[0] != 2:
            raise ValueError(
                f"edge_index must have shape (2, E) (row 0: sources j, row 1: targets i), "
                f"got {tuple(edge_index.shape)}"
            )
        edge_index = edge_index.long()
        n, E = tensor.shape[0], edge_index.shape[1]
        if E and not torch.compiler.is_compiling():
            lo, hi = (int(v) for v in torch.aminmax(edge_index))
            if lo < 0 or hi >= n:
                raise ValueError(f"edge_index refers to nodes {lo}..{hi}, but the point cloud has {n} points")
        if edge_delta is None:
            if x.coords is None:
                raise ValueError(
                    f"{name} needs a point cloud: GeometricTensor(tensor (N, C), type, coords (N, {self.d})) "
                    f"or an explicit edge_delta; got a tensor of shape {tuple(tensor.shape)} without coords"
                )
            if x.coords.shape[1] != self.d:
                raise ValueError(f"coords must have shape (N, {self.d}), got {tuple(x.coords.shape)}")
            edge_delta = x.coords.index_select(0, edge_index[0]) - x.coords.index_select(0, edge_index[1])
        elif not isinstance(edge_delta, torch.Tensor) or edge_delta.shape != (E, self.d):
            raise ValueError(
                f"edge_delta must be a ({E}, {self.d}) tensor (x_source - x_target per edge), "
                f"got {getattr(edge_delta, 'shape', type(edge_delta).__name__)}"
            )
        if not edge_delta.is_floating_point():
            raise TypeError(f"edge offsets must be floating point, got {edge_delta.dtype}")
        return edge_index, edge_delta.to(self.kernel.coefficients.dtype)

    def forward(
        self, x: GeometricTensor, edge_index: torch.Tensor, edge_delta: torch.Tensor | None = None
    ) -> GeometricTensor:
        tensor = self._check_input(x)
        if x.coords is None and tensor.dim() != 2:
            raise ValueError(
                f"{type(self).__name__} needs a point cloud: GeometricTensor(tensor (N, C), type, "
                f"coords (N, {self.d})); got a tensor of shape {tuple(tensor.shape)} without coords"
            )
        edge_index, delta = self._edges(x, tensor, edge_index, edge_delta)
        pair_weights, bias = cached_expansion(self)
        out = self.kernel(tensor, edge_index, delta, pair_weights, bias)
        return GeometricTensor(out, self.out_type, x.coords)

    def evaluate_output_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[1] != self.in_type.size:
            raise ValueError(f"expected an input shape (N, {self.in_type.size}), got {tuple(input_shape)}")
        return (input_shape[0], self.out_type.size)

    def export(self) -> PointConvExport:
        """The same function as a plain torch module on (features, coords, edge_index)."""
        pair_weights, bias = self.expand_parameters()
        return PointConvExport(copy.deepcopy(self.kernel), pair_weights, bias).train(self.training)

    # ------------------------------------------------------------------ testing
    def _default_testing_elements(self) -> list:
        from ...testing import random_elements

        group = self.in_type.fibergroup
        if not group.continuous:
            return list(group.elements)
        return list(group.testing_elements()) + random_elements(group, 4, seed=1)

    def check_equivariance(
        self, atol: float = 1e-7, rtol: float = 1e-5, elements=None, n_points: int = 24, seed: int = 0
    ) -> list:
        """f(g x) = g f(x) in float64 on a random point cloud (its radius graph with self-loops),
        with the points also permuted, for every group element (finite groups) or the testing
        elements plus random ones (continuous groups: arbitrary rotations are exact on points).
        Returns ``[(g, max abs error)]``; raises AssertionError above ``atol + rtol * max|f(x)|``."""
        model = copy.deepcopy(self).double().eval()
        gen = torch.Generator().manual_seed(seed)
        coords = (torch.rand(n_points, self.d, generator=gen, dtype=torch.float64) * 2 - 1) * self.width * 1.5
        features = torch.randn(n_points, self.in_type.size, generator=gen, dtype=torch.float64)
        edge_index = radius_graph(coords, self.width, loop=True)
        perm = torch.randperm(n_points, generator=gen)
        inverse = torch.argsort(perm)
        elements = self._default_testing_elements() if elements is None else list(elements)
        with torch.no_grad():
            y = model(self.in_type(features, coords), edge_index).tensor
            scale = float(y.abs().max())
            errors = []
            for g in elements:
                moved, moved_coords = self.in_type.transform(features, g, coords)
                x_g = self.in_type(moved[perm], moved_coords[perm])
                lhs = model(x_g, inverse[edge_index]).tensor
                rhs = self.out_type.transform_fibers(y, g)[perm]
                err = float((lhs - rhs).abs().max())
                errors.append((g, err))
                if not err <= atol + rtol * scale:
                    raise AssertionError(
                        f"{type(self).__name__} is not equivariant to {g}: error {err:.3e} "
                        f"(output scale {scale:.3e})"
                    )
        return errors

    def extra_repr(self) -> str:
        return (
            f"{self.in_type} -> {self.out_type}, groups={self.groups}, rings={self.rings.tolist()}, "
            f"sigma={self.sigma.tolist()}, basis_dim={self.basis.dim}"
        )


class R2PointConv(_RdPointConv):
    """G-steerable convolution on planar point clouds (geometric graphs), escnn's R2PointConv.

    For every edge j -> i of ``edge_index`` (PyTorch Geometric's convention: row 0 the sources
    j, row 1 the targets i) the message ``k(x_j - x_i) f(x_j)`` is sent to i and the messages
    are summed: ``f_out(x_i) = sum_{j -> i} k(x_j - x_i) f(x_j) + b``. The offset is source minus
    target, as in :class:`R2Conv` (a cross-correlation: the filter tap at offset p multiplies
    the input at x + p), so on a pixel grid with its radius graph and self-loops this layer
    equals an R2Conv with the same basis and weights. ``edge_delta`` overrides the offsets
    (give ``x_j - x_i``, e.g. with periodic boundaries).

    The kernel ``k(delta) = sum_e w_e B_e(delta)`` is the analytic steerable basis (Gaussian
    rings times harmonics, see :meth:`GSpace.build_kernel_basis`) evaluated in torch at the
    edge offsets, so the layer is differentiable in the coordinates and exactly equivariant to
    every rotation/reflection of G (arbitrary angles for continuous groups) and to permutations
    of the points. Self-loops see delta = 0, where only the isotropic (J = 0) part is non-zero.

    Defaults (all lengths in the coordinates' units):

    * rings: ``linspace(0, width, n_rings)`` with ``n_rings = 3``, or the given ``rings``;
      ``width`` should be the largest edge length (the ``r`` of :func:`radius_graph`).
    * sigma: 0.6 times the distance from each ring to the nearest other ring.
    * frequencies_cutoff: harmonic orders ``J <= F r`` with ``r`` counted in ring spacings
      (the smallest gap between rings) and F = 2 (a float F or a callable ``r -> J_max`` of the
      same ``r`` overrides it).
    * initialisation: generalised He, as if every point had its neighbours on the lattice of
      the ring spacing (like a pixel conv); rescale the weights for much denser graphs.

    Args:
        in_type, out_type: field types of one gspace on R^2.
        groups: split the fields into ``groups`` identical groups convolved separately.
        bias: learn a bias on the trivial fields of ``out_type``.
        sigma: ring widths (one value or one per ring).
        width: the radius of the kernel (the outermost ring).
        n_rings: the number of rings from 0 to ``width`` (>= 2).
        frequencies_cutoff: band limit (see above).
        rings: explicit ring radii (instead of width/n_rings).
        basis_filter: keep only the basis elements for which it is true (escnn's attribute dicts).
        recompute: re-expand the weights in eval mode too (otherwise cached).
        initialize: apply the generalised He initialisation.

    Memory: per edge, the sampled basis (``sum over irrep pairs of n_pair d_out d_in`` values)
    and, per pair, the cheaper of ``(n_pair, d_out, n_in_blocks)`` or the dense block
    ``(n_out_blocks d_out, n_in_blocks d_in)``; no full ``(E, C_out, C_in)`` filter is built
    unless it is the cheaper order for every pair.

    Shapes:
        - input: ``GeometricTensor`` of ``(N, in_type.size)`` with ``coords`` ``(N, 2)``;
          ``edge_index`` ``(2, E)`` int64; ``edge_delta`` ``(E, 2)`` (optional)
        - output: ``(N, out_type.size)`` with the same coords
    """

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        groups: int = 1,
        bias: bool = True,
        sigma=None,
        width=None,
        n_rings=None,
        frequencies_cutoff=None,
        rings=None,
        basis_filter=None,
        recompute: bool = False,
        initialize: bool = True,
    ):
        super().__init__(
            2, in_type, out_type, groups, bias, sigma, width, n_rings, frequencies_cutoff, rings,
            basis_filter, recompute, initialize,
        )  # fmt: skip


class R3PointConv(_RdPointConv):
    """G-steerable convolution on point clouds in R^3 (escnn's R3PointConv): as
    :class:`R2PointConv` with the real spherical harmonics on the sphere.

    Shapes:
        - input: ``GeometricTensor`` of ``(N, in_type.size)`` with ``coords`` ``(N, 3)``;
          ``edge_index`` ``(2, E)`` int64; ``edge_delta`` ``(E, 3)`` (optional)
        - output: ``(N, out_type.size)`` with the same coords
    """

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        groups: int = 1,
        bias: bool = True,
        sigma=None,
        width=None,
        n_rings=None,
        frequencies_cutoff=None,
        rings=None,
        basis_filter=None,
        recompute: bool = False,
        initialize: bool = True,
    ):
        super().__init__(
            3, in_type, out_type, groups, bias, sigma, width, n_rings, frequencies_cutoff, rings,
            basis_filter, recompute, initialize,
        )  # fmt: skip


class PointConvExport(torch.nn.Module):
    """The plain torch form of a point convolution (from :meth:`R2PointConv.export`): the
    sampled-basis runtime with the expanded per-irrep-pair coefficients as parameters (training
    them keeps the layer equivariant).

    Shapes:
        - features: ``(N, C_in)``; coords: ``(N, d)`` (or None with ``edge_delta``);
          edge_index: ``(2, E)``; edge_delta: ``(E, d)`` = x_source - x_target (optional)
        - output: ``(N, C_out)``
    """

    def __init__(self, kernel: PointKernel, pair_weights, bias):
        super().__init__()
        self.kernel = kernel
        self.pair_weights = torch.nn.ParameterList(
            [torch.nn.Parameter(w.detach().clone()) for w in pair_weights]
        )
        self.bias = None if bias is None else torch.nn.Parameter(bias.detach().clone())

    def forward(self, features, coords, edge_index, edge_delta=None):
        if edge_delta is None:
            edge_delta = coords.index_select(0, edge_index[0]) - coords.index_select(0, edge_index[1])
        return self.kernel(features, edge_index, edge_delta, list(self.pair_weights), self.bias)
