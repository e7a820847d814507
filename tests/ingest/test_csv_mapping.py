"""``graphrec load csv --mapping``: an export in MovieLens' current format loads as it is, with exact counts."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from neo4j import Driver

from graphrec.errors import InputError
from graphrec.ingest.csvmap import read_mapping
from graphrec.ingest.stats import graph_stats
from tests.ingest.conftest import ERROR_LINE, FIXTURES, RunCli

ML_CURRENT = FIXTURES / "movielens-current"
ML_AS_FOUND = FIXTURES / "movielens-as-found"   # ratings.csv header ends ",,,,"; two rows hold junk there
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def ml_dir(tmp_path: Path) -> Path:
    """A writable copy of the MovieLens-current-format fixture (movies, ratings, tags and the mapping)."""
    return Path(shutil.copytree(ML_CURRENT, tmp_path / "ml-latest-tiny"))


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.neo4j
def test_movielens_current_format_loads_with_exact_counts(db: Driver, run_cli: RunCli, ml_dir: Path) -> None:
    result = run_cli("load", "csv", "--path", str(ml_dir), "--mapping", str(ml_dir / "movielens.toml"))
    assert result.exit_code == 0, result.output
    stats = graph_stats(db)
    # 6 movies; users 1-5 rate, 6 only tags; 8 distinct genres, "(no genres listed)" is none
    assert stats["nodes"] == {"User": 6, "Item": 6, "Entity": 8, "Genre": 8, "Dataset": 1}
    assert stats["relationships"] == {"RATED": 12, "TAGGED": 5, "HAS_GENRE": 12}
    assert stats["datasets"][0]["name"] == "movielens-latest"
    # every one of the 8 tag applications is kept, merged into one TAGGED per (user, item)
    n = db.execute_query("MATCH ()-[t:TAGGED]->() RETURN sum(t.count) AS c, sum(size(t.tags)) AS s").records[0]
    assert (n["c"], n["s"]) == (8, 8)
    tagged = db.execute_query("MATCH (:User {id: '2'})-[t:TAGGED]->(:Item {id: '2'}) "
                              "RETURN t.tags AS tags, t.count AS c, t.ts AS ts, t.split AS split").records
    assert [(r["tags"], r["c"], r["ts"], r["split"]) for r in tagged] == [
        (["clockwork", "dark comedy", "clockwork"], 3, 1445715010, "train")]
    assert "tags.csv: 8 tag applications kept as 5 TAGGED relationships" in result.output
    # quoted titles with commas and doubled quotes survive; genres split on |
    items = {r["id"]: r for r in db.execute_query(
        "MATCH (i:Item) OPTIONAL MATCH (i)-[:HAS_GENRE]->(g:Genre) "
        "RETURN i.id AS id, i.title AS title, i.text AS text, collect(g.name) AS genres").records}
    assert items["2"]["title"] == "Clockwork Orchard, The (1999)"
    assert sorted(items["2"]["genres"]) == ["Comedy", "Drama", "Sci-Fi"]
    assert items["3"]["title"] == 'She Said "Maybe" (2003)' and items["3"]["text"] == 'She Said "Maybe" (2003).'
    assert items["4"]["genres"] == []
    rated = db.execute_query("MATCH (:User {id: '2'})-[r:RATED]->(:Item {id: '2'}) "
                             "RETURN r.rating AS rating, r.weight AS w, r.ts AS ts, r.split AS split").records
    assert [(r["rating"], r["w"], r["ts"], r["split"]) for r in rated] == [(0.5, 0.5, 1445714835, "train")]
    genre = db.execute_query("MATCH (g:Entity:Genre {name: 'Sci-Fi'}) RETURN g.id AS id, g.kind AS kind").records
    assert [(g["id"], g["kind"]) for g in genre] == [("genre:Sci-Fi", "genre")]
    assert "warning" not in result.output  # every column is mapped
    # a second run changes nothing (MERGE-keyed)
    assert run_cli("--quiet", "load", "csv", "--path", str(ml_dir), "--mapping",
                   str(ml_dir / "movielens.toml")).exit_code == 0
    assert graph_stats(db)["relationships"] == {"RATED": 12, "TAGGED": 5, "HAS_GENRE": 12}


@pytest.mark.neo4j
@pytest.mark.parametrize("keep", [False, True], ids=["ignored", "kept"])
def test_unknown_columns_warn_once_or_are_kept(db: Driver, run_cli: RunCli, ml_dir: Path, keep: bool) -> None:
    movies = ml_dir / "movies.csv"
    lines = movies.read_text().splitlines()
    movies.write_text("\n".join([lines[0] + ",imdbId,tmdbId"] + [f"{ln},0{i}14709,86{i}" for i, ln in
                                                                 enumerate(lines[1:])]) + "\n")
    if keep:
        _rewrite(ml_dir / "movielens.toml", 'title = "title"\n', 'title = "title"\nunknown = "keep"\n')
    # without --path the files are found next to the mapping
    result = run_cli("load", "csv", "--mapping", str(ml_dir / "movielens.toml"))
    assert result.exit_code == 0, result.output
    warnings = [ln for ln in result.output.splitlines() if ln.startswith("warning:")]
    ids = db.execute_query("MATCH (i:Item {id: '1'}) RETURN i.imdbId AS imdb, i.tmdbId AS tmdb").records[0]
    if keep:
        assert warnings == []
        assert (ids["imdb"], ids["tmdb"]) == ("0014709", "860")
    else:
        assert warnings == ["warning: movies.csv: ignoring columns the mapping does not name: imdbId, tmdbId "
                            "(unknown = \"keep\" in [items] stores them as properties)"]
        assert (ids["imdb"], ids["tmdb"]) == (None, None)
    assert graph_stats(db)["nodes"]["Item"] == 6


@pytest.mark.neo4j
def test_repeated_rating_is_reported(db: Driver, run_cli: RunCli, ml_dir: Path) -> None:
    with (ml_dir / "ratings.csv").open("a") as fh:
        fh.write("1,1,2.5,964990000\n")
    result = run_cli("load", "csv", "--mapping", str(ml_dir / "movielens.toml"))
    assert result.exit_code == 0, result.output
    assert ("note: ratings.csv: 1 of 13 rows repeat a (user, item) pair already seen; one RATED relationship per "
            "pair, the last row wins") in result.output
    r = db.execute_query("MATCH (:User {id: '1'})-[r:RATED]->(:Item {id: '1'}) RETURN r.rating AS x").records
    assert [x["x"] for x in r] == [2.5]


# (id, file, 1-based line, new content, expected file, line, column, words in the problem)
BAD_ROWS = [
    ("rating", "ratings.csv", 4, "1,5,lots,964982224", "ratings.csv", 4, "rating", "not a number"),
    ("timestamp", "ratings.csv", 2, "1,1,4.0,yesterday", "ratings.csv", 2, "timestamp", "not epoch seconds"),
    ("unknown-movie", "tags.csv", 6, "4,99,sci-fi,1007574700", "tags.csv", 6, "movieId", "not in movies.csv"),
    ("empty-user", "ratings.csv", 13, ",6,4.5,1525286186", "ratings.csv", 13, "userId", "empty id"),
    ("columns", "movies.csv", 3, "2,Clockwork Orchard, The (1999),Comedy", "movies.csv", 3, "columns",
     "expected 3 fields"),
    ("duplicate-movie", "movies.csv", 7, "1,Again (2000),Drama", "movies.csv", 7, "movieId", "listed twice"),
    ("empty-tag", "tags.csv", 9, '6,5,"",1537098600', "tags.csv", 9, "tag", "empty id"),
    ("missing-column", "movies.csv", 1, "movieId,title,genre", "movies.csv", 1, "genres",
     "column named by the mapping (items.entities.genres) is missing"),
]


@pytest.mark.neo4j
@pytest.mark.parametrize(("file", "line", "new", "err_file", "err_line", "column", "problem"),
                         [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_bad_row_one_line_nothing_written(db: Driver, run_cli: RunCli, ml_dir: Path, file: str, line: int, new: str,
                                          err_file: str, err_line: int, column: str, problem: str) -> None:
    lines = (ml_dir / file).read_text().split("\n")
    lines[line - 1] = new
    (ml_dir / file).write_text("\n".join(lines))
    result = run_cli("--quiet", "load", "csv", "--path", str(ml_dir), "--mapping", str(ml_dir / "movielens.toml"))
    assert result.exit_code == 2   # bad input: exit 2, nothing written
    out = result.output.strip().splitlines()
    assert len(out) == 1, result.output
    m = ERROR_LINE.match(out[0])
    assert m, out[0]
    assert (Path(m["file"]).name, int(m["line"]), m["field"]) == (err_file, err_line, column)
    assert problem.lower() in m["problem"].lower()
    assert db.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == 0


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('id = "movieId"\n', 'id = "movieId"\ncolour = "red"\n', "items.colour", "unknown key"),
    ('type = "RATED"\n', 'type = "RECOMMENDED"\n', "behaviours[0].type", "reserves"),
    ('weight = "rating"\n', 'weight = 3\n', "behaviours[0].weight", "non-empty string"),
    ('kind = "genre"\n', 'kind = "Genre!"\n', "items.entities.genres.kind", "lower_snake"),
    ('tag = "tag"', 'tag = "tag"\nweight = "rating"', "behaviours[1].weight", "cannot also take a weight"),
    ('type = "TAGGED"\n', 'type = "RATED"\n', "behaviours[1].type", "type of its own"),
    ('file = "movies.csv"\n', "", "items.file", "required"),
])
def test_bad_mapping_names_the_key(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    path = Path(shutil.copy(ML_CURRENT / "movielens.toml", tmp_path / "m.toml"))
    _rewrite(path, old, new)
    with pytest.raises(InputError) as e:
        read_mapping(path)
    assert (e.value.field, e.value.line) == (key, None)
    assert problem in e.value.problem


def test_mapping_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[items]\nfile = "movies.csv"\nid = movieId\n')
    with pytest.raises(InputError) as e:
        read_mapping(path)
    assert (e.value.line, e.value.field) == (3, "toml")


@pytest.mark.parametrize("fixture", [ML_CURRENT, ML_AS_FOUND], ids=["current", "as-found"])
def test_readme_shows_the_fixture_mapping(fixture: Path) -> None:
    """The README's MovieLens mapping is the one the tests load, so the docs cannot drift."""
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S)
    assert (fixture / "movielens.toml").read_text() in blocks


