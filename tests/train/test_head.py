"""Choosing on the head of a large catalogue (graphrec.train.head) and refitting on every item."""

from __future__ import annotations

from dataclasses import replace

import torch

from graphrec.loaders.types import RecGraph
from graphrec.train import TrainConfig, fit
from graphrec.train.head import head_items, head_view
from graphrec.train.linear import GraphRecommender
from graphrec.train.matrices import interactions, side_info

from .conftest import tiny_graph

FAST = TrainConfig(model="graph", dim=16, out_dir=None, search_items=12, select_items=20)


def _gram(graph: RecGraph, pairs: torch.Tensor) -> torch.Tensor:
    x = interactions(pairs, graph.num_users, graph.num_items)
    e = side_info(graph).entities
    assert e is not None
    return torch.from_numpy((x.T @ x + e.T @ e).toarray())


def test_head_items_are_the_most_interacted() -> None:
    train = torch.tensor([[0, 1, 2, 0, 1, 0, 3], [5, 5, 5, 2, 2, 7, 1]])
    assert head_items(train, 8, 2).tolist() == [2, 5]
    assert head_items(train, 8, 3).tolist() == [1, 2, 5]    # 1 and 7 tie: the lower index


def test_the_view_is_the_head_block_of_the_whole_graph() -> None:
    g = tiny_graph(valid=True)
    view, train, valid = head_view(g, g.train, g.valid, 12)
    keep = head_items(g.train, g.num_items, 12)
    assert view.num_items == 12 and view.num_users == g.num_users
    assert view.ids["Item"] == [g.ids["Item"][k] for k in keep.tolist()]
    # the Gram matrix (interactions + entity rows) of the view is exactly the head block of the full one
    assert torch.equal(_gram(view, train), _gram(g, g.train)[keep][:, keep])
    assert torch.equal(view.data["Item"].x, g.data["Item"].x[keep])
    kept = set(keep.tolist())
    assert valid.size(1) == sum(int(i) in kept for i in g.valid[1])
    assert set(valid[1].tolist()) <= set(range(12))
    assert view.data["User", "FRIEND", "User"].edge_index.equal(g.data["User", "FRIEND", "User"].edge_index)


def test_a_large_catalogue_chooses_on_its_head_and_refits_on_all() -> None:
    g = tiny_graph(valid=True)
    art = fit(g, FAST, progress=False)
    assert art.info["selection"]["items"] == 12
    assert art.item_emb.size(0) == g.num_items and art.top_items is not None
    # the choice is the one the model makes on the view itself
    view, train, valid = head_view(g, g.train, g.valid, 12)
    direct = GraphRecommender(FAST, torch.device("cpu")).select(view, train, valid, progress=False)
    assert art.info["selection"]["params"] == direct.params
    assert "members" not in direct.params     # a head is no small catalogue: one search, one refit of all items
    # and the model refit on every item still ranks the held-out items of a user's community first
    assert art.metrics["test"]["recall@10"] > 0.9, art.metrics


def test_a_catalogue_under_the_bound_chooses_on_every_item() -> None:
    g = tiny_graph(valid=True)
    art = fit(g, replace(FAST, select_items=30, search_items=30), progress=False)
    assert "items" not in art.info["selection"]
    assert len(art.info["selection"]["params"]["members"]) == 3    # a small catalogue bags its selection
