"""``refresh`` on the real Neo4j: new users, changed users and new items folded into the active run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from click.testing import CliRunner
from neo4j import Driver

import graphrec
from graphrec.artefact import Artefact
from graphrec.cli.main import cli
from graphrec.config import Settings
from graphrec.errors import GraphRecError, InputError
from graphrec.loaders import load_graph
from graphrec.recommend import recommend, recommend_realtime, similar_items
from graphrec.train import TrainConfig, fit
from graphrec.writeback import active_run, publish_artefact, refresh
from graphrec.writeback.refresh import fold_users
from graphrec.writeback.runs import check_counts
from tests.gds.test_fastrp import COMMUNITIES

torch.set_num_threads(1)

RECS = ("MATCH (u:User)-[r:RECOMMENDED]->(i:Item) "
        "RETURN u.id AS u, i.id AS i, r.rank AS rank, r.score AS s, r.run AS run")


def _recs(db: Driver) -> set[tuple[str, str, int, float, str]]:
    return {(r["u"], r["i"], r["rank"], r["s"], r["run"]) for r in db.execute_query(RECS).records}


def _published(db: Driver, model: str = "graph") -> Artefact:
    """Two taste communities (a, b) with a genre each, fitted and published as the active run (k=4)."""
    db.execute_query(COMMUNITIES)
    art = fit(load_graph(db), TrainConfig(model=model, dim=8, epochs=2, filter=False), progress=False,
              holdout=False)
    publish_artefact(db, art, k=4)
    return art


def test_refresh_folds_in_new_and_changed_users_and_new_items(db: Driver) -> None:
    _published(db)
    run = active_run(db)
    assert run is not None
    before = _recs(db)
    # a new user of community a; an existing user (b-u0) who rated one more item; a new item of community
    # a (its genre is all it has); a user with no interactions
    db.execute_query("""
        CREATE (n:User {id: 'new-a'}) WITH n
        MATCH (i:Item) WHERE i.id IN ['a-i0', 'a-i1', 'a-i2'] CREATE (n)-[:RATED {rating: 5.0, ts: 99}]->(i)""")
    db.execute_query("MATCH (u:User {id: 'b-u0'}), (i:Item {id: 'b-i4'}) "
                     "CREATE (u)-[:RATED {rating: 4.0, ts: 99}]->(i)")
    db.execute_query("MATCH (g:Genre {id: 'genre:a'}) CREATE (:Item {id: 'a-i6', title: 'new'})-[:HAS_GENRE]->(g)")
    db.execute_query("CREATE (:User {id: 'cold'})")

    res = refresh(db)
    assert (res.run_id, res.users, res.items, res.items_without_neighbours) == (run.id, 2, 1, 0)
    assert res.recommended == 8 and res.seconds["total"] > 0

    # the new user gets unseen items of their own community, from the active run's RECOMMENDED
    got = recommend(db, "new-a", k=4)
    assert len(got) == 4 and {r.run for r in got} == {run.id}
    assert all(r.item.startswith("a-") and r.item not in {"a-i0", "a-i1", "a-i2"} for r in got)
    # the changed user's list was recomputed without the item they just rated
    assert "b-i4" not in {r.item for r in recommend(db, "b-u0", k=4)}
    # every other user's recommendations are untouched; the cold user still has none
    after = _recs(db)
    others = {x for x in before if x[0] not in {"b-u0"}}
    assert others <= after and {x[0] for x in after - others} == {"new-a", "b-u0"}
    cold = db.execute_query(f"MATCH (u:User {{id: 'cold'}}) RETURN u.`{run.props['prop']}` AS v, "
                            "COUNT {(u)-[:RECOMMENDED]->()} AS n").records[0]
    assert cold["v"] is None and cold["n"] == 0

    # the new item has a vector: similar_items finds community-a items by it, and it can be recommended
    near = similar_items(db, "a-i6", k=3)
    assert [r.source for r in near] == ["embedding"] * 3 and all(r.item.startswith("a-") for r in near)
    assert "a-i6" in {r.item for r in recommend_realtime(db, "new-a", k=4)}
    assert "a-i6" in {r.item for r in similar_items(db, "a-i3", k=6)}

    # the run's counts follow, so it still passes the check made when it is activated again
    fresh = active_run(db)
    assert fresh is not None and fresh.counts["recommended"] == len(after) and fresh.props["refreshes"] == 1
    check_counts(db, fresh)

    # nothing changed since: a second refresh touches nobody
    again = refresh(db)
    assert (again.users, again.items, again.recommended) == (0, 0, 0) and _recs(db) == after


def test_fold_in_reproduces_what_the_run_gives_users_it_saw(db: Driver) -> None:
    art = _published(db)
    assert art.item_fold is not None
    pairs = art.exclude
    items = [pairs[1][pairs[0] == u].tolist() for u in range(art.user_emb.size(0))]
    assert torch.allclose(fold_users("sum", art.item_emb, items, art.item_fold), art.user_emb, atol=1e-4)
    # a user published by the run, whose ratings are deleted and re-created, is refreshed to the same vector
    run = active_run(db)
    assert run is not None
    db.execute_query("MATCH (u:User {id: 'a-u3'})-[r:RATED]->() WITH u, r LIMIT 1 "
                     "CREATE (x:Item {id: 'tmp'}) CREATE (u)-[:RATED]->(x)")   # a count change, no run vector
    # and a new user whose only item is 'tmp' (no vector, no entity or text to get one from) stays cold
    db.execute_query("MATCH (x:Item {id: 'tmp'}) CREATE (:User {id: 'only-tmp'})-[:RATED]->(x)")
    res = refresh(db)
    assert (res.users, res.users_without_items, res.items, res.items_without_neighbours) == (1, 1, 0, 1)
    v = db.execute_query(f"MATCH (u:User {{id: 'a-u3'}}) RETURN u.`{run.props['prop']}` AS v").records[0]["v"]
    ui = art.ids["User"].index("a-u3")
    assert v == pytest.approx(art.user_emb[ui].tolist(), abs=1e-4)   # 'tmp' has no vector: it adds nothing
    cold = db.execute_query(f"MATCH (u:User {{id: 'only-tmp'}}) RETURN u.`{run.props['prop']}` AS v, "
                            "COUNT {(u)-[:RECOMMENDED]->()} AS n").records[0]
    assert cold["v"] is None and cold["n"] == 0
    assert refresh(db).users_without_items == 0   # recorded: not picked again until they have more


def test_changed_means_more_distinct_items_not_more_relationships(db: Driver) -> None:
    # refresh finds candidates by their typed degree, then counts distinct items only for those: a second
    # relationship to an item the user already had, or one of a type the run did not learn from, changes
    # nobody's recommendations; one more item does
    _published(db)
    run = active_run(db)
    assert run is not None and run.props["interactions"] == ["RATED"]
    before = _recs(db)
    db.execute_query("MATCH (u:User {id: 'a-u1'})-[r:RATED]->(i:Item) WITH u, i LIMIT 1 "
                     "CREATE (u)-[:RATED {rating: 3.0, ts: 99}]->(i)")
    db.execute_query("MATCH (u:User {id: 'a-u2'}), (i:Item {id: 'b-i0'}) CREATE (u)-[:VIEWED]->(i)")
    res = refresh(db)
    assert (res.users, res.recommended) == (0, 0) and _recs(db) == before
    db.execute_query("MATCH (u:User {id: 'a-u1'}), (i:Item {id: 'b-i1'}) CREATE (u)-[:RATED {rating: 4.0}]->(i)")
    res = refresh(db)
    assert res.users == 1 and {x[0] for x in _recs(db) - before} == {"a-u1"}
    assert "b-i1" not in {r.item for r in recommend(db, "a-u1", k=4)}
    assert refresh(db).users == 0   # its count is recorded: a third refresh has nothing to do


def test_als_fold_in_is_implicits_own_user_solve() -> None:
    from implicit.cpu.als import AlternatingLeastSquares

    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((30, 40)) < 0.2).astype(np.float32))
    model = AlternatingLeastSquares(factors=6, regularization=0.3, alpha=4.0, iterations=3, random_state=0)
    model.fit(x, show_progress=False)
    new = sp.csr_matrix(np.eye(1, 40, 3, dtype=np.float32) + np.eye(1, 40, 17, dtype=np.float32))
    want = model.recalculate_user(0, new)
    got = fold_users("als", torch.from_numpy(np.asarray(model.item_factors)), [[3, 17]],
                     params={"regularization": 0.3, "alpha": 4.0})
    assert got[0].numpy() == pytest.approx(want, abs=1e-4)


def test_als_fold_in_of_a_user_like_one_it_saw_recommends_the_same(db: Driver) -> None:
    _published(db, model="als")
    db.execute_query("""
        MATCH (u:User {id: 'b-u2'})-[:RATED]->(i:Item) WITH collect(i) AS items
        CREATE (n:User {id: 'twin'}) WITH n, items UNWIND items AS i CREATE (n)-[:RATED {rating: 5.0}]->(i)""")
    run = active_run(db)
    assert run is not None and run.props["fold"] == "als"
    assert refresh(db).users == 1
    twin, seen = recommend(db, "twin", k=4), recommend(db, "b-u2", k=4)
    # ALS's last step solves the users for the item factors before the final item solve: close, not equal
    assert len(twin) == 4 and twin[0].item == seen[0].item and len({r.item for r in twin} & {r.item for r in seen}) >= 3
    assert [r.score for r in twin] == pytest.approx([r.score for r in seen], abs=0.03)


def test_no_active_run_and_bad_input_are_one_clear_error(db: Driver, neo4j_settings: Settings) -> None:
    db.execute_query(COMMUNITIES)
    with pytest.raises(GraphRecError, match="no active model run to refresh"):
        refresh(db)
    with pytest.raises(InputError, match="batch_size"):
        refresh(db, batch_size=0)
    res = CliRunner().invoke(cli, ["--uri", neo4j_settings.uri, "--password", neo4j_settings.password or "",
                                   "refresh"])
    assert res.exit_code == 1
    assert res.stderr.strip() == ("graphrec: error: no active model run to refresh: train and publish one "
                                  "first (`graphrec train`)")
    bad = CliRunner().invoke(cli, ["--uri", neo4j_settings.uri, "--password", neo4j_settings.password or "",
                                   "refresh", "--batch-size", "0"])
    assert bad.exit_code == 2 and "--batch-size" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_refresh_command_reports_what_it_did(db: Driver, neo4j_settings: Settings) -> None:
    _published(db)
    db.execute_query("CREATE (n:User {id: 'new-a'}) WITH n MATCH (i:Item {id: 'a-i0'}) CREATE (n)-[:RATED]->(i)")
    args = ["--uri", neo4j_settings.uri, "--password", neo4j_settings.password or ""]
    res = CliRunner().invoke(cli, [*args, "refresh", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["users"] == 1 and out["items"] == 0 and out["recommended"] == 4
    text = CliRunner().invoke(cli, [*args, "refresh"])
    assert text.exit_code == 0 and "refreshed run" in text.stdout and "0 users" in text.stdout
    # the Python API's Session.refresh is the same call
    db.execute_query("CREATE (n:User {id: 'new-b'}) WITH n MATCH (i:Item {id: 'b-i0'}) CREATE (n)-[:RATED]->(i)")
    with graphrec.connect(neo4j_settings) as gr:
        again = gr.refresh()
        assert again.users == 1 and again.run_id == out["run"]
        assert all(r.item.startswith("b-") for r in gr.recommend("new-b", k=3))
