"""GDS FastRP baseline on a real graph: shapes, alignment with the id maps, train-only projection, drop."""

from __future__ import annotations

import pytest
import torch
from neo4j import Driver

from graphrec.gds import FastRPStats, gds_embeddings
from graphrec.loaders import load_graph

# Two taste communities: users c<k> rate items c<k>-*, every user in a community rates 4 of its 6 items;
# one held-out test rating per user; a genre entity per community; one user with no training ratings.
COMMUNITIES = """
UNWIND ['a', 'b'] AS c
UNWIND range(0, 7) AS u
UNWIND range(0, 5) AS i
WITH c, u, i WHERE (u + i) % 6 < 4 OR (u + i) % 6 = 5
MERGE (usr:User {id: c + '-u' + u})
MERGE (itm:Item {id: c + '-i' + i})
MERGE (g:Entity:Genre {id: 'genre:' + c, name: c, kind: 'genre'})
MERGE (itm)-[:HAS_GENRE]->(g)
CREATE (usr)-[:RATED {rating: 5.0, ts: u * 10 + i,
                     split: CASE WHEN (u + i) % 6 = 5 THEN 'test' ELSE 'train' END}]->(itm)
"""


@pytest.fixture
def communities(db: Driver) -> Driver:
    db.execute_query(COMMUNITIES)
    db.execute_query("CREATE (:User {id: 'lonely'})")
    return db


def _cos(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cosine_similarity(a, b, dim=-1)


def test_fastrp_embeddings_align_with_the_graph(communities: Driver) -> None:
    graph = load_graph(communities)
    assert graph.num_users == 17 and graph.num_items == 12 and graph.test.shape[1] == 16
    stats = FastRPStats()
    users, items = gds_embeddings(communities, graph, dim=32, stats=stats)
    assert users.shape == (17, 32) and items.shape == (12, 32)
    assert users.dtype == torch.float32 and items.dtype == torch.float32
    # only training ratings (64) and the 12 genre links are projected, undirected (x2)
    assert stats.relationships == 2 * (64 + 12) and stats.nodes == 16 + 12 + 2
    lonely = graph.ids["User"].index("lonely")
    assert users[lonely].abs().sum() == 0 and users.abs().sum(1).gt(0).sum() == 16
    # alignment: items of the same community (co-rated) are closer than items across communities
    item_ids = graph.ids["Item"]
    comm = torch.tensor([i.startswith("a") for i in item_ids])
    sim = _cos(items[:, None, :], items[None, :, :])
    same = comm[:, None] == comm[None, :]
    off_diag = ~torch.eye(len(item_ids), dtype=torch.bool)
    assert sim[same & off_diag].mean() > sim[~same].mean() + 0.2
    # and each user scores their own community's items above the other community's
    user_comm = torch.tensor([u.startswith("a") for u in graph.ids["User"]])
    scores = users @ items.T
    for u in range(graph.num_users):
        if u == lonely:
            continue
        mine = comm == user_comm[u]
        assert scores[u, mine].mean() > scores[u, ~mine].mean()
    # the nn engineer's metric code scores the baseline like any model
    from graphrec.train.metrics import evaluate_embeddings

    assert evaluate_embeddings(users, items, graph, ks=(3,))["hit@3"] >= 0.9
    # the projection is gone
    left = communities.execute_query("CALL gds.graph.list() YIELD graphName RETURN count(*) AS n").records[0]["n"]
    assert left == 0


def test_fastrp_is_seeded_and_kg_optional(communities: Driver) -> None:
    graph = load_graph(communities)
    u1, i1 = gds_embeddings(communities, graph, dim=16, seed=7, concurrency=1)
    u2, i2 = gds_embeddings(communities, graph, dim=16, seed=7, concurrency=1)
    assert torch.allclose(u1, u2) and torch.allclose(i1, i2)
    stats = FastRPStats()
    gds_embeddings(communities, graph, dim=16, kg=False, stats=stats)
    assert stats.relationships == 2 * 64 and stats.nodes == 16 + 12


def test_bad_dim(communities: Driver) -> None:
    with pytest.raises(ValueError, match="dim"):
        gds_embeddings(communities, load_graph(communities), dim=0)
