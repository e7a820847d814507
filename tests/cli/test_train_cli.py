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
    res = _run(neo4j_settings, "evaluate", "--models", "popularity,ease,als,graph,lightgcn,gds", "--epochs", "3",
               "--dim", "16", "--k", "2,10", "--interactions", "RATED", "--repeats", "2", "--json")
    assert res.exit_code == 0, res.output
    rows = {r["model"]: r for r in json.loads(res.stdout)}   # the graph summary goes to stderr: stdout is JSON
    assert list(rows) == ["popularity", "ease", "als", "graph", "lightgcn", "gds-fastrp"]
    for r in rows.values():
        assert set(r) >= {"recall@10", "ndcg@10", "precision@10", "hit@10", "recall@2", "ndcg@2", "hit@2"}
    # each user has 2 unseen items of its own community (one is its test item) among 8 unseen: a model that
    # learnt the communities ranks the test item in its top 2 (recall@2 = 1); chance is 2/8, and popularity
    # (every item equally popular) cannot tell the communities apart
    for name in ("ease", "als", "graph"):
        assert rows[name]["recall@2"] > 0.9, rows[name]
    assert rows["popularity"]["recall@2"] < 0.75
    # --repeats 2: two seeds per model (popularity is deterministic: one run), mean and std
    assert [r["runs"] for r in rows.values()] == [1, 2, 2, 2, 2, 2]
    assert all("recall@10_std" in r for r in list(rows.values())[1:])
    assert "split stored" in res.stderr and "16 test" in res.stderr
    assert "ease: recall@10" in res.stderr      # rows on stderr as they finish, with --json too

    table = _run(neo4j_settings, "evaluate", "--models", "popularity,ease", "--k", "5")
    assert table.exit_code == 0 and "recall@5" in table.stdout and "ease" in table.stdout
    # each row is printed as soon as its model finishes, before the table
    assert "popularity: recall@5" in table.stderr and "ease: recall@5" in table.stderr


def test_evaluate_ablation_rows(communities: Driver, neo4j_settings: Settings) -> None:
    res = _run(neo4j_settings, "evaluate", "--models", "graph", "--ablate", "--k", "2", "--json")
    assert res.exit_code == 0, res.output
    names = [r["model"] for r in json.loads(res.stdout)]
    assert names == ["graph", "graph -behaviours", "graph -entities", "graph -text", "graph -filter", "graph -side"]


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


def _pairs(db: Driver, rel: str) -> int:
    q = f"MATCH (u:User)-[:{rel}]->(i:Item) RETURN count(DISTINCT [u.id, i.id]) AS n"
    return int(db.execute_query(q).records[0]["n"])


