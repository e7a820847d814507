"""``graph``'s cold users: a co-popularity blend for users with a handful of items, chosen on a pseudo-cold-user
carve; every other user's scores are the model's own, bit for bit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp
import torch

from graphrec.loaders.types import RecGraph
from graphrec.train import Selection, TrainConfig, fit
from graphrec.train.cold_users import (
    BLEND_UPTO,
    USER_CARVE_SHARE,
    blend_popularity,
    co_gram,
    co_popularity,
    history_weights,
    pseudo_cold_users,
)
from graphrec.train.linear import GraphRecommender
from graphrec.train.protocols import apply_protocol
from graphrec.train.sampling import carve_validation

from .conftest import tiny_graph

CFG = TrainConfig(out_dir=None, lam=10.0, top_k=5, filter=False)


def test_the_weight_goes_to_users_with_at_most_three_items_only() -> None:
    assert BLEND_UPTO == 3
    w = history_weights(torch.tensor([0, 1, 3, 4, 5, 40]), 2.0)
    assert w.tolist() == [2.0, 2.0, 2.0, 0.0, 0.0, 0.0]


def test_blend_rescales_only_the_weighted_rows_and_adds_popularity() -> None:
    scores = torch.tensor([[2.0, 1.0, 0.0], [4.0, -1.0, 1.0], [-1.0, -2.0, -3.0]])
    keep = scores[1].clone()
    pop = torch.tensor([0.0, 0.5, 1.0])
    out = blend_popularity(scores, torch.tensor([1.0, 0.0, 2.0]), pop)
    assert torch.allclose(out[0], torch.tensor([1.0, 1.0, 1.0]))       # [1, .5, 0] + [0, .5, 1]
    assert torch.equal(out[1], keep)                                     # weight 0: untouched
    assert torch.allclose(out[2], torch.tensor([-1.0, -1.0, -1.0]))     # best ≤ 0: not divided; + 2·pop


def test_co_popularity_counts_co_users_weighted_by_their_history() -> None:
    # users: 0 {0, 1}, 1 {0, 2, 3}, 2 {1, 2}, 3 {3}; user 0's co-users: 1 via item 0, 2 via item 1
    x = sp.csr_matrix(np.array([[1, 1, 0, 0], [2, 0, 1, 1], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=np.float32))
    g = co_gram(x, 1.0)                      # weights binarised; each user weighted by its item count (2, 3, 2, 1)
    assert g[0].tolist() == [2 + 3, 2, 3, 3] and g[3].tolist() == [3, 0, 3, 3 + 1]
    c = co_popularity(g, x, np.array([0]))
    # x_0 · G = G[0] + G[1] = [5, 2, 3, 3] + [2, 4, 2, 0], over its largest
    assert torch.allclose(c[0], torch.tensor([7.0, 6.0, 5.0, 3.0]) / 7.0)
    plain = co_gram(x, 0.0)
    assert plain[0].tolist() == [2, 1, 1, 1]                             # power 0: co-occurrence counts


def test_the_carve_keeps_each_carved_users_earliest_three_and_holds_the_rest() -> None:
    graph = tiny_graph(valid=True)
    ts = torch.arange(graph.train.size(1)).flip(0)            # later pairs in the tensor are earlier in time
    carve = pseudo_cold_users(graph.train, graph.valid, seed=3, ts=ts)
    users = torch.unique(carve.valid[0])
    assert users.numel() == round(USER_CARVE_SHARE * graph.num_users)
    for u in users.tolist():
        mine = graph.train[0] == u
        earliest = graph.train[1, mine][ts[mine].argsort()[:3]].sort().values
        kept = carve.train[1, carve.train[0] == u].sort().values
        assert torch.equal(kept, earliest)
        held = torch.cat([carve.valid[1, carve.valid[0] == u]])
        assert held.numel() == int(mine.sum()) - 3 + int((graph.valid[0] == u).sum())
    others = ~torch.isin(graph.train[0], users)
    assert int((~torch.isin(carve.train[0], users)).sum()) == int(others.sum())


def test_without_few_interaction_users_no_blend_is_chosen_or_applied() -> None:
    graph = tiny_graph(valid=True)           # every user: 6 train + 1 valid pairs
    first = torch.nonzero(graph.train[0] == 0).flatten()
    graph.train = graph.train[:, ~torch.isin(torch.arange(graph.train.size(1)), first[3:])]   # user 0: 3 + 1
    counts = torch.bincount(torch.cat([graph.train, graph.valid], 1)[0], minlength=graph.num_users)
    assert int(counts[counts > 0].min()) == BLEND_UPTO + 1
    art = fit(graph, CFG, progress=False)
    assert "user_blend" not in art.params["chosen"] and "user_search" not in art.info["selection"]


def _scores(graph: RecGraph, blend: float | None) -> tuple[torch.Tensor, dict[str, object]]:
    params = {"lam": 10.0, "weights": {"entities": 1.0},
              **({"user_blend": blend, "user_power": 0.5} if blend is not None else {})}
    model = GraphRecommender(CFG, torch.device("cpu"))
    fitted = model.refit(graph, graph.train, Selection(params=params), False)
    return fitted.scorer(torch.arange(graph.num_users)), fitted.info


def test_the_blend_moves_only_the_cold_users_scores_towards_their_co_popularity() -> None:
    graph = apply_protocol(tiny_graph(), "cold-users", 0)
    cold = torch.bincount(graph.train[0], minlength=graph.num_users) <= BLEND_UPTO
    assert 0 < int(cold.sum()) < graph.num_users
    plain, info = _scores(graph, None)
    mixed, info_on = _scores(graph, 1.0)
    assert "user_blend" not in info and info_on["user_blend"] == 1.0 and info_on["user_power"] == 0.5
    assert torch.equal(plain[~cold], mixed[~cold])                       # warm users: bit-identical
    x = torch.zeros(graph.num_users, graph.num_items, dtype=torch.float64)
    x[graph.train[0], graph.train[1]] = 1.0
    co = x[cold] @ (x.T @ (x.sum(1, keepdim=True) ** 0.5 * x))           # x_u Xᵀ D^½ X by hand
    top = plain[cold].max(dim=1, keepdim=True).values
    want = plain[cold] / top + (co / co.max(dim=1, keepdim=True).values).float()
    assert torch.allclose(mixed[cold], want, atol=1e-5)


def test_selection_chooses_the_blend_on_a_pseudo_cold_user_carve() -> None:
    graph = apply_protocol(tiny_graph(), "cold-users", 0)
    train, valid = carve_validation(graph.train, graph.num_users, 0.1, 2020)
    model = GraphRecommender(replace(CFG, cold_boost=None), torch.device("cpu"))
    chosen = model.select(graph, train, valid, progress=False)
    rows = chosen.info["user_search"]
    assert rows[0]["user_blend"] == 0.0 and len(rows) >= 4
    assert {r["user_power"] for r in rows[1:]} == {0.0, 0.5, 1.0}         # each power's own curve
    best = max(rows, key=lambda r: r["recall@20"] + r["ndcg@20"])
    assert chosen.params["user_blend"] == best["user_blend"]
    if best["user_blend"]:
        assert chosen.params["user_power"] == best["user_power"]
