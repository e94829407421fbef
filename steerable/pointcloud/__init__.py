"""Point clouds without heavy dependencies: neighbourhood graphs and segment reductions.

``edge_index`` follows PyTorch Geometric: ``(2, E)`` int64, row 0 the sources j, row 1 the
targets i of the edges j -> i (messages flow from j to i). The steerable point convolutions
built on these are :class:`steerable.nn.R2PointConv` and :class:`steerable.nn.R3PointConv`.
"""

from .graph import knn_graph, radius_graph
from .scatter import scatter_max, scatter_mean, scatter_sum

__all__ = ["radius_graph", "knn_graph", "scatter_sum", "scatter_mean", "scatter_max"]
