"""Check a graph mapping's names against the database schema, so that they may be pasted into Cypher.

:func:`check_mapping` reads ``db.labels()``, ``db.relationshipTypes()`` and ``db.propertyKeys()``
once and returns the mapping with every name turned into a :class:`~graphrec.db.labels.SchemaName`,
which :func:`graphrec.db.labels.quote` accepts; a name the database does not have is one
:class:`~graphrec.mapping.MappingError` line naming the config key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from neo4j import Driver

from graphrec.db.driver import read
from graphrec.db.labels import SchemaName
from graphrec.db.queries import load_query
from graphrec.mapping import BehaviourMap, GraphMapping, MappingError, NodeMap

OWN_PROPERTIES = ("text_embedding", "text_hash")
"""Node properties ``graphrec embed-text`` writes (the text vector and the hash of the text it encoded)."""
RUN_PROPERTY = re.compile(r"^(embedding|mips|fold|seen)_[a-z0-9_]*_\d{8}t\d{6}_[0-9a-f]{6}$")
"""Node properties ``publish`` writes per run: ``<prefix>_<run key>`` for a generated run id
(:func:`graphrec.writeback.runs.new_run_id`, ``graph-20250101T120000-abc123`` → key
``graph_20250101t120000_abc123``): the vectors, their MIPS form, an item–item model's fold-in factors
and the per-user counts ``refresh`` compares."""


def own_property(name: str) -> str | None:
    """What graphrec writes under node property ``name`` itself (so an input column may not be stored
    under it), or ``None`` for a name that is the user's."""
    if name in OWN_PROPERTIES:
        return "written by `graphrec embed-text`"
    if RUN_PROPERTY.match(name):
        return "a model run's own property, written by `graphrec publish`"
    return None


@dataclass(frozen=True)
class Schema:
    """The names a database has."""

    labels: frozenset[str]
    types: frozenset[str]
    keys: frozenset[str]


def read_schema(driver: Driver) -> Schema:
    """The database's labels, relationship types and property keys (one query)."""
    rec = read(driver, load_query("extract/schema_names"))[0]
    return Schema(labels=frozenset(rec["labels"]), types=frozenset(rec["types"]), keys=frozenset(rec["keys"]))


def _list(names: Iterable[str]) -> str:
    shown = sorted(names)
    return ", ".join(shown[:20]) + (", …" if len(shown) > 20 else "") if shown else "none"


class _Checker:
    def __init__(self, schema: Schema, source: str) -> None:
        self.schema = schema
        self.source = source

    def _fail(self, where: str, value: str, what: str, have: Iterable[str]) -> MappingError:
        return MappingError(f"{self.source}: [graph] {where}: {value!r} is not {what} in the database "
                            f"({what.split()[-1]}s: {_list(have)})")

    def label(self, value: str, where: str) -> SchemaName:
        if value not in self.schema.labels:
            raise self._fail(where, value, "a label", self.schema.labels)
        return SchemaName(value, "label")

    def rtype(self, value: str, where: str) -> SchemaName:
        if value not in self.schema.types:
            raise self._fail(where, value, "a relationship type", self.schema.types)
        return SchemaName(value, "type")

    def key(self, value: str, where: str) -> SchemaName:
        if value not in self.schema.keys:
            raise self._fail(where, value, "a property key", self.schema.keys)
        return SchemaName(value, "property")

    def node(self, n: NodeMap, where: str) -> NodeMap:
        text = tuple(self.key(t, f"{where}.text") for t in n.text)
        title = self.key(n.title, f"{where}.title") if n.title in self.schema.keys else n.title
        return NodeMap(label=self.label(n.label, f"{where}.label"), id=self.key(n.id, f"{where}.id"), text=text,
                       title=title)

    def behaviour(self, b: BehaviourMap) -> BehaviourMap:
        where = f"behaviours.{b.type}"
        weight = self.key(b.weight, f"{where}.weight") if b.weight is not None else None
        ts = self.key(b.timestamp, f"{where}.timestamp") if b.timestamp != "ts" else b.timestamp
        return replace(b, type=self.rtype(b.type, where), weight=weight, timestamp=ts)


