"""recommend_realtime's seen filter: the active run's interaction types, as its precomputed list masks them.

A user's relationships of other types (a TAGGED or VIEWED item the model never learnt from) neither hide
an item nor cost db hits; a query printed for other types (a switch since) still gives the right answer;
a run that records no types treats every relationship but RECOMMENDED as seen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from neo4j import Driver

from graphrec.db.queries import NameList
from graphrec.recommend import library, recommend, recommend_realtime
from graphrec.recommend.library import NO_RUN_NAMES, query_text, run_names
from graphrec.writeback import RunSpec, activate, publish
from tests.conftest import clear_graph
from tests.recommend.conftest import K, Published
from tests.recommend.toygraph import build

USER = "u1"
VIEWED = 3   # the user's best unseen items get a VIEWED relationship: not an interaction of the run
TAGGED = 200  # relationships of a type the run did not learn from, added to measure db hits


def _hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_hits(c) for c in plan.get("children", []))


@pytest.fixture(scope="module")
def typed(driver: Driver) -> Iterator[Published]:
    """The toy graph published as `graphrec train` publishes (interactions=["RATED"]), the user's top
    unseen items VIEWED."""
    clear_graph(driver)
    graph = build(driver, users=30, items=60, degree=6, seed=3)
    user_emb, item_emb = graph.embeddings(dim=16, seed=3)
    result = publish(driver, RunSpec("typed", {"dim": 16}), graph.ids, user_emb, item_emb, graph.exclude, k=K,
                     interactions=["RATED"])
    yield Published(graph, user_emb, item_emb, result)
    clear_graph(driver)


def _view_top(driver: Driver, typed: Published) -> list[str]:
    top = typed.expected(USER, VIEWED)
    driver.execute_query("MATCH (u:User {id: $u}), (i:Item) WHERE i.id IN $items MERGE (u)-[:VIEWED]->(i)",
                         {"u": USER, "items": top})
    return top


def _realtime_with(driver: Driver, run: Any) -> list[str]:
    params = {"user": USER, "k": K, "candidates": 100, "title_key": "title"}
    return [r["item"] for r in driver.execute_query(query_text("recommend_realtime", run=run), params).records]


def test_other_types_neither_hide_items_nor_differ_from_the_precomputed_list(driver: Driver,
                                                                              typed: Published) -> None:
    viewed = _view_top(driver, typed)
    got = [r.item for r in recommend_realtime(driver, USER, k=K)]
    assert got == typed.expected(USER, K) == [r.item for r in recommend(driver, USER, k=K)]
    assert set(viewed) <= set(got)   # a VIEWED item is not an interaction of this run: still recommended
    assert not set(got) & typed.graph.seen[USER]


def test_a_query_rendered_for_other_types_gives_the_same_answer(driver: Driver, typed: Published) -> None:
    _view_top(driver, typed)
    assert run_names(driver) == {"interactions": ("RATED",), "interaction_names": ("RATED",)}
    expected = typed.expected(USER, K)
    assert _realtime_with(driver, run_names(driver)) == expected
    stale = {"interactions": ("VIEWED",), "interaction_names": NameList(["VIEWED"])}   # printed before a switch
    assert _realtime_with(driver, stale) == expected
    assert _realtime_with(driver, NO_RUN_NAMES) == expected


def test_other_types_cost_no_db_hits(driver: Driver, typed: Published) -> None:
    params = {"user": USER, "k": K, "candidates": 100, "title_key": "title"}

    def hits() -> int:
        with driver.session() as s:
            summary = s.run("PROFILE " + query_text("recommend_realtime", run=run_names(driver)), params).consume()
        assert summary.profile is not None
        return _hits(summary.profile)

    before = hits()
    driver.execute_query("MATCH (u:User {id: $u}), (i:Item) WITH u, i LIMIT $n CREATE (u)-[:TAGGED]->(i)",
                         {"u": USER, "n": TAGGED})
    after = hits()
    assert before > 0 and after <= before + 10, f"{before} db hits, {after} after {TAGGED} TAGGED relationships"
    driver.execute_query("MATCH (:User {id: $u})-[r:TAGGED]->() DELETE r", {"u": USER})


def test_a_run_without_types_treats_every_relationship_as_seen(driver: Driver, typed: Published,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    viewed = _view_top(driver, typed)
    monkeypatch.setattr(library, "RUN_NAMES_TTL", 0.0)
    assert library.cached_run_names(driver) == run_names(driver) != NO_RUN_NAMES   # the typed run's, read now
    monkeypatch.setattr(library, "RUN_NAMES_TTL", 3600.0)   # and kept
    untyped = publish(driver, RunSpec("untyped", {"dim": 16}), typed.graph.ids, typed.user_emb, typed.item_emb,
                      typed.graph.exclude, k=K)
    try:
        assert run_names(driver) == NO_RUN_NAMES
        ui = typed.graph.ids["User"].index(USER)
        scores = typed.item_emb @ typed.user_emb[ui]
        for item in typed.graph.seen[USER] | set(viewed):
            scores[typed.graph.ids["Item"].index(item)] = float("-inf")
        expected = [typed.graph.ids["Item"][i] for i in torch.topk(scores, K).indices.tolist()]
        # rendered with the previous run's cached names (its guard fails over), then with fresh ones
        assert library.cached_run_names(driver) != NO_RUN_NAMES
        assert [r.item for r in recommend_realtime(driver, USER, k=K)] == expected
        monkeypatch.setattr(library, "RUN_NAMES_TTL", 0.0)
        assert [r.item for r in recommend_realtime(driver, USER, k=K)] == expected
        assert library.cached_run_names(driver) == NO_RUN_NAMES
    finally:
        activate(driver, typed.result.run_id)
        assert untyped.run_id != typed.result.run_id
