"""``graph``'s long-tail control: the lists re-ranked together for coverage, the bonus chosen within a budget."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from graphrec.train import Selection, TrainConfig
from graphrec.train.fit import top_scored
from graphrec.train.linear import GraphRecommender
from graphrec.train.metrics import rank_scored
from graphrec.train.rerank import CoverageRerank

from .conftest import tiny_graph

CFG = TrainConfig(out_dir=None, lam=10.0, filter=False)


def test_a_fresh_item_within_the_bonus_moves_ahead_of_one_already_shown() -> None:
    run = CoverageRerank(0.3, 2, k=3).start()
    first = run(torch.tensor([[0, 1, 2]]), torch.tensor([[3.0, 2.0, 1.0]]))       # nothing shown: score order
    assert first[0].tolist() == [[0, 1, 2]]
    # scaled 1, 0.75, 0; item 3 is fresh: 0.75 + 0.3 > 1, so it leads; the scores travel with their items
    items, scores = run(torch.tensor([[0, 3, 1]]), torch.tensor([[3.0, 2.5, 1.0]]))
    assert items.tolist() == [[3, 0, 1]] and scores.tolist() == [[2.5, 3.0, 1.0]]
    # a bonus below the score lead keeps the order
    small = CoverageRerank(0.2, 2, k=3).start()
    small(torch.tensor([[0, 1, 2]]), torch.tensor([[3.0, 2.0, 1.0]]))
    assert small(torch.tensor([[0, 3, 1]]), torch.tensor([[3.0, 2.5, 1.0]]))[0].tolist() == [[0, 3, 1]]


def test_masked_picks_stay_last_and_are_not_shown() -> None:
    run = CoverageRerank(0.5, 1, k=2).start()
    inf = float("-inf")
    items, _ = run(torch.tensor([[4, 5, 6]]), torch.tensor([[1.0, inf, inf]]))
    assert items.tolist() == [[4, 5, 6]]
    assert run.shown.nonzero()[0].tolist() == [4]       # 5 had no score: not a recommendation


def test_metrics_rank_the_reranked_lists_by_hand() -> None:
    # two users, the same scores: the second is shown item 1 (fresh: 0.9 + 0.2 > 1) instead of item 0
    def score(users: torch.Tensor) -> torch.Tensor:
        return torch.tensor([[1.0, 0.9, 0.0]]).repeat(users.numel(), 1)
    truth = torch.tensor([[0, 1], [0, 0]])
    plain = rank_scored(score, 3, truth, [], (1,), tail=True)
    shaped = rank_scored(score, 3, truth, [], (1,), tail=True, rerank=CoverageRerank(0.2, 2, k=1))
    assert plain["recall@1"] == 1.0 and plain["coverage@1"] == pytest.approx(1 / 3)
    assert shaped["recall@1"] == 0.5 and shaped["coverage@1"] == pytest.approx(2 / 3)
    # scoring the second user alone still ranks the first user's list before it, as publication would
    second = rank_scored(score, 3, torch.tensor([[1], [1]]), [], (1,), tail=True, rerank=CoverageRerank(0.2, 2, k=1))
    assert second["users"] == 1 and second["recall@1"] == 1.0 and second["coverage@1"] == pytest.approx(1 / 3)


def test_the_published_top_k_is_the_evaluated_ranking() -> None:
    graph = tiny_graph()
    model = GraphRecommender(CFG, torch.device("cpu"))
    fitted = model.refit(graph, graph.train, Selection(params={"lam": 10.0, "cover_bonus": 0.5}), False)
    assert fitted.rerank == CoverageRerank(0.5, graph.num_users) and fitted.info["cover_bonus"] == 0.5
    users, rerank = torch.arange(graph.num_users), CoverageRerank(0.5, graph.num_users, k=5)
    items, _ = top_scored(fitted.scorer, graph.num_users, graph.train, 5, rerank=rerank)
    plain, _ = top_scored(fitted.scorer, graph.num_users, graph.train, 5)
    assert items[0].tolist() == plain[0].tolist()           # the first user sees nothing shown before
    assert bool((items != plain).any(1).sum() >= 5)         # later users' lists take items nobody was shown
    # the metrics' pass, over every user in the same order, ranks the same lists
    truth = torch.stack([users.repeat_interleave(5), items.flatten()])
    m = rank_scored(fitted.scorer, graph.num_items, truth, [graph.train], (5,), rerank=rerank)
    assert m["recall@5"] == 1.0 and m["users"] == graph.num_users


def test_the_bonus_is_the_widest_coverage_within_the_recall_budget_and_off_by_default() -> None:
    graph = tiny_graph(valid=True)
    model = GraphRecommender(replace(CFG, pop_debias=0.05), torch.device("cpu"))
    chosen = model.select(graph, graph.train, graph.valid, progress=False)
    rows = chosen.info["cover_search"]
    assert rows[0]["cover_bonus"] == 0.0 and len(rows) >= 2
    allowed = [r for r in rows if r["recall@20"] >= 0.95 * rows[0]["recall@20"]]
    best = max(allowed, key=lambda r: r["coverage@20"])
    assert chosen.params["cover_bonus"] == best["cover_bonus"]
    assert "cover_bonus" not in GraphRecommender(CFG, torch.device("cpu")).select(
        graph, graph.train, graph.valid, progress=False).params
