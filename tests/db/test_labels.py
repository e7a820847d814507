from __future__ import annotations

import pytest

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
