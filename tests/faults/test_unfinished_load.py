"""A half-finished load is not learnt from (issue 22, item 4): while a ``Dataset`` is still ``loading`` (a load
stopped or killed half-way), ``train``, ``evaluate`` and ``publish`` refuse in one line, and
``--allow-unfinished`` lets them through with a warning saying so."""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

import graphrec
from graphrec.config import Settings
from graphrec.errors import GraphRecError
from graphrec.ingest.records import GraphRecords
from graphrec.ingest.writer import start_dataset
from tests.ingest.conftest import FIXTURES, RunCli

pytestmark = pytest.mark.neo4j
REFUSED = "graphrec: error: the database holds an unfinished load of dataset 'csv' (started "


def _runs(db: Driver) -> int:
    return int(db.execute_query("MATCH (r:ModelRun) RETURN count(r) AS n").records[0]["n"])


def test_train_evaluate_publish_refuse_an_unfinished_load(db: Driver, run_cli: RunCli, tmp_path: Path) -> None:
    assert run_cli("--quiet", "load", "csv", "--path", str(FIXTURES / "csv")).exit_code == 0
    saved = tmp_path / "pop.artefact"
    done = run_cli("--quiet", "train", "--model", "popularity", "--no-publish", "--save", str(saved))
    assert done.exit_code == 0, done.output    # a finished load trains without a word about it
    assert "unfinished" not in done.output
    start_dataset(db, GraphRecords("csv"))     # what a load killed half-way leaves behind
    for args in (("train", "--model", "popularity"), ("evaluate", "--models", "popularity"),
                 ("publish", str(saved))):
        res = run_cli("--quiet", *args)
        lines = res.output.strip().splitlines()
        assert res.exit_code == 1 and len(lines) == 1 and lines[0].startswith(REFUSED), (args, res.output)
        assert f"refusing to {args[0]} on a partial graph" in lines[0] and "--allow-unfinished" in lines[0]
    assert _runs(db) == 0
    res = run_cli("--quiet", "train", "--model", "popularity", "--allow-unfinished")
    assert res.exit_code == 0, res.output
    assert "warning: the database holds an unfinished load of dataset 'csv'" in res.output
    assert "train anyway on the partial graph (--allow-unfinished)" in res.output
    assert _runs(db) == 1
    res = run_cli("--quiet", "publish", str(saved), "--allow-unfinished")
    assert res.exit_code == 0 and "publish anyway on the partial graph" in res.output, res.output


def test_session_publish_refuses_an_unfinished_load(db: Driver, run_cli: RunCli, neo4j_settings: Settings,
                                                   tmp_path: Path) -> None:
    assert run_cli("--quiet", "load", "csv", "--path", str(FIXTURES / "csv")).exit_code == 0
    saved = tmp_path / "pop.artefact"
    assert run_cli("--quiet", "train", "--model", "popularity", "--no-publish", "--save", str(saved)).exit_code == 0
    start_dataset(db, GraphRecords("csv"))
    with graphrec.connect(neo4j_settings) as gr:
        refused = r"unfinished load of dataset 'csv'.*refusing to publish.*pass allow_unfinished=True"
        with pytest.raises(GraphRecError, match=refused):
            gr.publish(saved)
        assert _runs(db) == 0
        with pytest.warns(UserWarning, match=r"publish anyway on the partial graph \(allow_unfinished=True\)"):
            assert gr.publish(saved, allow_unfinished=True).active
