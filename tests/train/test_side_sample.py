"""``hetero``'s fixed-size side neighbourhoods: at most ``k`` side in-edges per node over every relation together,
re-drawn every epoch and weighted so that their aggregate estimates the whole neighbourhood's."""

from __future__ import annotations

import torch

from graphrec.loaders.types import RecGraph
from graphrec.nn.sparse import relational_spmm
from graphrec.train.config import TrainConfig
from graphrec.train.models import HeteroModel, cap_side_edges

CF = ("User", "graphrec_interacts", "Item")
R1, R2 = ("Entity", "A", "Item"), ("Entity", "B", "Item")
BACK = ("Item", "rev_A", "Entity")
CPU = torch.device("cpu")


def _edges() -> dict[tuple[str, str, str], torch.Tensor]:
    """Item 0 has 6 + 4 side in-edges, item 1 has 2, item 2 none; entity 0 has 3 from items."""
    g = torch.Generator().manual_seed(0)
    return {
        CF: torch.stack([torch.randint(0, 5, (30,), generator=g), torch.randint(0, 3, (30,), generator=g)]),
        R1: torch.tensor([[0, 1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0, 1]]),
        R2: torch.tensor([[7, 8, 9, 10, 11], [0, 0, 0, 0, 1]]),
        BACK: torch.tensor([[0, 1, 2, 0, 1], [0, 0, 0, 1, 1]]),
    }


def _in_degree(edges: dict[tuple[str, str, str], torch.Tensor], dst_type: str, n: int,
               side: list[tuple[str, str, str]]) -> torch.Tensor:
    return torch.bincount(torch.cat([edges[et][1] for et in side if et[2] == dst_type]), minlength=n)


def _pairs(ei: torch.Tensor) -> set[tuple[int, int]]:
    return {(int(s), int(d)) for s, d in ei.t()}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_cap_keeps_at_most_k_per_node_over_all_relations() -> None:
    edges, n, side = _edges(), {"User": 5, "Item": 3, "Entity": 12}, [R1, R2, BACK]
    out = cap_side_edges(edges, side, n, 3, _gen(1))
    assert _in_degree(out, "Item", 3, side).tolist() == [3, 2, 0]   # 10 → 3 across A and B together; 2 kept whole
    assert _in_degree(out, "Entity", 12, side).tolist()[:2] == [3, 2]
    assert torch.equal(out[CF], edges[CF])                       # the interactions are never cut
    for et in side:
        assert _pairs(out[et]) <= _pairs(edges[et])
    again = cap_side_edges(edges, side, n, 3, _gen(1))
    assert all(torch.equal(again[et], out[et]) for et in out)   # one draw per generator state
    draws = {frozenset(_pairs(cap_side_edges(edges, [R1, R2], n, 3, _gen(s))[R1])) for s in range(8)}
    assert len(draws) > 1                                        # and a random one
    assert all(torch.equal(v, edges[et]) for et, v in cap_side_edges(edges, [R1, R2], n, None, _gen(0)).items())


def _with_moods(graph: RecGraph) -> RecGraph:
    """A second entity per item (the tiny graph has one genre each): two side edges per item, to draw one of."""
    mood = torch.stack([torch.arange(30), (torch.arange(30) + 1) % 6])
    graph.data["Item", "HAS_MOOD", "Entity"].edge_index = mood
    graph.data["Entity", "rev_HAS_MOOD", "Item"].edge_index = mood.flip(0)
    return graph


def test_each_epoch_draws_k_per_node_and_evaluation_sees_all(graph: RecGraph) -> None:
    bound = HeteroModel(_with_moods(graph), graph.train, TrainConfig(model="hetero", out_dir=None, side_sample=1),
                        CPU)
    side = [et for et in bound.edges if et not in bound.cf_types]
    into_items = [et for et in side if et[2] == "Item"]
    assert len(into_items) == 2 and all(bound.train_adj[et] is bound.adj[et] for et in side)
    draws = set()
    for _ in range(6):
        bound.start_epoch()
        kept = torch.zeros(30)
        for et in into_items:
            if et in bound.train_adj:
                a = bound.train_adj[et]
                assert a.rows is not None
                kept.index_add_(0, a.rows, a.fwd.to_dense().gt(0).sum(1).float())
        assert torch.equal(kept, torch.ones(30))                 # one of each item's two edges
        draws.add(tuple(bound.train_adj[et].fwd._nnz() if et in bound.train_adj else 0 for et in into_items))
    assert len(draws) > 1                                        # re-drawn: the split between the relations moves
    for et in side:                                              # evaluation: every edge, unscaled
        assert bound.adj[et].fwd._nnz() == bound.edges[et].size(1)


def test_the_drawn_aggregate_estimates_the_whole_one_without_bias(graph: RecGraph) -> None:
    """The mean over many draws of the side aggregate into the items equals the aggregate over every neighbour."""
    bound = HeteroModel(_with_moods(graph), graph.train, TrainConfig(model="hetero", out_dir=None, side_sample=1),
                        CPU)
    into_items = [et for et in bound.edges if et not in bound.cf_types and et[2] == "Item"]
    x = torch.randn(bound.num_nodes["Entity"], 4, generator=_gen(3))
    ones = torch.ones(4)

    def aggregate(adj: dict[tuple[str, str, str], object]) -> torch.Tensor:
        present = [et for et in into_items if et in adj]
        return relational_spmm([adj[et] for et in present], [x], [0] * len(present),  # type: ignore[misc]
                               [ones] * len(present), 30)

    full = aggregate(bound.adj)
    draws = 3000
    mean = torch.zeros_like(full)
    for _ in range(draws):
        bound.start_epoch()
        mean += aggregate(bound.train_adj) / draws
    assert torch.allclose(mean, full, atol=0.08), (mean - full).abs().max()
    # without the D / C weight the mean would be half the whole aggregate (one of two edges kept)
    assert not torch.allclose(mean / 2, full, atol=0.08)
