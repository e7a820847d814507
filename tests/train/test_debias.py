"""``graph``'s popularity debiasing: scores divided by relative popularity to a β chosen within a Recall budget."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from graphrec.train import Selection, TrainConfig
from graphrec.train.debias import pop_factors
from graphrec.train.linear import GraphRecommender

from .conftest import tiny_graph

CFG = TrainConfig(out_dir=None, lam=10.0, filter=False)


def test_pop_factors_by_hand() -> None:
    pairs = torch.tensor([[0, 1, 2, 0], [0, 0, 1, 3]])     # degrees 2, 1, 0, 1: mean over the warm items 4/3
    items, f = pop_factors(pairs, 4, 1.0)
    assert items.tolist() == [0, 1, 3]
    assert f.tolist() == pytest.approx([2 / 3, 4 / 3, 4 / 3])
    assert pop_factors(pairs, 4, 0.0)[1].tolist() == [1.0, 1.0, 1.0]


def test_the_refit_divides_each_score_by_relative_popularity_to_beta() -> None:
    graph = tiny_graph()
    params = {"lam": 10.0, "weights": {"entities": 1.0}}
    model = GraphRecommender(CFG, torch.device("cpu"))
    users = torch.arange(graph.num_users)
    plain = model.refit(graph, graph.train, Selection(params=params), False).scorer(users)
    fitted = model.refit(graph, graph.train, Selection(params={**params, "pop_beta": 0.5}), False)
    items, f = pop_factors(graph.train, graph.num_items, 0.5)
    expect = plain.clone()
    expect[:, items] *= f
    assert fitted.info["pop_beta"] == 0.5 and not torch.allclose(plain, expect)
    assert torch.allclose(fitted.scorer(users), expect, atol=1e-5)


def test_beta_is_the_widest_coverage_within_the_recall_budget_and_off_by_default() -> None:
    graph = tiny_graph(valid=True)
    model = GraphRecommender(replace(CFG, pop_debias=0.05), torch.device("cpu"))
    chosen = model.select(graph, graph.train, graph.valid, progress=False)
    rows = chosen.info["pop_search"]
    assert rows[0]["pop_beta"] == 0.0 and len(rows) >= 2
    allowed = [r for r in rows if r["recall@20"] >= 0.95 * rows[0]["recall@20"]]
    best = max(allowed, key=lambda r: r["coverage@20"])
    assert chosen.params["pop_beta"] == best["pop_beta"]
    assert "pop_beta" not in GraphRecommender(CFG, torch.device("cpu")).select(
        graph, graph.train, graph.valid, progress=False).params
