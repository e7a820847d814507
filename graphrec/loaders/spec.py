"""The graph spec: which labels are users, items and entities, which relationship types are edges.

:func:`discover_spec` reads sensible defaults from the database's count store (one
``db.stats.retrieve('GRAPH COUNTS')`` call, with a per-type fallback), so a user never has to
name the relationship types of a KG with hundreds of relations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from neo4j import Driver

from graphrec.db import load_query, read, render
from graphrec.db.labels import BEHAVIOURS, SchemaName
from graphrec.db.names import ensure_checked
from graphrec.db.recorded import recorded_min_weights
from graphrec.errors import DatabaseError, NotFoundError
from graphrec.mapping import GraphMapping
from graphrec.types import EdgeType, NodeType

IGNORED_TYPES = frozenset({"RECOMMENDED"})
"""Relationship types never streamed: model output, which would leak a model's answers into training."""


@dataclass(frozen=True)
class GraphSpec:
    """Which parts of the property graph become the PyG graph.

    Attributes:
        user: label of user nodes (default: ``"User"``).
        item: label of item nodes (default: ``"Item"``).
        entities: labels of KG entity node types (default: ``("Entity",)``).
        behaviours: user→item edge types whose relationships are interactions (train/valid/test).
        kg: item/entity (and user-attribute) edge types, streamed whole into the message-passing graph.
        social: user→user edge types (e.g. ``FRIEND``).
        edge_counts: expected relationship count per edge type (used to size arrays; may be empty).
        node_counts: expected node count per node type (may be empty).
        numeric: numeric node properties to stream per node type, e.g. ``{"User": ("age",)}``
            (default: none).
        text: stream ``text_embedding`` into ``data[t].x`` (default: ``True``).
        interactions: the behaviour types whose (user, item) pairs are the positives that are split
            into train/valid/test (default: empty = every behaviour). Other behaviours stay in the
            message-passing graph as side relations, minus their edges on held-out pairs.
        id_keys: id property per node type (default: ``id`` for every type).
        ts_keys: timestamp property per behaviour type (default: ``ts``).
        weight_keys: weight property per behaviour type (default: none).
        min_weights: per behaviour type, the least weight of a positive; relationships below it
            (or without a weight) are neither positives nor message-passing edges (default: none).
    """

    user: NodeType = "User"
    item: NodeType = "Item"
    entities: tuple[NodeType, ...] = ("Entity",)
    behaviours: tuple[EdgeType, ...] = ()
    kg: tuple[EdgeType, ...] = ()
    social: tuple[EdgeType, ...] = ()
    edge_counts: Mapping[EdgeType, int] = field(default_factory=dict)
    node_counts: Mapping[NodeType, int] = field(default_factory=dict)
    numeric: Mapping[NodeType, tuple[str, ...]] = field(default_factory=dict)
    text: bool = True
    interactions: tuple[str, ...] = ()
    id_keys: Mapping[NodeType, str] = field(default_factory=dict)
    ts_keys: Mapping[str, str] = field(default_factory=dict)
    weight_keys: Mapping[str, str] = field(default_factory=dict)
    min_weights: Mapping[str, float] = field(default_factory=dict)

    def id_key(self, node_type: NodeType) -> str:
        """The id property of ``node_type`` (default: ``id``)."""
        return self.id_keys.get(node_type, "id")

    @property
    def node_types(self) -> tuple[NodeType, ...]:
        """User, item and entity node types, in that order, without duplicates."""
        return tuple(dict.fromkeys((self.user, self.item, *self.entities)))

    @property
    def edge_types(self) -> tuple[EdgeType, ...]:
        """Every streamed edge type: behaviours, then KG, then social."""
        return (*self.behaviours, *self.kg, *self.social)

    @property
    def behaviour_names(self) -> list[str]:
        """Relationship type names of the behaviours."""
        return list(dict.fromkeys(et[1] for et in self.behaviours))

    @property
    def interaction_types(self) -> tuple[EdgeType, ...]:
        """The behaviours whose pairs are split into train/valid/test."""
        if not self.interactions:
            return self.behaviours
        return tuple(et for et in self.behaviours if et[1] in self.interactions)


def _count(driver: Driver, name: str, **labels: str) -> int:
    return int(read(driver, render(name, **labels))[0]["count"])


