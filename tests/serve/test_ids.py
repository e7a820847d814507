"""Every id is reachable over HTTP, a trailing slash never serves another id's answer, and the small
contract points of the README: ``HEAD /health``, 404 with no active run (issue 22, items 3 and 10)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from neo4j import Driver

from graphrec import recommend as rec
from graphrec.writeback import RunSpec, publish
from tests.conftest import clear_graph
from tests.recommend.toygraph import ToyGraph, build
from tests.serve.conftest import Reply, serving

RENAMED = {"User": {"u1": "a/b", "u4": "u4/", "u5": "50%"}, "Item": {"i5": "i/5"}}


def fetch(base: str, path: str, method: str = "GET") -> Reply:
    """One request, redirects NOT followed (a 307 comes back as 307); the body decoded when there is one."""
    where = urlsplit(base)
    conn = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        raw = resp.read()
        return Reply(resp.status, json.loads(raw) if raw else None)
    finally:
        conn.close()


def _error(body: Any, code: str) -> str:
    assert isinstance(body, dict) and set(body) == {"error"} and body["error"]["code"] == code, body
    return str(body["error"]["message"])


@pytest.fixture(scope="module")
def toy(driver: Driver) -> Iterator[ToyGraph]:
    """The toy graph with ids holding ``/`` and ``%`` (not published yet)."""
    clear_graph(driver)
    graph = build(driver, users=8, items=20, degree=4, seed=2)
    for label, names in RENAMED.items():
        for old, new in names.items():
            driver.execute_query(f"MATCH (n:{label} {{id: $old}}) SET n.id = $new", old=old, new=new)
            graph.ids[label][graph.ids[label].index(old)] = new
    yield graph
    clear_graph(driver)


@pytest.fixture(scope="module")
def run(driver: Driver, toy: ToyGraph) -> str:
    user_emb, item_emb = toy.embeddings(dim=8, seed=2)
    return publish(driver, RunSpec("toy", {"dim": 8}, {}), toy.ids, user_emb, item_emb, toy.exclude, k=5).run_id


@pytest.fixture(scope="module")
def url(driver: Driver, toy: ToyGraph) -> Iterator[str]:
    with serving(driver) as base:
        yield base


def test_no_active_run_is_404_and_head_health(url: str, driver: Driver, toy: ToyGraph) -> None:
    assert not driver.execute_query("MATCH (r:ModelRun) RETURN r").records, "runs before the `run` fixture"
    r = fetch(url, "/similar/i2")
    assert r.status == 404 and "no active model run" in _error(r.body, "not_found")
    r = fetch(url, "/recommend/u2")
    assert r.status == 404 and "no active model run" in _error(r.body, "not_found")
    r = fetch(url, "/health", "HEAD")
    assert r.status == 200 and r.body is None
    assert fetch(url, "/health").body["active_run"] is None


def test_ids_with_slashes_and_percent(url: str, driver: Driver, run: str) -> None:
    for user in ("a/b", "u4/", "50%"):
        r = fetch(url, f"/recommend/{quote(user, safe='')}?k=3")
        assert r.status == 200 and r.body["user"] == user and r.body["run"] == run, (user, r.body)
        assert [i["item"] for i in r.body["items"]] == [x.item for x in rec.recommend(driver, user, 3)]
    r = fetch(url, "/similar/i%2F5?k=3")
    assert r.status == 200 and r.body["item"] == "i/5", r.body
    assert [i["item"] for i in r.body["items"]] == [x.item for x in rec.similar_items(driver, "i/5", 3)]
    r = fetch(url, "/explain/a%2Fb/i%2F5?limit=3")
    assert r.status == 200 and (r.body["user"], r.body["item"]) == ("a/b", "i/5"), r.body
    assert [p["via"] for p in r.body["paths"]] == [p.via for p in rec.explain(driver, "a/b", "i/5", 3)]
    r = fetch(url, "/explain/a%2Fb?k=2")
    assert r.status == 200 and len(r.body["items"]) == 2, r.body


def test_trailing_slash_is_another_id_never_a_redirect(url: str, run: str) -> None:
    assert fetch(url, "/recommend/u2").status == 200
    for path, unknown in (("/recommend/u2%2F", "u2/"), ("/similar/i2%2F", "i2/"), ("/explain/u2%2F", "u2/"),
                          ("/explain/u2/i2%2F", "i2/"), ("/recommend/a%252Fb", "a%2Fb")):
        r = fetch(url, path)
        assert r.status == 404 and repr(unknown) in _error(r.body, "not_found"), (path, r.status, r.body)
    for path in ("/recommend/u2/", "/recommend/a/b", "/health/"):
        r = fetch(url, path)
        assert r.status == 404, (path, r.status, r.body)
        _error(r.body, "not_found")
