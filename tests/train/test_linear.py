"""``graph``'s search: the λ grid it tries, the validation criterion it chooses by, the bagged selection."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from graphrec.loaders.types import RecGraph
from graphrec.train import TrainConfig, fit
from graphrec.train.base import Selection
from graphrec.train.linear import BAG_CARVES, GRAPH_LAMBDA_STEPS, LAMBDA_STEPS, GraphRecommender, selection_score

FAST = TrainConfig(dim=16, out_dir=None)


def test_the_criterion_weighs_ndcg_beside_recall() -> None:
    # a recall-only rule prefers b; graph's criterion prefers a's much better ranking for 0.01 less recall
    a = {"recall@20": 0.30, "ndcg@20": 0.55}
    b = {"recall@20": 0.31, "ndcg@20": 0.50}
    assert selection_score(a) > selection_score(b)
    assert selection_score(a) == pytest.approx(0.85)


def test_graph_keeps_the_best_setting_by_the_criterion(graph: RecGraph) -> None:
    art = fit(graph, replace(FAST, model="graph"), progress=False)
    search = art.info["selection"]["search"]
    assert all("valid_ndcg@20" in row for row in search)
    # the greedy search keeps a setting only when it beats the best so far, so the chosen setting's
    # validation score is the best of every setting it tried
    best = max(row["valid_recall@20"] + row["valid_ndcg@20"] for row in search)
    assert selection_score(art.metrics["valid"]) == pytest.approx(best)


def test_graph_searches_the_finer_lambda_grid(graph: RecGraph) -> None:
    lam_rows = lambda art: [r["lam"] for r in art.info["selection"]["search"] if set(r) <= {  # noqa: E731
        "lam", "valid_recall@20", "valid_ndcg@20"}]
    g = fit(graph, replace(FAST, model="graph"), progress=False)
    e = fit(graph, replace(FAST, model="ease"), progress=False)
    lams, ease_lams = lam_rows(g), lam_rows(e)      # graph climbs its grid from the middle step (5×)
    assert len(ease_lams) == len(LAMBDA_STEPS) and 3 <= len(lams) <= len(GRAPH_LAMBDA_STEPS)
    middle = len(GRAPH_LAMBDA_STEPS) // 2
    assert GRAPH_LAMBDA_STEPS[middle] == 5.0
    base = lams[0] / GRAPH_LAMBDA_STEPS[middle]
    grid = [round(base * s, 4) for s in GRAPH_LAMBDA_STEPS]
    assert set(lams) <= set(grid) and set(ease_lams) < set(grid)
    chosen = grid.index(g.info["selection"]["params"]["lam"])
    assert {grid[j] for j in (chosen - 1, chosen + 1) if 0 <= j < len(grid)} <= set(lams)   # a peak, seen as one


def test_graph_bags_its_selection_on_small_catalogues(graph: RecGraph) -> None:
    art = fit(graph, replace(FAST, model="graph"), progress=False)
    members = art.params["chosen"]["members"]
    assert len(members) == BAG_CARVES and members[0] == {k: v for k, v in art.params["chosen"].items()
                                                         if k != "members"}
    assert len(art.info["refit"]["members"]) == BAG_CARVES
    # above search_items every selection is a full search more: one carve, as before
    big = fit(graph, replace(FAST, model="graph", search_items=graph.num_items - 1), progress=False)
    assert "members" not in big.params["chosen"] and "members" not in big.info["refit"]


def test_the_bagged_refit_scores_the_mean_of_its_members(graph: RecGraph) -> None:
    rec = GraphRecommender(replace(FAST, model="graph"), torch.device("cpu"))
    a = {"lam": 2.0, "weights": {"entities": 2.0}, "filter_rank": 4, "blend": 0.5}
    b = {"lam": 30.0, "weights": {"text": 1.0}, "filter_rank": 0, "blend": 0.0}
    users = torch.arange(graph.num_users)
    one = [rec.refit(graph, graph.train, Selection(params=p), False).scorer(users) for p in (a, b)]
    bagged = rec.refit(graph, graph.train, Selection(params={**a, "members": [a, b]}), False)
    assert not torch.allclose(one[0], one[1], atol=1e-3)
    assert torch.allclose(bagged.scorer(users), (one[0] + one[1]) / 2, atol=1e-5)
    # the published vectors factorise the same mean operator
    assert bagged.item_fold is not None and bagged.user_emb.shape[0] == graph.num_users


def test_refit_without_a_chosen_lambda_uses_the_set_one() -> None:
    from dataclasses import replace

    import torch

    from graphrec.train import TrainConfig
    from graphrec.train.base import Selection
    from graphrec.train.fit import union_pairs
    from graphrec.train.linear import EaseRecommender
    from tests.train.conftest import tiny_graph

    g = tiny_graph()
    rec = EaseRecommender(replace(TrainConfig(dim=8, out_dir=None), lam=7.5), torch.device("cpu"))
    fitted = rec.refit(g, union_pairs(g.train, num_items=g.num_items), Selection(), False)
    assert fitted.info["lam"] == 7.5
