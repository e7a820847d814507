"""Entity conventions shared by the adapters: namespaced ids, kind labels, age groups.

Entity ids are ``"<kind>:<key>"`` (``genre:Comedy``, ``tag:73``, ``occupation:writer``,
``age_group:25-34``, ``gender:F``, ``kg:1234``); an entity of an allowlisted kind also carries that
kind's label (``:Entity:Genre``).
"""

from __future__ import annotations

from graphrec.ingest.records import GraphRecords

KIND_LABELS = {"genre": "Genre", "tag": "Tag", "occupation": "Occupation", "age_group": "AgeGroup",
               "gender": "Gender"}
"""Second label of each entity kind graphrec knows; other kinds (``kg``…) are plain ``:Entity``."""

USER_ATTRIBUTE_TYPES = {"occupation": "HAS_OCCUPATION", "age_group": "IN_AGE_GROUP", "gender": "HAS_GENDER"}
"""Relationship type from a user to each of its attribute entities."""

AGE_GROUPS = ((1, "under-18"), (18, "18-24"), (25, "25-34"), (35, "35-44"), (45, "45-49"), (50, "50-55"),
              (56, "56+"))
"""MovieLens-1M's age groups ``(lowest age, name)``; ML-100K's raw ages are binned into the same groups."""


def entity_id(kind: str, key: str) -> str:
    """The namespaced id of an entity: ``entity_id("genre", "Comedy") == "genre:Comedy"``."""
    return f"{kind}:{key}"


def age_group(age: int) -> str:
    """The MovieLens-1M age group an age falls in (``25`` → ``"25-34"``)."""
    name = AGE_GROUPS[0][1]
    for lowest, group in AGE_GROUPS:
        if age >= lowest:
            name = group
    return name


def add_entity(records: GraphRecords, kind: str, key: str, name: str, source: str) -> str:
    """Add ``(:Entity {id, name, kind})`` (plus the kind's label when it has one); returns its id."""
    eid = entity_id(kind, key)
    records.node_set("Entity", source, KIND_LABELS.get(kind)).add(eid, name=name, kind=kind)
    return eid


def add_user_attribute(records: GraphRecords, user: str, kind: str, key: str, name: str, source: str) -> None:
    """Link a user to an attribute entity (occupation, age group, gender), creating the entity."""
    eid = add_entity(records, kind, key, name, source)
    records.rel_set(USER_ATTRIBUTE_TYPES[kind], "User", "Entity", source).add(user, eid)
