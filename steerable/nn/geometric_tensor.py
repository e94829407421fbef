"""GeometricTensor: a torch tensor together with the FieldType of its channels."""

from __future__ import annotations

import base64
import pickle

import torch
from torch.utils import _pytree as pytree

from ..group.element import GroupElement
from .field_type import FieldType

__all__ = ["GeometricTensor", "tensor_directsum"]


def _expected_rank(field_type: FieldType, coords) -> int:
    if coords is not None:
        return 2
    return 2 + field_type.gspace.dimensionality


class GeometricTensor:
    """A feature map ``tensor`` whose channels (dim 1) are fields of ``type``.

    Shapes:
        - images (2D gspaces): ``(B, C, H, W)``; volumes (3D): ``(B, C, D1, D2, D3)``;
          ``no_base_space``: ``(B, C)``; point clouds (``coords`` given): ``(N, C)`` with
          ``coords`` ``(N, d)``.

    It is registered as a torch pytree node (the field type is static context), so
    ``torch.compile(fullgraph=True)`` and ``torch.export`` see through it, and an exported
    program with GeometricTensor inputs can be saved with ``torch.export.save`` (set
    ``program.example_inputs = None`` first: ``torch.export.load`` reads example inputs with
    ``weights_only=True``, which refuses them).
    """

    __slots__ = ("tensor", "type", "coords")

    def __init__(self, tensor: torch.Tensor, type: FieldType, coords: torch.Tensor | None = None):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"GeometricTensor wraps a torch.Tensor, got {tensor.__class__.__name__}")
        if not isinstance(type, FieldType):
            raise TypeError(
                f"the type of a GeometricTensor must be a FieldType, got {type.__class__.__name__}"
            )
        rank = _expected_rank(type, coords)
        if tensor.dim() != rank:
            raise ValueError(
                f"a GeometricTensor of {type.gspace.name} needs a tensor of rank {rank}, "
                f"got shape {tuple(tensor.shape)}"
            )
        if tensor.shape[1] != type.size:
            raise ValueError(
                f"the tensor has {tensor.shape[1]} channels but the field type {type} has {type.size}"
            )
        if coords is not None:
            if (
                not isinstance(coords, torch.Tensor)
                or coords.dim() != 2
                or coords.shape[0] != tensor.shape[0]
            ):
                raise ValueError("coords must be a (N, d) tensor with one row per point")
        self.tensor = tensor
        self.type = type
        self.coords = coords

    # ------------------------------------------------------------------ tensor-like
    @property
    def shape(self) -> torch.Size:
        return self.tensor.shape

    def size(self, *dim):
        return self.tensor.size(*dim)

    def to(self, *args, **kwargs) -> GeometricTensor:
        coords = None if self.coords is None else self.coords.to(*args, **kwargs)
        return GeometricTensor(self.tensor.to(*args, **kwargs), self.type, coords)

    def __repr__(self) -> str:
        return f"GeometricTensor(type={self.type}, shape={tuple(self.tensor.shape)})"

    def _same_type(self, other: GeometricTensor, op: str):
        if not isinstance(other, GeometricTensor):
            raise TypeError(f"{op} needs two GeometricTensors, got {type(other).__name__}")
        if other.type != self.type:
            raise ValueError(f"{op} of GeometricTensors of different types: {self.type} and {other.type}")

    def __add__(self, other):
        self._same_type(other, "+")
        return GeometricTensor(self.tensor + other.tensor, self.type, self.coords)

    def __sub__(self, other):
        self._same_type(other, "-")
        return GeometricTensor(self.tensor - other.tensor, self.type, self.coords)

    def __mul__(self, other):
        if not isinstance(other, (int, float)) and not (isinstance(other, torch.Tensor) and other.dim() == 0):
            raise TypeError("a GeometricTensor can only be multiplied by a scalar (equivariance)")
        return GeometricTensor(self.tensor * other, self.type, self.coords)

    __rmul__ = __mul__

    def __rmatmul__(self, element: GroupElement) -> GeometricTensor:
        """``g @ x``: the transformed tensor."""
        if not isinstance(element, GroupElement):
            return NotImplemented
        return self.transform(element)

    def __getitem__(self, slices) -> GeometricTensor:
        """Index batch and spatial dimensions like a tensor; the channel dimension is indexed by
        *fields* (an int, slice or list of field indices). As in escnn, the number of dimensions
        is preserved: an integer index ``i`` of a batch or spatial dimension keeps that dimension
        with size 1."""
        if not isinstance(slices, tuple):
            slices = (slices,)
        slices = tuple(
            _keep_dim(s) if k != 1 and isinstance(s, int) and not isinstance(s, bool) else s
            for k, s in enumerate(slices)
        )
        if len(slices) < 2:
            return GeometricTensor(
                self.tensor[slices], self.type, None if self.coords is None else self.coords[slices]
            )
        fields = slices[1]
        if isinstance(fields, int):
            fields = [fields % len(self.type)]
        elif isinstance(fields, slice):
            fields = list(range(len(self.type)))[fields]
        else:
            fields = list(fields)
        channels = torch.cat(
            [torch.arange(int(self.type.fields_start[f]), int(self.type.fields_end[f])) for f in fields]
        ).to(self.tensor.device)
        tensor = self.tensor.index_select(1, channels)
        rest = (slices[0], slice(None)) + tuple(slices[2:])
        coords = None if self.coords is None else self.coords[slices[0]]
        return GeometricTensor(tensor[rest], self.type.index_select(fields), coords)

    # ------------------------------------------------------------------ geometry
    def transform(self, element) -> GeometricTensor:
        """[g f](x) = rho(g) f(g^-1 x) (see :meth:`FieldType.transform`)."""
        if self.coords is not None:
            tensor, coords = self.type.transform(self.tensor, element, self.coords)
            return GeometricTensor(tensor, self.type, coords)
        return GeometricTensor(self.type.transform(self.tensor, element), self.type)

    def transform_fibers(self, element) -> GeometricTensor:
        return GeometricTensor(self.type.transform_fibers(self.tensor, element), self.type, self.coords)

    def restrict(self, id) -> GeometricTensor:
        """The same tensor seen as fields of the subgroup ``id`` (no data is copied)."""
        return GeometricTensor(self.tensor, self.type.restrict(id), self.coords)

    def split(self, breaks) -> list[GeometricTensor]:
        """Split into consecutive groups of fields at the field indices ``breaks`` (new objects;
        the input is left untouched)."""
        breaks = [0] + sorted(int(b) for b in breaks) + [len(self.type)]
        for a, b in zip(breaks[:-1], breaks[1:]):
            if not 0 <= a < b <= len(self.type):
                raise ValueError(f"invalid split points {breaks[1:-1]} for {len(self.type)} fields")
        out = []
        for a, b in zip(breaks[:-1], breaks[1:]):
            start, end = int(self.type.fields_start[a]), int(self.type.fields_end[b - 1])
            out.append(
                GeometricTensor(self.tensor[:, start:end], self.type.index_select(range(a, b)), self.coords)
            )
        return out


