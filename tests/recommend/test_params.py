"""Query parameters: every one a query names is required, documented, and enough from any client.

Neo4j refuses a statement that lacks a parameter it names (``Neo.ClientError.Statement.ParameterMissing``),
whatever the client. So the files name only parameters they need (``recommend`` has no optional
``$entity``: the filter is ``recommend_by_entity``), every one is documented by a ``:param`` line, and
graphrec never fills one in from those example lines (only the graph mapping's own ``title_key``,
``entity_keys``, ``name_keys``, which are the mapping's values, not examples). Checked over Neo4j's HTTP
Query API as a client without a driver would send them, and through ``run_query`` / ``graphrec query``.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from click.testing import CliRunner
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings
from graphrec.db.names import mapping_params
from graphrec.errors import InputError, NotFoundError
from graphrec.mapping import DEFAULT_MAPPING
from graphrec.recommend import examples, find_item, names, parameters, recommend, run_query
from tests.ingest.conftest import cli_args
from tests.recommend.conftest import Published

pytestmark = pytest.mark.neo4j


def test_every_template_says_it_is_one_and_how_to_render_it() -> None:
    """A file holding {{placeholders}} cannot be pasted as it is: its first lines say so and name the command."""
    from graphrec.db.queries import cypher_dir, placeholders

    templated = [p for d in ("recommend", "browser") for p in sorted((cypher_dir() / d).glob("*.cypher"))
                 if placeholders(p.read_text())]
    assert len(templated) >= 14
    for path in templated:
        name = path.stem if path.parent.name == "recommend" else f"browser/{path.stem}"
        head = path.read_text().splitlines()[:2]
        assert head[0] == ("// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your "
                           "graph mapping."), path
        assert head[1].startswith(f"// Print the runnable query for your graph: graphrec query {name} --cypher"), path
        text = path.read_text()
        if any(f":param {k} =>" in text for k in ("user", "item", "items")):
            assert "ids are strings, as graphrec stores them: :param user => '287'" in text, path


def test_every_parameter_is_documented() -> None:
    for name in names():
        assert set(parameters(name)) == set(examples(name)), f"{name}: :param lines differ from the $parameters"
    assert "entity" not in parameters("recommend") and parameters("recommend") == ("k", "title_key", "user")
    assert "entity" in parameters("recommend_by_entity")


def _http(settings: Settings, statement: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST /db/<database>/query/v2, as curl would (Neo4j's Query API; no driver)."""
    auth = base64.b64encode(f"{settings.user}:{settings.password}".encode()).decode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{settings.http_port}/db/{settings.database}/query/v2",
        data=json.dumps({"statement": statement, "parameters": params}).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Basic {auth}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _query(name: str) -> str:
    """The query as ``graphrec query NAME --cypher`` prints it for graphrec's own schema."""
    from graphrec.recommend.library import query_text

    return query_text(name)


def _toy_params(name: str, published: Published) -> dict[str, Any]:
    """Exactly the parameters ``name`` documents, ids pointed at the toy graph."""
    toy = {"user": "u2", "item": "i10", "items": ["i1", "i2"], "entity": "genre:Comedy", "title": "title of i10",
           "text_index": None}
    return {p: toy.get(p, examples(name)[p]) for p in parameters(name)}


MAPPED = mapping_params(DEFAULT_MAPPING)
"""``title_key``, ``entity_keys``, ``name_keys`` of graphrec's own schema (what ``--cypher`` prints)."""


def test_documented_parameters_suffice_over_http(settings: Settings, published: Published) -> None:
    for name in names():
        status, body = _http(settings, _query(name), _toy_params(name, published))
        assert status in (200, 202), f"{name}: HTTP {status} {body}"
        assert not body.get("errors"), f"{name}: {body['errors']}"


def test_recommend_without_entity_over_http(settings: Settings, driver: Driver, published: Published) -> None:
    status, body = _http(settings, _query("recommend"), {"user": "u2", "k": 5, "title_key": MAPPED["title_key"]})
    assert status in (200, 202), body
    fields = body["data"]["fields"]
    items = [dict(zip(fields, row, strict=True))["item"] for row in body["data"]["values"]]
    assert items == published.expected("u2", 5) == [r.item for r in recommend(driver, "u2", k=5)]
    status, body = _http(settings, _query("recommend_by_entity"), {"user": "u3", "k": 8, "entity": "genre:Drama",
                                                                   "title_key": MAPPED["title_key"],
                                                                   "entity_keys": MAPPED["entity_keys"]})
    assert status in (200, 202), body
    filtered = [dict(zip(body["data"]["fields"], row, strict=True))["item"] for row in body["data"]["values"]]
    assert filtered == [r.item for r in recommend(driver, "u3", k=8, entity="genre:Drama")]
    assert set(filtered) <= set(published.expected("u3", 8))
    # what Neo4j does with a parameter left out, whatever the client: the reason all of them are required
    status, body = _http(settings, _query("recommend"), {"user": "u2"})
    assert status == 400 and body["errors"][0]["code"] == "Neo.ClientError.Statement.ParameterMissing"


