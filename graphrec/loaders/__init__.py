"""Neo4j → PyTorch Geometric: graph spec, paged column streaming, splits, :class:`RecGraph`."""

from graphrec.loaders.build import LoadStats, load_graph, load_graph_with_stats
from graphrec.loaders.spec import GraphSpec, discover_spec
from graphrec.loaders.types import RecGraph

__all__ = ["GraphSpec", "LoadStats", "RecGraph", "discover_spec", "load_graph", "load_graph_with_stats"]
