"""Shared fixtures: one real Neo4j for the whole session, a clean graph for each test that asks.

The server is a throwaway local Neo4j 5.26 started on free ports in a temporary directory, or
the server at ``GRAPHREC_TEST_NEO4J_URI`` (with ``GRAPHREC_TEST_NEO4J_PASSWORD``) when set.
Nothing mocks Neo4j.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from neo4j import Driver

from graphrec.config import Settings, load_settings
from graphrec.db import connect
from graphrec.db.schema import apply_schema

_SERVER_INFO: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """One torch thread per test process: on the shared 2-core machines more threads only contend."""
    os.environ.setdefault("GRAPHREC_THREADS", "1")
    import torch

    torch.set_num_threads(int(os.environ["GRAPHREC_THREADS"]) or 1)
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at the session's real Neo4j (started here unless one is given)."""
    uri = os.environ.get("GRAPHREC_TEST_NEO4J_URI")
    home = tmp_path_factory.mktemp("graphrec-home")
    if uri:
        settings = load_settings({"uri": uri, "home": home,
                                  "password": os.environ.get("GRAPHREC_TEST_NEO4J_PASSWORD", "")})
        yield settings
        return
    from graphrec.localdb.local import LocalNeo4j, free_port

    bolt, http = free_port(), free_port()
    # a leading "-" (token_urlsafe gives one 1 time in 64) once read as an option by neo4j-admin: every run covers it
    password = "-" + secrets.token_urlsafe(12)
    server = LocalNeo4j(home=home, password=password, bolt_port=bolt, http_port=http,
                        heap="768m", pagecache="256m")
    server.start()
    settings = load_settings({"uri": server.bolt_uri, "home": home, "password": password,
                              "bolt_port": bolt, "http_port": http}, env={})
    try:
        yield settings
    finally:
        server.stop()


@pytest.fixture(scope="session")
def driver(neo4j_settings: Settings) -> Iterator[Driver]:
    """A driver to the session's server, with the schema applied; the server's version is reported."""
    drv = connect(neo4j_settings)
    info = drv.execute_query("CALL dbms.components() YIELD name, versions, edition "
                             "RETURN name, versions[0] AS v, edition").records[0]
    _SERVER_INFO.append(f"{info['name']} {info['v']} {info['edition']} at {neo4j_settings.uri}")
    apply_schema(drv)
    yield drv
    drv.close()


def clear_graph(drv: Driver) -> None:
    """Delete every node and relationship, and the vector indexes tests created."""
    with drv.session() as session:  # CALL … IN TRANSACTIONS needs an implicit transaction
        # relationships first, in small transactions: DETACH DELETE of a dense node holds all of its
        # relationships in one transaction's memory
        session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS").consume()
        session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()
    for rec in drv.execute_query("SHOW VECTOR INDEXES YIELD name RETURN name").records:
        drv.execute_query(f"DROP INDEX `{rec['name']}` IF EXISTS")


@pytest.fixture
def db(driver: Driver) -> Iterator[Driver]:
    """The session driver over an empty graph (cleaned before the test)."""
    clear_graph(driver)
    yield driver


@pytest.fixture
def settings(neo4j_settings: Settings) -> Settings:
    """Per-test settings: the session server, datasets read from ../shared/datasets."""
    return replace(neo4j_settings, data_dir=DATASETS)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _SERVER_INFO:
        terminalreporter.write_line(f"tests ran against the real server: {line}")