@pytest.mark.neo4j
def test_export_with_unnamed_columns_loads_as_found(db: Driver, run_cli: RunCli, tmp_path: Path) -> None:
    """ml-latest-small as commonly found: ``userId,movieId,rating,timestamp,,,,`` and junk in two rows."""
    folder = Path(shutil.copytree(ML_AS_FOUND, tmp_path / "ml-latest-small"))
    assert (folder / "ratings.csv").read_text().startswith("userId,movieId,rating,timestamp,,,,\n")
    result = run_cli("load", "csv", "--path", str(folder), "--mapping", str(folder / "movielens.toml"))
    assert result.exit_code == 0, result.output
    warnings = [ln for ln in result.output.splitlines() if ln.startswith("warning:")]
    assert warnings == ["warning: ratings.csv: ignoring columns the mapping does not name: '' (empty) ×4 "
                        "(unnamed and repeated columns are never kept)"]
    stats = graph_stats(db)
    assert stats["nodes"] == {"User": 6, "Item": 6, "Entity": 8, "Genre": 8, "Dataset": 1}
    assert stats["relationships"] == {"RATED": 12, "TAGGED": 5, "HAS_GENRE": 12}
    assert "tags.csv: 8 tag applications kept as 5 TAGGED relationships" in result.output
    junk = db.execute_query("MATCH (:User {id: '3'})-[r:RATED]->(:Item {id: '5'}) RETURN properties(r) AS p")
    assert [r["p"] for r in junk.records] == [{"weight": 5.0, "rating": 5.0, "ts": 1306463595, "split": "train"}]
    titles = db.execute_query("MATCH (i:Item {id: '5'}) RETURN i.title AS t").records
    assert [t["t"] for t in titles] == ["Night Train to Lyon, A (1968)"]
    # stats: the 8 genres are Entity nodes with a second label, not 8 more nodes
    table = run_cli("stats").output.split("\n\n")[0].splitlines()
    rows = {ln.rsplit(None, 1)[0].rstrip(): int(ln.rsplit(None, 1)[1]) for ln in table[2:]}
    assert rows == {"User": 6, "Item": 6, "Entity": 8, "  of which :Genre": 8, "Dataset": 1,
                    "all nodes (each once)": 21}


