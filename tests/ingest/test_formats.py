"""The small formats load exactly from fixture files: movielens-1m, kgat (plain and zipped KG), csv."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from neo4j import Driver

from graphrec.ingest.stats import graph_stats
from tests.ingest.conftest import FIXTURES, RunCli

pytestmark = pytest.mark.neo4j


def test_movielens_1m_fixture(db: Driver, run_cli: RunCli) -> None:
    result = run_cli("--quiet", "load", "movielens-1m", "--path", str(FIXTURES / "ml-1m"))
    assert result.exit_code == 0, result.output
    stats = graph_stats(db)
    assert stats["nodes"]["User"] == 3 and stats["nodes"]["Item"] == 3
    assert stats["nodes"]["Genre"] == 7 and stats["nodes"]["AgeGroup"] == 3 and stats["nodes"]["Occupation"] == 3
    assert stats["relationships"]["RATED"] == 5 and stats["relationships"]["HAS_GENRE"] == 8
    row = db.execute_query("MATCH (u:User {id: '1'})-[:HAS_OCCUPATION]->(o), (u)-[:IN_AGE_GROUP]->(a), "
                           "(i:Item {id: '3'}) RETURN o.name AS occ, a.name AS age, i.title AS title, "
                           "i.year AS year").records[0]
    assert row["occ"] == "K-12 student" and row["age"] == "under-18"
    assert row["title"] == "Misérables, Les (1995)" and row["year"] == 1995


@pytest.mark.parametrize("zipped", [False, True], ids=["kg_final.txt", "kg_final.txt.zip"])
def test_kgat_fixture(db: Driver, run_cli: RunCli, kgat_dir: Path, zipped: bool) -> None:
    if zipped:
        with zipfile.ZipFile(kgat_dir / "kg_final.txt.zip", "w") as zf:
            zf.write(kgat_dir / "kg_final.txt", "kg_final.txt")
        (kgat_dir / "kg_final.txt").unlink()
    result = run_cli("--quiet", "load", "kgat", "--path", str(kgat_dir), "--name", "tiny-kgat")
    assert result.exit_code == 0, result.output
    stats = graph_stats(db)
    assert stats["nodes"] == {"User": 3, "Item": 4, "Entity": 3, "Dataset": 1}
    assert stats["splits"] == {"INTERACTED": {"train": 8, "test": 3}}
    rels = stats["relationships"]
    assert rels["BOOK_WRITTEN_WORK_AUTHOR"] == 3 and rels["BOOK_BOOK_GENRE"] == 3
    assert rels["PEOPLE_PERSON_NATIONALITY"] == 1
    item_item = db.execute_query("MATCH (:Item {id: '2'})-[r:BOOK_BOOK_GENRE]->(:Item {id: '3'}) "
                                 "RETURN r.source AS s").records
    assert item_item[0]["s"] == "http://rdf.freebase.com/ns/book.book.genre"
    assert stats["datasets"][0]["name"] == "tiny-kgat"


def test_csv_fixture(db: Driver, run_cli: RunCli, csv_dir: Path) -> None:
    result = run_cli("--quiet", "load", "csv", "--path", str(csv_dir))
    assert result.exit_code == 0, result.output
    stats = graph_stats(db)
    assert stats["nodes"] == {"User": 3, "Item": 4, "Entity": 3, "Genre": 1, "Dataset": 1}
    assert stats["splits"] == {"RATED": {"train": 2, "test": 1}, "VIEWED": {"train": 2},
                               "BOUGHT": {"valid": 1}}
    rels = stats["relationships"]
    assert rels["HAS_GENRE"] == 2 and rels["BY_ARTIST"] == 1 and rels["INFLUENCED"] == 1 and rels["BORN_IN"] == 1
    rated = db.execute_query("MATCH (:User {id: 'u1'})-[r:RATED]->(:Item {id: 'i2'}) "
                             "RETURN r.rating AS rating, r.weight AS w, r.ts AS ts").records
    assert [(r["rating"], r["w"], r["ts"]) for r in rated] == [(4.0, 4.0, 1714521601)]  # last row wins
    viewed = db.execute_query("MATCH (:User {id: 'u2'})-[r:VIEWED]->() RETURN r.ts AS ts").records
    assert viewed[0]["ts"] == 1714636800  # 2024-05-02T10:00:00+02:00
    items = {r["id"]: r for r in db.execute_query(
        "MATCH (i:Item) RETURN i.id AS id, i.text AS text, i.year AS year, i.director AS director").records}
    assert items["i1"]["text"] == "Hard bop album, recorded 1957" and items["i1"]["year"] == 1957
    assert items["i2"]["text"] == "Kind of Blue. director: Miles Davis."
    assert items["i3"]["year"] is None and items["i3"]["director"] == "Ornette Coleman"
    assert items["i4"]["text"] == "Solar jazz"
    user = db.execute_query("MATCH (u:User {id: 'u1'}) RETURN u.age AS age, u.country AS c").records[0]
    assert (user["age"], user["c"]) == (34, "FR")
    genre = db.execute_query("MATCH (g:Entity:Genre) RETURN g.id AS id, g.name AS name, g.kind AS kind").records
    assert [(g["id"], g["name"], g["kind"]) for g in genre] == [("genre:Jazz", "Jazz", "genre")]


def test_one_dataset_per_database(db: Driver, run_cli: RunCli, csv_dir: Path) -> None:
    assert run_cli("--quiet", "load", "csv", "--path", str(csv_dir)).exit_code == 0
    result = run_cli("--quiet", "load", "movielens-1m", "--path", str(FIXTURES / "ml-1m"))
    assert result.exit_code == 1
    assert "already holds dataset 'csv:csv'" in result.output
    assert graph_stats(db)["relationships"].get("HAS_GENRE") == 2  # nothing of movielens-1m written
