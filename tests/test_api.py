"""The public Python API and examples/quickstart.py against the real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

import graphrec
from graphrec.config import Settings
from graphrec.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "ingest" / "fixtures" / "movielens-current"


def test_import_is_light_and_typed() -> None:
    out = subprocess.run([sys.executable, "-c", "import sys, graphrec; print('torch' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"   # nothing heavy until it is used
    assert {"connect", "fit", "Session", "Artefact"} <= set(graphrec.__all__)
    with pytest.raises(AttributeError):
        graphrec.nope  # noqa: B018


def test_quickstart_runs(db: Driver, neo4j_settings: Settings, tmp_path: Path) -> None:
    env = {**os.environ, "GRAPHREC_NEO4J_URI": neo4j_settings.uri,
           "GRAPHREC_NEO4J_PASSWORD": neo4j_settings.password or "", "GRAPHREC_HOME": str(tmp_path / "home"),
           "GRAPHREC_THREADS": "1"}
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py"), "csv", str(FIXTURE),
                          str(FIXTURE / "movielens.toml")], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "loaded movielens-latest" in res.stdout and "published run graph-" in res.stdout
    # 12 ratings and 5 TAGGED pairs (every behaviour is a positive by default), all learnt from
    pairs = db.execute_query("MATCH (u:User)-[r]->(i:Item) WHERE type(r) <> 'RECOMMENDED' "
                             "RETURN count(DISTINCT [u, i]) AS n").records[0]["n"]
    assert f"fitted graph on {pairs} interactions" in res.stdout
    assert "top 5 for user" in res.stdout and "Traceback" not in res.stderr


def test_session_fit_publish_recommend(db: Driver, neo4j_settings: Settings) -> None:
    with graphrec.connect(neo4j_settings) as gr:
        gr.load("csv", FIXTURE, mapping=FIXTURE / "movielens.toml")
        graph = gr.graph()
        art = graphrec.fit(graph, "ease")
        assert art.train_pairs == graph.train.size(1) + graph.valid.size(1) + graph.test.size(1)
        run = gr.publish(art, k=3)
        assert run.active and run.recommended > 0
        user = graph.ids[graph.user_type][0]
        recs = gr.recommend(user, k=3)
        seen = {r["i"] for r in db.execute_query(
            "MATCH (:User {id: $u})-[r]->(i:Item) WHERE type(r) <> 'RECOMMENDED' RETURN i.id AS i", u=user).records}
        assert recs and not {r.item for r in recs} & seen
    with pytest.raises(ConfigError, match="fit: "):
        graphrec.fit(graph, "ease", no_such_option=1)


def test_session_graph_under_a_cold_protocol(db: Driver, neo4j_settings: Settings) -> None:
    with graphrec.connect(neo4j_settings) as gr:
        gr.load("csv", FIXTURE, mapping=FIXTURE / "movielens.toml")
        cold = gr.graph(protocol="cold-items", seed=3)
        assert cold.protocol == "cold-items" and cold.cold_items is not None
        assert not set(cold.train[1].tolist()) & set(cold.cold_items.tolist())
        art = graphrec.fit(cold, "popularity", holdout=True)
        assert art.info["protocol"] == "cold-items" and "recall@20" in art.metrics["cold"]
        with pytest.raises(ConfigError, match="graph: protocol must be one of"):
            gr.graph(protocol="cold")


def test_a_driver_the_user_made_gets_the_database(neo4j_settings: Settings) -> None:
    drv = GraphDatabase.driver(neo4j_settings.uri, auth=("neo4j", neo4j_settings.password or ""))
    with graphrec.connect(neo4j_settings, driver=drv, database="neo4j") as gr:
        assert gr.settings.database == "neo4j"
        assert gr.driver.graphrec_database == "neo4j"
        assert "database='neo4j'" in repr(gr)


def test_version_is_the_package_metadata_with_a_fallback() -> None:
    import importlib.metadata
    import re

    from graphrec import checkout_version

    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    declared = re.search(r'^version = "([^"]+)"', pyproject, flags=re.M)
    assert declared is not None
    assert graphrec.__version__ == importlib.metadata.version("graphrec") == declared[1]
    assert checkout_version() == declared[1]   # what a checkout that is not installed reports