def _counts_from_store(driver: Driver) -> tuple[dict[str, int], dict[tuple[str, str], int],
                                                   dict[tuple[str, str], int], dict[str, int]]:
    """Node counts by label, start and end counts by (type, label), totals by type: one call."""
    rec = read(driver, load_query("extract/graph_counts"))[0]
    nodes: dict[str, int] = {}
    for row in rec["nodes"]:
        if "label" in row:
            nodes[row["label"]] = int(row["count"])
    start: dict[tuple[str, str], int] = {}
    end: dict[tuple[str, str], int] = {}
    total: dict[str, int] = {}
    for row in rec["relationships"]:
        rtype = row.get("relationshipType")
        if rtype is None:
            continue
        rtype = SchemaName(rtype, "type")   # read from the database's own count store
        if "startLabel" in row:
            start[(rtype, row["startLabel"])] = int(row["count"])
        elif "endLabel" in row:
            end[(rtype, row["endLabel"])] = int(row["count"])
        else:
            total[rtype] = int(row["count"])
    return nodes, start, end, total


def _counts_by_query(driver: Driver, labels: tuple[str, ...]) -> tuple[
        dict[str, int], dict[tuple[str, str], int], dict[tuple[str, str], int], dict[str, int]]:
    """The same counts as :func:`_counts_from_store`, one count-store query each (no admin rights needed)."""
    types: list[str] = list(read(driver, load_query("extract/relationship_types"))[0]["types"])
    nodes = {lab: _count(driver, "extract/count_nodes", label=lab) for lab in labels}
    start: dict[tuple[str, str], int] = {}
    end: dict[tuple[str, str], int] = {}
    total: dict[str, int] = {}
    for rtype in types:
        try:
            for lab in labels:
                start[(rtype, lab)] = _count(driver, "extract/count_start", src=lab, type=rtype)
                end[(rtype, lab)] = _count(driver, "extract/count_end", dst=lab, type=rtype)
        except ValueError:  # a type name outside the allowlist/sanitised form: not ours, skip it
            continue
        total[rtype] = max(sum(start[(rtype, lab)] for lab in labels), sum(end[(rtype, lab)] for lab in labels))
    return nodes, start, end, total


def edge_counts(driver: Driver, node_types: tuple[NodeType, ...],
                ignore: Iterable[str] = IGNORED_TYPES) -> tuple[dict[NodeType, int], dict[EdgeType, int]]:
    """Count nodes per type and relationships per ``(src, type, dst)`` between the given node types.

    The count store answers ``(:A)-[:T]->()`` and ``()-[:T]->(:B)``; when a type starts at one
    label and ends at one label that is the exact answer, otherwise each label pair is counted.

    Returns:
        ``(node counts, edge counts)``; edge types with no relationships are left out.
    """
    try:
        nodes, start, end, total = _counts_from_store(driver)
    except DatabaseError:
        nodes, start, end, total = _counts_by_query(driver, node_types)
    skip = set(ignore)
    out: dict[EdgeType, int] = {}
    for rtype in sorted(total):
        if rtype in skip:
            continue
        srcs = [lab for lab in node_types if start.get((rtype, lab), 0) > 0]
        dsts = [lab for lab in node_types if end.get((rtype, lab), 0) > 0]
        if (len(srcs) == 1 and len(dsts) == 1
                and start[(rtype, srcs[0])] == end[(rtype, dsts[0])] == total[rtype]):
            out[(srcs[0], rtype, dsts[0])] = total[rtype]
            continue
        for s in srcs:
            for d in dsts:
                try:
                    n = _count(driver, "extract/count_edges", src=s, type=rtype, dst=d)
                except ValueError:
                    break
                if n:
                    out[(s, rtype, d)] = n
    return {t: nodes.get(t, 0) for t in node_types}, out


def _recorded_min_weights(driver: Driver, names: list[str], weight_keys: dict[str, str],
                          min_weights: dict[str, float]) -> None:
    """Fill in the ``min_weight`` a CSV mapping recorded at load time (on the ``weight`` property a
    CSV load writes) for the behaviours the ``[graph]`` mapping gives none."""
    for rtype, value in recorded_min_weights(driver).items():
        if rtype in names and rtype not in min_weights:
            min_weights[rtype] = value
            weight_keys.setdefault(rtype, "weight")


