"""Typed results of the recommendation queries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import neo4j
from neo4j.graph import Node

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
        weights: for each relationship, its weight (rating, play count…; ``None`` when it has none).
    """

    kind: str
    hops: int
    via: list[str]
    nodes: list[dict[str, Any]]
    rels: list[str]
    forward: list[bool] = field(default_factory=list)
    weights: list[Any] = field(default_factory=list)

    @classmethod
    def from_record(cls, rec: neo4j.Record) -> Explanation:
        rels = list(rec["rels"])
        return cls(kind=rec["kind"], hops=int(rec["hops"]), via=[str(v) for v in rec["via"]],
                   nodes=[dict(n) for n in rec["nodes"]], rels=[str(r["type"]) for r in rels],
                   forward=[bool(r["forward"]) for r in rels], weights=[r["weight"] for r in rels])

    def sentence(self) -> str:
        """The path as one line: ``1 -[RATED]-> Toy Story -[HAS_GENRE]-> Comedy <-[HAS_GENRE]- Heat``."""
        parts = [self.via[0]]
        fwd = self.forward or [True] * len(self.rels)
        for rel, ahead, name in zip(self.rels, fwd, self.via[1:], strict=True):
            parts.append(f"-[{rel}]-> {name}" if ahead else f"<-[{rel}]- {name}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_VERBS = {"RATED": ("rated", "rated"), "LISTENED": ("listened to", "listened to"), "VIEWED": ("viewed", "viewed"),
          "BOUGHT": ("bought", "bought"), "CLICKED": ("clicked", "clicked"), "TAGGED": ("tagged", "tagged"),
          "INTERACTED": ("interacted with", "interacted with"), "LIKED": ("liked", "liked"),
          "PURCHASED": ("bought", "bought"), "WATCHED": ("watched", "watched"), "REVIEWED": ("reviewed", "reviewed")}


def _verb(rel: str | None) -> str:
    """How a behaviour reads in a sentence: ``RATED`` → ``rated``, ``LISTENED`` → ``listened to``."""
    if rel is None:
        return "interacted with"
    return _VERBS.get(rel, (rel.lower().replace("_", " "),))[0]


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def _weight(rel: str | None, key: str | None, value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    if key in ("rating", "stars") or rel == "RATED":
        return f" {_number(value)}★"
    if rel == "LISTENED":
        return f" ({_number(value)} plays)"
    return f" ({key or 'weight'} {_number(value)})"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class Reason:
    """Why one item is recommended to a user, from ``explain_text.cypher``, with :meth:`sentence`.

    Attributes:
        item: the recommended item's id.
        title: its title (``None`` when it has none).
        anchor: the id of the user's history item that links most strongly to it (``None``: no history).
        anchor_title: that item's title.
        anchor_rel: the user's relationship type to it (``RATED``, ``LISTENED``…).
        anchor_weight: that relationship's weight (rating, play count…), if it has one.
        anchor_weight_key: the property the weight came from (``rating``, ``weight``…).
        shared: entities the anchor and the item share, ``{kind, name}`` (at most 3).
        co_users: how many other users interacted with both the anchor and the item.
        friends: names of (up to 3) friends of the user who interacted with the item.
        friend_count: how many friends did.
    """

    item: str
    title: str | None
    anchor: str | None = None
    anchor_title: str | None = None
    anchor_rel: str | None = None
    anchor_weight: Any = None
    anchor_weight_key: str | None = None
    shared: list[dict[str, Any]] = field(default_factory=list)
    co_users: int = 0
    friends: list[str] = field(default_factory=list)
    friend_count: int = 0

    @classmethod
    def from_record(cls, rec: neo4j.Record) -> Reason:
        d = rec.data()
        anchor = d.get("anchor")
        return cls(item=str(d["item"]), title=d.get("title"), anchor=None if anchor is None else str(anchor),
                   anchor_title=d.get("anchor_title"), anchor_rel=d.get("anchor_rel"),
                   anchor_weight=d.get("anchor_weight"), anchor_weight_key=d.get("anchor_weight_key"),
                   shared=[dict(e) for e in d.get("shared") or []], co_users=int(d.get("co_users") or 0),
                   friends=[str(f) for f in d.get("friends") or []], friend_count=int(d.get("friend_count") or 0))

    def sentence(self) -> str:
        """One sentence a person reads, e.g. ``Because you rated Star Wars (1977) 5★ — same genre Sci-Fi;
        212 people who rated it also rated this.``"""
        clauses: list[str] = []
        if self.anchor is not None and (self.co_users or self.shared):
            verb = _verb(self.anchor_rel)
            name = self.anchor_title if self.anchor_title is not None else self.anchor
            head = f"Because you {verb} {name}{_weight(self.anchor_rel, self.anchor_weight_key, self.anchor_weight)}"
            kinds: dict[str, list[str]] = {}
            for e in self.shared:
                kinds.setdefault(str(e.get("kind") or "entity"), []).append(str(e.get("name")))
            if kinds:
                clauses.append("same " + "; ".join(f"{k} {_join(v)}" for k, v in kinds.items()))
            if self.co_users:
                people = "person" if self.co_users == 1 else "people"
                clauses.append(f"{self.co_users:,} {people} who {verb} it also {verb} this")
            text = head + (" — " + "; ".join(clauses) if clauses else "")
        else:
            text = ""
        if self.friend_count:
            names = _join(self.friends + ([f"{self.friend_count - len(self.friends)} more"]
                                          if self.friend_count > len(self.friends) else []))
            friend = f"your friend{'s' if self.friend_count > 1 else ''} {names} {_verb(self.anchor_rel)} it too"
            text = f"{text}; {friend}" if text else friend[0].upper() + friend[1:]
        if not text:
            return "Recommended by the model's score: nothing in your history links to it through shared entities, " \
                   "co-users or friends."
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with the sentence (for JSON output)."""
        return {**asdict(self), "sentence": self.sentence()}
