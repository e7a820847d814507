"""Neo4j as a PyTorch Geometric remote backend: a :class:`~torch_geometric.data.FeatureStore` and a
:class:`~torch_geometric.data.GraphStore` for ``NeighborLoader`` / ``LinkNeighborLoader``.

The structure (node ids and the edge indices per edge type) is streamed once by the in-memory loader's
own code (:func:`graphrec.loaders.load_graph_with_stats` without features), so indices and edges are
numbered exactly as in :class:`~graphrec.loaders.RecGraph`; it stays local (it is small next to the
features). Node features (``x``: text embeddings, ``has_text``, ``numeric``: the spec's numeric
properties) stay in Neo4j and are fetched by index, in batches, through a bounded LRU cache of rows.
Every node type also has ``n_id`` (its indices, answered locally), so samplers see each node type and
its size even when it has no features.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from neo4j import Driver
from numpy.typing import NDArray
from torch import Tensor
from torch_geometric.data import EdgeAttr, FeatureStore, GraphStore, TensorAttr
from torch_geometric.data.graph_store import EdgeLayout
from torch_geometric.typing import EdgeTensorType, FeatureTensorType

from graphrec.db import read, render
from graphrec.errors import DatabaseError
from graphrec.loaders.build import load_graph_with_stats
from graphrec.loaders.spec import GraphSpec, discover_spec
from graphrec.loaders.split import SplitMode
from graphrec.loaders.stream import TEXT_PROPERTY
from graphrec.loaders.types import RecGraph
from graphrec.types import EdgeType, IdMap, NodeType

_Row = tuple[NDArray[np.float32] | None, NDArray[np.float32] | None]
"""A cached node: its text embedding (``None``: it has none) and its numeric properties (``None``: none asked)."""


@dataclass
class CacheStats:
    """What the feature store's cache did: rows served from it, rows fetched, queries sent."""

    hits: int = 0
    misses: int = 0
    queries: int = 0


def _index_array(index: Any, n: int) -> NDArray[np.int64]:
    """A ``TensorAttr.index`` (``None``, a full slice, a tensor, a sequence) as int64 node indices."""
    if index is None or (isinstance(index, slice) and index == slice(None)):
        return np.arange(n, dtype=np.int64)
    if isinstance(index, slice):
        return np.arange(n, dtype=np.int64)[index]
    arr = index.detach().cpu().numpy() if isinstance(index, Tensor) else np.asarray(index)
    arr = arr.astype(np.int64).reshape(-1)
    if len(arr) and (arr.min() < 0 or arr.max() >= n):
        raise IndexError(f"node index out of range [0, {n})")
    return arr


