"""KGAT releases load as published: names with spaces in the id lists, and folders without a KG
(issue 10, failure 8). Fixtures are the tiny KGAT fixture, edited the way the official releases differ."""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

from graphrec.ingest.stats import graph_stats
from tests.ingest.conftest import RunCli

pytestmark = pytest.mark.neo4j


def _rewrite(path: Path, line: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")


def test_names_with_spaces_keep_the_last_field_as_remap_id(db: Driver, run_cli: RunCli, kgat_dir: Path) -> None:
    # amazon-book's entity_list.txt:25710 reads like this: the remap id is the last field
    _rewrite(kgat_dir / "entity_list.txt", 7, "Love  in the Time of Cholera 5")
    _rewrite(kgat_dir / "entity_list.txt", 8, "m.1z 6")
    _rewrite(kgat_dir / "item_list.txt", 3, "The Book of B 1 m.0b")  # remap id second to last, by the header
    _rewrite(kgat_dir / "user_list.txt", 2, "user a 0")
    result = run_cli("--quiet", "load", "kgat", "--path", str(kgat_dir), "--name", "spaced")
    assert result.exit_code == 0, result.output
    stats = graph_stats(db)
    assert stats["nodes"] == {"User": 3, "Item": 4, "Entity": 3, "Dataset": 1}
    assert stats["splits"] == {"INTERACTED": {"train": 8, "test": 3}}
    names = {r["id"]: r["name"] for r in db.execute_query("MATCH (e:Entity) RETURN e.id AS id, e.name AS name")
             .records}
    assert names == {"kg:4": "m.1x", "kg:5": "Love in the Time of Cholera", "kg:6": "m.1z"}
    item = db.execute_query("MATCH (i:Item {id: '1'}) RETURN i.org_id AS org, i.freebase_id AS fb").records[0]
    assert (item["org"], item["fb"]) == ("The Book of B", "m.0b")
    user = db.execute_query("MATCH (u:User {id: '0'}) RETURN u.org_id AS org").records[0]
    assert user["org"] == "user a"


def test_an_entity_with_an_empty_name_loads(db: Driver, run_cli: RunCli, kgat_dir: Path) -> None:
    # amazon-book's entity_list.txt:30183 is " 30181": no name, only the remap id (the fixture's line 8 too)
    assert (kgat_dir / "entity_list.txt").read_text().splitlines()[7] == " 6"
    result = run_cli("--quiet", "load", "kgat", "--path", str(kgat_dir), "--name", "unnamed")
    assert result.exit_code == 0, result.output
    names = {r["id"]: r["name"] for r in db.execute_query("MATCH (e:Entity) RETURN e.id AS id, e.name AS name")
             .records}
    assert names == {"kg:4": "m.1x", "kg:5": "m.1y", "kg:6": "6"}   # named by its remap id, as without a list
    assert db.execute_query("MATCH (:Item {id: '3'})-[r]->(:Entity {id: 'kg:6'}) RETURN count(r) AS n"
                            ).records[0]["n"] == 1


def test_a_line_without_remap_id_is_one_line(db: Driver, run_cli: RunCli, kgat_dir: Path) -> None:
    _rewrite(kgat_dir / "entity_list.txt", 7, "Love in the Time of Cholera")
    result = run_cli("--quiet", "load", "kgat", "--path", str(kgat_dir))
    assert result.exit_code == 2
    assert result.output.strip().endswith("entity_list.txt:7: remap_id: not an integer: 'Cholera'"), result.output
    assert graph_stats(db)["nodes"] == {}


def test_interactions_only_folder_loads_with_a_note(db: Driver, run_cli: RunCli, kgat_dir: Path) -> None:
    (kgat_dir / "kg_final.txt").unlink()
    (kgat_dir / "entity_list.txt").unlink()
    (kgat_dir / "relation_list.txt").unlink()
    result = run_cli("load", "kgat", "--path", str(kgat_dir), "--name", "no-kg")
    assert result.exit_code == 0, result.output
    assert "note: no kg_final.txt in " in result.output and "interactions only" in result.output
    stats = graph_stats(db)
    assert stats["nodes"] == {"User": 3, "Item": 4, "Dataset": 1}
    assert stats["relationships"] == {"INTERACTED": 11}
    assert stats["splits"] == {"INTERACTED": {"train": 8, "test": 3}}