def test_run_query_never_fills_in_examples(driver: Driver, published: Published) -> None:
    rows = run_query(driver, "recommend", {"user": "u2", "k": 3})  # all it names
    assert [r["item"] for r in rows] == published.expected("u2", 3)
    with pytest.raises(InputError) as e:
        run_query(driver, "recommend", {})
    assert e.value.field == "k, user" and "required parameters missing" in e.value.problem   # title_key: the mapping's
    with pytest.raises(InputError, match="required parameter missing"):
        run_query(driver, "diverse", {"user": "u2", "k": 3, "n": 8, "cap": 1})  # kinds: null is a value
    assert run_query(driver, "diverse", {"user": "u2", "k": 3, "n": 8, "cap": 1, "kinds": None})
    with pytest.raises(NotFoundError):
        run_query(driver, "no_such_query")


def test_query_command_requires_parameters(settings: Settings, published: Published) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, [*cli_args(settings), "query", "recommend"])
    assert result.exit_code == 2   # bad input
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphrec: error: cypher/recommend/recommend.cypher: k, user: "
                                                   "required parameters missing"), result.output
    result = runner.invoke(cli, [*cli_args(settings), "query", "recommend", "-p", "user=u2", "-p", "k=3", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["item"] for r in json.loads(result.output)] == published.expected("u2", 3)


def test_find_item_by_title(driver: Driver, published: Published) -> None:
    assert find_item(driver, "TITLE OF I10") == "i10"
    assert find_item(driver, "title of i1") == "i1"  # the exact title wins over i10…i19 containing it
    assert find_item(driver, "of i42") == "i42"  # the only title containing it
    with pytest.raises(InputError) as e:
        find_item(driver, "of i5")  # i5, i50…i59
    assert "11 items have it in their title (first 10 shown): i5: Title of i5; i50: Title of i50" in e.value.problem
    with pytest.raises(NotFoundError):
        find_item(driver, "no such film")


def test_browser_template_renders_for_the_graph(settings: Settings, published: Published) -> None:
    out = CliRunner().invoke(cli, [*cli_args(settings), "query", "browser/user_history", "--cypher"])
    assert out.exit_code == 0, out.output
    assert "{{" not in out.output and "MATCH (u:`User`)" in out.output and "//" not in out.output
    bad = CliRunner().invoke(cli, [*cli_args(settings), "query", "browser/nope", "--cypher"])
    assert bad.exit_code == 2 and "browser/user_history" in bad.output


def test_numeric_ids_are_taken_as_the_string_ids(driver: Driver, published: Published) -> None:
    """Ids are strings; a client that sends 287 for '287' gets the same answer, not an empty one."""
    driver.execute_query("CREATE (:User {id: '287'}), (:Item {id: '42'})")
    try:
        row = run_query(driver, "lookup", {"user": 287, "item": 42})[0]
        assert (row["user"], row["item"]) == (True, True)
        assert run_query(driver, "lookup", {"user": 287.5, "item": [42]})[0]["user"] is False
    finally:
        driver.execute_query("MATCH (n) WHERE (n:User AND n.id = '287') OR (n:Item AND n.id = '42') DELETE n")


def test_similar_by_title_cli(settings: Settings, published: Published) -> None:
    runner = CliRunner()
    by_id = runner.invoke(cli, [*cli_args(settings), "similar", "i10", "-k", "3", "--json"])
    by_title = runner.invoke(cli, [*cli_args(settings), "similar", "--title", "Title Of I10", "-k", "3", "--json"])
    assert by_id.exit_code == 0 and by_title.exit_code == 0, by_title.output
    assert json.loads(by_title.output) == json.loads(by_id.output) and len(json.loads(by_id.output)) == 3
    ambiguous = runner.invoke(cli, [*cli_args(settings), "similar", "--title", "of i5"])
    assert ambiguous.exit_code == 2   # bad input: several items have the title
    assert ambiguous.output.count("\n") == 1 and "i59: Title of i59" not in ambiguous.output
    assert ambiguous.output.startswith("graphrec: error: item title: 'of i5': 11 items have it in their title")
    both = runner.invoke(cli, [*cli_args(settings), "similar", "i10", "--title", "x"])
    assert both.exit_code == 2 and both.output.startswith("graphrec: error: graphrec similar: give ITEM or --title")
