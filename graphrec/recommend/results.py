"""Typed results of the recommendation queries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import neo4j
from neo4j.graph import Node, Path

from graphrec.mapping import DEFAULT_MAPPING, GraphMapping


@dataclass(frozen=True)
class Recommendation:
    """One recommended (or similar) item.

    Attributes:
        item: the item's id.
        title: its title (``None`` when the item has none).
        score: model score (dot product) for recommendations, cosine score (0..1) for similarity.
        run: the model run the result came from (``None`` for text-only results).
        rank: rank in the precomputed top-K (precomputed and diverse results).
        source: ``embedding``, ``items`` or ``text`` for similarity and cold-start results.
        position: position after re-ranking (diverse results).
        entities: the entities the diversity caps counted (diverse results).
    """

    item: str
    title: str | None
    score: float
    run: str | None = None
    rank: int | None = None
    source: str | None = None
    position: int | None = None
    entities: list[str] = field(default_factory=list)

    @classmethod
    def from_record(cls, rec: neo4j.Record) -> Recommendation:
        d = rec.data()
        return cls(item=str(d["item"]), title=d.get("title"), score=float(d["score"]), run=d.get("run"),
                   rank=d.get("rank"), source=d.get("source"), position=d.get("position"),
                   entities=list(d.get("entities") or []))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict without empty fields (for JSON output)."""
        return {k: v for k, v in asdict(self).items() if v is not None and v != []}


def node_dict(node: Node, mapping: GraphMapping = DEFAULT_MAPPING) -> dict[str, Any]:
    """A node as ``{labels, id, name}``: id from its label's mapped id property, name from the first
    of the mapping's display-name properties it has (title, name, id by default)."""
    key = next((mapping.id_key(lab) for lab in sorted(node.labels) if mapping.node(lab) is not None), "id")
    name = next((node.get(k) for k in mapping.name_keys if node.get(k) is not None), None)
    return {"labels": sorted(node.labels), "id": node.get(key), "name": name if name is not None else node.get(key)}


@dataclass(frozen=True)
class Explanation:
    """One path explaining a recommendation.

    Attributes:
        kind: ``friend``, ``shared_entity`` or ``co_user``.
        hops: path length.
        via: display names of the nodes along the path, user first, item last.
        nodes: the nodes (``{labels, id, name}``), in path order.
        rels: relationship types, in path order.
        forward: for each relationship, whether it points along the path (user → item).
    """

    kind: str
    hops: int
    via: list[str]
    nodes: list[dict[str, Any]]
    rels: list[str]
    forward: list[bool] = field(default_factory=list)

    @classmethod
    def from_record(cls, rec: neo4j.Record, mapping: GraphMapping = DEFAULT_MAPPING) -> Explanation:
        path: Path = rec["path"]
        nodes = list(path.nodes)
        forward = [r.start_node is not None and r.start_node.element_id == nodes[i].element_id
                   for i, r in enumerate(path.relationships)]
        return cls(kind=rec["kind"], hops=int(rec["hops"]), via=[str(v) for v in rec["via"]],
                   nodes=[node_dict(n, mapping) for n in nodes], rels=[r.type for r in path.relationships],
                   forward=forward)

    def sentence(self) -> str:
        """The path as one line: ``1 -[RATED]-> Toy Story -[HAS_GENRE]-> Comedy <-[HAS_GENRE]- Heat``."""
        parts = [self.via[0]]
        fwd = self.forward or [True] * len(self.rels)
        for rel, ahead, name in zip(self.rels, fwd, self.via[1:], strict=True):
            parts.append(f"-[{rel}]-> {name}" if ahead else f"<-[{rel}]- {name}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
