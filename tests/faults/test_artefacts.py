"""A crafted or foreign artefact is refused whole, in one line, exit code 2, before anything is written
(issue 22, items 1, 6 and 7): ``graphrec publish``, ``Session.publish`` and ``refresh`` share one validator
(:mod:`graphrec.artefact_check`), and the ids an artefact names are checked against the graph."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from neo4j import Driver

import graphrec
from graphrec.artefact import Artefact
from graphrec.cli.context import progress_bars
from graphrec.config import Settings
from graphrec.errors import GraphRecError, InputError
from graphrec.loaders import load_graph
from tests.conftest import clear_graph
from tests.gds.test_fastrp import COMMUNITIES
from tests.ingest.conftest import RunCli

pytestmark = pytest.mark.neo4j

Blob = dict[str, Any]


@pytest.fixture(scope="module")
def saved(driver: Driver, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ease artefact (exact top-K kept) fitted on the two-communities graph, saved."""
    clear_graph(driver)
    driver.execute_query(COMMUNITIES)
    art = graphrec.fit(load_graph(driver), "ease")
    assert art.top_items is not None and art.item_fold is not None
    return art.save(tmp_path_factory.mktemp("artefact") / "ease.artefact")


@pytest.fixture
def graph(db: Driver) -> Driver:
    db.execute_query(COMMUNITIES)
    return db


def _written(db: Driver) -> tuple[int, int, int]:
    """ModelRun nodes, RECOMMENDED relationships and nodes with any run-keyed property."""
    runs = db.execute_query("MATCH (r:ModelRun) RETURN count(r) AS n").records[0]["n"]
    recs = db.execute_query("MATCH ()-[r:RECOMMENDED]->() RETURN count(r) AS n").records[0]["n"]
    props = db.execute_query("MATCH (n) WHERE any(k IN keys(n) WHERE k STARTS WITH 'embedding_' "
                             "OR k STARTS WITH 'mips_' OR k STARTS WITH 'fold_' OR k STARTS WITH 'seen_') "
                             "RETURN count(n) AS n").records[0]["n"]
    return int(runs), int(recs), int(props)


def _meta(change: Callable[[dict[str, Any]], None]) -> Callable[[Blob], None]:
    def edit(blob: Blob) -> None:
        meta = json.loads(blob["meta"])
        change(meta)
        blob["meta"] = json.dumps(meta)
    return edit


def _set(key: str, value: Any) -> Callable[[Blob], None]:
    def edit(blob: Blob) -> None:
        blob[key] = value(blob) if callable(value) else value
    return edit


def _top(change: Callable[[torch.Tensor], None], key: str = "top_items") -> Callable[[Blob], None]:
    def edit(blob: Blob) -> None:
        change(blob[key])
    return edit


def _dim(d: int) -> Callable[[Blob], None]:
    def edit(blob: Blob) -> None:
        for key in ("user_emb", "item_emb", "item_fold"):
            blob[key] = torch.zeros(blob[key].size(0), d)
    return edit


def _dup_column(t: torch.Tensor) -> None:
    t[:, 1] = t[:, 0]


def _pad_first(t: torch.Tensor) -> None:
    t[0, 0] = -1


