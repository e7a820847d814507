"""Neo4j as a PyG remote backend: the stores answer what the in-memory loader holds, the feature cache
stays bounded, and PyG's loaders give the same mini-batches from either backend."""

from __future__ import annotations

import pytest
import torch
from neo4j import Driver
from torch_geometric.data import HeteroData
from torch_geometric.loader import LinkNeighborLoader, NeighborLoader

from graphrec.loaders import discover_spec, load_graph
from graphrec.loaders.remote import RemoteBackend, remote_backend
from graphrec.loaders.sampler import TorchNeighborSampler
from graphrec.loaders.types import RecGraph
from graphrec.train.config import TrainConfig
from graphrec.train.loop import train_bpr
from graphrec.train.minibatch import LinkBatches
from graphrec.train.models import bind

EMBED = ("MATCH (i:Item) WHERE i.id IN ['i2', 'i4', 'i5'] "
         "SET i.text_embedding = [toFloat(substring(i.id, 1)), 0.5, -1.0]")


@pytest.fixture
def both(tiny: Driver) -> tuple[RecGraph, RemoteBackend]:
    """The tiny graph with some item embeddings and a numeric user property, loaded both ways."""
    tiny.execute_query(EMBED)
    spec = discover_spec(tiny, numeric={"User": ("age", "missing")})
    return load_graph(tiny, spec), remote_backend(tiny, spec, cache_rows=3, batch_rows=2)


def test_features_equal_the_in_memory_loader(both: tuple[RecGraph, RemoteBackend]) -> None:
    graph, remote = both
    fs, data = remote.feature_store, graph.data
    names = {(a.group_name, a.attr_name) for a in fs.get_all_tensor_attrs()}
    assert names == {("User", "n_id"), ("Item", "n_id"), ("Entity", "n_id"), ("Item", "x"),
                     ("Item", "has_text"), ("User", "numeric")}
    for idx in ([4, 0, 1, 4], [3], list(range(5))):
        index = torch.tensor(idx)
        assert torch.equal(fs.get_tensor("Item", "x", index=index), data["Item"].x[index])
        assert torch.equal(fs.get_tensor("Item", "has_text", index=index), data["Item"].has_text[index])
    got = fs.get_tensor("User", "numeric", index=torch.tensor([3, 1]))
    torch.testing.assert_close(got, data["User"].numeric[[3, 1]], rtol=0, atol=0, equal_nan=True)
    assert torch.isnan(got[:, 1]).all()
    assert fs.get_tensor_size("Item", "x") == (5, 3)
    assert fs.get_tensor("Entity", "n_id", index=torch.tensor([2, 0])).tolist() == [2, 0]


def test_edges_equal_the_in_memory_loader(both: tuple[RecGraph, RemoteBackend]) -> None:
    graph, remote = both
    gs, data = remote.graph_store, graph.data
    assert {a.edge_type for a in gs.get_all_edge_attrs()} == set(data.edge_types)
    assert remote.graph.ids == graph.ids and torch.equal(remote.graph.train, graph.train)
    for et in data.edge_types:
        row, col = gs.get_edge_index(et, "coo")
        assert torch.equal(torch.stack([row, col]), data[et].edge_index)
        for layout, convert in (("csr", data.csr), ("csc", data.csc)):
            want_a, want_b, _ = convert([et])
            a, b = gs.get_edge_index(et, layout)
            assert torch.equal(a, want_a[et]) and torch.equal(b, want_b[et]), (et, layout)
    rowptr, col = gs.get_edge_index(("User", "RATED", "Item"), "csr")
    assert rowptr.tolist() == [0, 2, 3, 5, 6]   # u1: i1 i2; u2: i1; u3: i2 i3; u4: i5 (train only)