def check_mapping(driver: Driver, mapping: GraphMapping, schema: Schema | None = None) -> GraphMapping:
    """Check every name of an explicit mapping against the database schema.

    The default mapping (graphrec's own allowlisted names) is returned unchanged. A title property
    that no node has yet is kept but not pasted anywhere (it is only read as a ``$parameter``), and
    the default timestamp ``ts`` may be absent (relationships without one have no time).

    Returns:
        The mapping with each name a :class:`SchemaName`.

    Raises:
        MappingError: a name the database does not have, naming the config key (exit code 2).
        DatabaseError: the schema could not be read.
    """
    if not mapping.explicit:
        return mapping
    schema = schema or read_schema(driver)
    c = _Checker(schema, mapping.source)
    return replace(mapping, user=c.node(mapping.user, "user"), item=c.node(mapping.item, "item"),
                   entities=tuple(c.node(e, f"entities[{i}]") for i, e in enumerate(mapping.entities)),
                   behaviours=tuple(c.behaviour(b) for b in mapping.behaviours))


def is_checked(mapping: GraphMapping) -> bool:
    """Whether ``mapping``'s names may be pasted as they are: the defaults, or the result of
    :func:`check_mapping`."""
    return not mapping.explicit or isinstance(mapping.user.label, SchemaName)


def ensure_checked(driver: Driver, mapping: GraphMapping) -> GraphMapping:
    """``mapping`` itself when :func:`is_checked`, else :func:`check_mapping` of it."""
    return mapping if is_checked(mapping) else check_mapping(driver, mapping)


def schema_names(driver: Driver, names: Iterable[str], kind: str = "label") -> list[SchemaName]:
    """Those of ``names`` that the database has (as labels, ``kind="label"``, or relationship types,
    ``kind="type"``), as :class:`SchemaName` (e.g. labels stored on a ``ModelRun`` by publish)."""
    schema = read_schema(driver)
    have = schema.labels if kind == "label" else schema.types
    return [SchemaName(n, kind) for n in names if n in have]


def mapping_names(mapping: GraphMapping) -> dict[str, str | tuple[str, ...]]:
    """The placeholder values of a mapping, for :func:`graphrec.db.queries.render`: ``user``, ``item``,
    ``entity`` (the entity labels, pasted as a label expression), ``user_id``, ``item_id`` and
    ``entity_id`` (the first entity type's id property: an entity lookup on it is an index seek; the
    queries fall back to ``$entity_keys`` when the entity types' id properties differ)."""
    return {"user": mapping.user.label, "item": mapping.item.label, "entity": mapping.entity_labels,
            "user_id": mapping.user.id, "item_id": mapping.item.id,
            "entity_id": mapping.entities[0].id if mapping.entities else "id"}


def mapping_params(mapping: GraphMapping) -> dict[str, object]:
    """The ``$parameters`` a mapping gives the recommend queries: ``entity_keys`` (the entities' id
    properties), ``title_key`` (the item's title property), ``name_keys`` (display-name properties) and
    ``weight_keys`` (the behaviours' weight properties: the mapped ones, then ``rating`` and ``weight``) and
    ``entity_links_out`` (whether every item–entity link points from the item to the entity, as graphrec's
    own loaders write them: true for the default mapping; a ``[graph]`` mapping's links may point either
    way, so the queries then read both directions)."""
    return {"entity_keys": list(dict.fromkeys(str(e.id) for e in mapping.entities)),
            "title_key": str(mapping.item.title), "name_keys": [str(k) for k in mapping.name_keys],
            "weight_keys": list(dict.fromkeys([*(str(b.weight) for b in mapping.behaviours if b.weight),
                                               "rating", "weight"])),
            "entity_links_out": not mapping.explicit}
