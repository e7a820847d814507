from __future__ import annotations

import json

from click.testing import CliRunner
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings


def _args(s: Settings) -> list[str]:
    return ["--uri", s.uri, "--password", s.resolved_password(), "--home", str(s.home)]


def test_init_is_idempotent(driver: Driver, neo4j_settings: Settings) -> None:
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(cli, [*_args(neo4j_settings), "init"])
        assert result.exit_code == 0, result.output
        assert "user_id" in result.output and "item_id" in result.output


def test_status_json(neo4j_settings: Settings) -> None:
    env = {"GRAPHREC_BOLT_PORT": str(neo4j_settings.bolt_port), "GRAPHREC_HTTP_PORT": str(neo4j_settings.http_port)}
    result = CliRunner().invoke(cli, [*_args(neo4j_settings), "db", "status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["version"].startswith("Neo4j 5.26") and "browser" in info


def test_unreachable_server_is_one_line() -> None:
    result = CliRunner().invoke(cli, ["--uri", "bolt://127.0.0.1:1", "--password", "x", "init"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphrec: error: cannot reach Neo4j at bolt://127.0.0.1:1")
