"""Build a :class:`RecGraph` from Neo4j: discover (or take) a spec, stream nodes and edges, split."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from neo4j import Driver
from numpy.typing import NDArray
from torch import Tensor
from torch_geometric.data import HeteroData

from graphrec.db import read, render
from graphrec.errors import DatabaseError, GraphRecError, NotFoundError
from graphrec.loaders.spec import GraphSpec, discover_spec
from graphrec.loaders.split import SplitMode, split_interactions
from graphrec.loaders.stream import EdgeColumns, NodeColumns, concat_edges, stream_edges, stream_nodes
from graphrec.loaders.types import RecGraph
from graphrec.types import EdgeType, NodeType


@dataclass
class LoadStats:
    """What a load streamed and how fast.

    Attributes:
        nodes: nodes per node type.
        edges: relationships streamed per edge type (``"User-RATED->Item"``), before the split.
        seconds: wall time of the whole load.
        stream_seconds: time spent streaming edges.
        split_mode: the split actually used.
        held_out: ``{"valid": n, "test": n}`` pairs held out of the message-passing graph.
    """

    nodes: dict[NodeType, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stream_seconds: float = 0.0
    split_mode: str = ""
    held_out: dict[str, int] = field(default_factory=dict)

    @property
    def total_edges(self) -> int:
        """Relationships streamed, all types."""
        return sum(self.edges.values())

    @property
    def edges_per_s(self) -> float:
        """Relationships streamed per second of edge streaming."""
        return self.total_edges / self.stream_seconds if self.stream_seconds > 0 else 0.0


@dataclass(frozen=True)
class Shard:
    """This process's part of a load spread over ``count`` processes (e.g. the ranks of a ``torch.distributed``
    group): process 0 streams the nodes and hands them to the others (``share``), each process streams its
    ``index``-th contiguous block of every edge type's source pages, and the blocks are exchanged (``gather``),
    so that every process builds the same graph as one process loading alone.

    Attributes:
        index: this process's place, ``0 … count - 1``.
        count: processes sharing the load.
        share: ``share(value)``: process 0's ``value`` on every process (the others pass ``None``).
        gather: ``gather(value)``: every process's ``value``, in ``index`` order, on every process.
    """

    index: int
    count: int
    share: Callable[[Any], Any]
    gather: Callable[[Any], list[Any]]


def _attempt(work: Callable[[], Any]) -> Any:
    """``work()``, or the :class:`GraphRecError` it raised as a one-line message (to hand to the other processes
    of a :class:`Shard`, who would otherwise wait for this one)."""
    try:
        return work()
    except GraphRecError as e:
        return _Failed(str(e), e)


@dataclass
class _Failed:
    """A process's failure: its message travels to the others, the error itself stays (it may not pickle)."""

    message: str
    error: GraphRecError | None = None

    def __reduce__(self) -> tuple[type[_Failed], tuple[str]]:
        return _Failed, (self.message,)


def _checked(values: list[Any], shard: Shard) -> None:
    """Raise the first failure among the processes' ``values``: its own error on the process that met it, a
    :class:`DatabaseError` naming that process on the others."""
    for i, v in enumerate(values):
        if isinstance(v, _Failed):
            if i == shard.index and v.error is not None:
                raise v.error
            raise DatabaseError(f"load process {i} of {shard.count}: {v.message}")


def _key(et: EdgeType) -> str:
    return f"{et[0]}-{et[1]}->{et[2]}"


def _edge_index(src: NDArray[np.int64], dst: NDArray[np.int64]) -> torch.Tensor:
    return torch.from_numpy(np.stack([src, dst]).astype(np.int64)).contiguous()


def _add_edges(data: HeteroData, et: EdgeType, src: NDArray[np.int64], dst: NDArray[np.int64]) -> None:
    s, rtype, d = et
    data[et].edge_index = _edge_index(src, dst)
    data[(d, "rev_" + rtype, s)].edge_index = _edge_index(dst, src)


def _add_nodes(data: HeteroData, t: NodeType, cols: NodeColumns) -> None:
    data[t].num_nodes = len(cols.ids)
    if cols.text is not None and cols.has_text is not None:
        data[t].x = torch.from_numpy(cols.text)
        data[t].has_text = torch.from_numpy(cols.has_text)
    if cols.numeric is not None:
        data[t].numeric = torch.from_numpy(cols.numeric)


def _needs_ts(driver: Driver, spec: GraphSpec, split: SplitMode) -> bool:
    """Whether the split needs ``ts`` (reading it costs about as much as the rest of a behaviour page):
    only ``temporal``, or ``auto`` when no behaviour relationship is stored as valid/test."""
    if split != "auto":
        return split == "temporal"
    for s, rtype, d in spec.behaviours:
        if read(driver, render("extract/has_held_out", src=s, type=rtype, dst=d))[0]["held_out"]:
            return False
    return True