def test_cache_is_bounded_and_hits_do_not_query(both: tuple[RecGraph, RemoteBackend]) -> None:
    fs = both[1].feature_store
    fs.get_tensor("Item", "x", index=torch.tensor([0, 1]))
    assert (fs.stats.queries, fs.stats.misses, fs.cached_rows()) == (1, 2, 2)
    fs.multi_get_tensor([("Item", "x", torch.tensor([1, 0])), ("Item", "has_text", torch.tensor([0]))])
    assert fs.stats.queries == 1 and fs.stats.hits == 2          # both attributes from one cached lookup
    fs.get_tensor("Item", "x", index=torch.tensor([2, 3, 4]))    # 3 misses, batch_rows=2: two queries
    assert fs.stats.queries == 3 and fs.cached_rows() == 3
    fs.get_tensor("Item", "x", index=torch.tensor([0]))          # evicted (least recently used): fetched again
    assert fs.stats.queries == 4 and fs.cached_rows() == 3
    fs.get_tensor("Item", "x", index=torch.tensor([0, 3, 4]))    # the three most recent: all hits
    assert fs.stats.queries == 4


def test_unknown_feature_or_edge_type_is_a_key_error(both: tuple[RecGraph, RemoteBackend]) -> None:
    fs, gs = both[1].data
    with pytest.raises(KeyError, match=r"no node feature User\.x .*Item\.x"):
        fs.get_tensor("User", "x", index=torch.tensor([0]))
    with pytest.raises(KeyError, match=r"no node feature Movie\.x"):
        fs.get_tensor("Movie", "x", index=torch.tensor([0]))
    with pytest.raises(KeyError, match=r"no edge type \('User', 'BOUGHT', 'Item'\).*User-RATED-Item"):
        gs.get_edge_index(("User", "BOUGHT", "Item"), "csc")


def _batch_equal(a: HeteroData, b: HeteroData) -> None:
    assert set(a.node_types) == set(b.node_types) and set(a.edge_types) == set(b.edge_types)
    for t in a.node_types:
        assert set(a[t].keys()) == set(b[t].keys()), t
        for key in a[t].keys():
            torch.testing.assert_close(torch.as_tensor(a[t][key]), torch.as_tensor(b[t][key]), rtol=0, atol=0,
                                       equal_nan=True, msg=f"{t}.{key}")
    for et in a.edge_types:
        assert torch.equal(a[et].edge_index, b[et].edge_index), et
        assert torch.equal(a[et].e_id, b[et].e_id), et


def _node_batches(source: HeteroData | tuple[object, object], seed: int) -> list[HeteroData]:
    torch.manual_seed(seed)
    sampler = TorchNeighborSampler(source, num_neighbors=[1, 1])  # type: ignore[arg-type]
    loader = NeighborLoader(source, num_neighbors=[1, 1], input_nodes=("Item", torch.tensor([0, 3, 1])),  # type: ignore[arg-type]
                            batch_size=2, neighbor_sampler=sampler)
    return list(loader)


def test_neighbor_loader_batch_equals_the_in_memory_one(both: tuple[RecGraph, RemoteBackend]) -> None:
    graph, remote = both
    memory, stored = _node_batches(graph.data, 7), _node_batches(remote.data, 7)
    assert len(memory) == len(stored) == 2
    for a, b in zip(memory, stored, strict=True):
        _batch_equal(a, b)
    first = stored[0]
    assert first["Item"].n_id[:2].tolist() == [0, 3] and first["Item"].batch_size == 2
    assert "x" in first["Item"] and "numeric" in first["User"] and first["User"].num_nodes > 0
    # one neighbour per node of a type that has more: the draw matters, so another seed gives another batch
    others = [_node_batches(graph.data, s)[0] for s in range(8)]
    assert any(not torch.equal(o["User"].n_id, first["User"].n_id) for o in others)


def test_link_neighbor_loader_batch_equals_the_in_memory_one(both: tuple[RecGraph, RemoteBackend]) -> None:
    graph, remote = both
    et = ("User", "RATED", "Item")
    batches = []
    for source in (graph.data, remote.data):
        torch.manual_seed(3)
        sampler = TorchNeighborSampler(source, num_neighbors=[2, 1])  # type: ignore[arg-type]
        loader = LinkNeighborLoader(source, num_neighbors=[2, 1], edge_label_index=(et, remote.graph.train),  # type: ignore[arg-type]
                                    batch_size=4, neg_sampling="triplet", shuffle=True, neighbor_sampler=sampler)
        batches.append(list(loader))
    for a, b in zip(*batches, strict=True):
        _batch_equal(a, b)
    assert sum(int(b["User"].src_index.numel()) for b in batches[1]) == graph.train.shape[1]