CASES: dict[str, tuple[Callable[[Blob], None], str, str]] = {
    "nan-scores": (_top(lambda t: t.fill_(math.nan), "top_scores"), "top_scores", "NaN or infinite"),
    "inf-scores": (_top(lambda t: t.fill_(math.inf), "top_scores"), "top_scores", "NaN or infinite"),
    "nan-user-emb": (_top(lambda t: t.__setitem__((0, 0), math.nan), "user_emb"), "user_emb", "1 NaN"),
    "inf-fold": (_top(lambda t: t.__setitem__((3, 1), -math.inf), "item_fold"), "item_fold", "NaN or infinite"),
    "meta-list": (_set("meta", "[1,2]"), "meta", "must be a JSON object"),
    "user-emb-int": (_set("user_emb", 5), "user_emb", "must be a tensor, got int"),
    "params-list": (_meta(lambda m: m.__setitem__("params", [1, 2])), "params", "must be a JSON object"),
    "metrics-str": (_meta(lambda m: m.__setitem__("metrics", "x")), "metrics", "must be a JSON object"),
    "metrics-values": (_meta(lambda m: m.__setitem__("metrics", {"valid": {"recall@20": "x"}})), "metrics",
                       "numbers"),
    "train-pairs": (_meta(lambda m: m.__setitem__("train_pairs", "80")), "train_pairs", "integer"),
    "ids-int": (_set("ids", {"User": 5}), "ids", "list of string ids"),
    "ids-duplicate": (_set("ids", lambda b: {**b["ids"], "User": [b["ids"]["User"][0]] * len(b["ids"]["User"])}),
                      "ids", "more than once"),
    "float-top-items": (_set("top_items", lambda b: b["top_items"].float()), "top_items", "integer"),
    "huge-index": (_top(lambda t: t.__setitem__((0, 0), 10**9)), "top_items", "outside [-1, 12)"),
    "negative-index": (_top(lambda t: t.__setitem__((0, 0), -7)), "top_items", "outside [-1, 12)"),
    "duplicate-column": (_top(_dup_column), "top_items", "more than once"),
    "pad-before-item": (_top(_pad_first), "top_items", "pads come last"),
    "top-shape": (_set("top_items", lambda b: b["top_items"][:3]), "top_items", "must both be [16, K]"),
    "dim-0": (_dim(0), "user_emb", "dimension 0 is outside 1..4095"),
    "dim-5000": (_dim(5000), "user_emb", "dimension 5000 is outside 1..4095"),
    "exclude-range": (_top(lambda t: t.__setitem__((1, 0), 99), "exclude"), "exclude", "outside"),
}


def _craft(saved: Path, out: Path, edit: Callable[[Blob], None]) -> Path:
    blob = torch.load(saved, weights_only=True)
    edit(blob)
    torch.save(blob, out)
    return out


def _one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_crafted_artefact_is_one_line_exit_2_nothing_written(saved: Path, graph: Driver, run_cli: RunCli,
                                                             tmp_path: Path, case: str) -> None:
    edit, field, problem = CASES[case]
    path = _craft(saved, tmp_path / f"{case}.artefact", edit)
    res = run_cli("publish", str(path))
    assert res.exit_code == 2, res.output
    assert _one_line(res.output).startswith(f"graphrec: error: {path}: {field}: "), res.output
    assert problem in res.output
    assert _written(graph) == (0, 0, 0)


