from __future__ import annotations

import re

import pytest
from neo4j import Driver

from graphrec.db.labels import quote, sanitize_type
from graphrec.db.queries import render, statements


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("film.film.genre", "FILM_FILM_GENRE"),
        ("http://schema.org/byArtist", "BY_ARTIST"),
        ("http://rdf.freebase.com/ns/music.artist.origin", "MUSIC_ARTIST_ORIGIN"),
        ("has genre", "HAS_GENRE"),
        ("1st-relation", "R_1ST_RELATION"),
    ],
)
def test_sanitize(raw: str, expected: str) -> None:
    assert sanitize_type(raw) == expected


def test_quote_allowlist() -> None:
    assert quote("User") == "`User`"
    assert quote("FILM_FILM_GENRE") == "`FILM_FILM_GENRE`"
    for bad in ("User`) DETACH DELETE (n", "lower_case", "", "Item:Admin"):
        with pytest.raises(ValueError):
            quote(bad)


def test_sanitize_rejects_empty() -> None:
    with pytest.raises(ValueError):
        sanitize_type("///")


def test_statements_split_and_render_checks() -> None:
    assert len(statements("RETURN 1\n;\n// only a comment\n;\nRETURN 2")) == 2
    with pytest.raises(ValueError):
        render("schema/constraints", label="x y")  # every value is checked, used or not
    # an allowlisted value that the file does not use leaves it unchanged
    assert "User" in render("schema/constraints")


def test_schema_names_are_pasted_quoted() -> None:
    from graphrec.db.labels import SchemaName

    # a name checked against the schema may be anything the database has, and is quoted safely
    assert quote(SchemaName("Person", "label")) == "`Person`"
    assert quote(SchemaName("weird`name", "label")) == "`weird``name`"
    with pytest.raises(ValueError):
        quote("Person")   # the same text, not schema-checked
    text = render("extract/node_page", label=SchemaName("Person", "label"), id=SchemaName("personId", "property"))
    assert "(n:`Person`)" in text and "n.`personId` > $after" in text
    assert "(e:`Genre`|`Tag`)" in render("features/item_text_page", label="Item", id="id", entity=("Genre", "Tag"))
    with pytest.raises(ValueError):
        render("features/item_text_page", label="Item", id="id", entity=("Genre", "Person"))


def test_check_mapping_against_the_schema(db: Driver) -> None:
    from graphrec.db.labels import SchemaName
    from graphrec.db.names import check_mapping
    from graphrec.mapping import DEFAULT_MAPPING, MappingError, parse_mapping

    assert check_mapping(db, DEFAULT_MAPPING) is DEFAULT_MAPPING   # graphrec's own names: nothing to check
    db.execute_query("CREATE (:Person {pid: 'p'})-[:LIKES {w: 1}]->(:Thing {tid: 't', label: 'x'})")
    raw = {"user": {"label": "Person", "id": "pid"}, "item": {"label": "Thing", "id": "tid", "text": ["label"]},
           "entities": [], "behaviours": {"LIKES": {"weight": "w"}}}
    m = check_mapping(db, parse_mapping(raw, "g.toml"))
    assert isinstance(m.user.label, SchemaName) and isinstance(m.item.id, SchemaName)
    assert isinstance(m.behaviours[0].type, SchemaName) and m.behaviours[0].weight == "w"
    for key, value, where in (("user", {"label": "Persn"}, "user.label"),
                              ("item", {"label": "Thing", "id": "nope"}, "item.id"),
                              ("behaviours", {"LOVES": {}}, "behaviours.LOVES")):
        with pytest.raises(MappingError, match=rf"^g.toml: \[graph\] {re.escape(where)}: .* is not a .* in the "
                                               r"database"):
            check_mapping(db, parse_mapping({**raw, key: value}, "g.toml"))


def test_own_properties_quote_but_are_not_labels() -> None:
    from graphrec.db.labels import is_allowed

    assert quote("id") == "`id`" and not is_allowed("id")   # an id placeholder, never a label to write


def test_schema_name_survives_pickling() -> None:
    import pickle

    from graphrec.db.labels import SchemaName

    back = pickle.loads(pickle.dumps(SchemaName("Person", "label")))
    assert isinstance(back, SchemaName)
    assert (str(back), back.kind) == ("Person", "label")