@pytest.mark.parametrize(("header", "field", "problem"), [
    ("userId,movieId,rating,rating", "rating", "column named twice, and the mapping uses it (behaviours[0].weight)"),
    ("userId,movieId,rating,timestamp,userId", "userId", "the mapping uses it (behaviours[0].user)"),
])
def test_repeated_column_the_mapping_uses_is_named(tmp_path: Path, header: str, field: str, problem: str) -> None:
    from graphrec.ingest.csvmap import load_mapped_csv

    folder = Path(shutil.copytree(ML_AS_FOUND, tmp_path / "ml"))
    rows = (folder / "ratings.csv").read_text().splitlines()[1:]
    width = header.count(",") + 1
    (folder / "ratings.csv").write_text("\n".join([header, *(",".join(r.split(",")[:width]) for r in rows[:2])]))
    with pytest.raises(InputError) as e:
        load_mapped_csv(folder, read_mapping(folder / "movielens.toml"))
    assert (Path(e.value.file).name, e.value.line, e.value.field) == ("ratings.csv", 1, field)
    assert problem in e.value.problem


def test_unnamed_column_in_the_generic_format_reads_empty(csv_dir: Path) -> None:
    from graphrec.ingest.csv import load_csv

    inter = csv_dir / "interactions.csv"
    lines = inter.read_text().splitlines()
    inter.write_text("\n".join([lines[0] + ",", *(ln + "," for ln in lines[1:])]) + "\n")
    with pytest.raises(InputError) as e:
        load_csv(csv_dir, "x")
    assert (e.value.line, e.value.field) == (1, "'' (empty)")
    assert str(e.value).endswith(":1: '' (empty): unknown column; allowed: user, item, type, timestamp, weight, split")


