"""The switch is O(1): activating a run costs the same database work on a graph twice the size, writes
only ModelRun nodes, and builds no index (every index a reader needs exists before the switch)."""

from __future__ import annotations

from typing import Any

import torch
from neo4j import Driver

from graphrec.recommend import recommend_realtime, similar_items
from graphrec.writeback import RunSpec, activate, get_run, publish
from graphrec.writeback.runs import prepare_switch, switch_statements
from tests.recommend.toygraph import build


def _hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_hits(c) for c in plan.get("children", []))


def _switch_cost(db: Driver, run: str) -> tuple[int, int]:
    """PROFILE the switch's statements for ``run`` in one transaction that is rolled back: total db hits
    and properties set."""
    hits = props = 0
    with db.session() as s, s.begin_transaction() as tx:
        for text in switch_statements():
            summary = tx.run("PROFILE " + text, {"run": run}).consume()
            assert summary.profile is not None
            hits += _hits(summary.profile)
            props += summary.counters.properties_set
        tx.rollback()
    return hits, props


def _two_runs(db: Driver, users: int, items: int) -> tuple[str, str]:
    graph = build(db, users=users, items=items, degree=4)
    g = torch.Generator().manual_seed(3)
    runs = []
    for n in range(2):
        u, i = torch.randn(users, 8, generator=g), torch.randn(items, 8, generator=g)
        runs.append(publish(db, RunSpec(f"m{n}"), graph.ids, u, i, graph.exclude, k=5,
                            activate_run=n == 0).run_id)
    return runs[0], runs[1]


def test_switch_db_hits_do_not_grow_with_the_graph(db: Driver) -> None:
    costs = []
    for users, items in ((60, 120), (120, 240)):  # the second graph has twice the nodes
        db.execute_query("MATCH (n) DETACH DELETE n")
        a, b = _two_runs(db, users, items)
        nodes = int(db.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"])
        indexes_before = {r["name"] for r in db.execute_query("SHOW INDEXES YIELD name RETURN name").records}
        costs.append((nodes, *_switch_cost(db, b)))
        prepare_switch(db, b)  # a dry run: plans the statements, changes nothing
        assert (get_run(db, b).status, get_run(db, a).status) == ("ready", "active")
        activate(db, b, verify=False)
        # the switch wrote no node but ModelRuns and built no index; readers are on run b at once
        assert {r["name"] for r in db.execute_query("SHOW INDEXES YIELD name RETURN name").records} == indexes_before
        assert get_run(db, b).active and not get_run(db, a).active
        assert {r.run for r in recommend_realtime(db, "u1", k=3)} == {b}
        assert {r.run for r in similar_items(db, "i1", k=3)} == {b}
    (small_nodes, small_hits, small_props), (big_nodes, big_hits, big_props) = costs
    assert big_nodes >= 2 * small_nodes - 20  # (the 16 genres/tags do not double)
    assert big_hits == small_hits and big_props == small_props, costs
    assert small_props <= 2 * 3 + 2  # active + status on each of the 2 runs, activated(+_at), checked_at
    assert small_hits < 200, costs
