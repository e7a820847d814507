"""An explain over Neo4j's transaction memory is 'too expensive' (HTTP 422 ``too_expensive``, one CLI line)
at once, not retried for 15 s and then reported as 'database unavailable' (issue 22, item 2).

A server of its own whose transactions may use at most 8 MB (``db.memory.transaction.max``): a user whose
history holds 5,000 items is over it, a user of a few items is not.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings, load_settings
from graphrec.db import connect
from graphrec.localdb.local import LocalNeo4j, free_port
from tests.serve.conftest import get, serving

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]
HOARD = 5000


class TightServer(LocalNeo4j):
    """A local server whose every transaction may use at most 8 MB of memory."""

    def _write_conf(self) -> Path:
        conf = super()._write_conf()
        with (conf / "neo4j.conf").open("a") as fh:
            fh.write("db.memory.transaction.max=8m\n")
        return conf


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    home = tmp_path_factory.mktemp("tight") / "home"
    server = TightServer(home=home, password=secrets.token_urlsafe(16), bolt_port=free_port(),
                         http_port=free_port(), heap="512m", pagecache="64m")
    server.start()
    try:
        yield load_settings({"uri": server.bolt_uri, "home": home, "password": server.password}, env={})
    finally:
        server.stop()


@pytest.fixture(scope="module")
def hoard(tight: Settings) -> Iterator[Driver]:
    """'hoarder' rated HOARD items, 'light' two of them, and 'fan' rated the last one too (written in small
    transactions, each within the 8 MB)."""
    drv = connect(tight)
    for start in range(0, HOARD, 250):
        drv.execute_query("MERGE (u:User {id: 'hoarder'}) WITH u UNWIND range($a, $b) AS i "
                          "CREATE (u)-[:RATED {rating: 4.0}]->(:Item {id: 'i' + i, title: 'Item ' + i})",
                          a=start, b=min(start + 249, HOARD - 1))
    drv.execute_query("CREATE (x:Item {id: 'x', title: 'Unseen'}), (l:User {id: 'light'}), (f:User {id: 'fan'}) "
                      "WITH x, l, f MATCH (i:Item) WHERE i.id IN ['i0', 'i1'] "
                      "CREATE (l)-[:RATED {rating: 5.0}]->(i), (f)-[:RATED {rating: 3.0}]->(i) "
                      "WITH DISTINCT x, f CREATE (f)-[:RATED {rating: 3.0}]->(x)")
    try:
        yield drv
    finally:
        drv.close()


def test_over_memory_explain_is_422_too_expensive_at_once(hoard: Driver, caplog: pytest.LogCaptureFixture) -> None:
    with serving(hoard) as url:
        light = get(f"{url}/explain/light/x")
        assert light.status == 200 and light.body["reason"]["co_users"] == 1, light.body
        with caplog.at_level(logging.WARNING, logger="neo4j"):
            r = get(f"{url}/explain/hoarder/x")
    assert not [rec for rec in caplog.records if "will be retried" in rec.getMessage()]   # the driver's retry log
    assert r.status == 422, r.body
    err = r.body["error"]
    assert set(r.body) == {"error"} and err["code"] == "too_expensive", r.body
    assert "user 'hoarder'" in err["message"] and "is too expensive" in err["message"], err
    assert "transaction memory" in err["message"] and "ask for fewer" in err["message"], err


def test_over_memory_explain_is_one_cli_line(tight: Settings, hoard: Driver) -> None:
    base = ["--uri", tight.uri, "--password", tight.password or "", "--home", str(tight.home)]
    ok = CliRunner().invoke(cli, [*base, "explain", "light", "x"])
    assert ok.exit_code == 0 and "Because you rated" in ok.output, ok.output
    res = CliRunner().invoke(cli, [*base, "explain", "hoarder", "x"])
    lines = res.output.strip().splitlines()
    assert res.exit_code == 1 and len(lines) == 1, res.output
    assert lines[0].startswith("graphrec: error: explaining ") and "user 'hoarder'" in lines[0], lines
    assert "is too expensive: the query ran over Neo4j's transaction memory" in lines[0], lines
