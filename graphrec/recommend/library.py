"""Run the named queries of ``cypher/recommend/``; every parameter a query names must be given.

The ``:param`` lines at the top of each file are documentation (and Browser examples), never runtime
defaults: Neo4j refuses a query that is missing any parameter it names, from any client (Bolt, HTTP, the
JavaScript driver), so :func:`run_query` checks for them first and names the missing ones.
"""

from __future__ import annotations

import json
import re
import time
import weakref
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import neo4j
from neo4j import READ_ACCESS, Driver

from graphrec.db import load_query, query_names, read, render
from graphrec.db.driver import META, guarded, within_budget
from graphrec.db.labels import SchemaName, is_allowed
from graphrec.db.names import ensure_checked, mapping_names, mapping_params
from graphrec.db.queries import NameList, placeholders, statements
from graphrec.errors import InputError, NotFoundError
from graphrec.mapping import DEFAULT_MAPPING, GraphMapping

GROUP = "recommend"
_PARAM = re.compile(r"^\s*//\s*:param\s+(\w+)\s*=>\s*(.+?)\s*$")
_USE = re.compile(r"\$(\w+)")


RunNames = Mapping[str, Sequence[str]]
"""Placeholder values that come from the active run rather than the graph mapping."""

NO_RUN_NAMES: RunNames = {"interactions": ("RECOMMENDED",), "interaction_names": NameList(())}
"""The run placeholders when the active run records no interaction types (or none is active, or a
caller has not read them): ``recommend_realtime``'s typed branch is then never taken (its guard compares
``run.interactions`` with an empty list) and its other branch reads the user's relationships of every type
but RECOMMENDED, or of the run's types: the same answer, without the typed expand's saving."""


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
def examples(name: str) -> dict[str, Any]:
    """The example values of query ``name``'s ``:param`` lines (its documented parameters)."""
    out: dict[str, Any] = {}
    for line in load_query(f"{GROUP}/{name}").splitlines():
        m = _PARAM.match(line)
        if m:
            out[m.group(1)] = _literal(m.group(2))
    return out


@cache
def parameters(name: str) -> tuple[str, ...]:
    """The parameters query ``name`` uses (``$user``…, outside comments), sorted: all of them are required."""
    body = "\n".join(ln for ln in load_query(f"{GROUP}/{name}").splitlines() if not ln.lstrip().startswith("//"))
    return tuple(sorted(set(_USE.findall(body))))


def coerce(name: str, key: str, raw: str) -> Any:
    """Turn a ``-p key=value`` string into the type of the documented example.

    ``null`` is ``None`` for any parameter; other strings stay strings (ids are strings), lists accept
    JSON or ``a,b,c``, numbers and booleans are parsed, anything else is read as JSON when it parses.

    Raises:
        InputError: ``key`` is not a parameter of the query, or the value does not fit.
    """
    params = examples(name)
    if key not in params:
        raise InputError(f"cypher/{GROUP}/{name}.cypher", None, key,
                         f"not a parameter of {name!r} (parameters: {', '.join(sorted(params)) or 'none'})")
    default = params[key]
    if raw == "null":
        return None
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


def query_text(name: str, mapping: GraphMapping = DEFAULT_MAPPING, run: RunNames | None = None) -> str:
    """The text of ``cypher/recommend/<name>.cypher`` with the mapping's labels and id properties pasted
    in (backtick-quoted; a mapping's names must be schema-checked first), and the active run's names
    (``run``, from :func:`run_names`; default :data:`NO_RUN_NAMES`) where the query has them."""
    wanted = placeholders(load_query(f"{GROUP}/{name}"))
    values = {**mapping_names(mapping), **(run if run is not None else NO_RUN_NAMES)}
    return render(f"{GROUP}/{name}", **{k: v for k, v in values.items() if k in wanted})


def needs_run(name: str) -> bool:
    """Whether query ``name`` has placeholders filled from the active run (see :func:`run_names`)."""
    return bool(placeholders(load_query(f"{GROUP}/{name}")) & NO_RUN_NAMES.keys())


def summary(name: str) -> str:
    """The first line of query ``name``'s description (its ``// NAME: ...`` header line), without the name."""
    prefix = f"// {name}:"
    for line in load_query(f"{GROUP}/{name}").splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return ""


def runnable(name: str, mapping: GraphMapping = DEFAULT_MAPPING, run: RunNames | None = None) -> str:
    """Query ``name`` ready to paste into Neo4j Browser (or cypher-shell): a ``:param`` line per parameter
    (the file's examples; the mapping's own ``entity_keys``/``title_key``/``name_keys`` values), then the
    statement rendered by :func:`query_text` for ``mapping`` and ``run``, without comment or blank lines.
    What ``graphrec query NAME --cypher`` prints and the Browser guide's library offers."""
    documented = examples(name)
    given = {**documented, **{k: v for k, v in mapping_params(mapping).items() if k in documented}}
    lines = [f":param {key} => {json.dumps(value).replace(chr(34), chr(39))}" for key, value in given.items()]
    body = statements(query_text(name, mapping, run))[0]
    return "\n".join(lines + [ln for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("//")])


