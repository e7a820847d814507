"""The model registry and the select → refit protocol on a tiny graph: every model, artefacts, train_pairs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from graphrec.artefact import Artefact
from graphrec.cli.train import model_names
from graphrec.errors import InputError
from graphrec.loaders.types import RecGraph
from graphrec.train import REGISTRY, TrainConfig, fit, rank_scored
from graphrec.train.fit import union_pairs
from graphrec.train.threads import available_cores, set_threads

from .conftest import tiny_graph

FAST = TrainConfig(epochs=12, dim=16, layers=2, lr=0.02, batch_size=128, eval_every=3, patience=10, out_dir=None)


def test_cli_choices_are_the_registry() -> None:
    assert model_names() == tuple(REGISTRY)
    with pytest.raises(ValueError, match="choose one of graph, ease, als"):
        TrainConfig(model="svd")


@pytest.mark.parametrize("model", ["ease", "als", "graph", "lightgcn"])
def test_every_model_learns_the_communities(model: str, graph: RecGraph) -> None:
    art = fit(graph, replace(FAST, model=model), progress=False)
    # two communities of 15 items; a user has seen 7 of its own: a model that learnt the structure puts the
    # held-out own-community item in the top 10 of 23 unseen items; chance is 10/23
    assert art.metrics["test"]["recall@10"] > 0.9, art.metrics
    assert art.metrics["valid"]["recall@20"] > 0.9
    assert art.user_emb.shape == (graph.num_users, art.item_emb.size(1))
    # the published vectors rank like the model: own-community items first for user 0 (community 0)
    scores = art.user_emb[0] @ art.item_emb.T
    top = torch.topk(scores, 10).indices
    assert (top % 2 == 0).float().mean() >= 0.8


def test_a_wrong_scorer_fails_the_same_check(graph: RecGraph) -> None:
    art = fit(graph, replace(FAST, model="ease"), progress=False)
    pairs = union_pairs(graph.train, graph.valid, num_items=graph.num_items)

    def inverted(users: torch.Tensor) -> torch.Tensor:
        return -(art.user_emb[users] @ art.item_emb.T)

    m = rank_scored(inverted, graph.num_items, graph.test, [pairs], (10,))
    assert m["recall@10"] < 0.5


def test_item_item_models_keep_their_exact_top_k(graph: RecGraph) -> None:
    art = fit(graph, replace(FAST, model="ease", top_k=5), progress=False)
    assert art.top_items is not None and art.top_scores is not None
    assert art.top_items.shape == (graph.num_users, 5)
    seen = set(map(tuple, art.exclude.T.tolist()))
    assert not any((u, i) in seen for u, row in enumerate(art.top_items.tolist()) for i in row)
    assert bool((art.top_scores[:, :-1] >= art.top_scores[:, 1:]).all())


def test_refit_learns_from_everything_it_may(graph_with_valid: RecGraph) -> None:
    g = graph_with_valid
    n = g.num_items
    evaluated = fit(g, replace(FAST, model="ease"), progress=False, holdout=True)
    assert evaluated.train_pairs == union_pairs(g.train, g.valid, num_items=n).size(1) > g.train.size(1)
    assert evaluated.metrics["test"]
    deployed = fit(g, replace(FAST, model="ease"), progress=False, holdout=False)
    assert deployed.train_pairs == union_pairs(g.train, g.valid, g.test, num_items=n).size(1)
    assert deployed.metrics["test"] == {}
    # the deployed model knows the test pairs: they are excluded from recommendations like any interaction
    assert deployed.exclude.size(1) == deployed.train_pairs


def test_below_min_weight_pairs_are_excluded_not_learnt(graph_with_valid: RecGraph) -> None:
    g = graph_with_valid
    n = g.num_items
    had = union_pairs(g.train, g.valid, g.test, num_items=n)
    have = set(map(tuple, had.T.tolist()))
    # pairs the users have, but under their behaviour's min_weight (a mapped graph's low ratings)
    below = torch.tensor([p for p in ((u, i) for u in range(g.num_users) for i in range(n)) if p not in have][::7]).T
    assert below.size(1) > 0
    plain = fit(g, replace(FAST, model="ease", top_k=5), progress=False, holdout=False)
    art = fit(replace(g, below_min_weight=below), replace(FAST, model="ease", top_k=5), progress=False,
              holdout=False)
    assert art.train_pairs == plain.train_pairs == had.size(1)   # what the model learnt from: unchanged
    assert torch.equal(art.user_emb, plain.user_emb)
    excluded = set(map(tuple, art.exclude.T.tolist()))
    assert excluded == have | set(map(tuple, below.T.tolist()))
    assert art.top_items is not None
    assert not any((u, i) in excluded for u, row in enumerate(art.top_items.tolist()) for i in row)


def test_bpr_refit_uses_the_chosen_epochs(graph_with_valid: RecGraph) -> None:
    art = fit(graph_with_valid, replace(FAST, model="lightgcn", epochs=9, eval_every=3), progress=False)
    chosen = art.info["selection"]["params"]["epochs"]
    assert chosen in (3, 6, 9)
    assert art.info["refit"]["epochs"] == chosen


def test_artefact_round_trip(graph: RecGraph, tmp_path: Path) -> None:
    art = fit(graph, replace(FAST, model="graph"), progress=False)
    path = art.save(tmp_path / "a" / "graph.artefact")
    back = Artefact.load(path)
    assert back.model == "graph" and back.train_pairs == art.train_pairs and back.ids == art.ids
    assert torch.equal(back.user_emb, art.user_emb) and torch.equal(back.item_emb, art.item_emb)
    assert back.top_items is not None and art.top_items is not None and torch.equal(back.top_items, art.top_items)
    assert back.metrics == art.metrics and back.params == art.params
    # the item query factors of an item-item model: user vectors are X @ item_fold, and they survive the file
    assert art.item_fold is not None and back.item_fold is not None and torch.equal(back.item_fold, art.item_fold)
    deployed = fit(graph, replace(FAST, model="graph"), progress=False, holdout=False)   # learnt every pair
    assert deployed.item_fold is not None
    x = torch.zeros(deployed.user_emb.size(0), deployed.item_emb.size(0))
    x[deployed.exclude[0], deployed.exclude[1]] = 1.0
    assert torch.allclose(x @ deployed.item_fold, deployed.user_emb, atol=1e-4)
    (tmp_path / "junk").write_bytes(b"not an artefact")
    with pytest.raises(InputError, match="junk: artefact: not a graphrec artefact"):
        Artefact.load(tmp_path / "junk")
    with pytest.raises(InputError, match="no such file"):
        Artefact.load(tmp_path / "missing")


def test_graph_model_uses_the_side_channels(graph: RecGraph) -> None:
    art = fit(graph, replace(FAST, model="graph"), progress=False)
    side = art.info["selection"]["side"]
    assert side["entities"] == graph.num_items and side["text"] == graph.num_items
    searched = art.info["selection"]["search"]
    assert any("w_entities" in row for row in searched) and any("w_text" in row for row in searched)
    none = fit(graph, replace(FAST, model="graph", side=()), progress=False)
    assert not any("w_entities" in row for row in none.info["selection"]["search"])


def test_threads_are_one_setting() -> None:
    before = torch.get_num_threads()
    try:
        assert set_threads(1) == 1 and torch.get_num_threads() == 1
        assert set_threads(0) == available_cores() == torch.get_num_threads()
        with pytest.raises(ValueError):
            set_threads(-1)
    finally:
        torch.set_num_threads(before)


def test_a_graph_without_validation_is_carved_seeded() -> None:
    g = tiny_graph()
    a = fit(g, replace(FAST, model="ease"), progress=False)
    b = fit(g, replace(FAST, model="ease"), progress=False)
    assert a.info["carved_valid"] and a.metrics == b.metrics and torch.equal(a.user_emb, b.user_emb)