def test_pyg_neighbor_sampler_needs_pyg_lib_here(both: tuple[RecGraph, RemoteBackend]) -> None:
    """PyG's own sampler builds its CSC from the remote stores; only its sampling step needs pyg-lib."""
    import torch_geometric.typing as pyg_typing

    if pyg_typing.WITH_PYG_LIB or pyg_typing.WITH_TORCH_SPARSE:
        pytest.skip("pyg-lib or torch-sparse is installed")
    loader = NeighborLoader(both[1].data, num_neighbors=[2], input_nodes=("Item", torch.tensor([0])), batch_size=1)
    with pytest.raises(ImportError, match="pyg-lib"):
        next(iter(loader))


def test_torch_sampler_samples_real_edges_within_the_fanout(both: tuple[RecGraph, RemoteBackend]) -> None:
    data = both[0].data
    torch.manual_seed(0)
    seeds = torch.tensor([0, 1, 2, 4])
    sampler = TorchNeighborSampler(data, num_neighbors=[1, -1])
    batch = next(iter(NeighborLoader(data, num_neighbors=[1, -1], input_nodes=("Item", seeds), batch_size=4,
                                     neighbor_sampler=sampler)))
    assert torch.equal(batch["Item"].n_id[:4], seeds)
    for et in batch.edge_types:
        src = batch[et[0]].n_id[batch[et].edge_index[0]]
        dst = batch[et[2]].n_id[batch[et].edge_index[1]]
        assert torch.equal(data[et].edge_index[:, batch[et].e_id], torch.stack([src, dst])), et
    rated = ("User", "RATED", "Item")
    hop1 = batch.num_sampled_edges_dict[rated][0]
    assert hop1 == 4   # one user per seed item with a RATED in-edge (i1, i2, i3, i5; i3 has one)
    first = batch[rated].edge_index[1, :hop1]
    assert sorted(first.tolist()) == [0, 1, 2, 3]
    # hop 2 takes every in-edge (fan-out -1) of the nodes new at hop 1: for the users, every rev_RATED edge
    rev = ("Item", "rev_RATED", "User")
    users = batch["User"].n_id[: sum(batch.num_sampled_nodes_dict["User"][:2])].tolist()
    want = {(i, u) for i, u in data[rev].edge_index.T.tolist() if u in users}
    got = {(int(batch["Item"].n_id[r]), int(batch["User"].n_id[c])) for r, c in batch[rev].edge_index.T.tolist()}
    assert got == want and len(want) >= 4


@pytest.mark.parametrize("model", ["lightgcn", "hetero"])
def test_minibatch_training_on_the_remote_stores_equals_in_memory(both: tuple[RecGraph, RemoteBackend],
                                                                  model: str) -> None:
    """The mini-batch GNN loop runs on the Neo4j stores unchanged: same first batch, same trained model."""
    graph, remote = both
    cfg = TrainConfig(model=model, epochs=3, dim=4, layers=2, batch_size=3, fanout=2, minibatch=True, out_dir=None,
                      device="cpu", eval_every=1, dropout=0.0)
    bound = bind(graph, graph.train, cfg, torch.device("cpu"))
    firsts = []
    for stores in (None, remote.stores_for):
        torch.manual_seed(5)
        firsts.append(next(iter(LinkBatches(bound, graph.train, cfg, stores))))
    memory, stored = firsts
    for t in memory.node_types:
        assert torch.equal(memory[t].n_id, stored[t].n_id), t
        if "x" in memory[t]:   # hetero reads the item text: from Neo4j, the rows of the in-memory loader
            assert torch.equal(memory[t].x, stored[t].x), t
    assert ("x" in memory["Item"]) == (model == "hetero") and "x" in stored["Item"]
    for et in memory.edge_types:
        assert torch.equal(memory[et].edge_index, stored[et].edge_index), et
    for key in ("dst_pos_index", "dst_neg_index"):
        assert torch.equal(memory["Item"][key], stored["Item"][key]), key
    assert memory["User"].src_index.numel() == 3
    a = train_bpr(graph, cfg, progress=False)
    b = train_bpr(graph, cfg, progress=False, stores=remote.stores_for)
    assert torch.equal(a.user_emb, b.user_emb) and torch.equal(a.item_emb, b.item_emb)
    assert [r["loss"] for r in a.history] == [r["loss"] for r in b.history]
