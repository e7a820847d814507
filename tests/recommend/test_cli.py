"""The recommend CLI on the real Neo4j: tables by default, JSON for scripts, exit code 2 for unknown ids."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings
from graphrec.recommend import explain_text, recommend
from tests.recommend.conftest import K, Published


def _run(settings: Settings, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["--uri", settings.uri, "--password", settings.password or "", *args])
    return res.exit_code, res.output


def test_recommend_table_and_json(driver: Driver, published: Published, neo4j_settings: Settings) -> None:
    code, out = _run(neo4j_settings, "recommend", "u1", "-k", "3")
    assert code == 0, out
    expected = published.expected("u1", 3)
    lines = out.splitlines()
    assert published.result.run_id in lines[0] and lines[1].split() == ["rank", "item", "title", "score"]
    assert [ln.split()[1] for ln in lines[3:]] == expected and "Title of" in lines[3]
    code, out = _run(neo4j_settings, "recommend", "u1", "-k", "3", "--json")
    assert code == 0 and [r["item"] for r in json.loads(out)] == expected
    code, out = _run(neo4j_settings, "recommend", "u1", "-k", "3", "--realtime", "--json")
    assert code == 0 and [r["item"] for r in json.loads(out)] == expected


def test_asking_for_more_than_published_says_so(driver: Driver, published: Published,
                                                neo4j_settings: Settings) -> None:
    """K=8 are published: -k 50 returns those 8 and says, on stderr, how to get more; --realtime answers 50."""
    res = CliRunner().invoke(cli, ["--uri", neo4j_settings.uri, "--password", neo4j_settings.password or "",
                                   "recommend", "u1", "-k", "50", "--json"])
    assert res.exit_code == 0, res.output
    assert [r["item"] for r in json.loads(res.stdout)] == published.expected("u1", K)
    assert res.stderr == (f"note: only {K} recommendations per user are published by the active run; for more, add "
                          f"--realtime (from the vector index) or retrain with `graphrec train --top-k 50`\n")
    code, out = _run(neo4j_settings, "recommend", "u1", "-k", "20", "--realtime", "--json")
    assert code == 0 and len(json.loads(out)) == 20 and "note:" not in out
    within = CliRunner().invoke(cli, ["--uri", neo4j_settings.uri, "--password", neo4j_settings.password or "",
                                      "recommend", "u1", "-k", str(K), "--json"])
    assert within.exit_code == 0 and within.stderr == ""


def test_recommend_filters(driver: Driver, published: Published, neo4j_settings: Settings) -> None:
    code, out = _run(neo4j_settings, "recommend", "u2", "--genre", "Drama", "-k", str(K), "--json")
    assert code == 0 and all("genre:Drama" in published.graph.item_entities[r["item"]] for r in json.loads(out))
    code, out = _run(neo4j_settings, "recommend", "u2", "-k", "4", "--diverse", "1", "--json")
    assert code == 0 and len(json.loads(out)) == 4


@pytest.mark.parametrize("args", [("recommend", "nobody"), ("similar", "nothing"), ("explain", "u1", "nothing"),
                                  ("cold-start", "--items", "nothing"), ("query", "no_such_query")])
def test_unknown_ids_exit_2_with_one_line(driver: Driver, published: Published, neo4j_settings: Settings,
                                          args: tuple[str, ...]) -> None:
    code, out = _run(neo4j_settings, *args)
    assert code == 2 and out.startswith("graphrec: error: ") and len(out.strip().splitlines()) == 1


def test_similar_cold_start_explain(driver: Driver, published: Published, neo4j_settings: Settings) -> None:
    code, out = _run(neo4j_settings, "similar", "i4", "-k", "2", "--json")
    assert code == 0 and len(json.loads(out)) == 2
    code, out = _run(neo4j_settings, "cold-start", "--items", "i1,i2", "-k", "2", "--json")
    assert code == 0 and {r["item"] for r in json.loads(out)}.isdisjoint({"i1", "i2"})
    item = published.expected("u4", 1)[0]
    code, out = _run(neo4j_settings, "explain", "u4", item, "--json")
    body = json.loads(out)
    paths = body["paths"]
    assert code == 0 and paths and paths[0]["nodes"][0]["id"] == "u4" and paths[0]["nodes"][-1]["id"] == item
    assert body["sentence"] == explain_text(driver, "u4", [item])[0].sentence()
    code, out = _run(neo4j_settings, "explain", "u4", item)
    lines = out.splitlines()
    assert code == 0 and lines[0] == body["sentence"] and lines[1].split()[0] in ("friend", "shared_entity", "co_user")
    code, out = _run(neo4j_settings, "explain", "u4", "-k", "3", "--json")
    top = json.loads(out)["items"]
    assert code == 0 and [r["item"] for r in top] == [r.item for r in recommend(driver, "u4", 3)]
    assert all(r["sentence"] for r in top)


def test_query_any_named_file(driver: Driver, published: Published, neo4j_settings: Settings) -> None:
    code, out = _run(neo4j_settings, "query")
    assert code == 0 and "recommend_realtime" in out and "diverse" in out
    code, out = _run(neo4j_settings, "query", "recommend", "-p", "user=u3", "-p", "k=2", "--json")
    assert code == 0 and [r["item"] for r in json.loads(out)] == published.expected("u3", 2)
    code, out = _run(neo4j_settings, "query", "cold_start_user", "-p", "items=i1,i2", "-p", "k=2", "-p", "vector=null",
                     "-p", "text_index=null")  # every parameter it names; null where the query allows it
    assert code == 0 and len(out.splitlines()) == 4
    item = published.expected("u4", 1)[0]
    code, out = _run(neo4j_settings, "query", "explain", "-p", "user=u4", "-p", f"item={item}", "-p", "limit=5",
                     "--json")
    assert code == 0 and json.loads(out)[0]["nodes"][0]["id"] == "u4"
    code, out = _run(neo4j_settings, "query", "recommend", "-p", "nope=1")
    assert code == 2 and "not a parameter" in out
