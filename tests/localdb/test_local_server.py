"""The local server's lifecycle, plugins and Browser, on real Neo4j processes."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

from graphrec.config import Settings
from graphrec.errors import ServerError
from graphrec.localdb.local import LocalNeo4j, free_port, transaction_pool


def test_apoc_and_gds_answer(driver: Driver) -> None:
    rec = driver.execute_query("RETURN apoc.version() AS apoc, gds.version() AS gds").records[0]
    assert rec["apoc"].startswith("5.26") and rec["gds"].startswith("2.13")


def test_browser_is_served(neo4j_settings: Settings) -> None:
    if not neo4j_settings.is_local:
        pytest.skip("Browser check needs the local server")
    url = f"http://127.0.0.1:{neo4j_settings.http_port}/browser/"
    with urllib.request.urlopen(url, timeout=10) as resp:
        body = resp.read().decode()
        assert resp.status == 200
    assert "<title>Neo4j Browser</title>" in body


def test_lifecycle_twice_with_persistent_store(tmp_path: Path) -> None:
    server = LocalNeo4j(home=tmp_path, password="lifecycle-pw-1", bolt_port=free_port(), http_port=free_port(),
                        heap="512m", pagecache="128m")
    try:
        assert server.start() is True
        assert server.start() is False  # idempotent
        with GraphDatabase.driver(server.bolt_uri, auth=("neo4j", "lifecycle-pw-1")) as drv:
            drv.execute_query("CREATE (:Marker {id: 'kept'})")
        status = server.status()
        assert status["running"] and int(str(status["store_bytes"])) > 0
        assert server.stop() is True
        assert server.stop() is False
        assert server.start() is True
        with GraphDatabase.driver(server.bolt_uri, auth=("neo4j", "lifecycle-pw-1")) as drv:
            n = drv.execute_query("MATCH (m:Marker {id: 'kept'}) RETURN count(m) AS n").records[0]["n"]
        assert n == 1
        assert "recover" not in server.logs(400).lower()  # clean shutdown: no store recovery
        # a second server on the same ports is refused with a one-line reason
        other = LocalNeo4j(home=tmp_path / "other", password="x" * 12, bolt_port=server.bolt_port,
                           http_port=server.http_port)
        with pytest.raises(ServerError, match="already in use"):
            other.start()
    finally:
        server.stop()
    assert server.pid() is None


def test_the_transaction_pool_is_half_the_heap() -> None:
    assert transaction_pool("768m") == "384m" and transaction_pool("1g") == "512m" and transaction_pool("2G") == "1024m"
    assert transaction_pool("lots") is None and transaction_pool("") is None


@pytest.mark.skipif(bool(os.environ.get("GRAPHREC_TEST_NEO4J_URI")), reason="a server given from outside")
def test_the_test_server_runs_with_that_pool(driver: Driver) -> None:
    pool = driver.execute_query("SHOW SETTINGS YIELD name, value WHERE name = 'dbms.memory.transaction.total.max' "
                                "RETURN value").records[0]["value"]
    assert pool == "384.00MiB"                  # the test server's heap is 768m
