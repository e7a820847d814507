"""``graphrec load --bulk``: the offline neo4j-admin import into an empty database of a local server.

It stops and restarts the server, so it runs against a server of its own, never the session's.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphrec.cli.main import cli
from graphrec.db import connect
from graphrec.ingest.stats import graph_stats
from graphrec.localdb.local import LocalNeo4j, free_port
from tests.ingest.conftest import FIXTURES

CSV_NODES = {"User": 3, "Item": 4, "Entity": 3, "Genre": 1, "Dataset": 1}
CSV_RELS = {"RATED": 3, "VIEWED": 2, "BOUGHT": 1, "HAS_GENRE": 2, "BY_ARTIST": 1, "INFLUENCED": 1, "BORN_IN": 1}


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LocalNeo4j]:
    server = LocalNeo4j(home=tmp_path / "home", password=secrets.token_urlsafe(12), bolt_port=free_port(),
                        http_port=free_port(), heap="768m", pagecache="256m")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_bulk_refuses_a_server_it_does_not_manage(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--uri", "bolt://db.example.invalid:7687", "--password", "x", "--home",
                                      str(tmp_path), "load", "movielens-100k", "--bulk"])
    assert result.exit_code == 1
    assert result.output.startswith("graphrec: error: --bulk needs the local server graphrec manages")


@pytest.mark.slow
def test_bulk_import_is_exact_and_refuses_a_non_empty_database(own_server: LocalNeo4j) -> None:
    args = ["--home", str(own_server.home), "--password", own_server.password, "--quiet"]
    env = {"GRAPHREC_BOLT_PORT": str(own_server.bolt_port), "GRAPHREC_HTTP_PORT": str(own_server.http_port),
           "GRAPHREC_HEAP": "768m", "GRAPHREC_PAGECACHE": "256m",
           "GRAPHREC_NEO4J_URI": ""}
    result = CliRunner().invoke(cli, [*args, "load", "csv", "--path", str(FIXTURES / "csv"), "--bulk"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    from graphrec.config import load_settings

    settings = load_settings({"uri": own_server.bolt_uri, "password": own_server.password}, env={})
    with connect(settings) as driver:
        stats = graph_stats(driver)
        assert stats["nodes"] == CSV_NODES and stats["relationships"] == CSV_RELS
        assert stats["splits"] == {"RATED": {"train": 2, "test": 1}, "VIEWED": {"train": 2}, "BOUGHT": {"valid": 1}}
        row = driver.execute_query("MATCH (u:User {id: 'u1'})-[r:RATED]->(i:Item {id: 'i2'}) "
                                   "RETURN r.rating AS rating, r.ts AS ts, i.year AS year, u.age AS age, "
                                   "i.text AS text").records[0]
        assert (row["rating"], row["ts"], row["year"], row["age"]) == (4.0, 1714521601, 1959, 34)
        assert row["text"] == "Kind of Blue. director: Miles Davis."
        constraints = {r["name"] for r in driver.execute_query("SHOW CONSTRAINTS YIELD name").records}
        assert {"user_id", "item_id", "entity_id"} <= constraints  # schema applied after the import
    again = CliRunner().invoke(cli, [*args, "load", "csv", "--path", str(FIXTURES / "csv"), "--bulk"], env=env)
    assert again.exit_code == 1
    assert "--bulk replaces the whole database and it holds 11 nodes" in again.output
