"""Neo4j → PyTorch Geometric: graph spec, paged column streaming, splits, :class:`RecGraph`, and Neo4j as a
PyG remote backend (:func:`remote_backend`: a ``FeatureStore`` and a ``GraphStore`` for PyG's loaders)."""

from graphrec.loaders.build import LoadStats, load_graph, load_graph_with_stats
from graphrec.loaders.remote import Neo4jFeatureStore, Neo4jGraphStore, RemoteBackend, remote_backend
from graphrec.loaders.sampler import TorchNeighborSampler
from graphrec.loaders.spec import GraphSpec, discover_spec
from graphrec.loaders.types import RecGraph

__all__ = ["GraphSpec", "LoadStats", "Neo4jFeatureStore", "Neo4jGraphStore", "RecGraph", "RemoteBackend",
           "TorchNeighborSampler", "discover_spec", "load_graph", "load_graph_with_stats", "remote_backend"]
