"""Mini-batch BPR for lightgcn and hetero: exact rows at full fan-out, learning, memory bounded by the batch."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from graphrec.loaders.types import RecGraph
from graphrec.train.config import TrainConfig
from graphrec.train.loop import train_bpr
from graphrec.train.metrics import rank_metrics
from graphrec.train.minibatch import LinkBatches, batch_adjacency, use_minibatch
from graphrec.train.models import bind
from tests.train.conftest import tiny_graph

CPU = torch.device("cpu")


def _cfg(model: str, **over: object) -> TrainConfig:
    base: dict[str, object] = {"model": model, "dim": 16, "layers": 2, "batch_size": 32, "out_dir": None,
                               "device": "cpu", "minibatch": True, "fanout": 5, "dropout": 0.0}
    return TrainConfig(**{**base, **over})  # type: ignore[arg-type]


@pytest.mark.parametrize("model", ["lightgcn", "hetero"])
def test_full_fanout_rows_are_the_full_graph_embeddings(graph: RecGraph, model: str) -> None:
    """With every neighbour sampled, the seeds' rows of a batch are exactly the full-graph propagation's."""
    cfg = _cfg(model, fanout=1000)
    torch.manual_seed(0)
    bound = bind(graph, graph.train, cfg, CPU)
    bound.module.eval()
    batches = LinkBatches(bound, graph.train, cfg)
    batch = next(iter(batches))
    with torch.no_grad():
        full_u, full_i = bound.embed()
        out = bound.embed_batch(batch, batch_adjacency(batch, batches.degrees, bound.cf_types))
    users, pos = batch["User"].src_index, batch["Item"].dst_pos_index
    torch.testing.assert_close(out["User"][users], full_u[batch["User"].n_id[users]], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out["Item"][pos], full_i[batch["Item"].n_id[pos]], rtol=1e-5, atol=1e-6)
    # a bounded fan-out drops neighbours: the rows are an estimate, not the full-graph ones
    small = LinkBatches(bound, graph.train, _cfg(model, fanout=1))
    torch.manual_seed(0)
    b1 = next(iter(small))
    with torch.no_grad():
        est = bound.embed_batch(b1, batch_adjacency(b1, small.degrees, bound.cf_types))["User"][b1["User"].src_index]
    assert not torch.allclose(est, full_u[b1["User"].n_id[b1["User"].src_index]], atol=1e-4)


@pytest.mark.parametrize("model", ["lightgcn", "hetero"])
def test_minibatch_training_learns_the_communities(model: str) -> None:
    graph = tiny_graph(valid=True)
    res = train_bpr(graph, _cfg(model, epochs=25, eval_every=5, patience=10, ks=(5,)), progress=False)
    losses = [row["loss"] for row in res.history]
    assert losses[-1] < 0.6 * losses[0]
    # random ranking: the one test item among the 23 unseen ones, Recall@5 ≈ 5/23; the communities give
    # the test item a place among the 8 unseen items of the user's half
    g = torch.Generator().manual_seed(0)
    rand = rank_metrics(torch.randn(40, 16, generator=g), torch.randn(30, 16, generator=g), graph.test,
                        [graph.train, graph.valid], (5,), 64)["recall@5"]
    assert rand < 0.35 and res.metrics["test"]["recall@5"] > rand + 0.25
    full = train_bpr(graph, _cfg(model, epochs=25, eval_every=5, patience=10, ks=(5,), minibatch=False),
                     progress=False)
    assert res.metrics["test"]["recall@5"] >= full.metrics["test"]["recall@5"] - 0.15


def test_auto_minibatch_above_the_bound() -> None:
    assert use_minibatch(_cfg("lightgcn", minibatch=None), 10) is False
    assert use_minibatch(_cfg("lightgcn", minibatch=None), 10**9) is True
    assert use_minibatch(_cfg("lightgcn", minibatch=False), 10**9) is False
    with pytest.raises(ValueError, match="fanout must be positive"):
        _cfg("lightgcn", fanout=0)


def _community_graph(num_users: int, num_items: int, per_user: int = 12) -> RecGraph:
    """Two communities, each user with ``per_user`` items of its half (sizes scale, degrees do not)."""
    g = torch.Generator().manual_seed(1)
    half = num_items // 2
    users = torch.arange(num_users).repeat_interleave(per_user)
    items = torch.randint(half, (users.numel(),), generator=g) * 2 + users % 2
    keys = torch.unique(users * num_items + items)
    train = torch.stack([keys // num_items, keys % num_items])
    data = HeteroData()
    data["User"].num_nodes, data["Item"].num_nodes = num_users, num_items
    data["User", "RATED", "Item"].edge_index = train
    return RecGraph(data=data, ids={"User": [f"u{i}" for i in range(num_users)],
                                    "Item": [f"i{i}" for i in range(num_items)]},
                    train=train, valid=torch.empty(2, 0, dtype=torch.long), test=torch.empty(2, 0, dtype=torch.long),
                    behaviours=["RATED"])


def _numel(batch: HeteroData) -> int:
    return sum(v.numel() for store in batch.stores for v in store.values() if isinstance(v, Tensor))


def _step_size(graph: RecGraph, cfg: TrainConfig) -> tuple[int, int]:
    """Largest per-step footprint over the first batches: (tensor elements of the batch, non-zeros of its
    matrices); and the full-graph step's non-zeros."""
    torch.manual_seed(0)
    bound = bind(graph, graph.train, cfg, CPU)
    batches = LinkBatches(bound, graph.train, cfg)
    seen = 0
    for n, batch in enumerate(batches):
        adj = batch_adjacency(batch, batches.degrees, bound.cf_types)
        seen = max(seen, _numel(batch) + sum(int(a.fwd.values().numel()) for a in adj.values()))
        if n == 4:
            break
    return seen, int(bound.adj.values().numel())  # type: ignore[attr-defined]


def test_per_step_memory_does_not_grow_with_the_graph() -> None:
    cfg = _cfg("lightgcn", batch_size=16, fanout=3)
    small, small_full = _step_size(_community_graph(500, 300), cfg)
    big, big_full = _step_size(_community_graph(4000, 2400), cfg)
    assert big_full > 7 * small_full                  # the full-graph step grows with the graph (8×)…
    assert big < 1.5 * small                          # …a mini-batch step does not (2437 → 2872 elements)
    # the bound: 16 seed pairs and 16 negatives, `fanout` in-edges per node and hop, 2 hops
    seeds = 16 * 3
    assert big < 8 * seeds * (1 + 3 + 9)
