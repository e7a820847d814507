"""The HTTP API against the real Neo4j: same answers as the library calls, one JSON error shape."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
from dataclasses import replace

from click.testing import CliRunner
from neo4j import Driver

from graphrec import recommend as rec
from graphrec.cli.main import cli
from graphrec.config import Settings
from graphrec.db import connect
from graphrec.localdb.local import free_port
from tests.recommend.conftest import K, Published
from tests.serve.conftest import get, serving


def _error(reply_body: object, code: str) -> str:
    assert isinstance(reply_body, dict) and set(reply_body) == {"error"}, reply_body
    err = reply_body["error"]
    assert set(err) == {"code", "message"} and err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"]
    return str(err["message"])


def test_recommend(base_url: str, published: Published) -> None:
    r = get(f"{base_url}/recommend/u1?k=5")
    assert r.status == 200, r.body
    assert r.body["user"] == "u1" and r.body["run"] == published.result.run_id
    assert [i["item"] for i in r.body["items"]] == published.expected("u1", 5)
    assert r.body["items"][0]["title"] == f"Title of {r.body['items'][0]['item']}"
    assert [i["rank"] for i in r.body["items"]] == [1, 2, 3, 4, 5]
    assert len(get(f"{base_url}/recommend/u1").body["items"]) == K  # default k=10, K=8 are precomputed


def test_recommend_above_published_k_says_so(base_url: str, published: Published) -> None:
    """K=8 are published: k=50 answers those 8 with published_k and a note naming realtime=true."""
    r = get(f"{base_url}/recommend/u1?k=50")
    assert r.status == 200, r.body
    assert [i["item"] for i in r.body["items"]] == published.expected("u1", K)
    assert r.body["published_k"] == K
    assert r.body["note"] == (f"only {K} recommendations per user are published by the active run; for up to 50, "
                              f"add realtime=true (from the vector index) or retrain with a larger top-K")
    full = get(f"{base_url}/recommend/u1?k={K}")
    assert (full.body["published_k"], full.body["note"]) == (None, None)
    more = get(f"{base_url}/recommend/u1?k=20&realtime=true")
    assert len(more.body["items"]) == 20 and more.body["note"] is None
    capped = get(f"{base_url}/recommend/u1?k=1001")   # the documented cap
    assert capped.status == 422 and "less than or equal to 1000" in _error(capped.body, "bad_parameter")


def test_recommend_realtime_and_entity(base_url: str, driver: Driver, published: Published) -> None:
    r = get(f"{base_url}/recommend/u3?k=4&realtime=true")
    assert r.status == 200, r.body
    assert [i["item"] for i in r.body["items"]] == [x.item for x in rec.recommend_realtime(driver, "u3", 4)]
    r = get(f"{base_url}/recommend/u2?entity=genre:Drama")
    assert r.status == 200 and r.body["items"], r.body
    assert [i["item"] for i in r.body["items"]] == [x.item for x in rec.recommend(driver, "u2", 10, "genre:Drama")]
    assert all("genre:Drama" in published.graph.item_entities[i["item"]] for i in r.body["items"])
    _error(get(f"{base_url}/recommend/u2?entity=genre:Nope").body, "not_found")


def test_similar(base_url: str, driver: Driver, published: Published) -> None:
    r = get(f"{base_url}/similar/i5?k=3")
    assert r.status == 200, r.body
    assert r.body["item"] == "i5" and len(r.body["items"]) == 3 and "i5" not in [i["item"] for i in r.body["items"]]
    assert [i["item"] for i in r.body["items"]] == [x.item for x in rec.similar_items(driver, "i5", 3)]
    r = get(f"{base_url}/similar/nope")
    assert r.status == 404 and "nope" in _error(r.body, "not_found")


def test_explain(base_url: str, driver: Driver, published: Published) -> None:
    user = "u1"
    item = published.expected(user, 1)[0]
    r = get(f"{base_url}/explain/{user}/{item}?limit=3")
    assert r.status == 200, r.body
    lib = rec.explain(driver, user, item, 3)
    assert lib, "the toy graph links every user to its top item"
    assert [p["via"] for p in r.body["paths"]] == [p.via for p in lib]
    assert r.body["paths"][0]["sentence"] == lib[0].sentence()
    assert r.body["paths"][0]["nodes"][0]["id"] == user and r.body["paths"][0]["nodes"][-1]["id"] == item
    reason = rec.explain_text(driver, user, [item])[0]
    assert r.body["sentence"] == reason.sentence() and r.body["reason"]["anchor"] == reason.anchor
    assert reason.anchor in published.graph.seen[user] and f"Title of {reason.anchor}" in r.body["sentence"]
    r = get(f"{base_url}/explain/{user}?k=3")
    assert r.status == 200, r.body
    assert [x["item"] for x in r.body["items"]] == published.expected(user, 3)
    assert all(x["sentence"] and x["anchor"] in published.graph.seen[user] for x in r.body["items"])
    r = get(f"{base_url}/explain/nobody?k=3")
    assert r.status == 404 and "nobody" in _error(r.body, "not_found")
    r = get(f"{base_url}/explain/{user}/nope")
    assert r.status == 404 and "nope" in _error(r.body, "not_found")


def test_errors_have_one_shape(base_url: str, published: Published) -> None:
    r = get(f"{base_url}/recommend/nobody")
    assert r.status == 404 and "nobody" in _error(r.body, "not_found")
    for bad in ("k=0", "k=abc", f"k={10**6}"):
        r = get(f"{base_url}/recommend/u1?{bad}")
        assert r.status == 422 and "k" in _error(r.body, "bad_parameter"), (bad, r.body)
    r = get(f"{base_url}/recommend/u1?realtime=true&entity=genre:Drama")
    assert r.status == 422 and "entity" in _error(r.body, "bad_parameter")
    r = get(f"{base_url}/explain/u1/i1?limit=0")
    assert r.status == 422 and "limit" in _error(r.body, "bad_parameter")
    r = get(f"{base_url}/no/such/path")
    assert r.status == 404
    _error(r.body, "not_found")


def test_health_and_openapi(base_url: str, published: Published) -> None:
    r = get(f"{base_url}/health")
    assert r.status == 200 and r.body == {"status": "ok", "database": "reachable",
                                          "active_run": published.result.run_id}
    spec = get(f"{base_url}/openapi.json").body
    assert {"/recommend/{user}", "/similar/{item}", "/explain/{user}/{item}", "/explain/{user}",
            "/health"} <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"]["/recommend/{user}"]["get"]["parameters"]}
    assert params == {"user", "k", "entity", "realtime"}
    with urllib.request.urlopen(f"{base_url}/docs", timeout=30) as resp:
        assert resp.status == 200 and b"swagger" in resp.read().lower()


def test_database_down_is_503(neo4j_settings: Settings) -> None:
    dead = connect(replace(neo4j_settings, uri=f"bolt://127.0.0.1:{free_port()}"), verify=False)
    try:
        with serving(dead) as url:
            t0 = time.monotonic()
            r = get(f"{url}/recommend/u1")
            elapsed = time.monotonic() - t0
            # the driver gives up after ~7 s of retries (RETRY_TIME); the margin is for this shared, loaded machine
            assert elapsed < 45, f"503 after {elapsed:.1f} s"
            assert r.status == 503 and "127.0.0.1" in _error(r.body, "database_unavailable")
    finally:
        dead.close()


def test_cypher_file_through_neo4j_query_api(base_url: str, neo4j_settings: Settings, published: Published) -> None:
    """The README's curl example: a cypher/ file POSTed to Neo4j's own HTTP Query API gives what /recommend gives."""
    res = CliRunner().invoke(cli, ["--uri", neo4j_settings.uri, "--password", neo4j_settings.password or "",
                                   "query", "recommend", "--cypher"])
    assert res.exit_code == 0, res.output
    statement = "\n".join(ln for ln in res.output.splitlines() if not ln.startswith(":param"))  # grep -v '^:param'
    body = json.dumps({"statement": statement, "parameters": {"user": "u4", "k": 5, "title_key": "title"}})
    req = urllib.request.Request(
        f"http://127.0.0.1:{neo4j_settings.http_port}/db/{neo4j_settings.database}/query/v2", data=body.encode(),
        method="POST", headers={"Content-Type": "application/json", "Accept": "application/json",
                                "Authorization": "Basic " + base64.b64encode(
                                    f"{neo4j_settings.user}:{neo4j_settings.password}".encode()).decode()})
    with urllib.request.urlopen(req, timeout=60) as resp:
        data = json.loads(resp.read())["data"]
    assert data["fields"] == ["item", "title", "score", "rank", "run"]
    via_query_api = [row[0] for row in data["values"]]
    assert via_query_api == published.expected("u4", 5)
    served = get(f"{base_url}/recommend/{urllib.parse.quote('u4')}?k=5").body["items"]
    assert via_query_api == [i["item"] for i in served]