def _keep(c: EdgeColumns, mask: NDArray[np.bool_]) -> EdgeColumns:
    return EdgeColumns(src=c.src[mask], dst=c.dst[mask], split=c.split[mask] if c.split is not None else None,
                       ts=c.ts[mask] if c.ts is not None else None,
                       weight=c.weight[mask] if c.weight is not None else None)


def _min_weight(spec: GraphSpec, inter: list[EdgeType], streamed: dict[EdgeType, EdgeColumns]) -> tuple[
        list[EdgeColumns], NDArray[np.int64]]:
    """The interaction columns with relationships below their type's ``min_weight`` (or without a
    weight) removed, and the ``[2, E]`` (user, item) pairs removed: not positives, not edges."""
    cols: list[EdgeColumns] = []
    below_src: list[NDArray[np.int64]] = []
    below_dst: list[NDArray[np.int64]] = []
    for et in inter:
        c = streamed[et]
        mw = spec.min_weights.get(et[1])
        if mw is None or c.weight is None:
            cols.append(c)
            continue
        ok = np.nan_to_num(c.weight, nan=-np.inf) >= mw
        cols.append(_keep(c, ok))
        below_src.append(c.src[~ok])
        below_dst.append(c.dst[~ok])
    if not below_src:
        return cols, np.empty((2, 0), dtype=np.int64)
    return cols, np.stack([np.concatenate(below_src), np.concatenate(below_dst)]).astype(np.int64)


def _train_weight(cols: list[EdgeColumns], train: NDArray[np.int64], num_items: int) -> torch.Tensor:
    """The weight of each training pair: the greatest weight among its relationships (NaN: none has one)."""
    keys = np.concatenate([c.src * num_items + c.dst for c in cols])
    w = np.concatenate([c.weight if c.weight is not None else np.full(len(c.src), np.nan) for c in cols])
    order = np.lexsort((np.nan_to_num(w, nan=-np.inf), keys))
    ks, ws = keys[order], w[order]
    last = np.r_[ks[1:] != ks[:-1], True] if len(ks) else np.zeros(0, dtype=np.bool_)
    uk, uw = ks[last], ws[last]
    tk = train[0] * num_items + train[1]
    pos = np.clip(np.searchsorted(uk, tk), 0, max(len(uk) - 1, 0))
    out = uw[pos] if len(uk) else np.full(len(tk), np.nan)
    return torch.from_numpy(np.asarray(out, dtype=np.float32))


