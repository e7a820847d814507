"""publish() on the real Neo4j: what it writes, that seen items are never recommended, validation."""

from __future__ import annotations

import pytest
import torch
from neo4j import Driver

from graphrec.errors import InputError
from graphrec.writeback import RunSpec, list_runs, publish
from graphrec.writeback.vectors import HNSW_EF_CONSTRUCTION, HNSW_M, HNSW_MIPS_EF_CONSTRUCTION, HNSW_MIPS_M
from tests.recommend.toygraph import build


def _count(db: Driver, text: str, **params: object) -> int:
    return int(db.execute_query(text, params).records[0][0])


def test_publish_writes_run_vectors_recommendations_and_index(db: Driver) -> None:
    graph = build(db, users=20, items=40, degree=5)
    user_emb, item_emb = graph.embeddings(dim=12)
    ent = torch.randn(len(GENRE_IDS), 12)
    ids = {**graph.ids, "Entity": GENRE_IDS}
    calls: list[tuple[str, int, int]] = []
    res = publish(db, RunSpec("lightgcn", {"lr": 0.01}, {"recall@20": 0.25}), ids, user_emb, item_emb,
                  graph.exclude, k=6, entity_emb=ent, progress=lambda s, d, t: calls.append((s, d, t)))
    assert res.active and res.vectors == 20 + 40 + len(GENRE_IDS) and res.recommended == 20 * 6
    assert res.vectors_per_s > 0
    assert {"vectors", "index", "recommended", "verify", "activate", "total"} <= set(res.seconds)
    assert calls[-1][0] == "recommended" and calls[-1][1] == calls[-1][2]
    assert any(c[0] == "vectors" and c[1] == c[2] for c in calls)

    (run,) = list_runs(db)
    assert run.id == res.run_id and run.active and run.status == "active" and run.model == "lightgcn"
    assert run.params == {"lr": 0.01} and run.metrics == {"recall@20": 0.25} and run.dim == 12 and run.k == 6

    rows = db.execute_query("MATCH (u:User)-[r:RECOMMENDED]->(i:Item) RETURN u.id AS u, i.id AS i, r.rank AS rank, "
                            "r.score AS score, r.run AS run ORDER BY u, rank").records
    assert len(rows) == 120 and {r["run"] for r in rows} == {res.run_id}
    for r in rows:
        assert r["i"] not in graph.seen[r["u"]]
        ui, ii = graph.ids["User"].index(r["u"]), graph.ids["Item"].index(r["i"])
        assert r["score"] == pytest.approx(float(user_emb[ui] @ item_emb[ii]), abs=1e-4)
    by_user: dict[str, list[int]] = {}
    for r in rows:
        by_user.setdefault(r["u"], []).append(r["rank"])
    assert all(ranks == [1, 2, 3, 4, 5, 6] for ranks in by_user.values())

    # no per-node copy of the active run: vectors only under the run's own properties, only the run's indexes
    (run,) = list_runs(db)
    v = db.execute_query("MATCH (i:Item {id: 'i3'}) RETURN i[$p] AS v, i.embedding AS e",
                         {"p": run.props["prop"]}).records[0]
    assert v["v"] == pytest.approx(item_emb[3].tolist(), abs=1e-6) and v["e"] is None
    assert _count(db, "MATCH (n) WHERE n.embedding IS NOT NULL RETURN count(n)") == 0
    assert _count(db, "MATCH (n:Genre) WHERE n[$p] IS NOT NULL RETURN count(n)", p=run.props["prop"]) == len(GENRE_IDS)
    idx = {r["name"]: r for r in db.execute_query(
        "SHOW VECTOR INDEXES YIELD name, labelsOrTypes, properties, state, options RETURN *").records}
    assert set(idx) == {run.props["item_index"], run.props["mips_index"]}
    assert all(r["state"] == "ONLINE" and r["labelsOrTypes"] == ["Item"] for r in idx.values())
    assert idx[run.props["item_index"]]["properties"] == [run.props["prop"]]
    # the MIPS index is built with the wider beam its crowded vectors need (HNSW_MIPS_*, BENCHMARKS.md)
    config = {name: r["options"]["indexConfig"] for name, r in idx.items()}
    hnsw = {name: (c["vector.hnsw.m"], c["vector.hnsw.ef_construction"]) for name, c in config.items()}
    assert hnsw[run.props["mips_index"]] == (HNSW_MIPS_M, HNSW_MIPS_EF_CONSTRUCTION)
    assert hnsw[run.props["item_index"]] == (HNSW_M, HNSW_EF_CONSTRUCTION)


GENRE_IDS = ["genre:Comedy", "genre:Drama", "genre:Action", "genre:Horror", "genre:Jazz", "genre:Rock"]


@pytest.mark.parametrize(("change", "field"), [
    ({"user_emb": torch.randn(19, 8)}, "user_emb"),
    ({"item_emb": torch.randn(40, 9)}, "item_emb"),
    ({"item_emb": torch.full((40, 8), float("nan"))}, "item_emb"),
    ({"exclude": torch.tensor([[0], [40]])}, "exclude"),
    ({"k": 0}, "k"),
])
def test_bad_input_writes_nothing(db: Driver, change: dict[str, object], field: str) -> None:
    graph = build(db, users=20, items=40, degree=3)
    args: dict[str, object] = {"user_emb": torch.randn(20, 8), "item_emb": torch.randn(40, 8),
                               "exclude": graph.exclude, "k": 5, **change}
    with pytest.raises(InputError, match=field):
        publish(db, RunSpec("x"), graph.ids, **args)  # type: ignore[arg-type]
    assert _count(db, "MATCH (r:ModelRun) RETURN count(r)") == 0
    assert _count(db, "MATCH ()-[r:RECOMMENDED]->() RETURN count(r)") == 0


def test_failed_publish_leaves_nothing_behind(db: Driver) -> None:
    graph = build(db, users=10, items=20, degree=3)
    user_emb, item_emb = graph.embeddings(dim=8)

    def boom(stage: str, done: int, total: int) -> None:
        if stage == "recommended":
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        publish(db, RunSpec("x"), graph.ids, user_emb, item_emb, graph.exclude, k=3, progress=boom)
    assert _count(db, "MATCH (r:ModelRun) RETURN count(r)") == 0
    assert _count(db, "MATCH ()-[r:RECOMMENDED]->() RETURN count(r)") == 0
    props = db.execute_query("MATCH (n:Item {id: 'i1'}) RETURN keys(n) AS k").records[0]["k"]
    assert not [p for p in props if p.startswith(("embedding", "mips"))]
    assert not db.execute_query("SHOW VECTOR INDEXES YIELD name RETURN name").records


def test_the_run_records_the_fold_in_the_model_declares_not_its_name(db: Driver) -> None:
    graph = build(db, users=10, items=20, degree=3)
    user_emb, item_emb = graph.embeddings(dim=8)
    with pytest.raises(InputError, match="fold"):
        publish(db, RunSpec("x", fold="bogus"), graph.ids, user_emb, item_emb, graph.exclude, k=3)
    assert _count(db, "MATCH (r:ModelRun) RETURN count(r)") == 0
    publish(db, RunSpec("x", fold="als"), graph.ids, user_emb, item_emb, graph.exclude, k=3)
    publish(db, RunSpec("y"), graph.ids, user_emb, item_emb, graph.exclude, k=3)
    folds = {r.model: r.props["fold"] for r in list_runs(db)}
    assert folds == {"x": "als", "y": "ridge"}
