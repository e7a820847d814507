"""Row parsing and record rules, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrec.errors import InputError
from graphrec.ingest.entities import age_group
from graphrec.ingest.kg import relation_type
from graphrec.ingest.lastfm import _order
from graphrec.ingest.records import GraphRecords, RelSet
from graphrec.ingest.validate import Line, parse_float, parse_split, parse_timestamp, read_lines

LINE = Line("f.txt", 7, [])


@pytest.mark.parametrize(("value", "expected"), [
    ("881250949", 881250949), ("2024-05-01", 1714521600), ("2024-05-01T02:00:00+02:00", 1714521600),
    ("2024-05-01T00:00:00Z", 1714521600),
])
def test_timestamps(value: str, expected: int) -> None:
    assert parse_timestamp(LINE, "ts", value) == expected


@pytest.mark.parametrize(("value", "problem"), [
    ("881250949000", "between 1970 and 2100"), ("-5", "between 1970 and 2100"), ("soon", "ISO 8601"),
])
def test_bad_timestamps(value: str, problem: str) -> None:
    with pytest.raises(InputError, match=f"f.txt:7: ts: .*{problem}"):
        parse_timestamp(LINE, "ts", value)


def test_numbers_and_splits() -> None:
    assert parse_float(LINE, "w", " 2.5 ") == 2.5
    for bad in ("nan", "inf", "x"):
        with pytest.raises(InputError, match="f.txt:7: w: not"):
            parse_float(LINE, "w", bad)
    assert parse_split(LINE, "split", "") == "train" and parse_split(LINE, "split", "TEST") == "test"


def test_read_lines_checks_columns_and_encoding(tmp_path: Path) -> None:
    f = tmp_path / "x.dat"
    f.write_bytes(b"h1\th2\n1\t2\n\n3\n")
    lines = read_lines(f, "\t", 2, header=True, names=("a", "b"))
    assert next(lines).fields == ["1", "2"]
    with pytest.raises(InputError, match=r"x\.dat:4: columns: expected 2 fields \(a, b\) separated by TAB, found 1"):
        next(lines)
    f.write_bytes(b"ok\n\xe9t\xe9\n")
    with pytest.raises(InputError, match=r"x\.dat:2: encoding: byte 0xe9 at offset 0 is not valid utf-8"):
        list(read_lines(f, None, 1))
    assert [ln.fields for ln in read_lines(f, None, 1, encoding="latin-1")] == [["ok"], ["été"]]


def test_relset_identity_and_duplicates() -> None:
    rs = RelSet("TAGGED", "User", "Item", "t", key="tag")
    assert rs.add("u", "i", tag="tag:1", ts=1) is None
    assert rs.add("u", "i", tag="tag:2", ts=2) is None  # another tag: another relationship
    assert rs.add("u", "i", tag="tag:1", ts=3) == 0  # same identity: replaces
    assert len(rs) == 2 and rs.props["ts"] == [3, 2]
    assert list(rs.rows())[0] == ["u", "i", {"tag": "tag:1", "ts": 3}]
    with pytest.raises(ValueError, match="not allowlisted"):
        RelSet("bad type", "User", "Item", "t")


def test_expected_counts_include_kind_labels() -> None:
    rec = GraphRecords("x")
    rec.node_set("Entity", "s", "Genre").add("genre:A", name="A")
    rec.node_set("Entity", "s").add("kg:1")
    rec.rel_set("HAS_GENRE", "Item", "Entity", "s").add("1", "genre:A")
    assert rec.expected_counts() == {"nodes": {"Entity": 2, "Genre": 1}, "relationships": {"HAS_GENRE": 1}}


def test_relation_types() -> None:
    assert relation_type(LINE, "r", "music.artist.origin") == "MUSIC_ARTIST_ORIGIN"
    assert relation_type(LINE, "r", "http://schema.org/byArtist") == "BY_ARTIST"
    assert relation_type(LINE, "r", "rated") == "KG_RATED"  # never passes for a behaviour
    assert relation_type(LINE, "r", "has genre") == "HAS_GENRE"
    with pytest.raises(InputError, match="f.txt:7: r: cannot make a relationship type"):
        relation_type(LINE, "r", "???")


def test_age_groups_and_friend_order() -> None:
    assert [age_group(a) for a in (7, 18, 24, 25, 49, 50, 56, 73)] == \
        ["under-18", "18-24", "18-24", "25-34", "45-49", "50-55", "56+", "56+"]
    assert _order("10", "9") == ("9", "10") and _order("b", "a") == ("a", "b")