def _pair_ts(spec: GraphSpec, streamed: dict[EdgeType, EdgeColumns], num_items: int) -> Tensor:
    """``[3, P]`` (user, item, first ``ts``, -1 where none) of every interaction pair streamed."""
    cols = [streamed[et] for et in spec.interaction_types if et in streamed]
    keys = np.concatenate([c.src.astype(np.int64) * num_items + c.dst for c in cols])
    ts = np.concatenate([c.ts if c.ts is not None else np.full(len(c.src), -1) for c in cols]).astype(np.int64)
    uniq, inverse = np.unique(keys, return_inverse=True)
    never = np.iinfo(np.int64).max
    first = np.full(len(uniq), never, dtype=np.int64)
    np.minimum.at(first, inverse, np.where(ts >= 0, ts, never))
    first[first == never] = -1
    return torch.from_numpy(np.stack([uniq // num_items, uniq % num_items, first]))


def load_graph_with_stats(
    driver: Driver,
    spec: GraphSpec | None = None,
    split: SplitMode = "auto",
    valid_frac: float = 0.1,
    test_frac: float = 0.2,
    seed: int = 0,
    page_nodes: int = 20_000,
    page_edges: int = 50_000,
    progress: Callable[[int], None] | None = None,
    workers: int = 4,
    pair_ts: bool = False,
    shard: Shard | None = None,
) -> tuple[RecGraph, LoadStats]:
    """Like :func:`load_graph`, and also return the :class:`LoadStats` of the load; ``pair_ts`` streams the
    behaviours' timestamps whatever the split and keeps each pair's first in ``RecGraph.pair_ts``; ``shard``
    spreads the stream-out over processes that each call this (:class:`Shard`: the same graph on each)."""
    t0 = time.perf_counter()
    spec = spec or discover_spec(driver)
    if not spec.behaviours:
        raise NotFoundError(f"no behaviour relationships from {spec.user} to {spec.item} in the database "
                            "(load a dataset first: `graphrec load …`)")
    stats = LoadStats()
    data, ids = _nodes(driver, spec, stats, page_nodes, shard)
    t1 = time.perf_counter()
    with_ts = pair_ts or _needs_ts(driver, spec, split)
    streamed = _edges(driver, spec, ids, stats, with_ts, page_edges, progress, workers, shard)
    stats.stream_seconds = time.perf_counter() - t1
    graph = _split_graph(spec, data, ids, streamed, stats, split, valid_frac, test_frac, seed)
    if pair_ts:
        graph.pair_ts = _pair_ts(spec, streamed, len(ids[spec.item]))
    stats.seconds = time.perf_counter() - t0
    return graph, stats


def _nodes(driver: Driver, spec: GraphSpec, stats: LoadStats, page_nodes: int,
           shard: Shard | None) -> tuple[HeteroData, dict[NodeType, list[str]]]:
    """The node types into a new ``HeteroData`` and their ids (with a ``shard``: streamed by process 0, shared)."""
    def work() -> tuple[HeteroData, dict[NodeType, list[str]], dict[NodeType, int]]:
        data = HeteroData()
        ids = _load_nodes(driver, spec, data, stats, page_nodes)
        return data, ids, stats.nodes
    if shard is None:
        data, ids, _ = work()
        return data, ids
    got = shard.share(_attempt(work) if shard.index == 0 else None)
    _checked([got], shard)
    data, ids, stats.nodes = got
    return data, ids


def _edges(driver: Driver, spec: GraphSpec, ids: dict[NodeType, list[str]], stats: LoadStats, with_ts: bool,
           page_edges: int, progress: Callable[[int], None] | None, workers: int,
           shard: Shard | None) -> dict[EdgeType, EdgeColumns]:
    """Every edge type's columns (with a ``shard``: this process's block, then every process's, concatenated)."""
    def work(block: tuple[int, int] = (0, 1)) -> dict[EdgeType, EdgeColumns]:
        return _load_edges(driver, spec, ids, stats, with_ts, page_edges, progress, workers, block)
    if shard is None:
        return work()
    parts = shard.gather(_attempt(lambda: work((shard.index, shard.count))))
    _checked(parts, shard)
    streamed = {et: concat_edges([p[et] for p in parts]) for et in parts[0]}
    stats.edges = {_key(et): len(c.src) for et, c in streamed.items()}
    return streamed


def _load_nodes(driver: Driver, spec: GraphSpec, data: HeteroData, stats: LoadStats,
                page_nodes: int) -> dict[NodeType, list[str]]:
    """Stream every node type of ``spec`` (an entity type without nodes skipped) into ``data``; ids per type."""
    ids: dict[NodeType, list[str]] = {}
    for t in spec.node_types:
        expected = spec.node_counts.get(t)
        if t not in (spec.user, spec.item) and not expected:
            continue   # an entity type with no nodes
        nodes = stream_nodes(driver, t, page_size=page_nodes, with_text=spec.text,
                             numeric=spec.numeric.get(t, ()), expected=expected, id_key=spec.id_key(t))
        ids[t] = nodes.ids
        stats.nodes[t] = len(nodes.ids)
        _add_nodes(data, t, nodes)
    return ids


def _load_edges(driver: Driver, spec: GraphSpec, ids: dict[NodeType, list[str]], stats: LoadStats, with_ts: bool,
                page_edges: int, progress: Callable[[int], None] | None,
                workers: int, block: tuple[int, int] = (0, 1)) -> dict[EdgeType, EdgeColumns]:
    """Stream every edge type of ``spec`` whose end types were loaded, as columns of node indexes (``block``: that
    block of each type's source pages, :func:`~graphrec.loaders.stream.stream_edges`)."""
    index = {t: {b: i for i, b in enumerate(v)} for t, v in ids.items()}
    streamed: dict[EdgeType, EdgeColumns] = {}
    for et in spec.edge_types:
        if et[0] not in ids or et[2] not in ids:
            continue
        streamed[et] = stream_edges(driver, et, ids[et[0]], index[et[2]], behaviour=et in spec.behaviours,
                                    expected=spec.edge_counts.get(et), page_edges=page_edges, progress=progress,
                                    with_ts=with_ts, workers=workers, src_index=index[et[0]],
                                    src_id=spec.id_key(et[0]), dst_id=spec.id_key(et[2]),
                                    ts_key=spec.ts_keys.get(et[1], "ts"),
                                    weight_key=spec.weight_keys.get(et[1]) if et in spec.behaviours else None,
                                    block=block)
        stats.edges[_key(et)] = len(streamed[et].src)
    return streamed


def _split_graph(spec: GraphSpec, data: HeteroData, ids: dict[NodeType, list[str]],
                 streamed: dict[EdgeType, EdgeColumns], stats: LoadStats, split: SplitMode, valid_frac: float,
                 test_frac: float, seed: int) -> RecGraph:
    """Split the interactions into train/valid/test pairs, add the message-passing edges (training
    interactions; other edge types, side behaviours without held-out pairs) to ``data``, and build the graph."""
    inter = [et for et in spec.interaction_types if et in streamed]
    if not inter:
        raise NotFoundError(f"none of the interaction types {list(spec.interactions)} runs from {spec.user} "
                            f"to {spec.item} (behaviours: {', '.join(spec.behaviour_names)})")
    num_items = len(ids[spec.item])
    cols, below = _min_weight(spec, inter, streamed)
    users = np.concatenate([c.src for c in cols])
    items = np.concatenate([c.dst for c in cols])
    codes = np.concatenate([c.split for c in cols if c.split is not None])
    ts = np.concatenate([c.ts for c in cols if c.ts is not None])
    result = split_interactions(users, items, codes, ts, num_items=num_items, mode=split,
                                valid_frac=valid_frac, test_frac=test_frac, seed=seed)
    offset = 0
    for et, c in zip(inter, cols, strict=True):
        keep = result.edge_train[offset: offset + len(c.src)]
        offset += len(c.src)
        _add_edges(data, et, c.src[keep], c.dst[keep])
    held = np.concatenate([result.valid[0] * num_items + result.valid[1], result.test[0] * num_items + result.test[1]])
    for et, c in streamed.items():
        if et in inter:
            continue
        if et in spec.behaviours:   # a side behaviour: never show the model a held-out pair
            keep = ~np.isin(c.src * num_items + c.dst, held)
            _add_edges(data, et, c.src[keep], c.dst[keep])
        else:
            _add_edges(data, et, c.src, c.dst)

    stats.split_mode = result.mode
    stats.held_out = {"valid": result.valid.shape[1], "test": result.test.shape[1]}
    train_weight = _train_weight(cols, result.train, num_items) if spec.weight_keys.keys() & {et[1] for et in inter} \
        else None
    return RecGraph(data=data, ids=ids, train=torch.from_numpy(result.train), valid=torch.from_numpy(result.valid),
                    test=torch.from_numpy(result.test), user_type=spec.user, item_type=spec.item,
                    behaviours=list(dict.fromkeys(et[1] for et in inter)), train_weight=train_weight,
                    below_min_weight=torch.from_numpy(below))


def load_graph(
    driver: Driver,
    spec: GraphSpec | None = None,
    split: SplitMode = "auto",
    valid_frac: float = 0.1,
    test_frac: float = 0.2,
    seed: int = 0,
    page_nodes: int = 20_000,
    page_edges: int = 50_000,
    progress: Callable[[int], None] | None = None,
    workers: int = 4,
) -> RecGraph:
    """Stream the recommendation graph out of Neo4j into a :class:`RecGraph`.

    Nodes come in ``id`` order (so index ``i`` of a type is stable across loads of the same
    graph); ``text_embedding`` becomes ``data[t].x`` (float32, zeros where a node has none, with
    ``data[t].has_text``); numeric properties named in the spec become ``data[t].numeric``.
    Interaction relationships (``spec.interactions``, default every behaviour) are split into
    train/valid/test pairs; only training relationships enter the message-passing graph, and other
    behaviours (side relations, listed in ``kg_edge_types``) lose their edges on held-out pairs.
    Every edge type gets a reverse type ``rev_<REL>``. With a ``min_weight`` for a behaviour in the
    spec, its relationships below it (or without a weight) are ignored: neither positives nor
    message-passing edges; their pairs are in ``RecGraph.below_min_weight`` (and so in
    ``RecGraph.seen``, never recommended). With a weight property, ``RecGraph.train_weight`` holds
    each training pair's weight.

    Args:
        driver: an open driver.
        spec: what to stream (default: :func:`discover_spec` of the database).
        split: ``"auto"`` (default), ``"stored"``, ``"temporal"`` or ``"random"``; see
            :func:`graphrec.loaders.split.split_interactions`.
        valid_frac: validation share per user for seeded splits (default: 0.1).
        test_frac: test share per user for seeded splits (default: 0.2).
        seed: seed of the seeded splits (default: 0).
        page_nodes: nodes per query (default: 20000).
        page_edges: relationships per query, about (default: 50000).
        progress: called with the number of relationships after each page.
        workers: edge pages in flight at once (default: 4).

    Returns:
        The graph, its id maps and the interaction splits.

    Raises:
        NotFoundError: no behaviour relationships in the database.
        DatabaseError: the database failed, or nodes lack a string ``id``.
        ValueError: bad split arguments.
    """
    graph, _ = load_graph_with_stats(driver, spec, split, valid_frac, test_frac, seed, page_nodes, page_edges,
                                     progress, workers)
    return graph