class Neo4jFeatureStore(FeatureStore):  # type: ignore[misc]
    """Node features read from Neo4j by node index, through a bounded LRU cache of rows.

    Attributes per node type: ``n_id`` (always; answered locally), ``x`` and ``has_text`` (when a node
    of the type has a text embedding; ``x`` is zeros where a node has none, as in the in-memory loader)
    and ``numeric`` (``[N, P]`` float32, NaN where missing, when the spec names numeric properties).

    Args:
        driver: an open driver.
        spec: the graph spec (labels, id properties, numeric properties, whether to read text).
        ids: business id by index per node type (the loader's order).
        cache_rows: the most node rows kept in the cache, all types together (0: no cache).
        batch_rows: nodes per query (default: 10000).
    """

    def __init__(self, driver: Driver, spec: GraphSpec, ids: Mapping[NodeType, IdMap], cache_rows: int = 100_000,
                 batch_rows: int = 10_000) -> None:
        if cache_rows < 0 or batch_rows < 1:
            raise ValueError(f"cache_rows must be >= 0 and batch_rows >= 1 (got {cache_rows}, {batch_rows})")
        super().__init__()
        self._driver, self._spec, self._ids = driver, spec, dict(ids)
        self.cache_rows, self.batch_rows = cache_rows, batch_rows
        self._cache: OrderedDict[tuple[NodeType, int], _Row] = OrderedDict()
        self.stats = CacheStats()
        self._dims = {t: self._text_dim(t) for t in self._ids} if spec.text else {}

    def _text_dim(self, t: NodeType) -> int:
        rows = read(self._driver, render("extract/text_dim", label=t), {"text_key": TEXT_PROPERTY})
        return int(rows[0]["dim"]) if rows else 0

    def _attr_names(self, t: NodeType) -> list[str]:
        names = ["n_id"]
        if self._dims.get(t):
            names += ["x", "has_text"]
        if self._spec.numeric.get(t):
            names.append("numeric")
        return names

    def get_all_tensor_attrs(self) -> list[TensorAttr]:
        return [TensorAttr(t, name) for t in self._ids for name in self._attr_names(t)]

    def _check(self, attr: TensorAttr) -> NodeType:
        t = attr.group_name
        if t not in self._ids or attr.attr_name not in self._attr_names(str(t)):
            known = ", ".join(f"{a.group_name}.{a.attr_name}" for a in self.get_all_tensor_attrs())
            raise KeyError(f"no node feature {t}.{attr.attr_name} in the Neo4j feature store (it has: {known})")
        return str(t)

    def _get_tensor_size(self, attr: TensorAttr) -> tuple[int, ...]:
        t = self._check(attr)
        n = len(self._ids[t])
        if attr.attr_name == "x":
            return (n, self._dims[t])
        if attr.attr_name == "numeric":
            return (n, len(self._spec.numeric[t]))
        return (n,)

    def _get_tensor(self, attr: TensorAttr) -> FeatureTensorType:
        return self._multi_get_tensor([attr])[0]

    def _multi_get_tensor(self, attrs: list[TensorAttr]) -> list[FeatureTensorType]:
        """Fetch each node type's rows once for all the attributes asked of it."""
        wanted: dict[NodeType, list[NDArray[np.int64]]] = {}
        for attr in attrs:
            t = self._check(attr)
            if attr.attr_name != "n_id":
                wanted.setdefault(t, []).append(_index_array(attr.index, len(self._ids[t])))
        rows = {t: self._rows(t, np.unique(np.concatenate(v))) for t, v in wanted.items()}
        out: list[FeatureTensorType] = []
        for attr in attrs:
            t = str(attr.group_name)
            idx = _index_array(attr.index, len(self._ids[t]))
            if attr.attr_name == "n_id":
                out.append(torch.from_numpy(idx))
                continue
            uniq, table = rows[t]
            out.append(self._assemble(t, str(attr.attr_name), [table[i] for i in idx.tolist()] if len(uniq) else []))
        return out

    def _assemble(self, t: NodeType, name: str, rows: list[_Row]) -> Tensor:
        if name == "has_text":
            return torch.tensor([r[0] is not None for r in rows], dtype=torch.bool)
        if name == "x":
            x = np.zeros((len(rows), self._dims[t]), dtype=np.float32)
            for i, r in enumerate(rows):
                if r[0] is not None:
                    x[i] = r[0]
            return torch.from_numpy(x)
        width = len(self._spec.numeric[t])
        return torch.from_numpy(np.stack([r[1] for r in rows if r[1] is not None]) if rows
                                else np.zeros((0, width), dtype=np.float32))

    def _rows(self, t: NodeType, uniq: NDArray[np.int64]) -> tuple[NDArray[np.int64], dict[int, _Row]]:
        """The rows of the sorted unique indices ``uniq``: cached ones moved to the front of the LRU order,
        the others fetched in batches and cached (the oldest evicted beyond ``cache_rows``)."""
        table: dict[int, _Row] = {}
        missing: list[int] = []
        for i in uniq.tolist():
            row = self._cache.get((t, i))
            if row is None:
                missing.append(i)
                continue
            self._cache.move_to_end((t, i))
            table[i] = row
        self.stats.hits += len(table)
        self.stats.misses += len(missing)
        for start in range(0, len(missing), self.batch_rows):
            fetched = self._fetch(t, missing[start: start + self.batch_rows])
            table.update(fetched)
            self._remember(t, fetched)
        return uniq, table

    def _remember(self, t: NodeType, rows: dict[int, _Row]) -> None:
        if self.cache_rows == 0:
            return
        for i, row in rows.items():
            self._cache[(t, i)] = row
            self._cache.move_to_end((t, i))
        while len(self._cache) > self.cache_rows:
            self._cache.popitem(last=False)

    def _fetch(self, t: NodeType, indices: Sequence[int]) -> dict[int, _Row]:
        """One query: the rows of ``indices`` of type ``t``."""
        ids = self._ids[t]
        pos = {ids[i]: i for i in indices}
        props = list(self._spec.numeric.get(t, ()))
        rec = read(self._driver, render("extract/node_features", label=t, id=self._spec.id_key(t)),
                   {"ids": list(pos), "with_text": bool(self._dims.get(t)), "text_key": TEXT_PROPERTY,
                    "props": props})[0]
        self.stats.queries += 1
        if len(rec["ids"]) != len(pos):
            gone = sorted(set(pos) - set(rec["ids"]))[:3]
            raise DatabaseError(f"{t} nodes {gone} are no longer in the database (was the graph changed "
                                "since the backend was opened?)")
        nums = np.asarray(rec["props"], dtype=np.float64).astype(np.float32).reshape(len(pos), len(props))
        out: dict[int, _Row] = {}
        for j, (key, emb) in enumerate(zip(rec["ids"], rec["text"], strict=True)):
            out[pos[key]] = (self._text_row(t, emb), nums[j] if props else None)
        return out

    def _text_row(self, t: NodeType, emb: Sequence[float]) -> NDArray[np.float32] | None:
        if not emb:
            return None
        if len(emb) != self._dims[t]:
            raise DatabaseError(f"{t}.text_embedding has rows of different lengths [{self._dims[t]}, {len(emb)}]; "
                                "re-run `graphrec embed-text`")
        return np.asarray(emb, dtype=np.float32)

    def cached_rows(self) -> int:
        """Rows in the cache now."""
        return len(self._cache)

    def _put_tensor(self, tensor: FeatureTensorType, attr: TensorAttr) -> bool:
        return False   # read-only: features live in Neo4j (`graphrec embed-text` writes them)

    def _remove_tensor(self, attr: TensorAttr) -> bool:
        return False


