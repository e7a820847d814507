"""Graph records: what an adapter hands the writer, fully parsed and validated, before any write.

An adapter reads every file of a dataset into one :class:`GraphRecords` (nodes per label, relationships
per type and end labels). Only when that succeeded does :mod:`graphrec.ingest.writer` touch the database,
so a bad row anywhere means nothing of the dataset is written.

Relationship rows are stored column-wise (three lists and one list per property) to keep a million
ratings in bounded memory; :meth:`RelSet.rows` builds the ``UNWIND`` maps batch by batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphrec.db.labels import is_allowed


@dataclass
class NodeSet:
    """Nodes of one label (and optional second, kind label), keyed by ``id``.

    Attributes:
        label: primary label: ``User``, ``Item`` or ``Entity``.
        source: file name shown on the progress bar.
        kind_label: second label such as ``Genre`` (default: none).
        nodes: ``id`` → properties; adding an id twice merges the properties (last wins).
    """

    label: str
    source: str
    kind_label: str | None = None
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (self.label, self.kind_label):
            if name is not None and not is_allowed(name):
                raise ValueError(f"label {name!r} is not allowlisted")

    def add(self, node_id: str, **props: Any) -> None:
        """Add (or update) node ``node_id`` with ``props``."""
        self.nodes.setdefault(node_id, {}).update(props)

    def __len__(self) -> int:
        return len(self.nodes)

    def rows(self) -> Iterator[list[Any]]:
        """``[id, properties]`` rows for ``UNWIND $rows`` (lists: less to send than maps)."""
        for node_id, props in self.nodes.items():
            yield [node_id, props]


@dataclass
class RelSet:
    """Relationships of one type between two labels, stored column-wise.

    Each relationship is identified by ``(src, dst)`` plus, when ``key`` is set, the value of that
    property (``tag`` for ``TAGGED``, ``source`` for KG triples), which is also what the ``MERGE``
    matches on, so the in-memory identity and the database identity are the same.

    Attributes:
        type: relationship type (allowlisted or sanitised UPPER_SNAKE).
        src_label: label of the start nodes.
        dst_label: label of the end nodes.
        source: file name shown on the progress bar.
        key: property that distinguishes parallel relationships (default: none).
    """

    type: str
    src_label: str
    dst_label: str
    source: str
    key: str | None = None
    src: list[str] = field(default_factory=list)
    dst: list[str] = field(default_factory=list)
    props: dict[str, list[Any]] = field(default_factory=dict)
    _index: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in (self.type, self.src_label, self.dst_label):
            if not is_allowed(name):
                raise ValueError(f"label or relationship type {name!r} is not allowlisted")

    def add(self, src: str, dst: str, **props: Any) -> int | None:
        """Add a relationship; a second one with the same identity replaces the first's properties.

        Returns:
            The position of the relationship it replaced, or ``None`` when it is new, so adapters that
            treat a duplicate as an error can say so.
        """
        ident = (src, dst) if self.key is None else (src, dst, str(props[self.key]))
        if not self.props and not self.src:
            self.props = {name: [] for name in props}
        elif set(props) != set(self.props):
            raise ValueError(f"{self.type}: every row needs the properties {sorted(self.props)}")
        at = self._index.get(ident)
        if at is not None:
            for name, value in props.items():
                self.props[name][at] = value
            return at
        self._index[ident] = len(self.src)
        self.src.append(src)
        self.dst.append(dst)
        for name, value in props.items():
            self.props[name].append(value)
        return None

    def __len__(self) -> int:
        return len(self.src)

    def rows(self) -> Iterator[list[Any]]:
        """``[start id, end id, properties]`` rows for ``UNWIND $rows``."""
        names = list(self.props)
        cols = [self.props[n] for n in names]
        for i, (s, d) in enumerate(zip(self.src, self.dst, strict=True)):
            yield [s, d, {n: c[i] for n, c in zip(names, cols, strict=True)}]


@dataclass
class GraphRecords:
    """One dataset, parsed and validated: everything the writer needs.

    Attributes:
        name: dataset name recorded on the ``(:Dataset)`` node.
        files: every source file read (their sha256 go into ``source_sha256``).
        nodes: node sets, written first, in order.
        rels: relationship sets, written after all nodes, in order.
        notes: human-readable remarks about the data (rows skipped by documented rules…).
        min_weights: per behaviour type, the least ``weight`` of a positive (a CSV mapping's
            ``min_weight``), recorded on the ``(:Dataset)`` node for training to read.
    """

    name: str
    files: list[Path] = field(default_factory=list)
    nodes: list[NodeSet] = field(default_factory=list)
    rels: list[RelSet] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    min_weights: dict[str, float] = field(default_factory=dict)

    def node_set(self, label: str, source: str, kind_label: str | None = None) -> NodeSet:
        """The node set for ``(label, kind_label)``, created (in write order) on first use."""
        for ns in self.nodes:
            if ns.label == label and ns.kind_label == kind_label:
                return ns
        ns = NodeSet(label, source, kind_label)
        self.nodes.append(ns)
        return ns

    def rel_set(self, type: str, src_label: str, dst_label: str, source: str, key: str | None = None) -> RelSet:
        """The relationship set for ``(type, src_label, dst_label)``, created on first use."""
        for rs in self.rels:
            if (rs.type, rs.src_label, rs.dst_label) == (type, src_label, dst_label):
                return rs
        rs = RelSet(type, src_label, dst_label, source, key)
        self.rels.append(rs)
        return rs

    def node_count(self) -> int:
        return sum(len(s) for s in self.nodes)

    def rel_count(self) -> int:
        return sum(len(s) for s in self.rels)

    def expected_counts(self) -> dict[str, dict[str, int]]:
        """``{"nodes": {label: n}, "relationships": {type: n}}`` this dataset holds (kind labels included)."""
        seen: dict[str, set[str]] = {}
        for ns in self.nodes:
            for label in (ns.label, ns.kind_label):
                if label is not None:
                    seen.setdefault(label, set()).update(ns.nodes)
        rels: dict[str, int] = {}
        for rs in self.rels:
            rels[rs.type] = rels.get(rs.type, 0) + len(rs)
        return {"nodes": {label: len(ids) for label, ids in sorted(seen.items())},
                "relationships": dict(sorted(rels.items()))}
