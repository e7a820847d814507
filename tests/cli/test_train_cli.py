"""``graphrec evaluate`` and ``graphrec train`` end to end on a small real graph in Neo4j."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings
from tests.gds.test_fastrp import COMMUNITIES

# Two taste communities (see tests/gds), plus a second behaviour: every user tags item 0 of their
# community, and some of them also tag the item they rated as test.
TAGS = """
MATCH (u:User), (i:Item) WHERE u.id STARTS WITH left(i.id, 2) AND (i.id ENDS WITH '-i0' OR i.id ENDS WITH '-i5')
CREATE (u)-[:TAGGED {tag: 'tag:fav', ts: 1, split: 'train'}]->(i)
"""


@pytest.fixture
def communities(db: Driver) -> Driver:
    db.execute_query(COMMUNITIES)
    db.execute_query(TAGS)
    return db


def _run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--uri", settings.uri, "--password", settings.password or "", *args])


def test_evaluate_prints_one_table_for_every_model(communities: Driver, neo4j_settings: Settings) -> None:
    res = _run(neo4j_settings, "evaluate", "--models", "popularity,lightgcn,hetero,gds", "--epochs", "3",
               "--dim", "16", "--k", "5,10", "--interactions", "RATED", "--repeats", "2", "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)   # the graph summary goes to stderr, so stdout is pure JSON
    assert [r["model"] for r in rows] == ["popularity", "lightgcn", "hetero", "gds-fastrp"]
    for r in rows:
        assert set(r) >= {"recall@10", "ndcg@10", "precision@10", "hit@10", "recall@5", "ndcg@5", "hit@5"}
        assert 0.0 <= r["recall@5"] <= r["recall@10"] <= 1.0
    # 16 users with one stored test rating each, 12 items, 8 unseen per user: full ranking at K=10
    # finds every held-out item, so recall@10 is exactly 1 for every model
    assert all(r["recall@10"] == pytest.approx(1.0) for r in rows)
    # --repeats 2: two seeds per trained model (popularity is deterministic: one run), mean and std
    assert [r["runs"] for r in rows] == [1, 2, 2, 2]
    assert all(r["recall@10_std"] == pytest.approx(0.0) and r["ndcg@10_std"] >= 0.0 for r in rows)
    assert "split stored" in res.stderr and "16 test" in res.stderr

    table = _run(neo4j_settings, "evaluate", "--models", "popularity", "--k", "5")
    assert table.exit_code == 0 and "recall@5" in table.stdout and "popularity" in table.stdout


def test_evaluate_interactions_choose_the_positives(communities: Driver, neo4j_settings: Settings) -> None:
    # every behaviour (RATED and TAGGED) is a positive by default; TAGGED-only pairs join the split
    res = _run(neo4j_settings, "evaluate", "--models", "popularity", "--k", "5", "--json")
    assert res.exit_code == 0, res.output
    only_rated = _run(neo4j_settings, "evaluate", "--models", "popularity", "--k", "5", "--json",
                      "--interactions", "RATED")
    assert "16 test" in only_rated.stderr
    train_all = int(res.stderr.split("split stored: ")[1].split(" train")[0].replace(",", ""))
    train_rated = int(only_rated.stderr.split("split stored: ")[1].split(" train")[0].replace(",", ""))
    assert train_rated == 64 and train_all > train_rated

    bad = _run(neo4j_settings, "evaluate", "--models", "popularity", "--interactions", "PURCHASED")
    assert bad.exit_code != 0
    assert "--interactions: PURCHASED is not a behaviour" in bad.output and "RATED" in bad.output
    assert "Traceback" not in bad.output


def test_train_publishes_and_reports(communities: Driver, neo4j_settings: Settings, tmp_path: Path) -> None:
    res = _run(neo4j_settings, "-q", "train", "--model", "lightgcn", "--epochs", "2", "--dim", "8",
               "--interactions", "RATED", "--out-dir", str(tmp_path), "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["model"] == "lightgcn" and report["epochs"] == 2
    assert Path(report["curve_png"]).is_file() and Path(report["checkpoint"]).is_file()
    run_id = report["publish"]["run_id"]
    assert report["publish"]["vectors"] == 16 + 12
    active = communities.execute_query(
        "MATCH (r:ModelRun) WHERE r.activated IS NOT NULL RETURN r.id AS id ORDER BY r.activated DESC").records
    assert [r["id"] for r in active] == [run_id]
    recs = communities.execute_query(
        "MATCH (:User)-[x:RECOMMENDED {run: $run}]->(:Item) RETURN count(x) AS n", run=run_id).records
    assert recs[0]["n"] > 0
