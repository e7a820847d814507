"""A load killed with SIGKILL at any point and then re-run ends with exact counts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from neo4j import Driver

from graphrec.config import Settings
from graphrec.ingest.stats import graph_stats
from tests.ingest.conftest import RunCli, cli_args
from tests.ingest.test_real_datasets import ML100K_NODES, ML100K_RELS

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


def _count(db: Driver, query: str) -> int:
    return int(db.execute_query(query).records[0]["n"])


def _users(db: Driver) -> int:
    return _count(db, "MATCH (n:User) RETURN count(n) AS n")


def _rated(db: Driver) -> int:
    return _count(db, "MATCH ()-[r:RATED]->() RETURN count(r) AS n")


KILL_POINTS: dict[str, Callable[[Driver], bool]] = {
    "while-writing-nodes": lambda db: _users(db) > 0,
    "while-writing-relationships": lambda db: _rated(db) >= 20_000,
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_sigkill_then_rerun_is_exact(db: Driver, run_cli: RunCli, settings: Settings, point: str) -> None:
    cmd = [sys.executable, "-c", "from graphrec.cli.main import main; main()", *cli_args(settings), "--quiet",
           "load", "movielens-100k", "--split", "u1", "--batch-size", "500" if point == "while-writing-nodes"
           else "2000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "GRAPHREC_DATA_DIR": str(settings.data_dir)})
    try:
        deadline = time.monotonic() + 300
        while not KILL_POINTS[point](db):
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"load ended before the kill point: {err}")
            assert time.monotonic() < deadline, "kill point not reached in 300 s"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    partial = graph_stats(db)
    assert [(d["name"], d["status"]) for d in partial["datasets"]] == [("movielens-100k", "loading")]
    assert partial["relationships"].get("RATED", 0) < 100_000

    result = run_cli("--quiet", "load", "movielens-100k", "--split", "u1")
    assert result.exit_code == 0, result.output
    stats = graph_stats(db)
    assert stats["nodes"] == ML100K_NODES
    assert stats["relationships"] == ML100K_RELS
    assert stats["splits"] == {"RATED": {"test": 20_000, "train": 80_000}}