def _keep_dim(i: int) -> slice:
    return slice(i, i + 1) if i != -1 else slice(-1, None)


def tensor_directsum(tensors) -> GeometricTensor:
    """Concatenate GeometricTensors along the channels (their types are summed)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("tensor_directsum needs at least one GeometricTensor")
    field_type = tensors[0].type
    for t in tensors[1:]:
        if not isinstance(t, GeometricTensor):
            raise TypeError(f"tensor_directsum takes GeometricTensors, got {type(t).__name__}")
        field_type = field_type + t.type
    return GeometricTensor(torch.cat([t.tensor for t in tensors], dim=1), field_type, tensors[0].coords)


def _flatten(x: GeometricTensor):
    return [x.tensor, x.coords], x.type


def _unflatten(children, context):
    tensor, coords = children
    out = object.__new__(GeometricTensor)
    out.tensor, out.type, out.coords = tensor, context, coords
    return out


def _flatten_with_keys(x: GeometricTensor):
    return [(pytree.GetAttrKey("tensor"), x.tensor), (pytree.GetAttrKey("coords"), x.coords)], x.type


def _context_to_json(field_type) -> str:
    # torch.export.save stores pytree contexts as JSON strings: the field type (an immutable,
    # picklable value) travels pickled; loading a saved program unpickles it, as torch.load
    # without weights_only would, so only load programs you trust
    return base64.b64encode(pickle.dumps(field_type)).decode("ascii")


def _context_from_json(text: str):
    return pickle.loads(base64.b64decode(text.encode("ascii")))


pytree.register_pytree_node(
    GeometricTensor,
    _flatten,
    _unflatten,
    serialized_type_name="steerable.nn.GeometricTensor",
    flatten_with_keys_fn=_flatten_with_keys,
    to_dumpable_context=_context_to_json,
    from_dumpable_context=_context_from_json,
)