def test_train_learns_from_every_interaction_and_publishes(communities: Driver, neo4j_settings: Settings,
                                                           tmp_path: Path) -> None:
    saved = tmp_path / "graph.artefact"
    res = _run(neo4j_settings, "-q", "train", "--interactions", "RATED", "--save", str(saved), "--json")
    assert res.exit_code == 0, res.output
    assert saved.stat().st_mode & 0o777 == 0o600   # it holds every user's interactions
    report = json.loads(res.stdout)
    assert report["model"] == "graph"   # the default model
    # deployment: every RATED pair in the graph, the 16 stored test ratings included
    assert report["train_pairs"] == _pairs(communities, "RATED") == 80
    assert report["metrics"]["test"] == {} and report["publish"]["vectors"] == 16 + 12
    run_id = report["publish"]["run_id"]
    runs = json.loads(_run(neo4j_settings, "runs", "list", "--json").stdout)
    assert [(r["id"], r["train_pairs"], r["active"]) for r in runs] == [(run_id, 80, True)]
    # what a user has (test ratings too) is never recommended
    leaked = communities.execute_query(
        "MATCH (u:User)-[x:RECOMMENDED {run: $run}]->(i:Item) WHERE (u)-[:RATED]->(i) RETURN count(x) AS n",
        run=run_id).records[0]["n"]
    total = communities.execute_query(
        "MATCH (:User)-[x:RECOMMENDED {run: $run}]->(:Item) RETURN count(x) AS n", run=run_id).records[0]["n"]
    assert leaked == 0 and total > 0

    held = _run(neo4j_settings, "-q", "train", "--interactions", "RATED", "--holdout", "--no-publish", "--json")
    assert held.exit_code == 0, held.output
    h = json.loads(held.stdout)
    assert h["train_pairs"] == 64 and h["metrics"]["test"]["recall@20"] == pytest.approx(1.0)

    again = _run(neo4j_settings, "publish", str(saved), "--json")
    assert again.exit_code == 0, again.output
    p = json.loads(again.stdout)
    assert p["run_id"] != run_id and p["train_pairs"] == 80
    recs = communities.execute_query(
        "MATCH (u:User)-[x:RECOMMENDED]->(i:Item) WHERE x.run IN [$a, $b] "
        "RETURN x.run AS run, collect([u.id, i.id, x.rank]) AS rows", a=run_id, b=p["run_id"]).records
    by_run = {r["run"]: sorted(r["rows"]) for r in recs}
    assert by_run[run_id] == by_run[p["run_id"]]   # the saved artefact publishes the same recommendations

    bad = _run(neo4j_settings, "publish", str(tmp_path / "nope.artefact"))
    assert bad.exit_code != 0 and "nope.artefact: artefact: no such file" in bad.output
    assert "Traceback" not in bad.output


def test_train_a_bpr_model(communities: Driver, neo4j_settings: Settings, tmp_path: Path) -> None:
    res = _run(neo4j_settings, "-q", "train", "--model", "lightgcn", "--epochs", "2", "--dim", "8",
               "--interactions", "RATED", "--out-dir", str(tmp_path), "--json", "--threads", "1")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["model"] == "lightgcn" and report["chosen"]["epochs"] in (1, 2)
    assert report["train_pairs"] == 80 and report["publish"]["recommended"] > 0
    assert "does not read" not in res.stderr   # --epochs and --dim are lightgcn's own settings


def test_train_minibatch_is_recorded_in_the_run(communities: Driver, neo4j_settings: Settings) -> None:
    res = _run(neo4j_settings, "-q", "train", "--model", "lightgcn", "--minibatch", "--fanout", "4", "--epochs", "2",
               "--dim", "8", "--batch-size", "16", "--interactions", "RATED", "--json", "--threads", "1")
    assert res.exit_code == 0, res.output
    run_id = json.loads(res.stdout)["publish"]["run_id"]
    rec = communities.execute_query("MATCH (r:ModelRun {id: $id}) RETURN r.params AS p", id=run_id).records[0]
    params = json.loads(rec["p"])
    assert (params["minibatch"], params["fanout"], params["batch_size"]) == (True, 4, 16)
    assert "does not read" not in res.stderr
    full = _run(neo4j_settings, "-q", "train", "--model", "ease", "--full-graph", "--no-publish", "--json")
    assert full.exit_code == 0 and "warning: ease does not read --minibatch: ignored" in full.stderr
    bad = _run(neo4j_settings, "train", "--model", "lightgcn", "--fanout", "0")
    assert bad.exit_code == 2 and "--fanout" in bad.output and "Traceback" not in bad.output


def test_train_says_which_given_settings_the_model_does_not_read(communities: Driver,
                                                                 neo4j_settings: Settings) -> None:
    res = _run(neo4j_settings, "-q", "train", "--model", "popularity", "--epochs", "3", "--lam", "5",
               "--batch-size", "64", "--memory-gb", "1", "--no-publish", "--json")
    assert res.exit_code == 0, res.output
    assert "warning: popularity does not read --batch-size, --epochs, --lam: ignored" in res.stderr
    assert json.loads(res.stdout)["model"] == "popularity"


