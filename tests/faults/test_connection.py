"""Connection failures name their cause in one line (issue 10, smaller items): a TLS scheme against a server
without TLS says so instead of blaming routing; a refused port says it is refused."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from graphrec.cli.main import cli
from graphrec.config import Settings
from graphrec.localdb.local import free_port

pytestmark = pytest.mark.neo4j


def _stats(uri: str, password: str) -> tuple[int, list[str], float]:
    t = time.monotonic()
    res = CliRunner().invoke(cli, ["--uri", uri, "--password", password, "stats"])
    return res.exit_code, res.output.strip().splitlines(), time.monotonic() - t


@pytest.mark.parametrize("scheme", ["neo4j+s", "bolt+s", "neo4j+ssc"])
def test_tls_scheme_against_a_plain_server_says_tls(neo4j_settings: Settings, scheme: str) -> None:
    uri = scheme + "://" + neo4j_settings.uri.split("://", 1)[1]
    code, lines, took = _stats(uri, neo4j_settings.password or "")
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"graphrec: error: cannot reach Neo4j at {uri}: the TLS handshake failed")
    assert "routing" not in lines[0] and lines[0].endswith("a server without TLS needs bolt:// or neo4j:// (no +s)")
    assert took < 30


def test_refused_port_is_named_not_routing() -> None:
    uri = f"neo4j://127.0.0.1:{free_port()}"
    code, lines, took = _stats(uri, "x")
    assert code == 1 and len(lines) == 1, lines
    assert "Connection refused" in lines[0] and "routing" not in lines[0]
    assert took < 30
