"""Every malformed input stops the load with one line ``file:line: field: problem``, exit 1, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from neo4j import Driver

from tests.conftest import DATASETS
from tests.ingest.conftest import ERROR_LINE, FIXTURES, RunCli, copy_dataset, replace_file

pytestmark = pytest.mark.neo4j

ML = DATASETS / "movielens-100k"
LASTFM = DATASETS / "hetrec-lastfm-2k"


def _edit(src: Path, name: str, line: int, new: bytes) -> Callable[[Path], None]:
    """Replace 1-based ``line`` of ``name`` (read from ``src``) with ``new``."""

    def apply(folder: Path) -> None:
        lines = (src / name).read_bytes().split(b"\n")
        lines[line - 1] = new
        replace_file(folder, name, b"\n".join(lines))

    return apply


def _append(src: Path, name: str, extra: bytes) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        replace_file(folder, name, (src / name).read_bytes() + extra)

    return apply


def _remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


# (id, dataset, source folder, edit, expected file name, line, field, words in the problem)
CASES = [
    ("ml-rating-not-int", "movielens-100k", ML, _edit(ML, "u.data", 5, b"166\t346\tfive\t886397596"),
     "u.data", 5, "rating", "not an integer"),
    ("ml-rating-range", "movielens-100k", ML, _edit(ML, "u.data", 7, b"115\t265\t9\t881171488"),
     "u.data", 7, "rating", "outside"),
    ("ml-columns", "movielens-100k", ML, _edit(ML, "u.data", 3, b"22\t377\t1"), "u.data", 3, "columns",
     "expected 4 fields"),
    ("ml-timestamp", "movielens-100k", ML, _edit(ML, "u.data", 99_999, b"880\t476\t3\tyesterday"),
     "u.data", 99_999, "timestamp", "not epoch seconds"),
    ("ml-unknown-user", "movielens-100k", ML, _edit(ML, "u.data", 10, b"9999\t1\t3\t881250949"), "u.data", 10,
     "user id", "not in u.user"),
    ("ml-encoding", "movielens-100k", ML, _edit(ML, "u.data", 12, b"200\t222\t5\t\xff876042340"), "u.data", 12,
     "encoding", "not valid utf-8"),
    ("ml-genre-flag", "movielens-100k", ML,
     _edit(ML, "u.item", 4, b"4|Get Shorty (1995)|01-Jan-1995||http://x|0|1|0|0|0|2|0|0|1|0|0|0|0|0|0|0|0|0|0"),
     "u.item", 4, "genre Comedy", "0 or 1"),
    ("ml-gender", "movielens-100k", ML, _edit(ML, "u.user", 2, b"2|53|X|other|94043"), "u.user", 2, "gender",
     "not M or F"),
    ("ml-duplicate-rating", "movielens-100k", ML, _append(ML, "u.data", b"196\t242\t4\t881250950\n"),
     "u.data", 100_001, "item", "a second time"),
    ("lastfm-weight", "lastfm-2k", LASTFM, _edit(LASTFM, "user_artists.dat", 3, b"2\t52\t-4\r"),
     "user_artists.dat", 3, "weight", "outside"),
    ("lastfm-self-friend", "lastfm-2k", LASTFM, _edit(LASTFM, "user_friends.dat", 2, b"2\t2\r"),
     "user_friends.dat", 2, "friendID", "own friend"),
    ("lastfm-date", "lastfm-2k", LASTFM, _edit(LASTFM, "user_taggedartists.dat", 2, b"2\t52\t13\t31\t2\t2009\r"),
     "user_taggedartists.dat", 2, "day", "not a date"),
    ("csv-weight", "csv", FIXTURES / "csv", _edit(FIXTURES / "csv", "interactions.csv", 3, b"u1,i2,rated,1,lots,"),
     "interactions.csv", 3, "weight", "not a number"),
    ("csv-split", "csv", FIXTURES / "csv", _edit(FIXTURES / "csv", "interactions.csv", 2, b"u1,i1,rated,,1,holdout"),
     "interactions.csv", 2, "split", "not one of"),
    ("csv-unknown-item", "csv", FIXTURES / "csv", _edit(FIXTURES / "csv", "interactions.csv", 4, b"u2,i9,viewed,,,"),
     "interactions.csv", 4, "item", "not in items.csv"),
    ("csv-columns", "csv", FIXTURES / "csv", _edit(FIXTURES / "csv", "items.csv", 3, b"i2,Kind of Blue,,1959"),
     "items.csv", 3, "columns", "expected 5 fields"),
    ("csv-int-column", "csv", FIXTURES / "csv", _edit(FIXTURES / "csv", "items.csv", 5, b"i4,H,Solar,late 60s,"),
     "items.csv", 5, "year", "not an integer"),
    ("csv-encoding", "csv", FIXTURES / "csv", _edit(FIXTURES / "csv", "users.csv", 3, b"u2,,D\xe9"),
     "users.csv", 3, "encoding", "not valid utf-8"),
    ("csv-timestamp", "csv", FIXTURES / "csv", _edit(FIXTURES / "csv", "interactions.csv", 6, b"u3,i4,bought,May,1,"),
     "interactions.csv", 6, "timestamp", "not epoch seconds"),
    ("csv-empty-id", "csv", FIXTURES / "csv", _edit(FIXTURES / "csv", "triples.csv", 3, b" ,has genre,genre:Jazz"),
     "triples.csv", 3, "head", "empty id"),
    ("kgat-item", "kgat", FIXTURES / "kgat", _edit(FIXTURES / "kgat", "train.txt", 2, b"1 1 x3"),
     "train.txt", 2, "item 2", "not an integer"),
    ("kgat-entity", "kgat", FIXTURES / "kgat", _edit(FIXTURES / "kgat", "kg_final.txt", 4, b"3 1 60"),
     "kg_final.txt", 4, "tail", "not in entity_list.txt"),
]


@pytest.mark.parametrize(("dataset", "src", "edit", "file", "line", "field", "problem"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_row_one_line_nothing_written(db: Driver, run_cli: RunCli, tmp_path: Path, dataset: str, src: Path,
                                          edit: Callable[[Path], None], file: str, line: int, field: str,
                                          problem: str) -> None:
    folder = copy_dataset(src, tmp_path / "data")
    edit(folder)
    result = run_cli("--quiet", "load", dataset, "--path", str(folder))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    m = ERROR_LINE.match(lines[0])
    assert m, lines[0]
    assert Path(m["file"]).name == file and int(m["line"]) == line and m["field"] == field
    assert problem.lower() in m["problem"].lower()
    assert db.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == 0


@pytest.mark.parametrize(("dataset", "src", "missing"), [
    ("movielens-100k", ML, "u.item"), ("lastfm-2k", LASTFM, "user_friends.dat"),
    ("csv", FIXTURES / "csv", "interactions.csv"), ("kgat", FIXTURES / "kgat", "test.txt"),
])
def test_missing_file_names_file_and_layout(db: Driver, run_cli: RunCli, tmp_path: Path, dataset: str,
                                            src: Path, missing: str) -> None:
    folder = copy_dataset(src, tmp_path / "data")
    _remove(missing)(folder)
    result = run_cli("--quiet", "load", dataset, "--path", str(folder))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert f"{missing}: file: missing; expected layout: {dataset}:" in lines[0]
    assert db.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == 0


def test_kg_option_only_for_lastfm(db: Driver, run_cli: RunCli) -> None:
    result = run_cli("--quiet", "load", "movielens-100k", "--kg")
    assert result.exit_code == 1
    assert result.output.strip() == ("graphrec: error: --kg/--kg-path apply to lastfm-2k only "
                                     "(kgat and csv bring their own triples)")
