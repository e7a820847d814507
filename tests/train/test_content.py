"""``content``: a cold item is scored from its text and entities alone; no text, no entities: one clear refusal."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from graphrec.errors import CapacityError
from graphrec.loaders.types import RecGraph
from graphrec.train import Selection, TrainConfig
from graphrec.train.content import ContentRecommender
from graphrec.train.protocols import apply_protocol

from .conftest import tiny_graph

CFG = TrainConfig(model="content", out_dir=None)


def _cold_twin() -> tuple[RecGraph, int, int]:
    """The tiny graph under ``cold-items``, one cold item given the text and entities of an item user 0 has
    (a new edition of something they liked): ``(graph, user, cold item)``."""
    graph = apply_protocol(tiny_graph(), "cold-items", seed=3)
    assert graph.cold_items is not None
    cold = int(graph.cold_items[0])
    user = 0
    history = graph.train[1, graph.train[0] == user]
    twin = int(history[0])
    data = graph.data
    data["Item"].x[cold] = data["Item"].x[twin]
    et = ("Item", "HAS_GENRE", "Entity")
    ei = data[et].edge_index
    ei[1, ei[0] == cold] = ei[1, ei[0] == twin]
    return graph, user, cold


@pytest.mark.parametrize("mode", ["mean", "knn"])
def test_a_cold_item_is_scored_from_its_text_and_entities_only(mode: str) -> None:
    graph, user, cold = _cold_twin()
    assert not bool((graph.train[1] == cold).any())          # no interaction of the cold item is training
    chosen = Selection(params={"weights": {"text": 1.0, "entities": 1.0}, "mode": mode, "k": 5})
    fitted = ContentRecommender(CFG, torch.device("cpu")).refit(graph, graph.train, chosen, progress=False)
    scores = fitted.scorer(torch.tensor([user]))[0]
    assert float(scores[cold]) > 0
    seen = graph.train[1, graph.train[0] == user]
    scores[seen] = float("-inf")
    assert cold in torch.topk(scores, 3).indices.tolist()      # among the 3 best of 30 items for this user
    if mode == "mean":                                         # the vectors are the scores
        assert fitted.exact and torch.allclose(fitted.user_emb[user] @ fitted.item_emb.T,
                                               fitted.scorer(torch.tensor([user]))[0])
    assert fitted.item_fold is not None and torch.equal(fitted.item_fold, fitted.item_emb)


def test_selection_chooses_a_mode_and_the_entity_weight_on_validation() -> None:
    graph = tiny_graph(valid=True)
    chosen = ContentRecommender(CFG, torch.device("cpu")).select(graph, graph.train, graph.valid, progress=False)
    assert chosen.params["mode"] in ("mean", "knn") and set(chosen.params["weights"]) == {"text", "entities"}
    tried = chosen.info["search"]
    assert len({str(r["weights"]) for r in tried}) == 4 and {r["mode"] for r in tried} == {"mean", "knn"}
    best = max(r["valid_recall@20"] + r["valid_ndcg@20"] for r in tried)
    assert chosen.valid["recall@20"] + chosen.valid["ndcg@20"] == pytest.approx(best)


def test_without_text_it_scores_by_entities_and_without_either_it_refuses_in_one_line() -> None:
    graph = tiny_graph(valid=True, text=False)
    model = ContentRecommender(CFG, torch.device("cpu"))
    chosen = model.select(graph, graph.train, graph.valid, progress=False)
    assert chosen.params["weights"] == {"entities": 1.0}
    bare = replace(graph, data=graph.data.clone())
    del bare.data["Item", "HAS_GENRE", "Entity"]
    del bare.data["Entity", "rev_HAS_GENRE", "Item"]
    assert "cannot fit" in model.estimate(bare)
    with pytest.raises(CapacityError, match=r"no text embedding and no entity.*embed-text --label Item"):
        model.select(bare, bare.train, bare.valid, progress=False)
    only_entities = ContentRecommender(replace(CFG, side=("text",)), torch.device("cpu"))
    with pytest.raises(CapacityError):     # the -entities ablation on a graph without text: nothing left
        only_entities.refit(graph, graph.train, chosen, progress=False)
