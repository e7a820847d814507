"""Every .cypher file parses and plans on the real server (EXPLAIN), placeholders filled from the allowlist."""

from __future__ import annotations

import pytest
from neo4j import Driver

from benchmarks import BENCH_CYPHER
from graphrec.db.queries import NameList, load_query, placeholders, query_names, render, render_from, statements

# A value for each placeholder name used in cypher/ files, so EXPLAIN sees a concrete label/type.
PLACEHOLDER_VALUES: dict[str, str | tuple[str, ...] | NameList] = {
                      "label": "Item", "Label": "Item", "src": "User", "dst": "Item", "type": "RATED",
                      "rel": "RATED", "behaviour": "RATED", "node": "Item", "from": "User", "to": "Item",
                      "id": "id", "src_id": "id", "dst_id": "id", "user": "User", "item": "Item",
                      "entity": ("Entity", "Genre"), "user_id": "id", "item_id": "id",
                      "entity_id": "id", "types": ("RATED", "VIEWED"), "interactions": ("RATED",),
                      "interaction_names": NameList(["RATED"])}

# Schema commands cannot be EXPLAINed; they are run for real by the `driver` fixture instead.
NOT_EXPLAINABLE = ("schema/",)


def test_there_are_queries() -> None:
    names = query_names()
    assert "schema/constraints" in names and "schema/indexes" in names


@pytest.mark.parametrize("name", [n for n in query_names() if not n.startswith(NOT_EXPLAINABLE)])
def test_explain(driver: Driver, name: str) -> None:
    text = render(name, **{k: PLACEHOLDER_VALUES[k] for k in placeholders(load_query(name))})
    stmts = statements(text)
    assert stmts, f"{name} has no statement"
    for stmt in stmts:
        if stmt.lstrip().upper().startswith(("SHOW", "CALL DB.", "CREATE", "DROP")):
            continue
        summary = driver.execute_query("EXPLAIN " + stmt).summary
        assert summary.plan is not None, f"{name}: no plan"


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH_CYPHER.glob("*.cypher")))
def test_explain_bench_queries(driver: Driver, name: str) -> None:
    text = render_from(BENCH_CYPHER, name,
                       **{k: PLACEHOLDER_VALUES[k] for k in placeholders(load_query(name, BENCH_CYPHER))})
    for stmt in statements(text):
        assert driver.execute_query("EXPLAIN " + stmt).summary.plan is not None, f"bench/{name}: no plan"


def test_no_query_that_empties_the_database_ships_in_cypher() -> None:
    for name in query_names():
        code = " ".join(ln for ln in load_query(name).splitlines() if not ln.strip().startswith("//"))
        assert not ("MATCH (n)" in code and "DELETE n" in code), f"{name} deletes every node"


def test_schema_is_idempotent(driver: Driver) -> None:
    from graphrec.db.schema import apply_schema, show_schema

    before = {r["name"] for r in show_schema(driver)}
    apply_schema(driver)
    after = {r["name"] for r in show_schema(driver)}
    assert before == after
    assert {"user_id", "item_id", "entity_id", "modelrun_id"} <= after
