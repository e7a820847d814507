"""graphrec on a graph it did not build: Person/Movie/Genre from ml-100k, read through a [graph] mapping.

The graph is made with plain Cypher (tests/mapping/person_graph.cypher) in the shape of Neo4j's
recommendations example; graphrec is pointed at it with tests/mapping/mapping.toml (the README's
mapping) and runs embed-text → train → publish → recommend / similar / explain / cold-start /
realtime through the CLI. It must work on the mapped labels and id properties and add nothing of
its own schema (no :User/:Item/:Entity node, no `id` property) to the user's nodes.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from neo4j import Driver
from neo4j.graph import Node, Relationship
from neo4j.graph import Path as Path_

from graphrec.cli.main import cli
from graphrec.config import Settings, load_settings
from graphrec.db.names import check_mapping
from graphrec.db.queries import statements
from graphrec.recommend import run_query
from tests.conftest import DATASETS, clear_graph

HERE = Path(__file__).resolve().parent
ML100K = DATASETS / "movielens-100k"
USERS = 120   # the first 120 users' ratings (~12k), every movie they rated
pytestmark = pytest.mark.skipif(not (ML100K / "u.data").exists(), reason="ml-100k not in ../shared/datasets")

OWN_PROPS = {"personId", "name", "movieId", "title", "plot", "stars", "ts"}


def _rows() -> dict[str, Any]:
    genres = [ln.split("|")[0] for ln in (ML100K / "u.genre").read_text().splitlines() if ln.strip()]
    ratings = []
    for ln in (ML100K / "u.data").read_text().splitlines():
        u, i, r, t = ln.split("\t")
        if int(u) <= USERS:
            ratings.append({"user": u, "movie": i, "stars": int(r), "ts": int(t)})
    rated = {r["movie"] for r in ratings}
    movies = []
    for ln in (ML100K / "u.item").read_text(encoding="latin-1").splitlines():
        f = ln.split("|")
        if f[0] not in rated:
            continue
        gs = [g for g, flag in zip(genres, f[5:], strict=True) if flag == "1"]
        movies.append({"id": f[0], "title": f[1], "genres": gs,
                       "plot": f"{f[1]} is a {' and '.join(gs).lower()} film."})
    return {"genres": genres, "movies": movies, "people": sorted({r["user"] for r in ratings}, key=int),
            "ratings": ratings}


@pytest.fixture(scope="module")
def person_graph(driver: Driver) -> Iterator[dict[str, Any]]:
    """The Person/Movie/Genre graph, loaded once for the module (and cleared after it)."""
    clear_graph(driver)
    rows = _rows()
    for stmt in statements((HERE / "person_graph.cypher").read_text()):
        driver.execute_query(stmt, rows)
    yield rows
    clear_graph(driver)


def _run(settings: Settings, *args: str, config: Path = HERE / "mapping.toml") -> Result:
    return CliRunner().invoke(cli, ["--uri", settings.uri, "--password", settings.password or "",
                                    "--config", str(config), *args])


def _wire(value: Any) -> Any:
    """A graph value as a client gets it: every property of each node and relationship."""
    if isinstance(value, Path_):
        return {"nodes": list(value.nodes), "rels": list(value.relationships)}
    if isinstance(value, Node | Relationship):
        return dict(value)
    raise TypeError(type(value).__name__)


def _json(res: Result) -> Any:
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def trained(person_graph: dict[str, Any], neo4j_settings: Settings,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """embed-text on Movie, then train + publish (and save) a LightGCN (2 epochs) through the CLI."""
    emb = _json(_run(neo4j_settings, "embed-text", "--label", "Movie", "--json"))
    assert emb["label"] == "Movie" and emb["encoded"] == len(person_graph["movies"])
    assert emb["index"] == "movie_text_embedding"
    genres = _json(_run(neo4j_settings, "embed-text", "--label", "Genre", "--json"))
    assert genres["encoded"] == len(person_graph["genres"])
    wrong = _run(neo4j_settings, "embed-text", "--label", "Item")
    assert wrong.exit_code != 0 and "--label must be one of Movie, Genre, not 'Item'" in wrong.stderr
    saved = tmp_path_factory.mktemp("artefact") / "lightgcn.artefact"
    report = _json(_run(neo4j_settings, "train", "--model", "lightgcn", "--epochs", "2", "--dim", "16",
                        "--interactions", "REVIEWED", "--top-k", "20", "--save", str(saved), "--json"))
    return {"embed": emb, "train": report, "saved": saved}


def _seen(driver: Driver, person: str) -> set[str]:
    recs = driver.execute_query("MATCH (:Person {personId: $p})-[:REVIEWED]->(m:Movie) RETURN m.movieId AS m",
                                {"p": person}).records
    return {r["m"] for r in recs}


def test_publish_writes_on_the_mapped_labels(trained: dict[str, Any], driver: Driver,
                                             person_graph: dict[str, Any]) -> None:
    run_id = trained["train"]["publish"]["run_id"]
    rec = driver.execute_query(
        "MATCH (:Person)-[r:RECOMMENDED {run: $run}]->(:Movie) RETURN count(r) AS n, count(DISTINCT startNode(r)) AS u",
        {"run": run_id}).records[0]
    assert rec["u"] == len(person_graph["people"]) and rec["n"] == 20 * rec["u"]
    run = driver.execute_query("MATCH (r:ModelRun {id: $run}) RETURN r", {"run": run_id}).records[0]["r"]
    assert run["active"] and list(run["labels"])[:2] == ["Person", "Movie"]
    with_vec = driver.execute_query(f"MATCH (p:Person) WHERE p.`{run['prop']}` IS NOT NULL RETURN count(p) AS n")
    assert with_vec.records[0]["n"] == len(person_graph["people"])
    # graphrec made a range index for its lookups by personId / movieId (an index: one of its outputs)
    idx = {tuple(r["labelsOrTypes"] or []) + tuple(r["properties"] or []) for r in driver.execute_query(
        "SHOW RANGE INDEXES YIELD labelsOrTypes, properties").records}
    assert ("Person", "personId") in idx and ("Movie", "movieId") in idx


def test_nothing_of_graphrecs_own_schema_is_added(trained: dict[str, Any], driver: Driver) -> None:
    counts = driver.execute_query(
        "MATCH (n) RETURN count(CASE WHEN n:User OR n:Item OR n:Entity THEN 1 END) AS own_labels, "
        "count(CASE WHEN n.id IS NOT NULL AND NOT n:ModelRun THEN 1 END) AS with_id").records[0]
    assert counts["own_labels"] == 0 and counts["with_id"] == 0
    run = driver.execute_query("MATCH (r:ModelRun {active: true}) RETURN r").records[0]["r"]
    # the run's vectors, its refresh state (seen counts, fold factors) and the text features: no `embedding` copy
    outputs = {run["prop"], run["mips_prop"], run.get("seen_prop"), run.get("fold_prop"), "text_embedding",
               "text_hash"} - {None}
    keys = {k for r in driver.execute_query(
        "MATCH (n) WHERE NOT n:ModelRun UNWIND keys(n) AS k RETURN DISTINCT k").records for k in r}
    assert keys - OWN_PROPS <= outputs, f"unexpected properties {keys - OWN_PROPS - outputs}"
    types = {r["t"] for r in driver.execute_query("MATCH ()-[r]->() RETURN DISTINCT type(r) AS t").records}
    assert types == {"REVIEWED", "IN_GENRE", "RECOMMENDED"}
    labels = {r["l"] for r in driver.execute_query("MATCH (n) UNWIND labels(n) AS l RETURN DISTINCT l AS l").records}
    assert labels == {"Person", "Movie", "Genre", "ModelRun"}


def test_min_weight_keeps_low_stars_out_of_the_positives(person_graph: dict[str, Any], driver: Driver) -> None:
    from graphrec.loaders import discover_spec, load_graph

    settings = load_settings(toml_path=HERE / "mapping.toml", env={})
    spec = discover_spec(driver, mapping=settings.graph)   # checked against the schema inside
    assert spec.min_weights == {"REVIEWED": 4.0} and spec.id_key("Person") == "personId"
    graph = load_graph(driver, spec, split="temporal", seed=1)
    users, movies = graph.ids["Person"], graph.ids["Movie"]
    stars = {(r["user"], r["movie"]): r["stars"] for r in person_graph["ratings"]}
    positives = [(users[u], movies[i]) for u, i in graph.train.t().tolist()]
    held = [(users[u], movies[i]) for u, i in torch_cat(graph.valid, graph.test)]
    assert positives and all(stars[p] >= 4 for p in positives + held)
    below = {(users[u], movies[i]) for u, i in graph.below_min_weight.t().tolist()}
    assert below == {p for p, s in stars.items() if s < 4}
    assert len(positives) + len(held) + len(below) == len(stars)
    # the weight is carried along, aligned with graph.train
    assert graph.train_weight is not None and graph.train_weight.shape[0] == graph.train.size(1)
    assert [float(w) for w in graph.train_weight] == [float(stars[p]) for p in positives]
    # and below-min_weight pairs are not message-passing edges either
    assert graph.data["Person", "REVIEWED", "Movie"].edge_index.size(1) == len(positives)


def torch_cat(*pairs: Any) -> list[list[int]]:
    return [p for t in pairs for p in t.t().tolist()]


def test_recommend_excludes_every_reviewed_movie(trained: dict[str, Any], neo4j_settings: Settings,
                                                 driver: Driver) -> None:
    for person in ("1", "7", "42"):
        recs = _json(_run(neo4j_settings, "recommend", person, "-k", "20", "--json"))
        assert len(recs) == 20
        seen = _seen(driver, person)
        assert not {r["item"] for r in recs} & seen
        assert all(r["title"] for r in recs)   # the Movie's title property
        live = _json(_run(neo4j_settings, "recommend", person, "-k", "10", "--realtime", "--json"))
        assert len(live) == 10 and not {r["item"] for r in live} & seen
    genre = _json(_run(neo4j_settings, "recommend", "1", "-k", "20", "--genre", "Comedy", "--json"))
    comedies = {r["m"] for r in driver.execute_query(
        "MATCH (m:Movie)-[:IN_GENRE]->(:Genre {name: 'Comedy'}) RETURN m.movieId AS m").records}
    assert genre and {r["item"] for r in genre} <= comedies
    diverse = _json(_run(neo4j_settings, "recommend", "1", "-k", "5", "--diverse", "2", "--json"))
    assert len(diverse) == 5 and not {r["item"] for r in diverse} & _seen(driver, "1")
    assert all(len(r["entities"]) >= 1 for r in diverse)   # the Genre names the caps counted
    unknown = _run(neo4j_settings, "recommend", "no-such-person")
    assert unknown.exit_code == 2 and "unknown user 'no-such-person'" in unknown.stderr


def test_similar_explain_cold_start(trained: dict[str, Any], person_graph: dict[str, Any], neo4j_settings: Settings,
                                    driver: Driver) -> None:
    similar = _json(_run(neo4j_settings, "similar", "50", "-k", "5", "--json"))
    assert len(similar) == 5 and "50" not in {r["item"] for r in similar}
    assert {r["source"] for r in similar} == {"embedding"}

    movie = next(r["item"] for r in _json(_run(neo4j_settings, "recommend", "1", "-k", "1", "--json")))
    body = _json(_run(neo4j_settings, "explain", "1", movie, "--json"))
    paths = body["paths"]
    assert paths and {p["kind"] for p in paths} <= {"shared_entity", "co_user"}
    # only what a reader needs: no 384-float text embedding or run vector rides along with the 5 paths
    assert len(paths) == 5 and len(json.dumps(paths)) < 10_000, len(json.dumps(paths))
    # what any Bolt/HTTP client receives from the query itself, every value as it comes over the wire
    mapping = check_mapping(driver, load_settings(toml_path=HERE / "mapping.toml", env={}).graph)
    raw = [r.data() for r in run_query(driver, "explain", {"user": "1", "item": movie, "limit": 5}, mapping)]
    assert len(raw) == 5 and len(json.dumps(raw, default=_wire)) < 10_000, len(json.dumps(raw, default=_wire))
    titles = {m["id"]: m["title"] for m in person_graph["movies"]}
    reviewed = {r["movie"] for r in person_graph["ratings"] if r["user"] == "1"}
    reason = body["reason"]
    assert reason["anchor"] in reviewed and reason["anchor_title"] == titles[reason["anchor"]]
    assert body["sentence"].startswith(f"Because you reviewed {titles[reason['anchor']]} ")
    assert reason["co_users"] > 0 and f"{reason['co_users']:,} people who reviewed it" in body["sentence"]
    top = _json(_run(neo4j_settings, "explain", "1", "-k", "3", "--json"))["items"]
    assert [r["item"] for r in top] == [r["item"] for r in _json(_run(neo4j_settings, "recommend", "1", "-k", "3",
                                                                          "--json"))]
    assert all(r["anchor"] in reviewed and titles[r["anchor"]] in r["sentence"] for r in top)
    for p in paths:
        assert p["nodes"][0]["labels"] == ["Person"] and p["nodes"][0]["id"] == "1"
        assert p["nodes"][-1]["labels"] == ["Movie"] and p["nodes"][-1]["id"] == movie
        assert set(p["rels"]) <= {"REVIEWED", "IN_GENRE"}
    shared = [p for p in paths if p["kind"] == "shared_entity"]
    assert all(p["nodes"][2]["labels"] == ["Genre"] for p in shared)

    liked = _json(_run(neo4j_settings, "cold-start", "--items", "50,181", "-k", "5", "--json"))
    assert len(liked) == 5 and not {r["item"] for r in liked} & {"50", "181"}
    assert {r["source"] for r in liked} == {"items"}
    text = _json(_run(neo4j_settings, "cold-start", "--text", "a science fiction war film", "-k", "5", "--json"))
    assert len(text) == 5 and {r["source"] for r in text} == {"text"}


def test_evaluate_reads_the_mapping(person_graph: dict[str, Any], neo4j_settings: Settings) -> None:
    rows = _json(_run(neo4j_settings, "evaluate", "--models", "popularity,gds", "--k", "10", "--json"))
    assert [r["model"] for r in rows] == ["popularity", "gds-fastrp"]
    assert all(0.0 < r["recall@10"] <= 1.0 for r in rows)


def test_a_name_the_database_lacks_is_one_line(person_graph: dict[str, Any], neo4j_settings: Settings,
                                               tmp_path: Path) -> None:
    # (names no test ever used: db.propertyKeys() lists every key the store has a token for)
    for old, new, key in (('"Person"', '"Persn"', "user.label"), ('"movieId"', '"movieIdz"', "item.id"),
                          ('weight = "stars"', 'weight = "starz"', "behaviours.REVIEWED.weight")):
        bad = tmp_path / "bad.toml"
        bad.write_text((HERE / "mapping.toml").read_text().replace(old, new, 1))
        res = _run(neo4j_settings, "recommend", "1", config=bad)
        assert res.exit_code == 2, res.output
        line = res.stderr.strip()
        assert line.count("\n") == 0 and line.startswith(f"graphrec: error: {bad}: [graph] {key}: ")
        assert "is not a" in line and "in the database" in line
    bad.write_text('[graph]\nuser = { label = "Person", idd = "x" }\n')
    res = _run(neo4j_settings, "recommend", "1", config=bad)
    assert res.exit_code == 2 and "[graph] user.idd: unknown key" in res.stderr


def test_browser_guide_and_style_use_the_mapping(person_graph: dict[str, Any], driver: Driver) -> None:
    from graphrec.browser.guide import query_for_browser, render_guide, render_style

    mapping = check_mapping(driver, load_settings(toml_path=HERE / "mapping.toml", env={}).graph)
    html = render_guide("http://localhost:1234", mapping=mapping)
    assert "{{" not in html and "(:Person)-[:RECOMMENDED" in html and "title_key: &#x27;title&#x27;" not in html
    assert "entity_keys: ['name'], title_key: 'title'" in html
    history = query_for_browser("browser/user_history", mapping)
    assert "(u:`Person`)" in history and "u.`personId` = $user" in history and "(e:`Genre`)" in history
    # the guide's queries run on the mapped graph as the Browser would run them (with its :params)
    params = {"user": "1", "item": "50", "entity": None, "k": 10, "limit": 5, "entity_keys": ["name"],
              "title_key": "title", "name_keys": mapping.name_keys}
    rows = driver.execute_query(history, params).records
    assert rows and all(r["u"]["personId"] == "1" for r in rows)
    style = render_style(mapping)
    assert "node.Person {" in style and "caption: '{personId}';" in style and "node.Movie {" in style


def _printed(settings: Settings, name: str) -> tuple[dict[str, Any], str]:
    """What `graphrec query NAME --cypher` prints: its :param values and the query."""
    res = _run(settings, "query", name, "--cypher")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    params = {ln.split()[1]: json.loads(ln.split("=>", 1)[1].replace("'", '"')) for ln in lines
              if ln.startswith(":param ")}
    return params, "\n".join(ln for ln in lines if not ln.startswith(":param "))


def test_query_cypher_prints_the_mapped_query(trained: dict[str, Any], neo4j_settings: Settings,
                                              driver: Driver) -> None:
    params, text = _printed(neo4j_settings, "recommend")
    assert params["title_key"] == "title" and "entity_keys" not in params   # recommend has no entity filter
    assert "(u:`Person`)" in text and "u.`personId` = $user" in text and "{{" not in text
    # what it prints runs as printed, as it would in Neo4j Browser after its :param lines
    rows = driver.execute_query(text, params).records
    assert len(rows) == params["k"] and not {r["item"] for r in rows} & _seen(driver, params["user"])
    assert all(r["title"] for r in rows)

    params, text = _printed(neo4j_settings, "recommend_by_entity")
    assert params["entity_keys"] == ["name"] and params["title_key"] == "title"
    assert "(e:`Genre`)" in text and "{{" not in text
    rows = driver.execute_query(text, {**params, "entity": "Comedy", "k": 20}).records
    comedies = {r["m"] for r in driver.execute_query(
        "MATCH (m:Movie)-[:IN_GENRE]->(:Genre {name: 'Comedy'}) RETURN m.movieId AS m").records}
    assert rows and {r["item"] for r in rows} <= comedies
    # the same through run_query / the CLI, and an unknown entity is named
    cli_rows = _json(_run(neo4j_settings, "query", "recommend_by_entity", "-p", f"user={params['user']}",
                          "-p", "k=20", "-p", "entity=Comedy", "--json"))
    assert [r["item"] for r in cli_rows] == [r["item"] for r in rows]
    unknown = _run(neo4j_settings, "recommend", "1", "--entity", "no-such-genre")
    assert unknown.exit_code == 2 and "unknown entity 'no-such-genre'" in unknown.stderr


def test_query_cypher_prints_realtime_for_the_active_runs_types(trained: dict[str, Any], neo4j_settings: Settings,
                                                                driver: Driver) -> None:
    params, text = _printed(neo4j_settings, "recommend_realtime")
    # the run learnt from REVIEWED (--interactions): only those relationships are expanded for the seen set
    assert "(u)-[:`REVIEWED`]->(s)" in text and "run.interactions = ['REVIEWED']" in text and "{{" not in text
    rows = driver.execute_query(text, params).records
    live = _json(_run(neo4j_settings, "recommend", params["user"], "-k", str(params["k"]), "--realtime", "--json"))
    assert [r["item"] for r in rows] == [r["item"] for r in live] and len(rows) == params["k"]
    assert not {r["item"] for r in rows} & _seen(driver, params["user"])


def test_similar_by_title_on_the_mapped_item(trained: dict[str, Any], neo4j_settings: Settings,
                                            driver: Driver) -> None:
    title = driver.execute_query("MATCH (m:Movie {movieId: '50'}) RETURN m.title AS t").records[0]["t"]
    by_title = _json(_run(neo4j_settings, "similar", "--title", title.upper(), "-k", "3", "--json"))
    by_id = _json(_run(neo4j_settings, "similar", "50", "-k", "3", "--json"))
    assert by_title == by_id and len(by_id) == 3


def test_publish_a_saved_artefact_on_the_mapped_graph(trained: dict[str, Any], neo4j_settings: Settings,
                                                      driver: Driver, tmp_path: Path) -> None:
    from graphrec.artefact import Artefact
    from graphrec.errors import InputError
    from graphrec.writeback import publish_artefact

    p = _json(_run(neo4j_settings, "publish", str(trained["saved"]), "--top-k", "10", "--json"))
    assert p["run_id"] != trained["train"]["publish"]["run_id"] and p["recommended"] > 0
    rec = driver.execute_query(
        "MATCH (:Person)-[r:RECOMMENDED {run: $run}]->(:Movie) RETURN count(r) AS n", {"run": p["run_id"]})
    assert rec.records[0]["n"] == p["recommended"]
    for person in ("1", "7"):   # every reviewed movie excluded, those under min_weight too
        recs = _json(_run(neo4j_settings, "recommend", person, "-k", "10", "--json"))
        assert len(recs) == 10 and {r["run"] for r in recs} == {p["run_id"]}
        assert not {r["item"] for r in recs} & _seen(driver, person)
    # the artefact's labels are checked against the database again: a file is not a schema
    art = Artefact.load(trained["saved"])
    bad = Artefact(model=art.model, user_type="Persn", item_type=art.item_type,
                   ids={("Persn" if t == "Person" else t): v for t, v in art.ids.items()}, user_emb=art.user_emb,
                   item_emb=art.item_emb, exclude=art.exclude, train_pairs=art.train_pairs)
    runs_before = driver.execute_query("MATCH (r:ModelRun) RETURN count(r) AS n").records[0]["n"]
    with pytest.raises(InputError, match="'Persn' are not labels in the database"):
        publish_artefact(driver, bad, k=5)
    assert driver.execute_query("MATCH (r:ModelRun) RETURN count(r) AS n").records[0]["n"] == runs_before
    # published without the mapping it was fitted with: refused, nothing written
    plain = tmp_path / "plain.toml"
    plain.write_text("batch_size = 1000\n")
    res = _run(neo4j_settings, "publish", str(trained["saved"]), config=plain)
    assert res.exit_code != 0 and "publish it with the mapping it was fitted with" in res.stderr
    assert res.stderr.strip().count("\n") == 0
    assert driver.execute_query("MATCH (r:ModelRun) RETURN count(r) AS n").records[0]["n"] == runs_before


def test_browser_library_offers_every_query_ready_to_run(trained: dict[str, Any], neo4j_settings: Settings,
                                                         driver: Driver) -> None:
    """`graphrec browser --queries` and the guide's library slide give each query of cypher/recommend/ as
    `graphrec query NAME --cypher` prints it, for the mapped graph, and each runs as given after its :param
    lines (the .cypher files themselves are templates that Neo4j would refuse)."""
    from graphrec.browser.guide import render_guide
    from graphrec.recommend.library import names, runnable

    res = _run(neo4j_settings, "browser", "--queries", "--json")
    assert res.exit_code == 0, res.output
    library = json.loads(res.stdout)
    assert list(library) == names() and len(library) >= 10
    mapping = check_mapping(driver, load_settings(toml_path=HERE / "mapping.toml", env={}).graph)
    guide = render_guide("http://localhost:1234", mapping=mapping)
    assert "{{" not in guide
    for name, text in library.items():
        printed = _run(neo4j_settings, "query", name, "--cypher")
        assert printed.exit_code == 0 and printed.stdout.strip() == text, name
        params = {ln.split()[1]: json.loads(ln.split("=>", 1)[1].replace("'", '"')) for ln in text.splitlines()
                  if ln.startswith(":param ")}
        body = "\n".join(ln for ln in text.splitlines() if not ln.startswith(":param "))
        assert "{{" not in body and any(f"`{x}`" in body for x in ("Person", "Movie", "Genre")), name
        assert not any(f":{x}" in body or f"`{x}`" in body for x in ("User", "Item")), name
        driver.execute_query(body, params)   # raises on a syntax error or a missing parameter
        mapped = runnable(name, mapping)
        shown = "\n".join(ln for ln in mapped.splitlines() if not ln.startswith(":param "))
        assert f'data-testid="graphrec-library-{name}">' + html.escape(shown, quote=False) in guide, name
    text = _run(neo4j_settings, "browser", "--queries").stdout
    assert "// recommend: the precomputed top-K" in text and "MATCH (u:`Person`)" in text
