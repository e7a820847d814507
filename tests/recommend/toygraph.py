"""A small hand-built recommendation graph with random embeddings, shared by the writeback and
recommend tests: users rating items, friends, items with genres and tags."""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
from neo4j import Driver
from torch import Tensor

GENRES = ["Comedy", "Drama", "Action", "Horror", "Jazz", "Rock"]
TAGS = [f"t{i}" for i in range(10)]


@dataclass
class ToyGraph:
    """What was built: ids per label, interactions (as index pairs and sets), item entities."""

    ids: dict[str, list[str]]
    exclude: Tensor
    seen: dict[str, set[str]]
    item_entities: dict[str, set[str]]
    friends: dict[str, set[str]]

    def embeddings(self, dim: int = 16, seed: int = 0) -> tuple[Tensor, Tensor]:
        g = torch.Generator().manual_seed(seed)
        return (torch.randn(len(self.ids["User"]), dim, generator=g),
                torch.randn(len(self.ids["Item"]), dim, generator=g))


def build(driver: Driver, users: int = 30, items: int = 60, degree: int = 6, seed: int = 0,
          test_edges: int = 1) -> ToyGraph:
    """Create the graph: ``degree`` RATED per user (the last ``test_edges`` with split 'test'),
    one FRIEND per user, 1-2 genres and 0-2 tags per item."""
    rnd = random.Random(seed)
    user_ids = [f"u{i}" for i in range(users)]
    item_ids = [f"i{i}" for i in range(items)]
    ents = [{"id": f"genre:{g}", "name": g, "kind": "genre"} for g in GENRES]
    tags = [{"id": f"tag:{t}", "name": t, "kind": "tag"} for t in TAGS]
    item_rows, links = [], []
    item_entities: dict[str, set[str]] = {}
    for i in item_ids:
        chosen = rnd.sample(GENRES, rnd.randint(1, 2))
        ts = rnd.sample(TAGS, rnd.randint(0, 2))
        item_entities[i] = {f"genre:{g}" for g in chosen} | {f"tag:{t}" for t in ts}
        item_rows.append({"id": i, "title": f"Title of {i}"})
        links += [{"i": i, "e": f"genre:{g}", "t": "g"} for g in chosen]
        links += [{"i": i, "e": f"tag:{t}", "t": "t"} for t in ts]
    rated, seen, pairs = [], {u: set() for u in user_ids}, []
    for ui, u in enumerate(user_ids):
        picks = rnd.sample(range(items), degree)
        for n, ii in enumerate(picks):
            split = "test" if n >= degree - test_edges else "train"
            rated.append({"u": u, "i": item_ids[ii], "r": float(rnd.randint(1, 5)), "s": split})
            seen[u].add(item_ids[ii])
            pairs.append((ui, ii))
    friends: dict[str, set[str]] = {u: set() for u in user_ids}
    friend_rows = []
    for u in user_ids:
        f = rnd.choice([x for x in user_ids if x != u])
        friend_rows.append({"a": u, "b": f})
        friends[u].add(f)
        friends[f].add(u)
    run = driver.execute_query
    run("UNWIND $rows AS r CREATE (:User {id: r})", {"rows": user_ids})
    run("UNWIND $rows AS r CREATE (:Item {id: r.id, title: r.title})", {"rows": item_rows})
    run("UNWIND $rows AS r CREATE (:Entity:Genre {id: r.id, name: r.name, kind: r.kind})", {"rows": ents})
    run("UNWIND $rows AS r CREATE (:Entity:Tag {id: r.id, name: r.name, kind: r.kind})", {"rows": tags})
    run("UNWIND $rows AS r MATCH (i:Item {id: r.i}), (e:Entity {id: r.e}) "
        "FOREACH (_ IN CASE WHEN r.t = 'g' THEN [1] ELSE [] END | CREATE (i)-[:HAS_GENRE]->(e)) "
        "FOREACH (_ IN CASE WHEN r.t = 't' THEN [1] ELSE [] END | CREATE (i)-[:HAS_TAG]->(e))", {"rows": links})
    run("UNWIND $rows AS r MATCH (u:User {id: r.u}), (i:Item {id: r.i}) "
        "CREATE (u)-[:RATED {rating: r.r, ts: 0, split: r.s}]->(i)", {"rows": rated})
    run("UNWIND $rows AS r MATCH (a:User {id: r.a}), (b:User {id: r.b}) CREATE (a)-[:FRIEND]->(b)",
        {"rows": friend_rows})
    exclude = torch.tensor(pairs, dtype=torch.long).t()
    return ToyGraph(ids={"User": user_ids, "Item": item_ids}, exclude=exclude, seen=seen,
                    item_entities=item_entities, friends=friends)
