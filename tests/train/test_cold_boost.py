"""``graph``'s cold boost: cold items reach the all-items top-K; without cold items the fit is unchanged."""

from __future__ import annotations

import weakref
from dataclasses import replace

import numpy as np
import pytest
import torch

from graphrec.train import Selection, TrainConfig, cold, fit, linear
from graphrec.train.cold import (
    SIMILARITIES,
    borrow_weights,
    content_columns,
    pseudo_cold,
    zero_degree,
)
from graphrec.train.content import entity_vectors
from graphrec.train.linear import GraphRecommender
from graphrec.train.matrices import interactions, side_info
from graphrec.train.protocols import apply_protocol
from graphrec.train.sampling import carve_validation

from .conftest import tiny_graph

CFG = TrainConfig(out_dir=None, lam=10.0, top_k=5)


def test_without_cold_items_the_fit_is_bit_identical_with_or_without_the_boost() -> None:
    graph = tiny_graph(valid=True)
    assert zero_degree(torch.cat([graph.train, graph.valid], 1), graph.num_items).numel() == 0
    budgets = (replace(CFG, cold_boost=0.005), replace(CFG, cold_boost=None))
    on, off = (fit(graph, cfg, progress=False) for cfg in budgets)
    assert "cold_boost" not in on.params["chosen"] and on.params["chosen"] == off.params["chosen"]
    assert on.metrics == off.metrics
    assert torch.equal(on.item_emb, off.item_emb) and torch.equal(on.user_emb, off.user_emb)
    assert on.top_items is not None and off.top_items is not None
    assert torch.equal(on.top_items, off.top_items) and torch.equal(on.top_scores, off.top_scores)


def _top_cold(graph_seed: int, boost: float | None) -> tuple[int, dict[str, object]]:
    """Cold items in the users' all-items top 3 after a refit (``boost``: the chosen multiple, ``None``: none)."""
    graph = apply_protocol(tiny_graph(), "cold-items", graph_seed)
    assert graph.cold_items is not None
    params = {"lam": 10.0, "weights": {"entities": 1.0, "text": 1.0},
              **({"cold_boost": boost} if boost is not None else {})}
    fitted = GraphRecommender(CFG, torch.device("cpu")).refit(graph, graph.train, Selection(params=params), False)
    s = fitted.scorer(torch.arange(graph.num_users))
    s[graph.train[0], graph.train[1]] = float("-inf")
    return int(torch.isin(s.topk(3, dim=1).indices, graph.cold_items).sum()), fitted.info


def test_a_cold_item_enters_the_all_items_top_k_with_the_boost_and_not_without() -> None:
    without, info = _top_cold(0, None)
    assert without == 0 and "cold_boost" not in info
    with_boost, info = _top_cold(0, 1.0)
    assert with_boost > 0
    assert info["cold_boost"] == {"items": 6, "factor": info["cold_boost"]["factor"]}  # type: ignore[index]
    assert info["cold_boost"]["factor"] > 1   # type: ignore[index]


def test_selection_chooses_the_boost_on_a_pseudo_cold_carve_only_when_there_are_cold_items() -> None:
    graph = apply_protocol(tiny_graph(), "cold-items", 0)
    train, valid = carve_validation(graph.train, graph.num_users, 0.1, 2020)
    model = GraphRecommender(replace(CFG, filter=False), torch.device("cpu"))
    chosen = model.select(graph, train, valid, progress=False)
    blends = chosen.info["blend_search"]                  # the content similarity, then its share, among cold items
    pick = [r for r in blends if r["cold_blend"] == chosen.params["cold_blend"]
            and [r["entities"], r["k"], r["power"]] == list(chosen.params["cold_sim"])]
    assert pick and pick[0]["cold_only_recall@20"] == max(r["cold_only_recall@20"] for r in blends)
    rows = chosen.info["cold_search"]
    assert chosen.params["cold_boost"] in [r["cold_boost"] for r in rows] and rows[0]["cold_boost"] == 0.0
    allowed = [r for r in rows if all(r[key] >= 0.995 * rows[0][key]         # the default budget: 0.5% of
                                      for key in ("warm_recall@20", "warm_ndcg@20"))]   # each warm metric
    assert chosen.params["cold_boost"] == max(allowed, key=lambda r: r["cold_recall@20"])["cold_boost"]
    greedy = GraphRecommender(replace(CFG, filter=False, cold_boost=1.0), torch.device("cpu"))
    chosen = greedy.select(graph, train, valid, progress=False)           # no warm budget: the cold pairs decide
    best = max(chosen.info["cold_search"], key=lambda r: r["cold_recall@20"])
    assert chosen.params["cold_boost"] == best["cold_boost"]
    off = GraphRecommender(replace(CFG, filter=False, cold_boost=None), torch.device("cpu"))
    assert "cold_boost" not in off.select(graph, train, valid, progress=False).params