def test_evaluate_skips_a_model_that_cannot_fit_and_computes_the_rest(communities: Driver,
                                                                       neo4j_settings: Settings) -> None:
    # a memory bound no dense solve fits: ease cannot run, graph takes its sparse path by itself
    res = _run(neo4j_settings, "evaluate", "--models", "ease,graph", "--memory-gb", "0.000001", "--k", "2,10",
               "--interactions", "RATED", "--json")
    assert res.exit_code == 0, res.output
    rows = {r["model"]: r for r in json.loads(res.stdout)}
    assert set(rows["ease"]) == {"model", "skipped", "protocol", "seed"}
    assert rows["ease"]["skipped"].startswith("dense solve needs ") and " GiB > " in rows["ease"]["skipped"]
    assert rows["graph"]["path"] == "sparse" and rows["graph"]["recall@2"] > 0.9, rows["graph"]
    assert "ease: skipped: dense solve needs" in res.stderr
    # the table names the skipped row too; a run in which every model is skipped fails
    table = _run(neo4j_settings, "evaluate", "--models", "ease,graph", "--memory-gb", "0.000001")
    assert table.exit_code == 0 and "skipped" in table.stdout and "dense solve needs" in table.stdout
    none = _run(neo4j_settings, "evaluate", "--models", "ease", "--memory-gb", "0.000001")
    assert none.exit_code == 1 and "no model could run on this graph: ease: dense solve needs" in none.output


def test_evaluate_cold_protocols_name_protocol_and_seed(communities: Driver, neo4j_settings: Settings) -> None:
    from graphrec.cli.train import PROTOCOL_NAMES
    from graphrec.train.protocols import PROTOCOLS

    assert PROTOCOL_NAMES == PROTOCOLS
    res = _run(neo4j_settings, "evaluate", "--models", "popularity,ease", "--protocol", "cold-items", "--seed", "7",
               "--interactions", "RATED", "--k", "2,10", "--json")
    assert res.exit_code == 0, res.output
    rows = {r["model"]: r for r in json.loads(res.stdout)}
    assert "protocol cold-items (seed 7): 2 cold items" in res.stderr   # 20% of the 12 items
    for r in rows.values():
        assert r["protocol"] == "cold-items" and r["seed"] == 7
        assert {"recall@10", "coverage@10", "gini@10", "pop@10"} <= set(r) and "recall@2" in r["cold"]
    # the test positives are the cold items' interactions: popularity ranks every unseen warm item (each has
    # training interactions) above them; among the 2 cold items only, its top-2 holds all of them
    pop = rows["popularity"]
    assert pop["recall@2"] == 0 and pop["cold"]["recall@2"] == 1.0 and pop["cold"]["coverage@2"] == 1.0

    users = _run(neo4j_settings, "evaluate", "--models", "popularity", "--protocol", "cold-users",
                 "--interactions", "RATED", "--json")
    assert users.exit_code == 0, users.output
    (row,) = json.loads(users.stdout)
    assert row["protocol"] == "cold-users" and row["seed"] == 2020 and row["users"] == 3 and "cold" not in row

    table = _run(neo4j_settings, "evaluate", "--models", "popularity", "--protocol", "cold-items",
                 "--interactions", "RATED")
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith("protocol cold-items · seed 2020\n") and "popularity · cold items" in table.stdout


def test_evaluate_by_activity_and_bad_protocols(communities: Driver, neo4j_settings: Settings) -> None:
    res = _run(neo4j_settings, "evaluate", "--models", "popularity", "--by-activity", "--interactions", "RATED",
               "--json")
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.stdout)
    assert row["protocol"] == "warm" and "coverage@20" in row
    # every user has 4 training ratings: all 16 are in the sparsest bucket
    assert row["by_activity"]["<10"]["users"] == 16 and row["by_activity"]["10-50"]["users"] == 0
    assert row["by_activity"]["<10"]["recall@20"] == row["recall@20"]
    table = _run(neo4j_settings, "evaluate", "--models", "popularity", "--by-activity", "--interactions", "RATED")
    assert "popularity · users <10" in table.stdout and "popularity · users >50" in table.stdout

    bad = _run(neo4j_settings, "evaluate", "--protocol", "cold")
    assert bad.exit_code == 2 and "'cold' is not one of 'warm', 'cold-items', 'cold-users'" in bad.output
    both = _run(neo4j_settings, "evaluate", "--protocol", "cold-users", "--by-activity")
    assert both.exit_code == 2 and "--by-activity: only with --protocol warm" in both.output