def test_kept_column_cannot_shadow_a_graphrec_property(tmp_path: Path) -> None:
    from graphrec.ingest.csvmap import load_mapped_csv

    folder = Path(shutil.copytree(ML_CURRENT, tmp_path / "ml"))
    (folder / "movies.csv").write_text("movieId,name,genres,title\n1,Harbour Lights (1994),Drama,x\n")
    _rewrite(folder / "movielens.toml", 'title = "title"\n', 'title = "name"\nunknown = "keep"\n')
    with pytest.raises(InputError) as e:
        load_mapped_csv(folder, read_mapping(folder / "movielens.toml"))
    assert (Path(e.value.file).name, e.value.line, e.value.field) == ("movies.csv", 1, "title")
    assert "reserved" in e.value.problem


def test_mapping_is_for_csv_only(tmp_path: Path) -> None:
    from graphrec.errors import ConfigError
    from graphrec.ingest.datasets import LoadOptions, parse

    with pytest.raises(ConfigError, match="--mapping applies to csv only"):
        parse("movielens-1m", tmp_path, LoadOptions(mapping=ML_CURRENT / "movielens.toml"))


@pytest.mark.neo4j
def test_min_weight_in_a_behaviour_table_keeps_low_ratings_out_of_the_positives(
        db: Driver, run_cli: RunCli, ml_dir: Path) -> None:
    _rewrite(ml_dir / "movielens.toml", 'weight = "rating"\n', 'weight = "rating"\nmin_weight = 3.5\n')
    assert run_cli("--quiet", "load", "csv", "--mapping", str(ml_dir / "movielens.toml")).exit_code == 0
    # 12 ratings: 7 at 3.5 or more; 0.5, 1.5, 2.0 and two 3.0 are below
    res = run_cli("train", "--model", "popularity", "--no-publish", "--interactions", "RATED")
    assert res.exit_code == 0, res.output
    assert "positives: RATED with weight >= 3.5; 5 pairs below min_weight are seen, not positives" in res.stderr
    assert "popularity: learnt from 7 interactions" in res.stdout
    both = run_cli("train", "--model", "popularity", "--no-publish")
    assert both.exit_code == 0, both.output
    assert "positives: RATED with weight >= 3.5, TAGGED (every pair); 5 pairs below" in both.stderr
    assert "--interactions TYPE" in both.stderr
    # refresh folds new interactions with the same rule: the weight property and least positive weight it reads
    from graphrec.mapping import DEFAULT_MAPPING
    from graphrec.writeback.refresh import _weights
    assert _weights(db, DEFAULT_MAPPING) == ({"RATED": "weight"}, {"RATED": 3.5})
    # loaded again without min_weight: every rating counts again
    _rewrite(ml_dir / "movielens.toml", "min_weight = 3.5\n", "")
    assert run_cli("--quiet", "load", "csv", "--mapping", str(ml_dir / "movielens.toml")).exit_code == 0
    again = run_cli("train", "--model", "popularity", "--no-publish", "--interactions", "RATED")
    assert "positives: RATED (every pair)\n" in again.stderr and "learnt from 12 interactions" in again.stdout


