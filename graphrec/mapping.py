"""The graph mapping: which labels, relationship types and properties of *your* graph graphrec reads.

Read from the ``[graph]`` table of ``graphrec.toml`` (or ``--config``)::

    [graph]
    user = { label = "Person", id = "personId" }
    item = { label = "Movie", id = "movieId", text = ["title", "plot"] }
    entities = [{ label = "Genre", id = "name" }]
    [graph.behaviours.REVIEWED]
    weight = "stars"        # optional numeric property
    timestamp = "ts"        # optional; used by the temporal split
    min_weight = 4          # optional; pairs below it are not positives

Without a ``[graph]`` table the defaults are graphrec's own model: ``(:User {id})``,
``(:Item {id, title, text})``, ``(:Entity {id, name})``, behaviours discovered from the database.
The names here are plain strings; :func:`graphrec.db.names.check_mapping` checks them against the
database schema before any of them is pasted into Cypher.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphrec.errors import ConfigError


class MappingError(ConfigError):
    """A ``[graph]`` mapping key is malformed or names something the database does not have (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class NodeMap:
    """One mapped node type.

    Attributes:
        label: the node label.
        id: the property holding the node's (string) business id (default: ``id``).
        text: properties whose text ``embed-text`` encodes after the title, in order (default:
            none; graphrec's own ``Item``: ``text``). In a ``[graph]`` table the title may be listed
            first, as in ``text = ["title", "plot"]``.
        title: the property shown as the node's name in results and encoded first by ``embed-text``
            (default: the first of ``text``, else ``title`` for items and ``name`` for others).
    """

    label: str
    id: str = "id"
    text: tuple[str, ...] = ()
    title: str = "title"


@dataclass(frozen=True)
class BehaviourMap:
    """One mapped user→item behaviour (relationship type).

    Attributes:
        type: the relationship type.
        weight: numeric property carried as the pair's weight (``RecGraph.train_weight``) (default: none).
        timestamp: property read by the temporal split (default: ``ts``).
        min_weight: pairs whose weight is below it (or missing) are not positives (default: none).
    """

    type: str
    weight: str | None = None
    timestamp: str = "ts"
    min_weight: float | None = None


@dataclass(frozen=True)
class GraphMapping:
    """Where users, items, entities and behaviours are in the graph (see the module docstring).

    Attributes:
        user: the user node type (default: ``User`` keyed by ``id``).
        item: the item node type (default: ``Item`` keyed by ``id``, text ``title`` and ``text``).
        entities: the entity node types (default: ``Entity`` keyed by ``id``, named by ``name``).
        behaviours: the behaviour types to read (default: empty = every user→item type found).
        source: where the mapping was read from (``"defaults"`` or the config file), for messages.
        explicit: whether it came from a ``[graph]`` table (its names are then checked against the
            database schema before use).
    """

    user: NodeMap = field(default_factory=lambda: NodeMap("User", title="name"))
    item: NodeMap = field(default_factory=lambda: NodeMap("Item", text=("text",)))
    entities: tuple[NodeMap, ...] = (NodeMap("Entity", title="name"),)
    behaviours: tuple[BehaviourMap, ...] = ()
    source: str = "defaults"
    explicit: bool = False

    @property
    def entity_labels(self) -> tuple[str, ...]:
        """Labels of the entity node types."""
        return tuple(e.label for e in self.entities)

    @property
    def nodes(self) -> tuple[NodeMap, ...]:
        """User, item and entity node maps, in that order."""
        return (self.user, self.item, *self.entities)

    def node(self, label: str) -> NodeMap | None:
        """The node map of ``label``, if it is mapped."""
        return next((n for n in self.nodes if n.label == label), None)

    def id_key(self, label: str) -> str:
        """The id property of ``label`` (``id`` for a label that is not mapped)."""
        n = self.node(label)
        return n.id if n is not None else "id"

    def behaviour(self, rtype: str) -> BehaviourMap:
        """The behaviour map of ``rtype`` (the defaults for a type that is not mapped)."""
        return next((b for b in self.behaviours if b.type == rtype), BehaviourMap(rtype))

    @property
    def behaviour_names(self) -> tuple[str, ...]:
        """The mapped behaviour types (empty: discover them)."""
        return tuple(b.type for b in self.behaviours)

    @property
    def name_keys(self) -> list[str]:
        """Properties tried, in order, for a node's display name (title, name, then id)."""
        keys = [self.item.title, *(e.title for e in self.entities), "title", "name",
                *(n.id for n in self.nodes)]
        return list(dict.fromkeys(keys))


DEFAULT_MAPPING = GraphMapping()
"""graphrec's own model: ``User``/``Item``/``Entity`` keyed by ``id``."""


def _name(value: Any, where: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{source}: [graph] {where}: expected a non-empty string, got {value!r}")
    return value


def _node(raw: Any, where: str, source: str, default_title: str) -> NodeMap:
    if not isinstance(raw, Mapping):
        raise MappingError(f"{source}: [graph] {where}: expected a table like {{ label = \"…\", id = \"…\" }}, "
                           f"got {raw!r}")
    unknown = sorted(set(raw) - {"label", "id", "text", "title"})
    if unknown:
        raise MappingError(f"{source}: [graph] {where}.{unknown[0]}: unknown key (known: label, id, text, title)")
    if "label" not in raw:
        raise MappingError(f"{source}: [graph] {where}.label: missing")
    label = _name(raw["label"], f"{where}.label", source)
    id_key = _name(raw.get("id", "id"), f"{where}.id", source)
    text_raw = raw.get("text", [])
    if isinstance(text_raw, str):
        text_raw = [text_raw]
    if not isinstance(text_raw, list):
        raise MappingError(f"{source}: [graph] {where}.text: expected a list of property names, got {text_raw!r}")
    text = tuple(_name(t, f"{where}.text", source) for t in text_raw)
    title = _name(raw.get("title", text[0] if text else default_title), f"{where}.title", source)
    text = tuple(t for t in text if t != title)
    return NodeMap(label=label, id=id_key, text=text, title=title)


def _finite(value: float, where: str) -> float:
    """``value`` as a finite float (TOML reads ``nan``, ``inf`` and ``1e400`` as floats, ``10**400`` as an int)."""
    try:
        out = float(value)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        raise MappingError(f"{where}: expected a finite number, got {str(value)[:40]}")
    return out


def _behaviour(rtype: str, raw: Any, source: str) -> BehaviourMap:
    where = f"behaviours.{rtype}"
    _name(rtype, where, source)
    if not isinstance(raw, Mapping):
        raise MappingError(f"{source}: [graph] {where}: expected a table, got {raw!r}")
    unknown = sorted(set(raw) - {"weight", "timestamp", "min_weight"})
    if unknown:
        raise MappingError(f"{source}: [graph] {where}.{unknown[0]}: unknown key "
                           "(known: weight, timestamp, min_weight)")
    weight = _name(raw["weight"], f"{where}.weight", source) if "weight" in raw else None
    ts = _name(raw.get("timestamp", "ts"), f"{where}.timestamp", source)
    min_weight = raw.get("min_weight")
    if min_weight is not None:
        if isinstance(min_weight, bool) or not isinstance(min_weight, int | float):
            raise MappingError(f"{source}: [graph] {where}.min_weight: expected a number, got {min_weight!r}")
        if weight is None:
            raise MappingError(f"{source}: [graph] {where}.min_weight: needs `weight` (the property it is "
                               "compared with)")
        min_weight = _finite(min_weight, f"{source}: [graph] {where}.min_weight")
    return BehaviourMap(type=rtype, weight=weight, timestamp=ts, min_weight=min_weight)


def parse_mapping(raw: Any, source: str) -> GraphMapping:
    """Build a :class:`GraphMapping` from the ``[graph]`` table of a config file.

    Raises:
        MappingError: a malformed key, named as ``<file>: [graph] <key>: …``.
    """
    if not isinstance(raw, Mapping):
        raise MappingError(f"{source}: [graph]: expected a table, got {raw!r}")
    unknown = sorted(set(raw) - {"user", "item", "entities", "behaviours"})
    if unknown:
        raise MappingError(f"{source}: [graph] {unknown[0]}: unknown key (known: user, item, entities, behaviours)")
    d = DEFAULT_MAPPING
    user = _node(raw["user"], "user", source, "name") if "user" in raw else d.user
    item = _node(raw["item"], "item", source, "title") if "item" in raw else d.item
    if "entities" in raw:
        ents_raw = raw["entities"]
        if not isinstance(ents_raw, list):
            raise MappingError(f"{source}: [graph] entities: expected a list of tables, got {ents_raw!r}")
        entities = tuple(_node(e, f"entities[{i}]", source, "name") for i, e in enumerate(ents_raw))
    else:
        entities = d.entities
    beh_raw = raw.get("behaviours", {})
    if not isinstance(beh_raw, Mapping):
        raise MappingError(f"{source}: [graph] behaviours: expected a table of relationship types, got {beh_raw!r}")
    behaviours = tuple(_behaviour(str(k), v, source) for k, v in beh_raw.items())
    labels = [n.label for n in (user, item, *entities)]
    dup = next((lab for lab in labels if labels.count(lab) > 1), None)
    if dup is not None:
        raise MappingError(f"{source}: [graph] user/item/entities: label {dup!r} is mapped twice "
                           "(users, items and entities need labels of their own)")
    return GraphMapping(user=user, item=item, entities=entities, behaviours=behaviours, source=source,
                        explicit=True)