class Neo4jGraphStore(GraphStore):  # type: ignore[misc]
    """The edge indices of every edge type, streamed from Neo4j once and kept, in COO; CSR and CSC are
    converted from it on request (and kept). ``get_all_edge_attrs`` lists the COO form of each type, so
    PyG's samplers build their CSC (and its edge permutation) from it, as they do for ``HeteroData``.

    Args:
        edges: ``[2, E]`` edge index per edge type.
        num_nodes: nodes per node type.
    """

    def __init__(self, edges: Mapping[EdgeType, Tensor], num_nodes: Mapping[NodeType, int]) -> None:
        super().__init__()
        self._coo = {et: (ei[0], ei[1]) for et, ei in edges.items()}
        self._sizes = {et: (num_nodes[et[0]], num_nodes[et[2]]) for et in edges}
        self._converted: dict[tuple[EdgeType, EdgeLayout], tuple[Tensor, Tensor]] = {}

    @classmethod
    def from_graph(cls, graph: RecGraph) -> Neo4jGraphStore:
        """The store of a loaded graph's message-passing edges."""
        data = graph.data
        return cls({et: data[et].edge_index for et in data.edge_types},
                   {t: int(data[t].num_nodes) for t in data.node_types})

    def get_all_edge_attrs(self) -> list[EdgeAttr]:
        return [EdgeAttr(et, EdgeLayout.COO, size=self._sizes[et]) for et in self._coo]

    def _get_edge_index(self, edge_attr: EdgeAttr) -> EdgeTensorType:
        et = tuple(edge_attr.edge_type) if edge_attr.edge_type is not None else None
        if et not in self._coo:
            known = ", ".join("-".join(k) for k in self._coo)
            raise KeyError(f"no edge type {edge_attr.edge_type} in the Neo4j graph store (it has: {known})")
        key = (et, edge_attr.layout)
        if edge_attr.layout == EdgeLayout.COO:
            return self._coo[key[0]]
        if key not in self._converted:
            coo = EdgeAttr(key[0], EdgeLayout.COO, size=self._sizes[key[0]])
            a, b, _ = self._edge_to_layout(coo, edge_attr.layout)
            self._converted[key] = (a, b)
        return self._converted[key]

    def _put_edge_index(self, edge_index: EdgeTensorType, edge_attr: EdgeAttr) -> bool:
        return False   # read-only: edges come from Neo4j

    def _remove_edge_index(self, edge_attr: EdgeAttr) -> bool:
        return False