@pytest.mark.parametrize(("new", "problem"), [
    ('weight = "rating"\nmin_weight = "high"\n', "expected a number"),
    ("min_weight = 3\n", "needs `weight`"),
])
def test_bad_min_weight_names_the_key(tmp_path: Path, new: str, problem: str) -> None:
    path = Path(shutil.copy(ML_CURRENT / "movielens.toml", tmp_path / "m.toml"))
    _rewrite(path, 'weight = "rating"\n', new)
    with pytest.raises(InputError) as e:
        read_mapping(path)
    assert (e.value.field, e.value.line) == ("behaviours[0].min_weight", None)
    assert problem in e.value.problem


@pytest.mark.neo4j
def test_title_lookup_normalises_articles_and_year_and_suggests(db: Driver, run_cli: RunCli, ml_dir: Path) -> None:
    from graphrec.errors import NotFoundError
    from graphrec.recommend import find_item

    assert run_cli("--quiet", "load", "csv", "--mapping", str(ml_dir / "movielens.toml")).exit_code == 0
    assert find_item(db, "The Clockwork Orchard (1999)") == "2"    # "Clockwork Orchard, The (1999)"
    assert find_item(db, "the clockwork orchard") == "2"
    assert find_item(db, "A Night Train to Lyon (1968)") == "5"    # "Night Train to Lyon, A (1968)"
    with pytest.raises(NotFoundError):
        find_item(db, "The Clockwork Orchard (2001)")               # the year must agree when both give one
    with pytest.raises(NotFoundError) as e:
        find_item(db, "The Clockwork Orchid")
    assert str(e.value) == ("no item titled 'The Clockwork Orchid' (nor with it in its title, articles and year "
                            "aside); closest: 2: Clockwork Orchard, The (1999)")
    res = run_cli("similar", "--title", "Night Train to Lion")
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [
        "graphrec: error: no item titled 'Night Train to Lion' (nor with it in its title, articles and year aside); "
        "closest: 5: Night Train to Lyon, A (1968)"]


