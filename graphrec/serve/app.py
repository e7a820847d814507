"""The HTTP API: ``create_app(driver)`` builds a FastAPI app whose endpoints call the same library
functions as the CLI (:mod:`graphrec.recommend`), so HTTP and CLI answers are the same.

Every error has one JSON shape, ``{"error": {"code": ..., "message": ...}}``:

* 404 ``not_found``: unknown user, item or entity, no active run, unknown path;
* 422 ``bad_parameter``: a parameter of the wrong type or out of range (``k=0``, ``k=abc``);
* 422 ``too_expensive``: an explain query ran over its time or memory budget (Neo4j stopped it);
* 503 ``database_unavailable``: Neo4j cannot be reached or refused the credentials;
* 500 ``internal``: anything else (the message names the exception, no traceback).

Ids are one path segment each, percent-encoded: ``/recommend/a%2Fb`` is user ``a/b`` and ``/recommend/1%2F``
user ``1/`` (never redirected to ``/recommend/1``): :func:`keep_encoded_slashes` keeps ``%2F`` from being
decoded before routing, and the ``id`` path convertor decodes it in the id alone.

``k`` is at most 1,000 (``MAX_K``). ``/recommend`` answers from the active run's precomputed top-K: asked
for more than K, it returns those K with ``published_k`` (K) and a one-line ``note`` saying how to get
more (``realtime=true``, or a run published with a larger top-K); both are ``null`` otherwise.

FastAPI and uvicorn are the optional ``[serve]`` extra, imported only when an app is built. From a
:class:`graphrec.Session` ``gr``: ``create_app(gr.driver, gr.mapping)``, then serve it with uvicorn.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from neo4j import Driver

from graphrec.db import load_query, read
from graphrec.errors import ConfigError, DatabaseError, GraphRecError, InputError, NotFoundError, TooExpensiveError
from graphrec.mapping import DEFAULT_MAPPING, GraphMapping
from graphrec.recommend import MAX_K, Explanation, Recommendation

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Receive, Scope, Send

EXTRA = "serve"


def require_extra() -> None:
    """Import FastAPI and uvicorn, or raise :class:`ConfigError` saying which extra to install."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise ConfigError(f"graphrec serve needs FastAPI and uvicorn ({e.name} is missing): "
                          f"pip install -e '.[{EXTRA}]' in the graphrec checkout (or the wheel with [{EXTRA}])") from e


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one error shape of the API."""
    return {"error": {"code": code, "message": " ".join(message.split())}}


_KEPT = re.compile(r"(%2[fF]|%25)")


def _decode_but_slashes(raw: str) -> str:
    """``raw`` percent-decoded except ``%2F`` and ``%25``, so that an encoded ``/`` stays inside its segment."""
    return "".join(part if _KEPT.fullmatch(part) else unquote(part) for part in _KEPT.split(raw))


def keep_encoded_slashes(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: route on the path with ``%2F`` (and ``%25``) still encoded; the server decoded them."""
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path")
        if scope["type"] == "http" and isinstance(raw, bytes):
            scope = {**scope, "path": _decode_but_slashes(raw.decode("ascii", "replace"))}
        await app(scope, receive, send)
    return wrapped


def _register_id_convertor() -> None:
    """The ``{name:id}`` path convertor: one segment, its kept ``%2F``/``%25`` decoded."""
    from starlette.convertors import Convertor, register_url_convertor

    class IdConvertor(Convertor[str]):
        regex = "[^/]+"

        def convert(self, value: str) -> str:
            return unquote(value)

        def to_string(self, value: str) -> str:
            return quote(str(value), safe="")

    register_url_convertor("id", IdConvertor())


def _items(recs: list[Recommendation]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in recs]


def _run(recs: list[Recommendation]) -> str | None:
    return next((r.run for r in recs if r.run), None)


