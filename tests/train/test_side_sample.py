"""``hetero``'s fixed-size side neighbourhoods: at most ``k`` side in-edges per node over every relation together."""

from __future__ import annotations

import torch

from graphrec.loaders.types import RecGraph
from graphrec.train.config import TrainConfig
from graphrec.train.models import HeteroModel, cap_side_edges

CF = ("User", "graphrec_interacts", "Item")
R1, R2 = ("Entity", "A", "Item"), ("Entity", "B", "Item")
BACK = ("Item", "rev_A", "Entity")
CPU = torch.device("cpu")


def _edges() -> dict[tuple[str, str, str], torch.Tensor]:
    """Item 0 has 6 + 4 side in-edges, item 1 has 2, item 2 none; entity 0 has 5 from items."""
    g = torch.Generator().manual_seed(0)
    return {
        CF: torch.stack([torch.randint(0, 5, (30,), generator=g), torch.randint(0, 3, (30,), generator=g)]),
        R1: torch.tensor([[0, 1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0, 1]]),
        R2: torch.tensor([[7, 8, 9, 10, 11], [0, 0, 0, 0, 1]]),
        BACK: torch.tensor([[0, 1, 2, 0, 1], [0, 0, 0, 1, 1]]),
    }


def _in_degree(edges: dict[tuple[str, str, str], torch.Tensor], dst_type: str, n: int,
               cf: list[tuple[str, str, str]] | None = None) -> torch.Tensor:
    side = [ei[1] for et, ei in edges.items() if et[2] == dst_type and et not in (cf or [CF])]
    return torch.bincount(torch.cat(side), minlength=n)


def _pairs(ei: torch.Tensor) -> set[tuple[int, int]]:
    return {(int(s), int(d)) for s, d in ei.t()}


def test_cap_keeps_at_most_k_per_node_over_all_relations() -> None:
    edges, n = _edges(), {"User": 5, "Item": 3, "Entity": 12}
    out = cap_side_edges(edges, [R1, R2, BACK], n, 3, seed=1)
    assert _in_degree(out, "Item", 3).tolist() == [3, 2, 0]     # 10 → 3 across A and B together; 2 kept whole
    assert _in_degree(out, "Entity", 12).tolist()[:2] == [3, 2]
    assert torch.equal(out[CF], edges[CF])                       # the interactions are never cut
    for et in (R1, R2, BACK):
        assert _pairs(out[et]) <= _pairs(edges[et])
    again = cap_side_edges(edges, [R1, R2, BACK], n, 3, seed=1)
    assert all(torch.equal(again[et], out[et]) for et in out)   # one draw per seed
    draws = {frozenset(_pairs(cap_side_edges(edges, [R1, R2], n, 3, seed=s)[R1])) for s in range(8)}
    assert len(draws) > 1                                        # and a random one
    assert all(torch.equal(v, edges[et]) for et, v in cap_side_edges(edges, [R1, R2], n, None, 0).items())


def test_hetero_binds_the_capped_neighbourhoods(graph: RecGraph) -> None:
    """The bound model propagates over (and mini-batches sample from) the capped edges only."""
    def bound(k: int | None) -> HeteroModel:
        return HeteroModel(graph, graph.train, TrainConfig(model="hetero", out_dir=None, side_sample=k), CPU)

    full, capped = bound(None), bound(1)
    side = [et for et in full.edges if et not in full.cf_types]
    cut = 0
    for t in {et[2] for et in side}:
        deg_full, deg_cap = (_in_degree(b.edges, t, b.num_nodes[t], b.cf_types) for b in (full, capped))
        assert torch.equal(deg_cap, deg_full.clamp(max=1))
        cut += int((deg_full > 1).sum())
    assert cut > 0                                               # the tiny graph has nodes to cut
    assert set(capped.adj) == set(capped.edges)
