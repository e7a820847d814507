"""Labels, relationship types and property keys pasted into Cypher come only from here.

A name is pasted (backtick-quoted) when it is graphrec's own (the allowlists below, or a sanitised
UPPER_SNAKE type) or when it is a :class:`SchemaName`: a name from the graph mapping that
:func:`graphrec.db.names.check_mapping` found in the database schema (``db.labels()``,
``db.relationshipTypes()``, ``db.propertyKeys()``). Any other string is refused.
"""

from __future__ import annotations

import re

NODE_LABELS = frozenset(
    {"User", "Item", "Entity", "Dataset", "ModelRun", "Genre", "Tag", "Occupation", "AgeGroup", "Gender",
     "Artist", "Relation"}
)
"""Node labels graphrec writes."""

BEHAVIOURS = frozenset({"RATED", "VIEWED", "BOUGHT", "LISTENED", "TAGGED", "CLICKED", "INTERACTED", "LIKED"})
"""User→item behaviour relationship types."""

FIXED_TYPES = frozenset({"FRIEND", "HAS_GENRE", "HAS_TAG", "HAS_OCCUPATION", "IN_AGE_GROUP", "HAS_GENDER",
                         "RECOMMENDED", "SAME_AS"})
"""Other relationship types graphrec writes itself."""

PROPERTIES = frozenset({"id", "name", "title", "text", "kind"})
"""Node properties graphrec's own loaders key and name nodes by (pasted as id properties)."""


class SchemaName(str):
    """A label, relationship type or property key that exists in the database schema.

    Made only by :func:`graphrec.db.names.check_mapping` (and :func:`schema_names`) after reading the
    schema, so :func:`quote` can paste it. ``kind`` is ``label``, ``type`` or ``property``.
    """

    kind: str

    def __new__(cls, value: str, kind: str) -> SchemaName:
        obj = super().__new__(cls, value)
        obj.kind = kind
        return obj

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (str(self), self.kind)           # pickling (a RecGraph sent to a worker, saved for later)


_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def sanitize_type(raw: str) -> str:
    """Turn a relation name or IRI into an UPPER_SNAKE relationship type.

    ``"film.film.genre"`` → ``FILM_FILM_GENRE``; ``"http://schema.org/byArtist"`` → ``BY_ARTIST``.
    The caller keeps ``raw`` as a property so nothing is lost.

    Raises:
        ValueError: nothing usable is left.
    """
    tail = raw.rstrip("/#")
    if "://" in tail:
        tail = re.split(r"[/#]", tail)[-1]
    tail = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", tail)
    out = re.sub(r"[^A-Za-z0-9]+", "_", tail).strip("_").upper()
    if not out:
        raise ValueError(f"cannot make a relationship type from {raw!r}")
    if out[0].isdigit():
        out = "R_" + out
    return out[:64]


def is_allowed(name: str) -> bool:
    """True for a schema-checked name, an allowlisted label/type, or a sanitised UPPER_SNAKE type."""
    if isinstance(name, SchemaName) and name:
        return True
    if name in NODE_LABELS or name in BEHAVIOURS or name in FIXED_TYPES:
        return True
    return bool(_NAME.match(name)) and name == name.upper() and sanitize_type(name) == name


def quote(name: str) -> str:
    """Backtick-quote an allowed label, relationship type or property key (backticks inside doubled).

    Raises:
        ValueError: ``name`` is neither schema-checked, allowlisted nor a sanitised type.
    """
    if not (is_allowed(name) or name in PROPERTIES):
        raise ValueError(f"label or relationship type {name!r} is not allowed")
    return "`" + name.replace("`", "``") + "`"