@dataclass
class RemoteBackend:
    """Neo4j as a PyG remote backend: pass ``(feature_store, graph_store)`` as ``data`` to PyG's loaders.

    The feature store holds the driver and its cache: use the loaders in one process (``num_workers=0``,
    the only setting tested).

    Attributes:
        feature_store: node features, read from Neo4j on demand.
        graph_store: the message-passing edges.
        graph: the structure load (ids, train/valid/test pairs; ``graph.data`` has no features).
    """

    feature_store: Neo4jFeatureStore
    graph_store: Neo4jGraphStore
    graph: RecGraph

    @property
    def data(self) -> tuple[Neo4jFeatureStore, Neo4jGraphStore]:
        """``(feature_store, graph_store)``, the ``data`` argument of PyG's loaders."""
        return self.feature_store, self.graph_store

    def stores_for(self, edges: Mapping[EdgeType, Tensor],
                   num_nodes: Mapping[NodeType, int]) -> tuple[Neo4jFeatureStore, Neo4jGraphStore]:
        """This backend's features with another set of edges (e.g. a model's message-passing graph: the training
        pairs of one fit), for ``graphrec.train.loop.train_bpr(..., stores=backend.stores_for)``."""
        return self.feature_store, Neo4jGraphStore(edges, num_nodes)


def remote_backend(driver: Driver, spec: GraphSpec | None = None, split: SplitMode = "auto",
                   valid_frac: float = 0.1, test_frac: float = 0.2, seed: int = 0, cache_rows: int = 100_000,
                   batch_rows: int = 10_000, **load: Any) -> RemoteBackend:
    """Open Neo4j as a PyG remote backend.

    The structure is loaded by :func:`graphrec.loaders.load_graph_with_stats` with the same spec and
    split arguments but no features, so indices, edges and splits equal those of ``load_graph``.

    Args:
        driver: an open driver.
        spec: what to stream (default: :func:`discover_spec`; pass ``discover_spec(driver, mapping=…)``
            for a ``[graph]`` mapping).
        split: see :func:`graphrec.loaders.load_graph`; ``valid_frac``, ``test_frac``, ``seed`` too.
        cache_rows: the feature cache's bound, in node rows (default: 100000).
        batch_rows: nodes per feature query (default: 10000).
        **load: ``page_nodes``, ``page_edges``, ``workers`` of the structure load.
    """
    spec = spec or discover_spec(driver)
    graph, _ = load_graph_with_stats(driver, replace(spec, text=False, numeric={}), split, valid_frac, test_frac,
                                     seed, **load)
    features = Neo4jFeatureStore(driver, spec, graph.ids, cache_rows=cache_rows, batch_rows=batch_rows)
    return RemoteBackend(features, Neo4jGraphStore.from_graph(graph), graph)
