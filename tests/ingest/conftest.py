"""Fixtures for the ingest tests: fixture folders, a CLI runner bound to the session's Neo4j."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
ERROR_LINE = re.compile(r"^graphrec: error: (?P<file>[^\s:]+):(?P<line>\d+): (?P<field>[^:]+): (?P<problem>.+)$")

RunCli = Callable[..., Result]


def cli_args(settings: Settings) -> list[str]:
    """Global options that point the CLI at the test server."""
    return ["--uri", settings.uri, "--password", settings.password or "", "--home", str(settings.home)]


@pytest.fixture
def run_cli(settings: Settings) -> RunCli:
    """Run ``graphrec ARGS…`` in-process against the test server; returns click's Result."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*cli_args(settings), *args], catch_exceptions=False)

    return run


def copy_dataset(src: Path, dst: Path) -> Path:
    """A writable stand-in for a dataset folder: every file symlinked, so a test can replace one."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file():
            os.symlink(f, dst / f.name)
    return dst


def replace_file(folder: Path, name: str, data: bytes) -> Path:
    """Replace one (symlinked) file of a copied dataset with ``data``."""
    target = folder / name
    target.unlink(missing_ok=True)
    target.write_bytes(data)
    return target


@pytest.fixture
def csv_dir(tmp_path: Path) -> Path:
    """A writable copy of the generic-CSV fixture."""
    return Path(shutil.copytree(FIXTURES / "csv", tmp_path / "csv"))


@pytest.fixture
def kgat_dir(tmp_path: Path) -> Path:
    """A writable copy of the KGAT-format fixture."""
    return Path(shutil.copytree(FIXTURES / "kgat", tmp_path / "kgat"))


@pytest.fixture
def big_db(db: Driver) -> Iterator[Driver]:
    """``db`` for a test that loads a large graph: emptied afterwards relationships first, in small
    transactions, so the next test's clean-up stays inside the test server's transaction memory."""
    yield db
    with db.session() as session:
        session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS").consume()
        session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()