RUN_NAMES_TTL = 2.0
"""Seconds :func:`run_query` reuses a driver's :func:`run_names` before reading them again. A stale value
costs speed, never correctness: the query's guard then takes its untyped branch (see ``recommend_realtime``)."""

_known: weakref.WeakKeyDictionary[Driver, tuple[float, RunNames]] = weakref.WeakKeyDictionary()


def cached_run_names(driver: Driver) -> RunNames:
    """:func:`run_names` of ``driver``, read at most once per :data:`RUN_NAMES_TTL` seconds: a realtime
    request then costs one round trip, not two."""
    now = time.monotonic()
    hit = _known.get(driver)
    if hit is not None and now - hit[0] < RUN_NAMES_TTL:
        return hit[1]
    names = run_names(driver)
    _known[driver] = (now, names)
    return names


def run_names(driver: Driver) -> RunNames:
    """The active run's placeholder values: ``interactions``, the relationship types its model learnt
    from (a user's seen items are those reached by them), and ``interaction_names``, the same as a list of
    strings. Names outside graphrec's allowlist (a graph mapping's) are checked against the database's
    relationship types; :data:`NO_RUN_NAMES` when the run records none, or none is active."""
    found = read(driver, load_query("serve/active_interactions"))
    recorded = [str(t) for t in (found[0]["interactions"] or [])] if found else []
    if not all(is_allowed(t) for t in recorded):
        have = set(read(driver, load_query("extract/schema_names"))[0]["types"])
        recorded = [SchemaName(t, "type") for t in recorded if t in have]
    return {"interactions": tuple(recorded), "interaction_names": NameList(recorded)} if recorded else NO_RUN_NAMES


ID_PARAMS = frozenset({"user", "item", "items"})
"""Parameters that hold node ids: strings, as graphrec stores them."""


def string_ids(value: Any) -> Any:
    """A numeric id (``287``) as the string id it names (``'287'``), in a list too; other values as they are:
    ids are strings, and a number would match no node."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, list | tuple):
        return [string_ids(v) for v in value]
    return value


def run_query(driver: Driver, name: str, params: Mapping[str, Any] | None = None,
              mapping: GraphMapping = DEFAULT_MAPPING, timeout: float | None = None) -> list[neo4j.Record]:
    """Run ``cypher/recommend/<name>.cypher`` as a read with ``params`` (every parameter it names).

    The labels and id properties come from ``mapping`` (checked against the schema first unless
    :func:`graphrec.db.names.check_mapping` made it), as do the ``entity_keys``, ``title_key`` and
    ``name_keys`` parameters the query names, unless ``params`` gives them; every other parameter
    must be in ``params``. A numeric ``user``, ``item`` or ``items`` id is taken as the string id
    (:func:`string_ids`).

    Server notifications (unknown labels/properties on a fresh graph) are switched off so that
    command output stays clean. ``timeout`` (seconds) is the transaction's: Neo4j stops it after that.

    Raises:
        NotFoundError: no such query.
        InputError: a parameter the query names is missing (``None`` is a value: pass it where the
            query allows null).
        DatabaseError: the query failed.
        TooExpensiveError: the query ran over ``timeout`` or Neo4j's transaction memory.
    """
    if name not in names():
        raise NotFoundError(f"no query {name!r} in cypher/{GROUP}/ (have: {', '.join(names())})")
    mapping = ensure_checked(driver, mapping)
    text = query_text(name, mapping, cached_run_names(driver) if needs_run(name) else None)
    used = parameters(name)
    values = {**{k: v for k, v in mapping_params(mapping).items() if k in used},
              **{k: string_ids(v) if k in ID_PARAMS else v for k, v in (params or {}).items()}}
    missing = [p for p in parameters(name) if p not in values]
    if missing:
        shown = ", ".join(f"{p}={json.dumps(examples(name).get(p))}" for p in missing)
        raise InputError(f"cypher/{GROUP}/{name}.cypher", None, ", ".join(missing),
                         f"required parameter{'s' if len(missing) > 1 else ''} missing (every parameter a query "
                         f"names must be given, e.g. {shown}; the file's :param lines are examples, not defaults)")
    database = getattr(driver, "graphrec_database", None)

    @neo4j.unit_of_work(metadata=META, timeout=timeout)
    def work(tx: neo4j.ManagedTransaction) -> list[neo4j.Record]:
        with within_budget(timeout):
            return list(tx.run(text, values))

    with guarded(driver), within_budget(timeout), driver.session(
        database=database if isinstance(database, str) else None, default_access_mode=READ_ACCESS,
        notifications_min_severity="OFF",
    ) as session:
        return session.execute_read(work)