def create_app(driver: Driver, mapping: GraphMapping = DEFAULT_MAPPING, title: str = "graphrec") -> FastAPI:
    """The API over ``driver`` (which the caller owns and closes) and the graph ``mapping``, already
    checked against the schema (:func:`graphrec.db.names.check_mapping`), as the CLI passes it.

    Raises:
        ConfigError: FastAPI/uvicorn are not installed (the ``[serve]`` extra).
    """
    require_extra()
    from fastapi import FastAPI

    from graphrec.db.names import ensure_checked

    checked: list[GraphMapping] = []

    def graph() -> GraphMapping:
        """The mapping, checked against the schema once (not per request); retried while Neo4j is down."""
        if not checked:
            checked.append(ensure_checked(driver, mapping))
        return checked[0]

    _register_id_convertor()
    # no redirect of /recommend/1/ to /recommend/1: that is another user's list
    app = FastAPI(title=title, version="1", redirect_slashes=False, description=(
        "Recommendations from the Neo4j graph (the active model run). Errors are always "
        '`{"error": {"code": ..., "message": ...}}`: 404 `not_found`, 422 `bad_parameter`, '
        "422 `too_expensive` (an explain over its time or memory budget), 503 `database_unavailable`."))
    _add_error_handlers(app)
    _add_recommend_routes(app, driver, graph)
    _add_explain_routes(app, driver, graph)
    app.add_middleware(keep_encoded_slashes)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Every error as the one JSON shape (:func:`error_body`), with its status code."""
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    def reply(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse(status_code=status, content=error_body(code, message))

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, e: NotFoundError) -> JSONResponse:
        return reply(404, "not_found", str(e))

    @app.exception_handler(InputError)
    async def _bad_input(_: Request, e: InputError) -> JSONResponse:
        return reply(422, "bad_parameter", f"{e.field}: {e.problem}")

    @app.exception_handler(TooExpensiveError)
    async def _too_expensive(_: Request, e: TooExpensiveError) -> JSONResponse:
        return reply(422, "too_expensive", str(e))

    @app.exception_handler(DatabaseError)
    async def _db_down(_: Request, e: DatabaseError) -> JSONResponse:
        return reply(503, "database_unavailable", str(e))

    @app.exception_handler(GraphRecError)
    async def _graphrec(_: Request, e: GraphRecError) -> JSONResponse:
        return reply(500, "internal", str(e))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, e: RequestValidationError) -> JSONResponse:
        parts = []
        for err in e.errors():
            where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "request"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return reply(422, "bad_parameter", "; ".join(parts) or "invalid request")

    @app.exception_handler(HTTPException)
    async def _http(_: Request, e: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code, "http_error")
        return reply(e.status_code, code, str(e.detail))

    @app.exception_handler(Exception)
    async def _internal(_: Request, e: Exception) -> JSONResponse:
        return reply(500, "internal", f"{type(e).__name__}: {e}")


def _add_recommend_routes(app: FastAPI, driver: Driver, graph: Callable[[], GraphMapping]) -> None:
    """``/recommend/{user}`` and ``/similar/{item}``."""
    from fastapi import Path, Query

    k_param = Query(10, ge=1, le=MAX_K, description="How many items.")

    # plain `def` endpoints: FastAPI runs them in its thread pool, so the blocking driver calls run in parallel
    @app.get("/recommend/{user:id}", summary="Top-k items for a user from the active model run")
    def recommend(user: str = Path(description="User id."), k: int = k_param,
                  entity: str | None = Query(None, description="Only items linked to this entity id, "
                                                               "e.g. genre:Comedy."),
                  realtime: bool = Query(False, description="From the vector index, not the precomputed top-k."),
                  ) -> dict[str, Any]:
        from graphrec.recommend import published_cut, recommend_realtime
        from graphrec.recommend import recommend as rec_precomputed

        if realtime and entity is not None:
            raise InputError("recommend", None, "realtime", "cannot be combined with entity")
        recs = (recommend_realtime(driver, user, k, mapping=graph()) if realtime
                else rec_precomputed(driver, user, k, entity=entity, mapping=graph()))
        published = None if realtime else published_cut(driver, k, len(recs))
        note = None if published is None else (
            f"only {published} recommendations per user are published by the active run; for up to {k}, "
            f"add realtime=true (from the vector index) or retrain with a larger top-K")
        return {"user": user, "run": _run(recs), "items": _items(recs), "published_k": published, "note": note}

    @app.get("/similar/{item:id}", summary="Items most similar to an item")
    def similar(item: str = Path(description="Item id."), k: int = k_param) -> dict[str, Any]:
        from graphrec.recommend import similar_items

        recs = similar_items(driver, item, k, mapping=graph())
        return {"item": item, "run": _run(recs), "items": _items(recs)}


def _add_explain_routes(app: FastAPI, driver: Driver, graph: Callable[[], GraphMapping]) -> None:
    """``/explain/{user}/{item}``, ``/explain/{user}`` and ``/health``."""
    from fastapi import Path, Query

    k_param = Query(10, ge=1, le=MAX_K, description="How many items.")

    @app.get("/explain/{user:id}/{item:id}", summary="Why an item for a user: one sentence, and the paths behind it")
    def explain(user: str = Path(description="User id."), item: str = Path(description="Item id."),
                limit: int = Query(5, ge=1, le=100, description="How many paths.")) -> dict[str, Any]:
        from graphrec.recommend import explain as rec_explain
        from graphrec.recommend import explain_text

        paths: list[Explanation] = rec_explain(driver, user, item, limit, mapping=graph())
        reasons = explain_text(driver, user, [item], mapping=graph())
        return {"user": user, "item": item, "sentence": reasons[0].sentence() if reasons else None,
                "reason": reasons[0].to_dict() if reasons else None,
                "paths": [{**p.to_dict(), "sentence": p.sentence()} for p in paths]}

    @app.get("/explain/{user:id}", summary="One sentence for each of a user's top-k recommendations")
    def explain_top(user: str = Path(description="User id."), k: int = k_param) -> dict[str, Any]:
        from graphrec.recommend import explain_text

        return {"user": user, "items": [r.to_dict() for r in explain_text(driver, user, k=k, mapping=graph())]}

    @app.api_route("/health", methods=["GET", "HEAD"], summary="The database is reachable; the active model run")
    def health() -> dict[str, Any]:
        rows = read(driver, load_query("serve/health"))
        return {"status": "ok", "database": "reachable", "active_run": rows[0]["run"] if rows else None}