def test_the_untouched_artefact_publishes_and_serves(saved: Path, graph: Driver, run_cli: RunCli) -> None:
    res = run_cli("-q", "publish", str(saved), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["recommended"] > 0
    recs = run_cli("recommend", "a-u0", "-k", "3", "--json")
    assert recs.exit_code == 0 and all(math.isfinite(r["score"]) for r in json.loads(recs.stdout))


def test_a_directory_is_refused_in_one_line(graph: Driver, run_cli: RunCli, tmp_path: Path) -> None:
    res = run_cli("publish", str(tmp_path))
    assert res.exit_code == 2
    assert _one_line(res.output) == f"graphrec: error: {tmp_path}: artefact: is a directory; give the artefact " \
                                    "file (`graphrec train --save PATH` writes one)"


def test_an_artefact_of_another_graph_says_its_ids_are_unknown(saved: Path, graph: Driver, run_cli: RunCli,
                                                               tmp_path: Path) -> None:
    def rename(blob: Blob) -> None:
        blob["ids"] = {**blob["ids"], "User": [f"other-{u}" for u in blob["ids"]["User"][:-2]]
                       + blob["ids"]["User"][-2:]}

    path = _craft(saved, tmp_path / "other.artefact", rename)
    res = run_cli("publish", str(path))
    assert res.exit_code == 2, res.output
    line = _one_line(res.output)
    assert line.startswith("graphrec: error: publish: ids: 14 of the 16 User ids are not in the database "
                           "(e.g. 'other-"), line
    assert _written(graph) == (0, 0, 0)


def test_session_publish_checks_an_artefact_in_memory(saved: Path, graph: Driver, neo4j_settings: Settings) -> None:
    art = Artefact.load(saved)
    assert art.top_scores is not None
    art.top_scores[2, 0] = math.nan
    with graphrec.connect(neo4j_settings) as gr, pytest.raises(InputError, match="^artefact: top_scores: holds 1 "):
        gr.publish(art)
    assert _written(graph) == (0, 0, 0)


def test_refresh_writes_nothing_from_a_broken_run(saved: Path, graph: Driver, run_cli: RunCli) -> None:
    assert run_cli("-q", "publish", str(saved)).exit_code == 0
    before = graph.execute_query("MATCH ()-[r:RECOMMENDED]->() RETURN collect([r.run, r.rank, r.score]) AS r")
    prop = graph.execute_query("MATCH (r:ModelRun) RETURN r.prop AS p").records[0]["p"]
    # a run whose vectors hold a NaN (a publish before this check, or a hand edit), and a changed user
    graph.execute_query("MATCH (i:Item {id: 'a-i0'}) SET i[$p] = [0.0 / 0.0] + i[$p][1..]", p=prop)
    graph.execute_query("MATCH (u:User {id: 'a-u0'}), (i:Item {id: 'b-i3'}) CREATE (u)-[:RATED {rating: 5.0}]->(i)")
    res = run_cli("refresh")
    assert res.exit_code == 2, res.output
    assert "refresh: item vectors of run" in _one_line(res.output) and "1 NaN" in res.output
    after = graph.execute_query("MATCH ()-[r:RECOMMENDED]->() RETURN collect([r.run, r.rank, r.score]) AS r")
    assert sorted(after.records[0]["r"]) == sorted(before.records[0]["r"])


def test_a_failure_ends_the_progress_bar_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(GraphRecError), progress_bars(False) as progress:
        progress("vectors", 5, 10)
        raise GraphRecError("boom")
    err = capsys.readouterr().err
    assert "publish vectors" in err and err.endswith("\n")   # the error line that follows starts a line


def test_the_artefact_and_mapping_check_lives_in_publish_artefact(saved: Path, graph: Driver,
                                                                  neo4j_settings: Settings) -> None:
    """One check, in :func:`publish_artefact` (``mapping=``), used by ``Session.publish``: an artefact fitted on
    other users/items than the mapping's is refused before anything is written."""
    from graphrec.errors import ConfigError
    from graphrec.mapping import DEFAULT_MAPPING
    from graphrec.writeback import publish_artefact

    art = Artefact.load(saved)
    art.user_type, art.item_type = "Person", "Movie"
    with pytest.raises(ConfigError, match=r"users and items are Person/Movie, the \[graph\] mapping's .* User/Item"):
        publish_artefact(graph, art, mapping=DEFAULT_MAPPING)
    with graphrec.connect(neo4j_settings) as gr, pytest.raises(ConfigError, match="fitted with"):
        gr.publish(art)
    assert _written(graph) == (0, 0, 0)


def test_the_cli_wires_its_driver_and_mapping_through_a_session(neo4j_settings: Settings) -> None:
    import click

    from graphrec.api import Session
    from graphrec.cli.context import AppContext

    app = AppContext(settings=neo4j_settings)
    with click.Context(click.Command("x")):
        session = app.session()
        assert isinstance(session, Session) and app.driver() is session.driver and app.session() is session
        assert app.mapping() is session.mapping
    assert app._session is None   # closed with the command
