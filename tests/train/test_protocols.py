"""Evaluation protocols: the cold-items and cold-users splits, and the figures fit reports under them."""

from __future__ import annotations

import pytest
import torch
from neo4j import Driver

from graphrec.loaders import discover_spec
from graphrec.loaders.build import load_graph_with_stats
from graphrec.loaders.types import RecGraph
from graphrec.train import TrainConfig, fit
from graphrec.train.protocols import activity_groups, apply_protocol, cold_items_split, cold_users_split
from graphrec.train.sampling import carve_validation
from tests.gds.test_fastrp import COMMUNITIES
from tests.train.conftest import tiny_graph


def _keys(pairs: torch.Tensor, ni: int = 1000) -> set[int]:
    return set((pairs[0] * ni + pairs[1]).tolist())


def _tagged(graph: RecGraph) -> RecGraph:
    """``graph`` with a side behaviour (not an interaction): user u TAGGED items u and u + 15 (mod 30)."""
    users = torch.arange(graph.num_users).repeat(2)
    tags = torch.stack([users, (users + 15 * (torch.arange(users.numel()) >= graph.num_users)) % 30])
    graph.data["User", "TAGGED", "Item"].edge_index = tags
    graph.data["Item", "rev_TAGGED", "User"].edge_index = tags.flip(0)
    return graph


def test_cold_items_have_no_training_or_validation_pair() -> None:
    graph = _tagged(tiny_graph(valid=True))
    every = torch.cat([graph.train, graph.valid, graph.test], 1)
    cold = apply_protocol(graph, "cold-items", seed=3)
    assert cold.protocol == "cold-items" and cold.cold_items is not None
    items = set(cold.cold_items.tolist())
    assert len(items) == 6   # 20% of the 30 items that have interactions
    assert not items & set(cold.train[1].tolist()) and cold.valid.size(1) == 0
    assert set(cold.test[1].tolist()) == items
    # every interaction is either training or a cold item's test pair, none lost
    assert _keys(cold.train) | _keys(cold.test) == _keys(every) and not _keys(cold.train) & _keys(cold.test)
    # the fit's validation carve comes out of training: no cold item there either
    _, carved = carve_validation(cold.train, cold.num_users, 0.1, 2020)
    assert not items & set(carved[1].tolist())
    # message passing: no RATED edge on a cold item; side TAGGED edges only off the held-out pairs
    rated = cold.data["User", "RATED", "Item"].edge_index
    assert not items & set(rated[1].tolist())
    assert not items & set(cold.data["Item", "rev_RATED", "User"].edge_index[0].tolist())
    tagged = cold.data["User", "TAGGED", "Item"].edge_index
    assert _keys(graph.data["User", "TAGGED", "Item"].edge_index) & _keys(cold.test)   # some tags were on them
    assert not _keys(tagged) & _keys(cold.test)
    assert not _keys(cold.data["Item", "rev_TAGGED", "User"].edge_index.flip(0)) & _keys(cold.test)
    cold_tags = [(u, i) for u, i in graph.data["User", "TAGGED", "Item"].edge_index.T.tolist()
                 if i in items and u * 1000 + i not in _keys(cold.test)]
    assert cold_tags and set(cold_tags) <= {tuple(p) for p in tagged.T.tolist()}   # side behaviours kept
    assert graph.data["User", "RATED", "Item"].edge_index.size(1) == graph.train.size(1)   # input untouched
    assert cold.data["Item", "HAS_GENRE", "Entity"].edge_index.size(1) == 30            # entities kept


def test_protocols_are_seeded() -> None:
    pairs = torch.cat([tiny_graph().train, tiny_graph().test], 1)
    same = [cold_items_split(pairs, 7)[2].tolist() for _ in range(2)]
    assert same[0] == same[1] and cold_items_split(pairs, 8)[2].tolist() != same[0]
    users = [cold_users_split(pairs, 7)[2].tolist() for _ in range(2)]
    assert users[0] == users[1] and cold_users_split(pairs, 8)[2].tolist() != users[0]
    assert cold_users_split(pairs, 7)[1].tolist() == cold_users_split(pairs, 7)[1].tolist()


