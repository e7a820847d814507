"""The recommendation API: each function runs one query of ``cypher/recommend/`` and returns typed
results, telling an unknown user or item (``NotFoundError``, exit code 2) from an empty answer.

Every function takes the graph ``mapping`` (default: graphrec's own ``User``/``Item``/``Entity``),
already checked against the schema (:func:`graphrec.db.names.check_mapping`)."""

from __future__ import annotations

from collections.abc import Sequence

from neo4j import Driver, Record

from graphrec.db import load_query, read, render
from graphrec.db.names import ensure_checked, mapping_names
from graphrec.db.vectors import text_index
from graphrec.errors import InputError, NotFoundError, TooExpensiveError
from graphrec.mapping import DEFAULT_MAPPING, GraphMapping
from graphrec.recommend.library import run_query
from graphrec.recommend.results import Explanation, Reason, Recommendation
from graphrec.recommend.titles import closest, loose_matches


def _lookup(driver: Driver, user: str | None = None, item: str | None = None, need_run: bool = True,
            mapping: GraphMapping = DEFAULT_MAPPING) -> None:
    rec = run_query(driver, "lookup", {"user": user, "item": item}, mapping)[0]
    if user is not None and not rec["user"]:
        raise NotFoundError(f"unknown user {user!r}")
    if item is not None and not rec["item"]:
        raise NotFoundError(f"unknown item {item!r}")
    if need_run and not rec["active_run"]:
        raise NotFoundError("no active model run: train and publish one first (`graphrec train`)")


MAX_K = 1000
"""Most items one answer may hold (``-k`` of the CLI, ``k`` of the Python and HTTP APIs)."""


EXPLAIN_TIMEOUT = 20.0
"""Seconds an explain query may run before Neo4j stops it (the heaviest MovieLens-100K user's 50 reasons
take ~2-4 s on two busy cores); over it, or over Neo4j's transaction memory, is a :class:`TooExpensiveError`."""


def _explained(driver: Driver, name: str, params: dict[str, object], what: str, mapping: GraphMapping,
               timeout: float | None) -> list[Record]:
    """``run_query`` of an explain query within ``timeout``; over its budget says what was too expensive."""
    try:
        return run_query(driver, name, params, mapping, timeout=timeout)
    except TooExpensiveError as e:
        raise TooExpensiveError(e.budget, f"explaining {what} is too expensive: {e}; ask for fewer "
                                          f"(-k / ?k=, --limit / ?limit=)") from e


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InputError("-k", None, "k", f"must be an integer from 1 to {MAX_K:,}, got {str(k)[:40]}")


def recommend(driver: Driver, user: str, k: int = 10, entity: str | None = None,
              mapping: GraphMapping = DEFAULT_MAPPING) -> list[Recommendation]:
    """The active run's precomputed top-``k`` for ``user``, optionally only items linked to ``entity``.

    Raises:
        NotFoundError: unknown user, unknown entity, or no active run.
    """
    _check_k(k)
    if entity is None:
        rows = [Recommendation.from_record(r) for r in run_query(driver, "recommend", {"user": user, "k": k},
                                                                mapping)]
    else:
        rows = [Recommendation.from_record(r) for r in run_query(
            driver, "recommend_by_entity", {"user": user, "k": k, "entity": entity}, mapping)]
    if not rows:
        _lookup(driver, user=user, mapping=mapping)
        if entity is not None and not run_query(driver, "entity_exists", {"entity": entity}, mapping):
            raise NotFoundError(f"unknown entity {entity!r}")
    return rows


def published_cut(driver: Driver, k: int, got: int) -> int | None:
    """The active run's published top-K when an answer of ``got`` rows to a request for ``k`` was cut
    by it (``got < k`` and ``K < k``), else ``None``: precomputed answers never hold more than K."""
    if got >= k:
        return None
    rows = read(driver, load_query("serve/active_run_k"))
    published = rows[0]["k"] if rows else None
    return int(published) if isinstance(published, int) and published < k else None


