"""Run the named queries of ``cypher/recommend/`` with defaults taken from their ``:param`` lines."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import neo4j
from neo4j import READ_ACCESS, Driver

from graphrec.db import load_query, query_names
from graphrec.db.driver import META, translated
from graphrec.errors import InputError, NotFoundError

GROUP = "recommend"
_PARAM = re.compile(r"^\s*//\s*:param\s+(\w+)\s*=>\s*(.+?)\s*$")


def names() -> list[str]:
    """The query names under ``cypher/recommend/`` (without the group), e.g. ``"recommend"``."""
    return [n.split("/", 1)[1] for n in query_names(GROUP)]


def _literal(text: str) -> Any:
    """A Cypher literal from a ``:param`` line (strings, numbers, null, booleans, lists)."""
    try:
        return json.loads(text.replace("'", '"'))
    except ValueError:
        return text.strip("'\"")


@cache
def defaults(name: str) -> dict[str, Any]:
    """The example values of query ``name``'s ``:param`` lines (its documented parameters)."""
    out: dict[str, Any] = {}
    for line in load_query(f"{GROUP}/{name}").splitlines():
        m = _PARAM.match(line)
        if m:
            out[m.group(1)] = _literal(m.group(2))
    return out


def coerce(name: str, key: str, raw: str) -> Any:
    """Turn a ``-p key=value`` string into the type of the documented default.

    Strings stay strings (ids are strings), lists accept JSON or ``a,b,c``, numbers and booleans
    are parsed, anything else is read as JSON when it parses.

    Raises:
        InputError: ``key`` is not a parameter of the query, or the value does not fit.
    """
    params = defaults(name)
    if key not in params:
        raise InputError(f"cypher/{GROUP}/{name}.cypher", None, key,
                         f"not a parameter of {name!r} (parameters: {', '.join(sorted(params)) or 'none'})")
    default = params[key]
    try:
        if isinstance(default, str):
            return raw
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list):
            if raw.startswith("["):
                return json.loads(raw)
            return [v.strip() for v in raw.split(",") if v.strip()]
        return json.loads(raw) if raw not in ("", "null") and _jsonish(raw) else (None if raw == "null" else raw)
    except ValueError as e:
        raise InputError("-p", None, key, f"cannot read {raw!r} as {type(default).__name__}") from e


def _jsonish(raw: str) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


def run_query(driver: Driver, name: str, params: Mapping[str, Any] | None = None) -> list[neo4j.Record]:
    """Run ``cypher/recommend/<name>.cypher`` as a read, missing parameters filled from its defaults.

    Server notifications (unknown labels/properties on a fresh graph) are switched off so that
    command output stays clean.

    Raises:
        NotFoundError: no such query.
        DatabaseError: the query failed.
    """
    if name not in names():
        raise NotFoundError(f"no query {name!r} in cypher/{GROUP}/ (have: {', '.join(names())})")
    text = load_query(f"{GROUP}/{name}")
    values = {**defaults(name), **dict(params or {})}
    database = getattr(driver, "graphrec_database", None)

    @neo4j.unit_of_work(metadata=META)
    def work(tx: neo4j.ManagedTransaction) -> list[neo4j.Record]:
        return list(tx.run(text, values))

    with translated(str(getattr(driver, "graphrec_uri", "Neo4j"))), driver.session(
        database=database if isinstance(database, str) else None, default_access_mode=READ_ACCESS,
        notifications_min_severity="OFF",
    ) as session:
        return session.execute_read(work)
