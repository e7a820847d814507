"""Loader round trip on a tiny real graph: spec discovery, id maps, edge counts, splits, reverse edges."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import torch
from neo4j import Driver

from graphrec.errors import DatabaseError, NotFoundError
from graphrec.loaders import GraphSpec, discover_spec, load_graph, load_graph_with_stats
from graphrec.loaders.build import Shard
from graphrec.loaders.stream import concat_edges, stream_edges
from graphrec.loaders.types import RecGraph
from tests.loaders.conftest import RATED, run_script


def _pairs(graph: RecGraph, t: torch.Tensor) -> set[tuple[str, str]]:
    users, items = graph.ids[graph.user_type], graph.ids[graph.item_type]
    return {(users[u], items[i]) for u, i in t.T.tolist()}


def _edges(graph: RecGraph, et: tuple[str, str, str]) -> set[tuple[str, str]]:
    src, dst = graph.ids[et[0]], graph.ids[et[2]]
    return {(src[a], dst[b]) for a, b in graph.data[et].edge_index.T.tolist()}


def test_discover_spec(tiny: Driver) -> None:
    spec = discover_spec(tiny)
    assert spec.node_types == ("User", "Item", "Entity")
    assert spec.node_counts == {"User": 4, "Item": 5, "Entity": 4}
    assert spec.behaviours == (("User", "RATED", "Item"), ("User", "LISTENED", "Item")) or \
        set(spec.behaviours) == {("User", "RATED", "Item"), ("User", "LISTENED", "Item")}
    assert set(spec.kg) == {("Item", "HAS_GENRE", "Entity"), ("Entity", "SUBGENRE_OF", "Entity"),
                            ("User", "HAS_OCCUPATION", "Entity")}
    assert spec.social == (("User", "FRIEND", "User"),)
    assert spec.edge_counts[("User", "RATED", "Item")] == 9
    assert spec.edge_counts[("Item", "HAS_GENRE", "Entity")] == 4
    assert all(et[1] != "RECOMMENDED" for et in spec.edge_types)


def test_discover_spec_restricts_behaviours(tiny: Driver) -> None:
    spec = discover_spec(tiny, behaviours=["RATED"])
    assert spec.behaviours == (("User", "RATED", "Item"),)
    assert ("User", "LISTENED", "Item") not in spec.edge_types


@pytest.mark.parametrize(("page_nodes", "page_edges"), [(20_000, 100_000), (2, 3)])
def test_round_trip(tiny: Driver, page_nodes: int, page_edges: int) -> None:
    graph, stats = load_graph_with_stats(tiny, page_nodes=page_nodes, page_edges=page_edges)
    data = graph.data
    assert graph.ids == {"User": ["u1", "u2", "u3", "u4"], "Item": ["i1", "i2", "i3", "i4", "i5"],
                         "Entity": ["genre:A", "genre:B", "kg:x", "occupation:writer"]}
    assert {t: data[t].num_nodes for t in data.node_types} == {"User": 4, "Item": 5, "Entity": 4}
    assert stats.split_mode == "stored"
    assert stats.edges["User-RATED->Item"] == 9 and stats.edges["User-LISTENED->Item"] == 1
    # splits are the stored ones; LISTENED u3->i1 is a training pair too
    want = {s: {p for p, v in RATED.items() if v == s} for s in ("train", "valid", "test")}
    assert _pairs(graph, graph.train) == want["train"] | {("u3", "i1")}
    assert _pairs(graph, graph.valid) == want["valid"]
    assert _pairs(graph, graph.test) == want["test"]
    # held-out interactions are not in the message-passing graph
    assert _edges(graph, ("User", "RATED", "Item")) == want["train"]
    assert _edges(graph, ("User", "LISTENED", "Item")) == {("u3", "i1")}
    # KG, attributes and social edges are whole
    assert _edges(graph, ("Item", "HAS_GENRE", "Entity")) == {("i1", "genre:A"), ("i2", "genre:A"),
                                                             ("i2", "genre:B"), ("i3", "genre:B")}
    assert _edges(graph, ("User", "FRIEND", "User")) == {("u1", "u2")}
    assert _edges(graph, ("Entity", "SUBGENRE_OF", "Entity")) == {("genre:A", "kg:x")}
    # every edge type has its reverse
    for s, rel, d in [et for et in data.edge_types if not et[1].startswith("rev_")]:
        fwd = data[(s, rel, d)].edge_index
        rev = data[(d, "rev_" + rel, s)].edge_index
        assert torch.equal(rev, fwd.flip(0))
        assert fwd.dtype == torch.long
    assert not any(et[1].endswith("RECOMMENDED") for et in data.edge_types)
    assert sorted(graph.behaviours) == ["LISTENED", "RATED"]
    assert set(graph.kg_edge_types) == {et for et in data.edge_types
                                        if et[1] not in ("RATED", "LISTENED", "rev_RATED", "rev_LISTENED")}
    data.validate()


def test_text_embeddings_and_numeric_properties(tiny: Driver) -> None:
    tiny.execute_query("MATCH (i:Item) WHERE i.id IN ['i2', 'i4'] "
                       "SET i.text_embedding = [toFloat(substring(i.id, 1)), 0.5, -1.0]")
    spec = discover_spec(tiny, numeric={"User": ("age", "missing")})
    graph = load_graph(tiny, spec)
    x = graph.data["Item"].x
    assert x.dtype == torch.float32 and tuple(x.shape) == (5, 3)
    assert graph.data["Item"].has_text.tolist() == [False, True, False, True, False]
    assert x[1].tolist() == [2.0, 0.5, -1.0] and x[3].tolist() == [4.0, 0.5, -1.0]
    assert x[0].abs().sum() == 0
    assert "x" not in graph.data["User"]
    num = graph.data["User"].numeric
    assert tuple(num.shape) == (4, 2) and num[:, 0].tolist() == [10.0, 20.0, 30.0, 40.0]
    assert torch.isnan(num[:, 1]).all()


def test_text_embeddings_of_different_lengths_fail(tiny: Driver) -> None:
    tiny.execute_query("MATCH (i:Item {id: 'i1'}) SET i.text_embedding = [1.0, 2.0]")
    tiny.execute_query("MATCH (i:Item {id: 'i2'}) SET i.text_embedding = [1.0, 2.0, 3.0]")
    with pytest.raises(DatabaseError, match="different lengths"):
        load_graph(tiny)


@pytest.mark.parametrize("mode", ["temporal", "random"])
def test_seeded_split_when_only_train_is_stored(tiny: Driver, mode: str) -> None:
    tiny.execute_query("MATCH ()-[r:RATED|LISTENED]->() SET r.split = 'train', r.ts = coalesce(r.ts, 10)")
    graph = load_graph(tiny, split=mode, valid_frac=0.0, test_frac=0.34, seed=1)  # type: ignore[arg-type]
    train, test = _pairs(graph, graph.train), _pairs(graph, graph.test)
    assert not train & test
    assert train | test == set(RATED) | {("u3", "i1")}
    assert test   # users with 3 interactions hold one out
    assert _edges(graph, ("User", "RATED", "Item")) | _edges(graph, ("User", "LISTENED", "Item")) == train
    if mode == "temporal":
        assert ("u1", "i3") in test and ("u2", "i5") in test   # the latest of u1 and u2
    again = load_graph(tiny, split=mode, valid_frac=0.0, test_frac=0.34, seed=1)  # type: ignore[arg-type]
    assert torch.equal(again.test, graph.test)


def test_auto_split_uses_ts_when_nothing_is_held_out(tiny: Driver) -> None:
    tiny.execute_query("MATCH ()-[r:RATED|LISTENED]->() SET r.split = 'train', r.ts = coalesce(r.ts, 10)")
    _, stats = load_graph_with_stats(tiny, test_frac=0.34, valid_frac=0.0)
    assert stats.split_mode == "temporal" and stats.held_out["test"] > 0


def test_non_string_ids_are_reported(tiny: Driver) -> None:
    tiny.execute_query("CREATE (:Item {id: 42})")
    with pytest.raises(DatabaseError, match="non-string id"):
        load_graph(tiny)


def test_no_behaviours(db: Driver) -> None:
    run_script(db, "CREATE (:User {id: 'u'}), (:Item {id: 'i'})")
    with pytest.raises(NotFoundError, match="no behaviour"):
        load_graph(db)


def test_explicit_spec(tiny: Driver) -> None:
    spec = GraphSpec(behaviours=(("User", "RATED", "Item"),), kg=(("Item", "HAS_GENRE", "Entity"),),
                     node_counts={"User": 4, "Item": 5, "Entity": 4}, text=False)
    graph = load_graph(tiny, spec)
    assert set(graph.data.edge_types) == {("User", "RATED", "Item"), ("Item", "rev_RATED", "User"),
                                          ("Item", "HAS_GENRE", "Entity"), ("Entity", "rev_HAS_GENRE", "Item")}
    assert graph.train.shape[1] == 6


def test_interactions_keep_other_behaviours_as_side_relations(tiny: Driver) -> None:
    # u1 also LISTENED to i3, which is u1's held-out RATED test pair: that edge must not leak
    tiny.execute_query("MATCH (u:User {id: 'u1'}), (i:Item {id: 'i3'}) "
                       "CREATE (u)-[:LISTENED {weight: 1.0, split: 'train'}]->(i)")
    graph = load_graph(tiny, discover_spec(tiny, interactions=["RATED"]))
    assert graph.behaviours == ["RATED"]
    assert _pairs(graph, graph.train) == {p for p, v in RATED.items() if v == "train"}
    assert ("u1", "i3") in _pairs(graph, graph.test)
    assert _edges(graph, ("User", "LISTENED", "Item")) == {("u3", "i1")}
    assert ("User", "LISTENED", "Item") in graph.kg_edge_types
    with pytest.raises(NotFoundError, match="interaction"):
        load_graph(tiny, discover_spec(tiny, interactions=["BOUGHT"]))
    # one unknown name among known ones is an error too, not silently dropped
    with pytest.raises(NotFoundError, match=r"BOUGHT is not a behaviour .*RATED"):
        discover_spec(tiny, interactions=["RATED", "BOUGHT"])


class _Exchange:
    """``Shard.share``/``gather`` between threads of this process (what a torch.distributed group does between
    processes)."""

    def __init__(self, n: int) -> None:
        self.n, self.slots, self.barrier = n, [None] * n, threading.Barrier(n, timeout=60)

    def shard(self, i: int) -> Shard:
        def gather(value: Any) -> list[Any]:
            self.slots[i] = value
            self.barrier.wait()
            out = list(self.slots)
            self.barrier.wait()
            return out
        return Shard(i, self.n, lambda v: gather(v)[0], gather)


def _sharded(driver: Driver, n: int, **kw: Any) -> list[Any]:
    ex = _Exchange(n)
    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(load_graph_with_stats, driver, shard=ex.shard(i), **kw) for i in range(n)]
        return [f.exception() or f.result() for f in futures]


@pytest.mark.parametrize("n", [2, 3])
def test_a_sharded_load_builds_the_same_graph_everywhere(tiny: Driver, n: int) -> None:
    # page_edges 3: RATED (9 from 4 users) is paged, so each process streams a block of its own
    rated = ("User", "RATED", "Item")
    users, items = {f"u{k}": k - 1 for k in range(1, 5)}, {f"i{k}": k - 1 for k in range(1, 6)}
    blocks = [stream_edges(tiny, rated, list(users), items, behaviour=True, expected=9, page_edges=3,
                           src_index=users, block=(i, n)) for i in range(n)]
    whole_cols = stream_edges(tiny, rated, list(users), items, behaviour=True, expected=9, page_edges=3,
                              src_index=users)
    assert sum(len(b.src) > 0 for b in blocks) >= 2 and sum(len(b.src) for b in blocks) == 9
    joined = concat_edges(blocks)
    assert np.array_equal(joined.src, whole_cols.src) and np.array_equal(joined.dst, whole_cols.dst)
    whole, stats = load_graph_with_stats(tiny, page_nodes=2, page_edges=3, split="random", seed=3)
    for graph, st in _sharded(tiny, n, page_nodes=2, page_edges=3, split="random", seed=3):
        assert graph.ids == whole.ids and st.edges == stats.edges and st.nodes == stats.nodes
        for part in ("train", "valid", "test"):
            assert torch.equal(getattr(graph, part), getattr(whole, part))
        for et in whole.data.edge_types:
            assert torch.equal(graph.data[et].edge_index, whole.data[et].edge_index)


def test_a_failure_in_one_load_process_stops_them_all(tiny: Driver) -> None:
    # process 0 streams the nodes: their bad text embeddings stop it, and the others hear why
    tiny.execute_query("MATCH (i:Item {id: 'i1'}) SET i.text_embedding = [1.0, 2.0]")
    tiny.execute_query("MATCH (i:Item {id: 'i2'}) SET i.text_embedding = [1.0, 2.0, 3.0]")
    first, second = _sharded(tiny, 2)
    assert isinstance(first, DatabaseError) and "different lengths" in str(first)
    assert isinstance(second, DatabaseError) and str(second).startswith("load process 0 of 2: ")
    assert "different lengths" in str(second)