def test_cold_users_keep_exactly_their_earliest_three() -> None:
    g = torch.Generator().manual_seed(0)
    # 20 users with 6 pairs (items 0..5 in a shuffled time order) and 5 users with 3 pairs
    pairs, ts = [], []
    for u in range(25):
        n = 6 if u < 20 else 3
        for i, t in enumerate(torch.randperm(100, generator=g)[:n].tolist()):
            pairs.append((u, i))
            ts.append(t)
    p, t = torch.tensor(pairs).T, torch.tensor(ts)
    train, test, cold = cold_users_split(p, seed=1, ts=t)
    assert len(cold) == 4 and all(u < 20 for u in cold.tolist())   # 20% of the 20 users with more than 3
    when = {(u, i): x for (u, i), x in zip(pairs, ts, strict=True)}
    for u in cold.tolist():
        kept = sorted(i for uu, i in train.T.tolist() if uu == u)
        mine = sorted((when[(u, i)], i) for i in range(6))
        assert kept == sorted(i for _, i in mine[:3])
        assert sorted(i for uu, i in test.T.tolist() if uu == u) == sorted(i for _, i in mine[3:])
    assert set(test[0].tolist()) == set(cold.tolist())
    assert train.size(1) == p.size(1) - 4 * 3   # every other user keeps everything


def test_fit_reports_the_cold_ranking_and_activity_buckets() -> None:
    graph = apply_protocol(tiny_graph(), "cold-items", seed=0)
    art = fit(graph, TrainConfig(model="graph", ks=(10,)), progress=False)
    assert art.info["protocol"] == "cold-items"
    test, cold = art.metrics["test"], art.metrics["cold"]
    assert {"recall@20", "coverage@20", "gini@20", "pop@20"} <= set(test) and "recall@20" in cold
    assert cold["coverage@10"] > 0 and cold["recall@10"] >= test["recall@10"]   # fewer candidates, same positives
    warm = fit(tiny_graph(), TrainConfig(model="ease", ks=(10,), by_activity=True), progress=False)
    buckets = {k: v for k, v in warm.metrics.items() if k.startswith("activity ")}
    assert list(buckets) == ["activity <10", "activity 10-50", "activity >50"]
    assert buckets["activity <10"]["users"] == warm.metrics["test"]["users"] == 40   # 7 training pairs each
    assert buckets["activity <10"]["recall@10"] == warm.metrics["test"]["recall@10"]
    assert activity_groups(torch.tensor([[0] * 12 + [1] * 60, [0] * 72]), 3)["10-50"].tolist() == [0]


def test_cold_users_on_a_real_graph_by_timestamp(db: Driver) -> None:
    db.execute_query(COMMUNITIES)   # 16 users with 5 ratings each, ts = user * 10 + item
    graph, _ = load_graph_with_stats(db, discover_spec(db), pair_ts=True)
    assert graph.pair_ts is not None and graph.pair_ts.size(1) == 80
    cold = apply_protocol(graph, "cold-users", seed=5)
    users = sorted(set(cold.test[0].tolist()))
    assert len(users) == 3   # 20% of the 16 users
    item_no = [int(i.split("-i")[1]) for i in graph.ids["Item"]]
    for u in users:
        kept = sorted(item_no[i] for uu, i in cold.train.T.tolist() if uu == u)
        every = sorted(item_no[i] for uu, i in torch.cat([graph.train, graph.test], 1).T.tolist() if uu == u)
        assert kept == every[:3]   # ts grows with the item number
    with pytest.raises(ValueError, match="protocol must be one of"):
        apply_protocol(graph, "cold", seed=5)
