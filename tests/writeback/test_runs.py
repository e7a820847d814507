"""Model runs: activate switches every reader, prune deletes old runs completely; the runs CLI."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings
from graphrec.errors import GraphRecError, NotFoundError
from graphrec.recommend import recommend, recommend_realtime
from graphrec.writeback import RunSpec, activate, active_run, delete_run, list_runs, prune, publish
from tests.recommend.toygraph import ToyGraph, build


def _publish(db: Driver, graph: ToyGraph, seed: int, **kw: object) -> str:
    g = torch.Generator().manual_seed(seed)
    user_emb, item_emb = torch.randn(len(graph.ids["User"]), 8, generator=g), torch.randn(
        len(graph.ids["Item"]), 8, generator=g)
    return publish(db, RunSpec(f"m{seed}"), graph.ids, user_emb, item_emb, graph.exclude, k=4, **kw).run_id  # type: ignore[arg-type]


def _rels(db: Driver, run: str) -> int:
    return int(db.execute_query("MATCH ()-[r:RECOMMENDED {run: $run}]->() RETURN count(r)", {"run": run})
               .records[0][0])


def test_activate_and_prune(db: Driver) -> None:
    graph = build(db, users=12, items=30, degree=3)
    a = _publish(db, graph, 1)
    b = _publish(db, graph, 2, activate_run=False)
    assert active_run(db).id == a  # type: ignore[union-attr]
    assert {r.run for r in recommend(db, "u1", k=4)} == {a}
    assert [r.id for r in list_runs(db)] == [b, a] and list_runs(db)[0].status == "ready"

    activate(db, b)
    assert {r.run for r in recommend(db, "u1", k=4)} == {b}
    assert {r.run for r in recommend_realtime(db, "u1", k=4)} == {b}
    assert [r.active for r in list_runs(db)] == [True, False]
    activate(db, a)  # rolling back is one more switch
    assert {r.run for r in recommend(db, "u1", k=4)} == {a}
    assert not db.execute_query("MATCH (n) WHERE n.embedding IS NOT NULL RETURN n LIMIT 1").records

    c = _publish(db, graph, 3)
    with pytest.raises(GraphRecError, match="active"):
        delete_run(db, c)
    assert prune(db, keep=2) == [a]
    assert [r.id for r in list_runs(db)] == [c, b]
    assert _rels(db, a) == 0 and _rels(db, b) == 48 and _rels(db, c) == 48
    key = a.lower().replace("-", "_")
    props = db.execute_query("MATCH (n) UNWIND keys(n) AS k WITH k WHERE k ENDS WITH $key RETURN count(*)",
                             {"key": key}).records[0][0]
    assert props == 0
    names = {r["name"] for r in db.execute_query("SHOW VECTOR INDEXES YIELD name RETURN name").records}
    assert not any(key in n for n in names) and any(c.lower().replace("-", "_") in n for n in names)
    assert prune(db, keep=0) == [b]  # the active run always stays
    assert [r.id for r in list_runs(db)] == [c]


def test_activate_errors(db: Driver) -> None:
    with pytest.raises(NotFoundError):
        activate(db, "no-such-run")
    db.execute_query("CREATE (:ModelRun {id: 'half', status: 'staging', created: datetime()})")
    with pytest.raises(GraphRecError, match="staging"):
        activate(db, "half")


def _run(settings: Settings, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["--uri", settings.uri, "--password", settings.password or "", *args])
    return res.exit_code, res.output


def test_runs_cli(db: Driver, neo4j_settings: Settings) -> None:
    graph = build(db, users=8, items=20, degree=3)
    a = _publish(db, graph, 1)
    b = _publish(db, graph, 2, activate_run=False)
    code, out = _run(neo4j_settings, "runs", "list")
    assert code == 0 and a in out and b in out and out.splitlines()[3].startswith("*")
    code, out = _run(neo4j_settings, "runs", "activate", b)
    assert code == 0 and b in out
    code, out = _run(neo4j_settings, "runs", "list", "--json")
    assert code == 0 and [r["active"] for r in json.loads(out)] == [True, False]
    code, out = _run(neo4j_settings, "runs", "prune", "--keep", "1")
    assert code == 0 and a in out
    code, out = _run(neo4j_settings, "runs", "activate", "nope")
    assert code == 2 and "no model run" in out


def test_prune_removes_the_copy_earlier_versions_kept(db: Driver) -> None:
    # before the O(1) switch, activation copied the active run's vectors to `embedding` (index item_embedding)
    graph = build(db, users=12, items=30, degree=3)
    a = _publish(db, graph, 1)
    prop = active_run(db).props["prop"]  # type: ignore[union-attr]
    db.execute_query(f"MATCH (n) WHERE n.`{prop}` IS NOT NULL SET n.embedding = n.`{prop}`")
    db.execute_query("CREATE VECTOR INDEX item_embedding FOR (n:Item) ON (n.embedding) "
                     "OPTIONS {indexConfig: {`vector.dimensions`: 8, `vector.similarity_function`: 'cosine'}}")
    assert prune(db, keep=1) == []
    assert not db.execute_query("MATCH (n) WHERE n.embedding IS NOT NULL RETURN n LIMIT 1").records
    names = {r["name"] for r in db.execute_query("SHOW VECTOR INDEXES YIELD name RETURN name").records}
    assert "item_embedding" not in names and len(names) == 2
    assert {r.run for r in recommend_realtime(db, "u1", k=4)} == {a}