def recommend_realtime(driver: Driver, user: str, k: int = 10, candidates: int = 100,
                       mapping: GraphMapping = DEFAULT_MAPPING) -> list[Recommendation]:
    """Top-``k`` unseen items for ``user`` from the active run's embeddings via the vector index.

    ``candidates`` (default: 100) is the least number of index neighbours asked for: the HNSW beam,
    so more means higher recall and more latency.

    Raises:
        NotFoundError: unknown user, no active run, or the user has no embedding in it.
    """
    _check_k(k)
    params: dict[str, object] = {"user": user, "k": k, "candidates": candidates}
    rows = [Recommendation.from_record(r) for r in run_query(driver, "recommend_realtime", params, mapping)]
    if not rows:
        _lookup(driver, user=user, mapping=mapping)
        raise NotFoundError(f"user {user!r} has no (non-zero) embedding in the active run (new since training, "
                            "or no interactions?); try `graphrec recommend` or `graphrec cold-start`")
    return rows


def similar_items(driver: Driver, item: str, k: int = 10,
                  mapping: GraphMapping = DEFAULT_MAPPING) -> list[Recommendation]:
    """Items most like ``item`` (active run's embeddings, else text embeddings).

    Raises:
        NotFoundError: unknown item, or no active run and no text embedding to fall back on.
    """
    _check_k(k)
    rows = [Recommendation.from_record(r) for r in run_query(
        driver, "similar_items", {"item": item, "k": k, "text_index": text_index(driver, mapping.item.label)},
        mapping)]
    if not rows:
        _lookup(driver, item=item, mapping=mapping)
    return rows


def find_item(driver: Driver, title: str, limit: int = 10, mapping: GraphMapping = DEFAULT_MAPPING) -> str:
    """The id of the one item titled ``title`` (case-insensitive; else the one whose title contains it;
    else the one that matches it with articles and year normalised, "The Matrix (1999)" for "Matrix, The
    (1999)", :mod:`graphrec.recommend.titles`).

    Raises:
        NotFoundError: no title matches; the message suggests the closest titles.
        InputError: several do; the message lists up to ``limit`` of them, ``id: title``.
    """
    if not title.strip():
        raise InputError("item title", None, repr(title), "empty title")
    rows = run_query(driver, "item_by_title", {"title": title, "limit": limit}, mapping)
    if not rows:
        return _find_loosely(driver, title, limit, mapping)
    if len(rows) == 1:
        return str(rows[0]["item"])
    kind = "have this title" if rows[0]["exact"] else "have it in their title"
    more = f" (first {len(rows)} shown)" if rows[0]["matches"] > len(rows) else ""
    raise _several(title, [(str(r["item"]), str(r["title"])) for r in rows], f"{rows[0]['matches']} items {kind}{more}")


def _several(title: str, rows: list[tuple[str, str]], what: str) -> InputError:
    shown = "; ".join(f"{i}: {t}" for i, t in rows)
    return InputError("item title", None, repr(title), f"{what}: {shown}; give the item id instead, or a longer title")


def _find_loosely(driver: Driver, title: str, limit: int, mapping: GraphMapping) -> str:
    mapping = ensure_checked(driver, mapping)
    query = render("extract/item_titles", **{k: v for k, v in mapping_names(mapping).items()
                                              if k in ("item", "item_id")})
    rows = [(str(r["item"]), str(r["title"])) for r in read(driver, query, {"title_key": str(mapping.item.title)})]
    found = loose_matches(title, rows)
    if len(found) == 1:
        return found[0][0]
    if found:
        more = f" (first {limit} shown)" if len(found) > limit else ""
        raise _several(title, found[:limit], f"{len(found)} items match it, articles and year aside{more}")
    near = closest(title, rows)
    hint = "; closest: " + "; ".join(f"{i}: {t}" for i, t in near) if near else ""
    raise NotFoundError(f"no item titled {title!r} (nor with it in its title, articles and year aside){hint}")


