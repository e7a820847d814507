"""Each recommend query on the real Neo4j: only unseen items, K respected, filters and paths right."""

from __future__ import annotations

import pytest
from neo4j import Driver

from graphrec.errors import InputError, NotFoundError
from graphrec.recommend import (
    cold_start,
    diverse,
    explain,
    explain_text,
    recommend,
    recommend_realtime,
    run_query,
    similar_items,
)
from tests.recommend.conftest import K, Published

USERS = ["u0", "u7", "u19", "u29"]


@pytest.mark.parametrize("user", USERS)
def test_recommend_is_the_exact_unseen_top_k(driver: Driver, published: Published, user: str) -> None:
    recs = recommend(driver, user, k=5)
    assert [r.item for r in recs] == published.expected(user, 5)
    assert [r.rank for r in recs] == [1, 2, 3, 4, 5]
    assert {r.run for r in recs} == {published.result.run_id}
    assert not {r.item for r in recs} & published.graph.seen[user]
    assert len(recommend(driver, user, k=K + 5)) == K  # never more than published


def test_recommend_entity_filter(driver: Driver, published: Published) -> None:
    for genre in ("genre:Comedy", "genre:Drama", "tag:t1"):
        recs = recommend(driver, "u3", k=K, entity=genre)
        full = [r.item for r in recommend(driver, "u3", k=K)]
        expected = [i for i in full if genre in published.graph.item_entities[i]]
        assert [r.item for r in recs] == expected
    with pytest.raises(NotFoundError):
        recommend(driver, "u3", entity="genre:Nope")


@pytest.mark.parametrize("user", USERS)
def test_realtime_matches_exact_dot_product_top_k(driver: Driver, published: Published, user: str) -> None:
    recs = recommend_realtime(driver, user, k=K)
    assert [r.item for r in recs] == published.expected(user, K)
    ui = published.graph.ids["User"].index(user)
    for r in recs:
        ii = published.graph.ids["Item"].index(r.item)
        assert r.score == pytest.approx(float(published.user_emb[ui] @ published.item_emb[ii]), abs=1e-3)


def test_realtime_returns_k_unseen_beyond_published_k(driver: Driver, published: Published) -> None:
    recs = recommend_realtime(driver, "u5", k=20)
    assert len(recs) == 20 and not {r.item for r in recs} & published.graph.seen["u5"]


def test_similar_items_excludes_itself_and_ranks_by_cosine(driver: Driver, published: Published) -> None:
    recs = similar_items(driver, "i10", k=5)
    assert len(recs) == 5 and "i10" not in {r.item for r in recs}
    assert all(r.source == "embedding" for r in recs)
    emb = published.item_emb / published.item_emb.norm(dim=1, keepdim=True)
    cos = emb @ emb[10]
    cos[10] = -2
    assert [r.item for r in recs] == [f"i{i}" for i in cos.topk(5).indices.tolist()]


def test_cold_start_from_items_excludes_them(driver: Driver, published: Published) -> None:
    recs = cold_start(driver, ["i1", "i2", "i3"], k=6)
    assert len(recs) == 6 and not {r.item for r in recs} & {"i1", "i2", "i3"}
    assert all(r.source == "items" for r in recs)
    with pytest.raises(NotFoundError):
        cold_start(driver, ["nope"])
    with pytest.raises(InputError):
        cold_start(driver, [])


def test_explain_returns_paths_from_user_to_item(driver: Driver, published: Published) -> None:
    user = "u4"
    for item in published.expected(user, 3):
        paths = explain(driver, user, item, limit=5)
        assert paths, f"no explanation for {user} -> {item}"
        for p in paths:
            assert p.nodes[0]["id"] == user and p.nodes[-1]["id"] == item
            assert p.hops == len(p.rels) == len(p.nodes) - 1
            assert "RECOMMENDED" not in p.rels
        assert [p.hops for p in paths] == sorted(p.hops for p in paths)


def test_explain_friend_path(driver: Driver, published: Published) -> None:
    g = published.graph
    user = "u6"
    friend = sorted(g.friends[user])[0]
    item = sorted(g.seen[friend] - g.seen[user])[0]
    paths = explain(driver, user, item)
    assert paths[0].kind == "friend" and paths[0].hops == 2 and paths[0].nodes[1]["id"] in g.friends[user]