def discover_spec(
    driver: Driver,
    user: NodeType = "User",
    item: NodeType = "Item",
    entities: tuple[NodeType, ...] = ("Entity",),
    behaviours: Iterable[str] | None = None,
    numeric: Mapping[NodeType, tuple[str, ...]] | None = None,
    text: bool = True,
    ignore: Iterable[str] = IGNORED_TYPES,
    interactions: Iterable[str] | None = None,
    mapping: GraphMapping | None = None,
) -> GraphSpec:
    """Read a :class:`GraphSpec` from the database schema.

    Behaviours are the user→item types (the allowlisted ``BEHAVIOURS`` and any other type found
    between users and items); user→user types are social; everything else between the node types
    (item/entity triples, user attributes such as ``HAS_OCCUPATION``) is KG.

    Args:
        driver: an open driver.
        user: user label (default: ``"User"``).
        item: item label (default: ``"Item"``).
        entities: entity labels (default: ``("Entity",)``).
        behaviours: restrict behaviours to these relationship types (default: every user→item type);
            user→item types left out are not streamed at all.
        numeric: numeric node properties to stream, by node type (default: none).
        text: stream ``text_embedding`` (default: ``True``).
        ignore: relationship types never streamed (default: ``RECOMMENDED``).
        interactions: behaviour types whose pairs are the positives (default: every behaviour);
            e.g. ``["LISTENED"]`` on lastfm-2k keeps ``TAGGED`` as a side relation.
        mapping: a graph mapping (checked against the schema here unless it was already, by
            :func:`graphrec.db.names.check_mapping`); when given, it supplies the user, item and
            entity labels, their id properties, the behaviour types (when it names any) and their
            timestamp, weight and min_weight, in place of ``user``/``item``/``entities``. A
            ``min_weight`` that a CSV mapping recorded on a ``(:Dataset)`` node applies to the
            behaviours this mapping gives none.

    Returns:
        The spec, with node and edge counts filled in.

    Raises:
        NotFoundError: a name in ``interactions`` is not among the behaviours found.
    """
    id_keys: dict[NodeType, str] = {}
    ts_keys: dict[str, str] = {}
    weight_keys: dict[str, str] = {}
    min_weights: dict[str, float] = {}
    if mapping is not None:
        mapping = ensure_checked(driver, mapping)
        user, item, entities = mapping.user.label, mapping.item.label, mapping.entity_labels
        id_keys = {n.label: n.id for n in mapping.nodes if n.id != "id"}
        if behaviours is None and mapping.behaviours:
            behaviours = mapping.behaviour_names
        for b in mapping.behaviours:
            if b.timestamp != "ts":
                ts_keys[b.type] = b.timestamp
            if b.weight is not None:
                weight_keys[b.type] = b.weight
            if b.min_weight is not None:
                min_weights[b.type] = b.min_weight
    node_types = tuple(dict.fromkeys((user, item, *entities)))
    nodes, counts = edge_counts(driver, node_types, ignore)
    wanted = set(behaviours) if behaviours is not None else None
    beh: list[EdgeType] = []
    kg: list[EdgeType] = []
    social: list[EdgeType] = []
    for et in counts:
        s, rtype, d = et
        if s == user and d == item:
            if wanted is None or rtype in wanted:
                beh.append(et)
        elif s == user and d == user:
            social.append(et)
        else:
            kg.append(et)
    beh.sort(key=lambda et: (et[1] not in BEHAVIOURS, et[1]))
    names = list(dict.fromkeys(et[1] for et in beh))
    _recorded_min_weights(driver, names, weight_keys, min_weights)
    unknown = [t for t in interactions or () if t not in names]
    if unknown:
        raise NotFoundError(f"interactions: {', '.join(unknown)} is not a behaviour in the database "
                         f"(behaviours: {', '.join(names) or 'none'})")
    return GraphSpec(user=user, item=item, entities=tuple(entities), behaviours=tuple(beh), kg=tuple(kg),
                     social=tuple(social), edge_counts=counts, node_counts=nodes, numeric=dict(numeric or {}),
                     text=text, interactions=tuple(interactions or ()), id_keys=id_keys, ts_keys=ts_keys,
                     weight_keys=weight_keys, min_weights=min_weights)