@pytest.mark.neo4j
def test_tag_entities_make_tags_usable(db: Driver, run_cli: RunCli, ml_dir: Path) -> None:
    """``entities = true``: each distinct tag an (:Entity:Tag) linked by HAS_TAG, used by --entity, --diverse,
    explain."""
    _rewrite(ml_dir / "movielens.toml", 'tag = "tag"', 'entities = true\ntag = "tag"')
    with (ml_dir / "tags.csv").open("a") as fh:   # a second giver of clockwork on 2; clockwork on 5 too
        fh.write("1,2,clockwork,964982800\n4,5,clockwork,1007574800\n")
    result = run_cli("load", "csv", "--mapping", str(ml_dir / "movielens.toml"))
    assert result.exit_code == 0, result.output
    # 7 distinct tags; 8 (item, tag) pairs: clockwork on 2 and 5, dark comedy, sci-fi on 2, "quirky, sweet" on 3,
    # sailing and slow on 1, noir on 5
    stats = graph_stats(db)
    assert stats["nodes"] == {"User": 6, "Item": 6, "Entity": 15, "Genre": 8, "Tag": 7, "Dataset": 1}
    assert stats["relationships"] == {"RATED": 12, "TAGGED": 7, "HAS_GENRE": 12, "HAS_TAG": 8}
    assert ("tags.csv: 7 distinct tags as (:Entity:Tag) nodes, linked to their items by 8 HAS_TAG relationships"
            in result.output)
    links = db.execute_query("MATCH (i:Item)-[h:HAS_TAG]->(t:Entity:Tag) RETURN i.id AS i, t.id AS t, t.name AS n, "
                             "t.kind AS k, h.count AS c ORDER BY i, t").records
    got = {(r["i"], r["t"]): (r["n"], r["k"], r["c"]) for r in links}
    assert got[("2", "tag:clockwork")] == ("clockwork", "tag", 2)   # users 1 and 2; user 2's repeat counted once
    assert got[("3", "tag:quirky, sweet")] == ("quirky, sweet", "tag", 1)
    assert sorted(got) == sorted([("1", "tag:sailing"), ("1", "tag:slow"), ("2", "tag:clockwork"),
                                  ("2", "tag:dark comedy"), ("2", "tag:sci-fi"), ("3", "tag:quirky, sweet"),
                                  ("5", "tag:clockwork"), ("5", "tag:noir")])
    # explain: user 2 tagged 2 "clockwork", and 5 has that tag too
    why = run_cli("explain", "2", "5", "--json")
    assert why.exit_code == 0, why.output
    assert "same tag clockwork" in json.loads(why.stdout)["sentence"]
    assert run_cli("--quiet", "train", "--model", "popularity").exit_code == 0
    # user 3 rated 1, 4 and 5: of the clockwork items only 2 is left
    only = run_cli("recommend", "3", "--entity", "tag:clockwork", "--json")
    assert only.exit_code == 0, only.output
    assert [r["item"] for r in json.loads(only.stdout)] == ["2"]
    diverse = run_cli("recommend", "3", "--diverse", "1", "--json")
    assert diverse.exit_code == 0, diverse.output
    ents = {r["item"]: r["entities"] for r in json.loads(diverse.stdout)}
    assert {"tag:clockwork", "tag:sci-fi", "tag:dark comedy", "genre:Comedy"} <= set(ents["2"])


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('tag = "tag"', 'tag = "tag"\nentities = "yes"', "behaviours[1].entities", "must be true or false"),
    ('weight = "rating"', 'weight = "rating"\nentities = true', "behaviours[0].entities", "needs `tag`"),
    ('tag = "tag"', 'tag = "tag"\nentities = true', "behaviours[1].entities", "items.entities.genres already links"),
])
def test_bad_tag_entities_names_the_key(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    path = Path(shutil.copy(ML_CURRENT / "movielens.toml", tmp_path / "m.toml"))
    _rewrite(path, old, new)
    if problem.startswith("items.entities"):
        _rewrite(path, 'relationship = "HAS_GENRE"', 'relationship = "HAS_TAG"')
    with pytest.raises(InputError) as e:
        read_mapping(path)
    assert (e.value.field, e.value.line) == (key, None)
    assert problem in e.value.problem
