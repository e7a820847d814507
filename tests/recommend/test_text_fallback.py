"""Items without a run embedding fall back to text embeddings; free-text cold start uses the text index."""

from __future__ import annotations

import pytest
import torch
from neo4j import Driver

from graphrec.errors import NotFoundError
from graphrec.recommend import cold_start, recommend_realtime, similar_items, text_index
from graphrec.writeback import RunSpec, publish
from tests.recommend.toygraph import build


def test_text_fallback(db: Driver) -> None:
    graph = build(db, users=10, items=20, degree=3)
    user_emb, item_emb = graph.embeddings(dim=8)
    publish(db, RunSpec("toy"), graph.ids, user_emb, item_emb, graph.exclude, k=4)
    text = torch.randn(21, 6, generator=torch.Generator().manual_seed(3))
    rows = [{"id": f"i{i}", "v": text[i].tolist()} for i in range(20)] + [{"id": "new", "v": text[20].tolist()}]
    db.execute_query("UNWIND $rows AS r MERGE (i:Item {id: r.id}) SET i.text_embedding = r.v", {"rows": rows})
    db.execute_query("CREATE VECTOR INDEX item_text_embedding IF NOT EXISTS FOR (n:Item) ON (n.text_embedding) "
                     "OPTIONS {indexConfig: {`vector.dimensions`: 6, `vector.similarity_function`: 'cosine'}}")
    db.execute_query("CALL db.awaitIndexes(60)")
    assert text_index(db) == "item_text_embedding"

    recs = similar_items(db, "new", k=3)  # no interactions, no run embedding: text neighbours
    assert len(recs) == 3 and {r.source for r in recs} == {"text"} and "new" not in {r.item for r in recs}
    cos = torch.nn.functional.cosine_similarity(text[:20], text[20:21])
    assert [r.item for r in recs] == [f"i{i}" for i in cos.topk(3).indices.tolist()]

    recs = cold_start(db, vector=text[5].tolist(), k=3)
    assert recs[0].item == "i5" and {r.source for r in recs} == {"text"}
    recs = cold_start(db, ["new"], k=3)  # liked item without a run embedding: its text route
    assert len(recs) == 3 and "new" not in {r.item for r in recs} and {r.source for r in recs} == {"text"}


def test_zero_vectors_are_not_sent_to_the_index(db: Driver) -> None:
    graph = build(db, users=10, items=20, degree=3)
    user_emb, item_emb = graph.embeddings(dim=8)
    user_emb[2] = 0.0
    item_emb[4] = 0.0
    publish(db, RunSpec("toy"), graph.ids, user_emb, item_emb, graph.exclude, k=4)
    with pytest.raises(NotFoundError, match="non-zero"):
        recommend_realtime(db, "u2")
    assert similar_items(db, "i4") == []  # no text embedding either: nothing, and no error
    assert len(similar_items(db, "i5", k=3)) == 3