def test_train_with_two_workers_matches_one(communities: Driver, neo4j_settings: Settings) -> None:
    args = ("-q", "train", "--interactions", "RATED", "--holdout", "--json", "--threads", "1")
    one = _run(neo4j_settings, *args, "--no-publish")
    two = _run(neo4j_settings, *args, "--workers", "2")
    assert one.exit_code == 0, one.output
    assert two.exit_code == 0, two.output
    a, b = json.loads(one.stdout), json.loads(two.stdout)
    assert (a["workers"], b["workers"]) == (1, 2)
    assert b["chosen"] == a["chosen"] and b["train_pairs"] == a["train_pairs"] == 64
    assert b["metrics"]["test"]["recall@20"] == pytest.approx(a["metrics"]["test"]["recall@20"], abs=1e-6)
    assert b["metrics"]["test"]["ndcg@10"] == pytest.approx(a["metrics"]["test"]["ndcg@10"], abs=1e-6)
    # rank 0 published, once
    runs = json.loads(_run(neo4j_settings, "runs", "list", "--json").stdout)
    assert [r["id"] for r in runs] == [b["publish"]["run_id"]] and b["publish"]["recommended"] > 0


@pytest.mark.parametrize(("value", "says"), [("0", "0 is not in the range x>=1"), ("-2", "-2 is not in the range"),
                                             ("two", "'two' is not a valid integer"),
                                             ("4096", "4096 local processes > the")])
def test_bad_workers_are_refused_in_one_line(value: str, says: str, neo4j_settings: Settings) -> None:
    res = _run(neo4j_settings, "train", "--workers", value)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "--workers" in lines[0] and says in lines[0], res.output


def test_workers_must_match_torchrun(neo4j_settings: Settings) -> None:
    env = {"RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "1"}
    res = CliRunner().invoke(cli, ["--uri", neo4j_settings.uri, "train", "--workers", "3"], env=env)
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [
        "graphrec: error: graphrec train: Invalid value for '--workers': 3 differs from torchrun's WORLD_SIZE 2 "
        "(see 'graphrec train --help')"]


def test_local_workers_need_a_gpu_each_on_cuda() -> None:
    from graphrec.cli.train import local_gpus_problem

    assert local_gpus_problem(2, cuda=False, gpus=0) is None and local_gpus_problem(2, cuda=True, gpus=2) is None
    problem = local_gpus_problem(4, cuda=True, gpus=1)
    assert problem is not None and problem.startswith("4 local processes need 4 GPUs under NCCL")


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a GPU is here")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_cuda_without_a_gpu_is_one_line(workers: str, communities: Driver, neo4j_settings: Settings) -> None:
    res = _run(neo4j_settings, "-q", "train", "--device", "cuda", "--workers", workers, "--no-publish")
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [
        "graphrec: error: device 'cuda' requested but torch sees no CUDA GPU; use --device cpu or auto"]


def test_an_error_in_the_workers_is_one_line(communities: Driver, neo4j_settings: Settings) -> None:
    # every rank meets it; the first to fail stops the others, and one line says it
    res = _run(neo4j_settings, "-q", "train", "--interactions", "PURCHASED", "--workers", "2", "--no-publish")
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == [
        "graphrec: error: --interactions: PURCHASED is not a behaviour in the database (behaviours: RATED, TAGGED)"]
