"""The real datasets load to exactly their published counts; a second load changes nothing."""

from __future__ import annotations

import json

import pytest
from neo4j import Driver

from graphrec.config import Settings
from graphrec.ingest.stats import graph_stats
from tests.ingest.conftest import RunCli

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

ML100K_NODES = {"User": 943, "Item": 1682, "Genre": 19, "Occupation": 21, "AgeGroup": 7, "Gender": 2,
                "Entity": 19 + 21 + 7 + 2, "Dataset": 1}
ML100K_RELS = {"RATED": 100_000, "HAS_GENRE": 2893, "HAS_OCCUPATION": 943, "IN_AGE_GROUP": 943, "HAS_GENDER": 943}


def test_movielens_100k_exact_and_idempotent(db: Driver, run_cli: RunCli, settings: Settings) -> None:
    first = run_cli("--quiet", "load", "movielens-100k", "--split", "u1", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["counts"]["relationships"]["RATED"] == 100_000
    stats = graph_stats(db)
    assert stats["nodes"] == ML100K_NODES
    assert stats["relationships"] == ML100K_RELS
    assert stats["splits"] == {"RATED": {"test": 20_000, "train": 80_000}}
    assert [d["name"] for d in stats["datasets"]] == ["movielens-100k"]
    unknown = db.execute_query("MATCH (i:Item)-[:HAS_GENRE]->(g:Genre {id: 'genre:unknown'}) "
                               "RETURN count(i) AS n").records[0]["n"]
    assert unknown == 2
    rec = db.execute_query(
        "MATCH (u:User {id: '196'})-[r:RATED]->(i:Item {id: '242'}) "
        "OPTIONAL MATCH (u)-[:HAS_OCCUPATION]->(o:Occupation) OPTIONAL MATCH (u)-[:IN_AGE_GROUP]->(a:AgeGroup) "
        "RETURN r.rating AS rating, r.ts AS ts, r.split AS split, i.title AS title, i.year AS year, "
        "i.text AS text, o.id AS occ, a.name AS age, u.age AS raw_age").records[0]
    assert rec["rating"] == 3.0 and rec["ts"] == 881250949 and rec["split"] == "test"  # (196, 242) is in u1.test
    assert rec["title"] == "Kolya (1996)" and rec["year"] == 1997
    assert rec["text"] == "Kolya (1996). Genres: Comedy."
    assert rec["occ"] == "occupation:writer" and rec["age"] == "45-49" and rec["raw_age"] == 49
    latin = db.execute_query("MATCH (i:Item) WHERE i.title STARTS WITH 'Misérables' RETURN count(i) AS n")
    assert latin.records[0]["n"] == 1

    second = run_cli("--quiet", "load", "movielens-100k", "--split", "u1", "--json")
    assert second.exit_code == 0, second.output
    again = graph_stats(db)
    assert {k: again[k] for k in ("nodes", "relationships", "splits")} == \
        {k: stats[k] for k in ("nodes", "relationships", "splits")}
    assert all(t["mode"] == "merge" for t in json.loads(second.output)["write"])

    out = run_cli("stats", "--json")
    assert out.exit_code == 0
    assert json.loads(out.output)["relationships"]["RATED"] == 100_000


def test_lastfm_2k_with_kgcn_kg(big_db: Driver, run_cli: RunCli) -> None:
    db = big_db
    result = run_cli("--quiet", "load", "lastfm-2k", "--kg", "--json")
    assert result.exit_code == 0, result.output
    stats = graph_stats(db)
    assert stats["nodes"]["User"] == 1892
    assert stats["nodes"]["Item"] == 17632
    assert stats["nodes"]["Tag"] == 11946
    rels = stats["relationships"]
    assert rels["LISTENED"] == 92_834
    assert rels["FRIEND"] == 12_717  # one relationship per undirected pair
    assert rels["TAGGED"] == 186_479 - 1538  # assignments on artists missing from artists.dat are skipped
    assert rels["HAS_TAG"] == 108_437
    base = {"LISTENED", "FRIEND", "TAGGED", "HAS_TAG"}
    kg = {t: n for t, n in rels.items() if t not in base}
    assert sum(kg.values()) == 15_518 and len(kg) == 60  # every KGCN triple, 60 relation types
    assert stats["nodes"]["Entity"] == 11_946 + 5520  # tags + non-artist KG entities
    mutual = db.execute_query("MATCH (a:User)-[:FRIEND]->(b:User)-[:FRIEND]->(a) RETURN count(*) AS n")
    assert mutual.records[0]["n"] == 0
    src = db.execute_query("MATCH (:Item {id: '8773'})-[r:MUSIC_ARTIST_ORIGIN]->(e:Entity) "
                           "RETURN r.source AS source, e.id AS id").records
    assert [(r["source"], r["id"]) for r in src] == [("music.artist.origin", "kg:3846")]
    assert stats["splits"]["LISTENED"] == {"train": 92_834}
