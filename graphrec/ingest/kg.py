"""Knowledge-graph triples shared by the KGCN, KGAT and CSV adapters: relation names → relationship types."""

from __future__ import annotations

from graphrec.db.labels import BEHAVIOURS, sanitize_type
from graphrec.ingest.records import GraphRecords
from graphrec.ingest.validate import Line

USER_SIDE_TYPES = frozenset({"FRIEND", "RECOMMENDED", "HAS_OCCUPATION", "IN_AGE_GROUP", "HAS_GENDER"})
"""Fixed types that start at a user; a KG relation with one of these names is renamed ``KG_…``."""


def relation_type(line: Line, field: str, raw: str) -> str:
    """The relationship type for a raw relation name or IRI (``music.artist.origin`` → ``MUSIC_ARTIST_ORIGIN``).

    A name that would collide with a behaviour or a user-side type (``RATED``, ``FRIEND``,
    ``RECOMMENDED``…) is prefixed ``KG_`` so KG triples never pass for user behaviour; item-side fixed
    types (``HAS_GENRE``, ``HAS_TAG``…) are kept as they are.

    Raises:
        InputError: nothing usable is left of the name.
    """
    try:
        t = sanitize_type(raw)
    except ValueError:
        raise line.error(field, f"cannot make a relationship type from {raw!r}") from None
    if t in BEHAVIOURS or t in USER_SIDE_TYPES:
        t = ("KG_" + t)[:64]
    return t


def add_triple(rec: GraphRecords, line: Line, field: str, head: tuple[str, str], raw_relation: str,
               tail: tuple[str, str], source_file: str) -> None:
    """Add ``(head)-[:TYPE {source: raw_relation}]->(tail)``; ends are ``(label, id)``. Duplicates collapse."""
    rel = relation_type(line, field, raw_relation)
    rec.rel_set(rel, head[0], tail[0], source_file, key="source").add(head[1], tail[1], source=raw_relation)