def test_explain_text_one_sentence_per_item_from_the_users_history(driver: Driver, published: Published) -> None:
    g = published.graph
    user = "u4"
    items = published.expected(user, 5)
    reasons = explain_text(driver, user, items)
    assert [r.item for r in reasons] == items
    for r in reasons:
        assert r.anchor in g.seen[user] and r.anchor_rel == "RATED" and isinstance(r.anchor_weight, float)
        assert {e["name"] for e in r.shared} <= {n.split(":", 1)[1] for n in g.item_entities[r.anchor]
                                                 & g.item_entities[r.item]}
        raters = {v for v, s in g.seen.items() if v != user}
        assert r.co_users == len({v for v in raters if {r.anchor, r.item} <= g.seen[v]})
        sentence = r.sentence()
        if r.co_users or r.shared:
            assert sentence.startswith(f"Because you rated Title of {r.anchor} {r.anchor_weight:.0f}★ — ")
        assert sentence.endswith(".") and "None" not in sentence
    assert any(r.co_users or r.shared for r in reasons)
    assert [r.item for r in explain_text(driver, user, k=3)] == published.expected(user, 3)


def test_explain_text_names_friends(driver: Driver, published: Published) -> None:
    g = published.graph
    user = "u6"
    friend = sorted(g.friends[user])[0]
    item = sorted(g.seen[friend] - g.seen[user])[0]
    (reason,) = explain_text(driver, user, [item])
    assert friend in reason.friends and f"your friend{'s' if reason.friend_count > 1 else ''} " in reason.sentence()
    with pytest.raises(NotFoundError, match="item"):
        explain_text(driver, user, ["nothing"])


def test_explain_unknown_ids(driver: Driver, published: Published) -> None:
    with pytest.raises(NotFoundError, match="user"):
        explain(driver, "nobody", "i1")
    with pytest.raises(NotFoundError, match="item"):
        explain(driver, "u1", "nothing")


@pytest.mark.parametrize("cap", [1, 2])
def test_diverse_caps_entities_and_keeps_k(driver: Driver, published: Published, cap: int) -> None:
    recs = diverse(driver, "u8", k=5, n=K, cap=cap, kinds=["genre"])
    assert len(recs) == 5
    assert not {r.item for r in recs} & published.graph.seen["u8"]
    assert {r.item for r in recs} <= set(published.expected("u8", K))
    picked: dict[str, int] = {}
    capped = True
    for r in recs:
        over = any(picked.get(e, 0) >= cap for e in r.entities)
        if over:
            capped = False  # from here on only fill-ups, which come after every capped pick
        else:
            assert capped, "an item within the caps came after a fill-up"
        for e in r.entities:
            picked[e] = picked.get(e, 0) + 1
        assert all(e.startswith("genre:") for e in r.entities)


def test_unknown_user_is_not_found(driver: Driver, published: Published) -> None:
    for fn in (recommend, recommend_realtime, diverse):
        with pytest.raises(NotFoundError, match="unknown user"):
            fn(driver, "nobody")
    with pytest.raises(NotFoundError, match="unknown item"):
        similar_items(driver, "nothing")


def test_diverse_reads_entity_links_into_items_only_for_mapped_graphs(driver: Driver, published: Published) -> None:
    # graphrec's own loaders link items to entities (item)-->(entity); a [graph] mapping's links may
    # point the other way ($entity_links_out false), and diverse then finds those too.
    item = published.expected("u3", K)[0]
    driver.execute_query("MATCH (i:Item {id: $i}) CREATE (:Entity {id: 'studio:x', kind: 'studio'})-[:MADE]->(i)",
                         {"i": item})
    try:
        params = {"user": "u3", "k": K, "n": K, "cap": 2, "kinds": None}
        def ents(links_out: bool) -> list[str]:
            rows = run_query(driver, "diverse", {**params, "entity_links_out": links_out})
            return next(r["entities"] for r in rows if r["item"] == item)
        both, out = ents(False), ents(True)
        assert "studio:x" in both and "studio:x" not in out
        assert sorted(both) == sorted([*out, "studio:x"])
        assert sorted(out) == sorted(published.graph.item_entities[item])
    finally:
        driver.execute_query("MATCH (e:Entity {id: 'studio:x'}) DETACH DELETE e")
