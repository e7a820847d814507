"""Apply the constraints and indexes of ``cypher/schema/`` idempotently."""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from graphrec.db.driver import read, write
from graphrec.db.queries import load_query, statements

SCHEMA_FILES = ("schema/constraints", "schema/indexes")


def apply_schema(driver: Driver) -> int:
    """Run every schema statement (all ``IF NOT EXISTS``); returns how many ran."""
    n = 0
    for name in SCHEMA_FILES:
        for stmt in statements(load_query(name)):
            write(driver, stmt)
            n += 1
    write(driver, "CALL db.awaitIndexes(300)")
    return n


def show_schema(driver: Driver) -> list[dict[str, Any]]:
    """The indexes and constraints that exist, one dict each."""
    return [r.data() for r in read(driver, load_query("schema/show"))]
