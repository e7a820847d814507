"""Explain stays within a memory bound for a heavy user, and a query over its budget is stopped at once
with :class:`TooExpensiveError`, not retried and reported as a database failure (issue 22, item 2)."""

from __future__ import annotations

import logging
import time

import neo4j
import pytest
from neo4j import Driver

from graphrec.db.driver import within_budget
from graphrec.errors import TooExpensiveError
from graphrec.recommend import explain_text
from graphrec.recommend.library import query_text

pytestmark = pytest.mark.neo4j
HISTORY, FANS, TARGETS = 200, 200, 10
MAX_PEAK = 4 * 2**20


def _heavy_graph(db: Driver) -> None:
    """User 'heavy' rated HISTORY items; FANS users rated all of them and the TARGETS items too: every
    (target, history item) pair has FANS co-users, HISTORY·TARGETS·FANS triples in all (400,000)."""
    db.execute_query("UNWIND range(1, $n) AS i CREATE (:Item {id: 'h' + i, title: 'History ' + i})", n=HISTORY)
    db.execute_query("UNWIND range(1, $n) AS i CREATE (:Item {id: 't' + i, title: 'Target ' + i})", n=TARGETS)
    db.execute_query("CREATE (u:User {id: 'heavy'}) WITH u MATCH (i:Item) WHERE i.id STARTS WITH 'h' "
                     "CREATE (u)-[:RATED {rating: 4.0}]->(i)")
    db.execute_query("UNWIND range(1, $n) AS f CREATE (v:User {id: 'fan' + f}) WITH v MATCH (i:Item) "
                     "CREATE (v)-[:RATED {rating: 3.0}]->(i)", n=FANS)


def _peak_memory(db: Driver, params: dict[str, object]) -> int:
    with db.session() as s:
        summary = s.run("PROFILE " + query_text("explain_text"), params).consume()
    assert summary.profile is not None
    return int(summary.profile["args"]["GlobalMemory"])


def test_explain_of_a_heavy_user_counts_co_users_within_a_memory_bound(db: Driver) -> None:
    _heavy_graph(db)
    targets = [f"t{i}" for i in range(1, TARGETS + 1)]
    reasons = explain_text(db, "heavy", targets)
    assert [r.item for r in reasons] == targets
    assert all(r.co_users == FANS and r.anchor is not None and r.anchor.startswith("h") for r in reasons)
    params = {"user": "heavy", "items": targets, "title_key": "title", "name_keys": ["title", "name", "id"],
              "weight_keys": ["rating", "weight"]}
    peak = _peak_memory(db, params)
    # collecting the 400,000 (target, history item, co-user) triples took hundreds of MB here (a 1 GB
    # heap's whole transaction memory for the heaviest MovieLens-100K user); counted, one item at a time
    assert peak < MAX_PEAK, f"explain_text peaked at {peak:,} bytes"


def _run(db: Driver, text: str, timeout: float | None) -> list[neo4j.Record]:
    def work(tx: neo4j.ManagedTransaction) -> list[neo4j.Record]:
        with within_budget(timeout):
            return list(tx.run(text))

    with within_budget(timeout), db.session() as s:
        return s.execute_read(neo4j.unit_of_work(timeout=timeout)(work))


def test_over_time_is_too_expensive(driver: Driver) -> None:
    t0 = time.monotonic()
    with pytest.raises(TooExpensiveError, match=r"ran over its 0\.5 s timeout") as err:
        _run(driver, "CALL apoc.util.sleep(20000) RETURN 1 AS one", timeout=0.5)
    assert err.value.budget == "time" and time.monotonic() - t0 < 10


def test_over_memory_is_too_expensive_and_not_retried(driver: Driver, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="neo4j"), \
            pytest.raises(TooExpensiveError, match="ran over Neo4j's transaction memory") as err:
        _run(driver, "UNWIND range(1, 200000000) AS x RETURN size(collect(x)) AS n", timeout=None)
    assert err.value.budget == "memory"
    assert not [rec for rec in caplog.records if "will be retried" in rec.getMessage()]   # the driver's retry log