def cold_start(driver: Driver, items: Sequence[str] = (), vector: Sequence[float] | None = None,
               k: int = 10, mapping: GraphMapping = DEFAULT_MAPPING) -> list[Recommendation]:
    """Recommendations for a new user from liked ``items`` or a text ``vector``.

    Raises:
        InputError: neither items nor a vector given.
        NotFoundError: one of ``items`` is unknown.
    """
    _check_k(k)
    if not items and vector is None:
        raise InputError("cold-start", None, "items", "give liked item ids or a text")
    for item in items:
        _lookup(driver, item=item, need_run=False, mapping=mapping)
    return [Recommendation.from_record(r) for r in run_query(driver, "cold_start_user", {
        "items": list(items), "vector": list(vector) if vector is not None else None, "k": k,
        "text_index": text_index(driver, mapping.item.label)}, mapping)]


def explain(driver: Driver, user: str, item: str, limit: int = 5,
            mapping: GraphMapping = DEFAULT_MAPPING, timeout: float | None = EXPLAIN_TIMEOUT) -> list[Explanation]:
    """Paths from ``user`` to ``item`` through friends, shared entities and co-users, shortest first.

    Raises:
        NotFoundError: unknown user or item.
        TooExpensiveError: the query ran over ``timeout`` seconds or Neo4j's transaction memory.
    """
    _lookup(driver, user=user, item=item, need_run=False, mapping=mapping)
    return [Explanation.from_record(r) for r in _explained(
        driver, "explain", {"user": user, "item": item, "limit": limit}, f"{limit} paths from user {user!r} "
        f"to item {item!r}", mapping, timeout)]


def explain_text(driver: Driver, user: str, items: Sequence[str] | None = None, k: int = 10,
                 mapping: GraphMapping = DEFAULT_MAPPING, timeout: float | None = EXPLAIN_TIMEOUT) -> list[Reason]:
    """Why each of ``items`` for ``user``, as :class:`Reason` (its :meth:`~Reason.sentence` reads
    "Because you rated Star Wars (1977) 5★ — same genre Sci-Fi; 212 people who rated it also rated this.").

    ``items`` default to the user's precomputed top-``k`` (:func:`recommend`); the reasons come back in
    their order.

    Raises:
        NotFoundError: unknown user or item (or, without ``items``, no active run).
        TooExpensiveError: the query ran over ``timeout`` seconds or Neo4j's transaction memory.
    """
    if items is None:
        _check_k(k)
        items = [r.item for r in recommend(driver, user, k, mapping=mapping)]
    else:
        items = list(items)
        for item in items:
            _lookup(driver, user=user, item=item, need_run=False, mapping=mapping)
    if not items:
        return []
    return [Reason.from_record(r) for r in _explained(driver, "explain_text", {"user": user, "items": items},
                                                      f"{len(items)} items for user {user!r}", mapping, timeout)]


def diverse(driver: Driver, user: str, k: int = 10, n: int = 50, cap: int = 2,
            kinds: Sequence[str] | None = None, mapping: GraphMapping = DEFAULT_MAPPING) -> list[Recommendation]:
    """The active run's top-``n`` for ``user`` re-ranked with at most ``cap`` picks per entity.

    Raises:
        NotFoundError: unknown user or no active run.
    """
    _check_k(k)
    for name, value in (("n", n), ("cap", cap)):
        if not 1 <= value <= MAX_K:
            raise InputError("--diverse", None, name, f"must be an integer from 1 to {MAX_K:,}, got {value}")
    rows = [Recommendation.from_record(r) for r in run_query(driver, "diverse", {
        "user": user, "k": k, "n": n, "cap": cap, "kinds": list(kinds) if kinds else None}, mapping)]
    if not rows:
        _lookup(driver, user=user, mapping=mapping)
    return rows