def test_the_similarity_search_keeps_only_its_leaders_and_the_latest_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each candidate's ``[I, c]`` columns are computed once and dropped once beaten: on lastfm-2k's carve (5,165
    cold items) all 17 kept would be 6 GB."""
    alive: list[weakref.ref[torch.Tensor]] = []
    most, calls = [0], [0]
    plain = cold.cold_columns

    def counted(*args: object, **kwargs: object) -> torch.Tensor | None:
        most[0] = max(most[0], sum(r() is not None for r in alive))
        calls[0] += 1
        out = plain(*args, **kwargs)  # type: ignore[arg-type]
        assert out is not None
        alive.append(weakref.ref(out))
        return out

    monkeypatch.setattr(cold, "cold_columns", counted)
    similarity = linear.content_columns
    asked: list[tuple[float, int]] = []

    def content(*args: object) -> torch.Tensor | None:
        asked.append((float(args[3]), int(args[4])))  # type: ignore[call-overload]
        return similarity(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(linear, "content_columns", content)
    graph = apply_protocol(tiny_graph(), "cold-items", 0)
    train, valid = carve_validation(graph.train, graph.num_users, 0.1, 2020)
    chosen = GraphRecommender(replace(CFG, filter=False), torch.device("cpu")).select(graph, train, valid, False)
    assert calls[0] == len(SIMILARITIES)              # each candidate once
    assert 1 <= most[0] <= 2                          # the leader's, and the remembered content similarity
    assert len(chosen.info["blend_search"]) == len(SIMILARITIES) + 4
    keys = [(w, k if not p else 0) for w, k, p in SIMILARITIES]          # borrowed columns start from (w, 0)
    runs = 1 + sum(a != b for a, b in zip(keys, keys[1:], strict=False))
    assert len(asked) <= runs + 2 < len(SIMILARITIES)   # one per run of equal keys, + the choice applied twice


def test_the_pseudo_cold_carve_takes_every_pair_of_its_items() -> None:
    graph = tiny_graph(valid=True)
    carve = pseudo_cold(graph.train, graph.valid, 0.2, seed=5)
    held = torch.unique(carve.cold_valid[1])
    assert held.numel() == 6                                  # 20% of the 30 items
    assert not torch.isin(carve.train[1], held).any() and not torch.isin(carve.warm_valid[1], held).any()
    total = graph.train.size(1) + graph.valid.size(1)
    assert carve.train.size(1) + carve.cold_valid.size(1) + carve.warm_valid.size(1) == total


def test_blend_one_scores_cold_items_by_their_content_similarity_to_the_history() -> None:
    graph = apply_protocol(tiny_graph(), "cold-items", 0)
    assert graph.cold_items is not None
    params = {"lam": 10.0, "weights": {"entities": 1.0, "text": 1.0}, "cold_blend": 1.0}
    fitted = GraphRecommender(replace(CFG, filter=False), torch.device("cpu")).refit(
        graph, graph.train, Selection(params=params), False)
    assert fitted.info["cold_blend"] == 1.0
    side = side_info(graph)
    sim = content_columns(side.text, entity_vectors(side.entities, graph.num_items), graph.cold_items)
    assert sim is not None
    x = interactions(graph.train, graph.num_users, graph.num_items)
    expect = torch.from_numpy(np.asarray(x @ sim.numpy(), dtype=np.float32))
    got = fitted.scorer(torch.arange(graph.num_users))[:, graph.cold_items]
    scale = float(got.sum() / expect.sum())
    assert scale > 0 and torch.allclose(got, expect * scale, atol=1e-4)


def test_borrow_weights_keep_each_cold_items_k_most_similar_warm_items_summing_to_one() -> None:
    sim = torch.tensor([[0.9, 0.1], [0.5, 0.8], [0.2, 0.4], [1.0, 1.0]])   # item 3 is cold
    warm = torch.tensor([True, True, True, False])
    w = borrow_weights(sim, warm, k=2, power=2.0)
    assert torch.allclose(w[:, 0], torch.tensor([0.81, 0.25, 0.0, 0.0]) / 1.06)
    assert torch.allclose(w[:, 1], torch.tensor([0.0, 0.64, 0.16, 0.0]) / 0.80)


def test_borrowed_cold_columns_score_a_user_by_their_scores_of_the_cold_items_content_neighbours() -> None:
    graph = apply_protocol(tiny_graph(), "cold-items", 0)
    assert graph.cold_items is not None
    cold = graph.cold_items
    params = {"lam": 10.0, "weights": {"entities": 1.0, "text": 1.0}}
    model = GraphRecommender(CFG, torch.device("cpu"))
    plain = model.refit(graph, graph.train, Selection(params=params), False)
    spec = [1.0, 5, 3.0]
    assert tuple(spec) in SIMILARITIES
    borrowed = model.refit(graph, graph.train, Selection(params={**params, "cold_blend": 1.0, "cold_sim": spec}),
                           False)
    side = side_info(graph)
    sim = content_columns(side.text, entity_vectors(side.entities, graph.num_items), cold)
    assert sim is not None
    warm = torch.ones(graph.num_items, dtype=torch.bool)
    warm[cold] = False
    users = torch.arange(graph.num_users)
    s = plain.scorer(users)
    expect = s @ borrow_weights(sim, warm, 5, 3.0)        # each user's scores of the 5 neighbours, weighted
    got = borrowed.scorer(users)
    scale = float(got[:, cold].sum() / expect.sum())
    assert scale > 0 and torch.allclose(got[:, cold], expect * scale, atol=1e-4)
    assert torch.equal(got[:, warm], s[:, warm])          # the warm items' scores do not move
