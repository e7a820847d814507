"""Serialised writers (issue 10, failure 1 and the Dataset smaller items): two loads at once write the data
exactly once; the writer lease is exclusive, released, taken over after expiry or from a dead holder,
and a holder that lost it stops; an unfinished load blocks other datasets; header-only files record nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from neo4j import Driver

from graphrec.config import Settings
from graphrec.db.lease import acquire, holder, lease
from graphrec.errors import LeaseError
from graphrec.ingest.records import GraphRecords
from graphrec.ingest.stats import graph_stats
from graphrec.ingest.writer import start_dataset
from tests.ingest.conftest import FIXTURES, RunCli, cli_args
from tests.ingest.test_real_datasets import ML100K_NODES, ML100K_RELS

pytestmark = pytest.mark.neo4j
ROOT = Path(__file__).resolve().parents[2]


def _locks(db: Driver) -> int:
    return int(db.execute_query("MATCH (l:GraphrecLock) RETURN count(l) AS n").records[0]["n"])


@pytest.mark.slow
def test_two_concurrent_loads_write_everything_exactly_once(db: Driver, settings: Settings) -> None:
    cmd = [sys.executable, "-c", "from graphrec.cli.main import main; main()", *cli_args(settings), "--quiet",
           "load", "movielens-100k", "--split", "u1", "--batch-size", "2000"]
    env = {**os.environ, "GRAPHREC_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
    results = [(p.wait(timeout=600), p.stderr.read().decode() if p.stderr else "") for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 1], results  # one loads, the other is refused at once
    refused = next(err for rc, err in results if rc == 1).strip().splitlines()
    assert len(refused) == 1 and refused[0].startswith("graphrec: error: another graphrec writer is using the "
                                                       "database: graphrec load movielens-100k (pid "), refused
    stats = graph_stats(db)
    assert stats["nodes"] == ML100K_NODES and stats["relationships"] == ML100K_RELS  # not doubled
    assert [(d["name"], d["status"]) for d in stats["datasets"]] == [("movielens-100k", "done")]
    assert _locks(db) == 0


def test_lease_is_exclusive_and_released(db: Driver) -> None:
    with lease(db, "writer", owner="first") as held:
        with pytest.raises(LeaseError, match=r"another graphrec writer is using the database: first since "):
            acquire(db, "writer", owner="second")
        assert (holder(db) or {})["owner"] == "first"
        held.check()
    assert holder(db) is None and _locks(db) == 0
    with pytest.raises(RuntimeError):
        with lease(db, "writer", owner="third"):
            raise RuntimeError("the writer failed")
    assert _locks(db) == 0  # released in finally


def test_expired_lease_of_another_host_is_taken_over(db: Driver) -> None:
    db.execute_query("CREATE (:GraphrecLock {name: 'writer', token: 'old', owner: 'gone', host: 'elsewhere', "
                     "pid: 1, started: datetime() - duration('PT2M'), expires: datetime() - duration('PT1M')})")
    with lease(db, "writer", owner="new") as held:
        assert (holder(db) or {})["owner"] == "new"
        held.check()
    db.execute_query("CREATE (:GraphrecLock {name: 'writer', token: 'live', owner: 'busy', host: 'elsewhere', "
                     "pid: 1, started: datetime(), expires: datetime() + duration('PT1M')})")
    with pytest.raises(LeaseError, match="busy"):
        acquire(db, "writer", owner="new")


def test_lease_of_a_dead_process_on_this_host_is_taken_over_at_once(db: Driver) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    db.execute_query("CREATE (:GraphrecLock {name: 'writer', token: 'old', owner: 'killed load', host: $host, "
                     "pid: $pid, started: datetime(), expires: datetime() + duration('PT1M')})",
                     host=socket.gethostname(), pid=dead.pid)
    with lease(db, "writer", owner="rerun"):
        assert (holder(db) or {})["owner"] == "rerun"


def test_a_holder_that_lost_its_lease_stops(db: Driver) -> None:
    stalled = acquire(db, "writer", owner="stalled", ttl_s=1.0)
    stalled._stop.set()  # its renewals stop, as if the process hung
    time.sleep(1.5)
    with lease(db, "writer", owner="next"):
        assert stalled.renew() is False
        with pytest.raises(LeaseError, match="lost the database lease 'writer'"):
            stalled.check()
        stalled.release()  # giving back a lost lease leaves the new holder's alone
        assert (holder(db) or {})["owner"] == "next"


def test_unfinished_load_blocks_other_datasets_and_is_resumed(db: Driver, run_cli: RunCli, tmp_path: Path) -> None:
    start_dataset(db, GraphRecords("movielens-1m"))  # what a killed load leaves behind
    other = run_cli("--quiet", "load", "csv", "--path", str(FIXTURES / "csv"))
    assert other.exit_code == 1
    assert other.output.strip().startswith("graphrec: error: the database holds an unfinished load of dataset "
                                           "'movielens-1m'"), other.output
    assert graph_stats(db)["nodes"] == {"Dataset": 1}  # nothing of csv written
    same = run_cli("--quiet", "load", "movielens-1m", "--path", str(FIXTURES / "ml-1m"))
    assert same.exit_code == 0, same.output
    assert [(d["name"], d["status"]) for d in graph_stats(db)["datasets"]] == [("movielens-1m", "done")]


def test_header_only_csv_records_nothing(db: Driver, run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "items.csv").write_text("id,title\n")
    (folder / "interactions.csv").write_text("user,item\n")
    result = run_cli("--quiet", "load", "csv", "--path", str(folder))
    assert result.exit_code == 2
    assert result.output.strip().endswith("items.csv: rows: no data rows in any file: nothing to load"), result.output
    assert graph_stats(db)["nodes"] == {}
    after = run_cli("--quiet", "load", "csv", "--path", str(FIXTURES / "csv"))  # nothing blocks a real dataset
    assert after.exit_code == 0, after.output


def test_publish_waits_for_no_one_while_another_writer_holds_the_lease(db: Driver) -> None:
    from graphrec.writeback import RunSpec, publish
    from tests.recommend.toygraph import build

    graph = build(db, users=6, items=8, degree=2)
    user_emb, item_emb = graph.embeddings(dim=4)
    other = acquire(db, "writer", owner="graphrec load (another writer)")   # not re-entrant: another holder
    try:
        t0 = time.perf_counter()
        with pytest.raises(LeaseError, match="graphrec load"):
            publish(db, RunSpec("lightgcn"), graph.ids, user_emb, item_emb, graph.exclude, k=2)
        assert time.perf_counter() - t0 < 10
    finally:
        other.release()
    assert int(db.execute_query("MATCH (r:ModelRun) RETURN count(r) AS n").records[0]["n"]) == 0
    res = publish(db, RunSpec("lightgcn"), graph.ids, user_emb, item_emb, graph.exclude, k=2)
    assert res.active and _locks(db) == 0
